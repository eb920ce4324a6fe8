"""Financial years, reporting months and period windows (spec sections 2 and 5).

The reporting month is a calendar month whose last day is E (``period_end``). The financial
year runs 1 April to 31 March. A basis names the window an indicator counts over at E.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from cscperf.calendar.months import (
    add_months,
    is_month_end,
    month_end_of,
    month_start_of,
)

FINANCIAL_YEAR_START_MONTH = 4


class Basis(StrEnum):
    """The period bases of ``indicators.yaml``."""

    IN_MONTH = "in_month"
    ROLLING_12M = "rolling_12m"
    YTD = "ytd"
    FINANCIAL_YEAR = "financial_year"
    SNAPSHOT_MONTH_END = "snapshot_month_end"
    AS_AT_31_MARCH = "as_at_31_march"


@dataclass(frozen=True)
class FinancialYear:
    """1 April to 31 March; ``ends_year`` is the calendar year of the 31 March."""

    start: date
    end: date
    ends_year: int

    @property
    def label(self) -> str:
        """As councils write it: "2024-25"."""
        return f"{self.ends_year - 1}-{self.ends_year % 100:02d}"

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and self.start <= d <= self.end


def financial_year_ending(ends_year: int) -> FinancialYear:
    """The financial year that ends on 31 March ``ends_year``."""
    return FinancialYear(
        start=date(ends_year - 1, FINANCIAL_YEAR_START_MONTH, 1),
        end=date(ends_year, FINANCIAL_YEAR_START_MONTH - 1, 31),
        ends_year=ends_year,
    )


def financial_year_of(d: date) -> FinancialYear:
    """The financial year in which d falls."""
    ends_year = d.year + 1 if d.month >= FINANCIAL_YEAR_START_MONTH else d.year
    return financial_year_ending(ends_year)


def is_year_end(period_end: date) -> bool:
    """E is 31 March, the last month of a financial year."""
    return period_end.month == 3 and period_end.day == 31


def reporting_months(first: date, last: date) -> list[date]:
    """Period ends E of every reporting month from the month of ``first`` to the month of
    ``last``, both included (any day of a month stands for that month)."""
    ends: list[date] = []
    current = month_end_of(first)
    final = month_end_of(last)
    while current <= final:
        ends.append(current)
        current = month_end_of(add_months(month_start_of(current), 1))
    return ends


def _require_period_end(period_end: date) -> None:
    if not is_month_end(period_end):
        raise ValueError(f"a period end must be the last day of a month, not {period_end}")


def rolling_12m_start(period_end: date) -> date:
    """First day of the R12 window: the 1st of the month 11 months before E."""
    return add_months(month_start_of(period_end), -11)


def period_window(basis: Basis | str, period_end: date) -> tuple[date, date]:
    """The first and last day (both included) an indicator on ``basis`` covers at E.

    Snapshot bases are a single day, (E, E). ``financial_year`` and ``as_at_31_march`` exist
    only when E is 31 March; other months raise ValueError.
    """
    _require_period_end(period_end)
    chosen = Basis(basis)
    if chosen in (Basis.FINANCIAL_YEAR, Basis.AS_AT_31_MARCH) and not is_year_end(period_end):
        raise ValueError(f"basis {chosen} applies only when the period end is 31 March")
    match chosen:
        case Basis.IN_MONTH:
            return month_start_of(period_end), period_end
        case Basis.ROLLING_12M:
            return rolling_12m_start(period_end), period_end
        case Basis.YTD | Basis.FINANCIAL_YEAR:
            return financial_year_of(period_end).start, period_end
        case Basis.SNAPSHOT_MONTH_END | Basis.AS_AT_31_MARCH:
            return period_end, period_end
    raise AssertionError(f"unhandled basis {chosen}")  # pragma: no cover


def population_year(period_end: date) -> int:
    """The mid-year of the ONS estimate POP0_17(E) uses: Y - 1, where Y is the calendar year
    in which the financial year containing E ends (all of 2017-18 uses mid-2017)."""
    return financial_year_of(period_end).ends_year - 1


def last_complete_month(extract: date) -> date:
    """The last reporting month wholly before the end of the extract date."""
    return extract if extract == month_end_of(extract) else month_start_of(extract) - timedelta(1)


def window_start(last: date, financial_years: int | None) -> date | None:
    """The first period end of a window of ``financial_years`` financial years ending with the
    one holding ``last``: 30 April of the earliest (None: no window, every month)."""
    if financial_years is None:
        return None
    start = financial_year_of(last).start
    return month_end_of(date(start.year - (financial_years - 1), start.month, 1))
