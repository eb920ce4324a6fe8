"""The calendar as tables for the SQL engine, so SQL and Python count days the same way.

``calendar_table`` has one row per day with a cumulative working-day index:
WD(a, b) = idx(b) - idx(a) for a <= b. ``period_table`` has one row per reporting month with
the first day of each window and the population year. polars is imported inside the functions
so that importing the calendar stays light.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from cscperf.calendar.months import month_start_of
from cscperf.calendar.periods import (
    financial_year_of,
    is_year_end,
    population_year,
    reporting_months,
    rolling_12m_start,
)
from cscperf.calendar.working_days import working_day_calendar


def calendar_table(first: date, last: date) -> pl.DataFrame:
    """One row per day from ``first`` to ``last``: ``date``, ``is_working_day``,
    ``working_day_index`` (working days up to and including the date, counted from
    ``first``), ``financial_year_start`` and ``month_end``."""
    if last < first:
        raise ValueError(f"calendar_table: last {last} is before first {first}")
    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + np.timedelta64(1, "D"))
    working = np.is_busday(days, busdaycal=working_day_calendar(first, last))
    frame = pl.DataFrame(
        {
            "date": days,
            "is_working_day": working,
            "working_day_index": np.cumsum(working, dtype=np.int32),
        },
        schema={"date": pl.Date, "is_working_day": pl.Boolean, "working_day_index": pl.Int32},
    )
    return frame.with_columns(
        financial_year_start=pl.date(
            pl.col("date").dt.year() - (pl.col("date").dt.month() < 4).cast(pl.Int32), 4, 1
        ),
        month_end=pl.col("date").dt.month_end(),
    )


def period_table(first_period_end: date, last_period_end: date) -> pl.DataFrame:
    """One row per reporting month from the month of ``first_period_end`` to that of
    ``last_period_end``: ``period_end``, ``month_start``, ``rolling_12m_start``, ``ytd_start``,
    ``financial_year_start``, ``is_year_end`` and ``population_year``."""
    ends = reporting_months(first_period_end, last_period_end)
    return pl.DataFrame(
        {
            "period_end": ends,
            "month_start": [month_start_of(e) for e in ends],
            "rolling_12m_start": [rolling_12m_start(e) for e in ends],
            "ytd_start": [financial_year_of(e).start for e in ends],
            "financial_year_start": [financial_year_of(e).start for e in ends],
            "is_year_end": [is_year_end(e) for e in ends],
            "population_year": [population_year(e) for e in ends],
        },
        schema={
            "period_end": pl.Date,
            "month_start": pl.Date,
            "rolling_12m_start": pl.Date,
            "ytd_start": pl.Date,
            "financial_year_start": pl.Date,
            "is_year_end": pl.Boolean,
            "population_year": pl.Int32,
        },
    )
