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
    joined = items.join(chosen, [chosen._window_start <= when, when <= chosen.period_end])
    return joined.drop("_window_start")


def open_at_period_end(
    ctx: Context, items: ir.Table, start_column: str, end_column: str | None
) -> ir.Table:
    """Each item once for every month end E with OPEN(item, E): start <= E and (no end or
    end > E). An item ending on E is not open at E."""
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
