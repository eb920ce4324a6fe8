"""Reporting windows, episodes open at a month end, and working days.

Each function takes the indicator's :class:`~cscperf.indicators.context.Context` (for its
reporting months and the calendar table) and an item table, and returns the items joined to
the months or dates they count in. All of them stick to portable Ibis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

if TYPE_CHECKING:
    from cscperf.indicators.context import Context


def in_window(
    ctx: Context, items: ir.Table, date_column: str, basis: str | None = None
) -> ir.Table:
    """Each item once for every reporting month whose window (by ``basis``, the indicator's
    own by default) contains its date; adds ``period_end``."""
    basis = basis or ctx.definition.basis
    when = items[date_column]
    periods = ctx.periods
    if basis == "in_month":
        # An equality join on the month end is much cheaper than a range join.
        cal = ctx.calendar.select(_day=ctx.calendar.date, _month_end=ctx.calendar.month_end)
        dated = items.join(cal, when == cal._day).drop("_day")
        joined = dated.join(periods.select("period_end"), dated._month_end == periods.period_end)
        return joined.drop("_month_end")
    start = {
        "rolling_12m": periods.rolling_12m_start,
        "ytd": periods.ytd_start,
        "financial_year": periods.financial_year_start,
    }.get(basis)
    if start is None:
        raise ValueError(f"in_window needs a windowed basis, not {basis}")
    chosen = periods.select(period_end=periods.period_end, _window_start=start)
    if not when.type().is_date():
        joined = items.join(chosen, [chosen._window_start <= when, when <= chosen.period_end])
        return joined.drop("_window_start")
    # Every window is at most twelve months ending at E, so an item dated d can only count
    # at the month ends of d's month and the eleven after: those month numbers are generated
    # and joined by number (an equality join, cheaper than the range join on both window
    # ends), and the window's own bounds are then checked exactly.
    chosen = chosen.mutate(_iw_month=_month_number(chosen.period_end))
    bounds = chosen.aggregate(_iw_lo=chosen._iw_month.min(), _iw_hi=chosen._iw_month.max())
    dated = items.filter(when.notnull()).cross_join(bounds)
    month = _month_number(dated[date_column])
    first = ibis.greatest(month, dated._iw_lo)
    after = ibis.least(month + 12, dated._iw_hi + 1)
    spread = dated.mutate(_iw_month=ibis.range(first, after).unnest())
    joined = spread.join(chosen, spread._iw_month == chosen._iw_month)
    joined = joined.filter(
        joined._window_start <= joined[date_column], joined[date_column] <= joined.period_end
    )
    return joined.select(*items.columns, "period_end")


def open_at_period_end(
    ctx: Context, items: ir.Table, start_column: str, end_column: str | None
) -> ir.Table:
    """Each item once for every month end E with OPEN(item, E): start <= E and (no end or
    end > E). An item ending on E is not open at E.

    With dates, OPEN(item, E) is month(start) <= month(E) < month(end) by month number
    (year * 12 + month): E is the last day of its month, so start <= E exactly when start
    falls in E's month or before, and end > E exactly when end falls in a later month (an
    end on E itself is in E's month). So each item's month numbers are generated, clipped to
    the run's first and last month, and joined to the months by number: the rows made are
    the rows kept, instead of every item joined to every later month end and then filtered
    on its end."""
    start = items[start_column]
    end = None if end_column is None else items[end_column]
    if not start.type().is_date() or (end is not None and not end.type().is_date()):
        return _open_at_period_end_by_range(ctx, items, start_column, end_column)
    periods = ctx.periods
    months = periods.select(
        period_end=periods.period_end, _oe_month=_month_number(periods.period_end)
    )
    bounds = months.aggregate(_oe_lo=months._oe_month.min(), _oe_hi=months._oe_month.max())
    dated = items.filter(start.notnull()).cross_join(bounds)
    first = ibis.greatest(_month_number(dated[start_column]), dated._oe_lo)
    after = dated._oe_hi + 1
    if end_column is not None:
        after = ibis.least(_month_number(dated[end_column]).fill_null(after), after)
    spread = dated.mutate(_oe_month=ibis.range(first, after).unnest())
    joined = spread.join(months, spread._oe_month == months._oe_month)
    return joined.select(*items.columns, "period_end")


def _month_number(day: ir.DateValue) -> ir.IntegerValue:
    return day.year() * 12 + day.month()


def _open_at_period_end_by_range(
    ctx: Context, items: ir.Table, start_column: str, end_column: str | None
) -> ir.Table:
    """OPEN(item, E) by joining every item to every month end on or after its start, then
    keeping those before its end: for start or end columns that are not dates."""
    periods = ctx.periods.select("period_end")
    start = items[start_column]
    predicates = [start <= periods.period_end]
    joined = items.join(periods, predicates)
    if end_column is not None:
        end = joined[end_column]
        joined = joined.filter(end.isnull() | (end > joined.period_end))
    return joined


def working_days(
    ctx: Context, items: ir.Table, start_column: str, end_column: str, name: str
) -> ir.Table:
    """Adds ``name`` = WD(start, end): working days w with start < w <= end, 0 when
    end <= start, null when either date is missing or outside the calendar."""
    cal = ctx.calendar
    first = cal.select(_wd_a=cal.date, _wd_ia=cal.working_day_index)
    second = cal.select(_wd_b=cal.date, _wd_ib=cal.working_day_index)
    joined = items.left_join(first, items[start_column] == first._wd_a)
    joined = joined.left_join(second, joined[end_column] == second._wd_b)
    diff = joined._wd_ib - joined._wd_ia
    value = ibis.ifelse(diff > 0, diff, 0)
    return joined.mutate(**{name: value.cast("int64")}).drop("_wd_a", "_wd_ia", "_wd_b", "_wd_ib")
