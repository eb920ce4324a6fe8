"""The calendar and period tables the SQL engine joins on agree with the Python rules."""

from __future__ import annotations

from datetime import date
from functools import cache

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cscperf.calendar import (
    calendar_table,
    financial_year_of,
    is_working_day,
    period_table,
    working_days_between,
)

FIRST, LAST = date(2010, 1, 1), date(2030, 12, 31)
days = st.dates(min_value=FIRST, max_value=LAST)


@cache
def index_by_date() -> dict[date, int]:
    table = calendar_table(FIRST, LAST)
    return dict(zip(table["date"].to_list(), table["working_day_index"].to_list(), strict=True))


def test_calendar_table_columns_and_types() -> None:
    table = calendar_table(date(2024, 3, 28), date(2024, 4, 3))
    assert table.schema == pl.Schema(
        {
            "date": pl.Date,
            "is_working_day": pl.Boolean,
            "working_day_index": pl.Int32,
            "financial_year_start": pl.Date,
            "month_end": pl.Date,
        }
    )
    # Thu 28 Mar working; Good Friday, weekend, Easter Monday; Tue 2 and Wed 3 Apr working.
    assert table["is_working_day"].to_list() == [True, False, False, False, False, True, True]
    assert table["working_day_index"].to_list() == [1, 1, 1, 1, 1, 2, 3]
    assert (
        table["financial_year_start"].to_list() == [date(2023, 4, 1)] * 4 + [date(2024, 4, 1)] * 3
    )
    assert table["month_end"].to_list() == [date(2024, 3, 31)] * 4 + [date(2024, 4, 30)] * 3


def test_calendar_table_one_row_per_day() -> None:
    table = calendar_table(FIRST, LAST)
    assert table.height == (LAST - FIRST).days + 1
    assert table["date"].is_sorted()
    assert table["date"].n_unique() == table.height


def test_calendar_table_refuses_reversed_range() -> None:
    with pytest.raises(ValueError):
        calendar_table(date(2024, 2, 1), date(2024, 1, 1))


@given(a=days, b=days)
def test_index_difference_is_wd(a: date, b: date) -> None:
    a, b = min(a, b), max(a, b)
    index = index_by_date()
    assert index[b] - index[a] == working_days_between(a, b)


@given(d=days)
def test_table_agrees_with_python_rules_day_by_day(d: date) -> None:
    row = calendar_table(d, d).row(0, named=True)
    assert row["is_working_day"] == is_working_day(d)
    assert row["working_day_index"] == (1 if is_working_day(d) else 0)
    assert row["financial_year_start"] == financial_year_of(d).start


def test_period_table_rows() -> None:
    table = period_table(date(2018, 2, 28), date(2018, 4, 30))
    assert table.columns == [
        "period_end",
        "month_start",
        "rolling_12m_start",
        "ytd_start",
        "financial_year_start",
        "is_year_end",
        "population_year",
    ]
    assert table.rows() == [
        (
            date(2018, 2, 28),
            date(2018, 2, 1),
            date(2017, 3, 1),
            date(2017, 4, 1),
            date(2017, 4, 1),
            False,
            2017,
        ),
        (
            date(2018, 3, 31),
            date(2018, 3, 1),
            date(2017, 4, 1),
            date(2017, 4, 1),
            date(2017, 4, 1),
            True,
            2017,
        ),
        (
            date(2018, 4, 30),
            date(2018, 4, 1),
            date(2017, 5, 1),
            date(2018, 4, 1),
            date(2018, 4, 1),
            False,
            2018,
        ),
    ]
    assert table.schema["population_year"] == pl.Int32
