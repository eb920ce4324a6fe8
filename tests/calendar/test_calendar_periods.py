"""Financial years, reporting months, period windows and population years (spec sections
2 and 5)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cscperf.calendar import (
    Basis,
    add_months,
    financial_year_ending,
    financial_year_of,
    is_year_end,
    month_end_of,
    period_window,
    population_year,
    reporting_months,
)

E = date(2017, 7, 31)
period_ends = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)).map(month_end_of)


def test_financial_year_of() -> None:
    fy = financial_year_of(date(2025, 3, 31))
    assert (fy.start, fy.end, fy.ends_year, fy.label) == (
        date(2024, 4, 1),
        date(2025, 3, 31),
        2025,
        "2024-25",
    )
    assert financial_year_of(date(2025, 4, 1)).label == "2025-26"
    assert financial_year_of(date(2024, 12, 31)).ends_year == 2025
    assert financial_year_ending(2000).label == "1999-00"
    assert date(2024, 4, 1) in fy
    assert date(2025, 4, 1) not in fy


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)))
def test_every_day_is_in_its_financial_year(d: date) -> None:
    fy = financial_year_of(d)
    assert fy.start <= d <= fy.end
    assert (fy.start.month, fy.start.day, fy.end.month, fy.end.day) == (4, 1, 3, 31)
    assert fy.end.year == fy.start.year + 1 == fy.ends_year


def test_reporting_months() -> None:
    assert reporting_months(date(2023, 11, 15), date(2024, 2, 2)) == [
        date(2023, 11, 30),
        date(2023, 12, 31),
        date(2024, 1, 31),
        date(2024, 2, 29),
    ]
    assert reporting_months(date(2024, 3, 31), date(2024, 3, 1)) == [date(2024, 3, 31)]
    assert reporting_months(date(2024, 4, 1), date(2024, 3, 31)) == []
    assert len(reporting_months(date(2017, 4, 30), date(2018, 3, 31))) == 12


@pytest.mark.parametrize(
    ("basis", "start"),
    [
        ("in_month", date(2017, 7, 1)),
        ("rolling_12m", date(2016, 8, 1)),  # the specification's example
        ("ytd", date(2017, 4, 1)),
        ("snapshot_month_end", E),
    ],
)
def test_windows_at_31_july_2017(basis: str, start: date) -> None:
    assert period_window(basis, E) == (start, E)


@pytest.mark.parametrize("basis", ["financial_year", "as_at_31_march"])
def test_year_end_bases_refuse_other_months(basis: str) -> None:
    with pytest.raises(ValueError, match="31 March"):
        period_window(basis, E)


def test_windows_at_31_march_2018() -> None:
    year_end = date(2018, 3, 31)
    fy = (date(2017, 4, 1), year_end)
    assert period_window(Basis.FINANCIAL_YEAR, year_end) == fy
    assert period_window(Basis.YTD, year_end) == fy
    assert period_window(Basis.ROLLING_12M, year_end) == fy  # at 31 March R12 is the year
    assert period_window(Basis.AS_AT_31_MARCH, year_end) == (year_end, year_end)
    assert is_year_end(year_end)
    assert not is_year_end(date(2018, 4, 30))


def test_ytd_in_april_is_the_month() -> None:
    assert period_window("ytd", date(2024, 4, 30)) == (date(2024, 4, 1), date(2024, 4, 30))


def test_period_end_must_be_a_month_end() -> None:
    with pytest.raises(ValueError, match="last day of a month"):
        period_window("in_month", date(2017, 7, 30))


def test_unknown_basis_is_refused() -> None:
    with pytest.raises(ValueError):
        period_window("quarterly", E)


@given(period_ends)
def test_rolling_window_is_twelve_whole_months(e: date) -> None:
    start, end = period_window("rolling_12m", e)
    assert start.day == 1
    assert add_months(start, 12) == add_months(end, 1).replace(day=1)
    assert start <= period_window("ytd", e)[0] <= end


def test_population_year_2017_18_uses_mid_2017() -> None:
    assert {population_year(e) for e in reporting_months(date(2017, 4, 1), date(2018, 3, 1))} == {
        2017
    }
    assert population_year(date(2017, 3, 31)) == 2016
    assert population_year(date(2018, 4, 30)) == 2018


def test_population_year_dfe_example() -> None:
    assert population_year(date(2025, 3, 31)) == 2024  # year ending March 2025: mid-2024
