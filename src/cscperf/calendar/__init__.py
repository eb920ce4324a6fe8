"""Dates as the specification counts them: England and Wales working days, month arithmetic,
ages, financial years, reporting months and period windows.

Every rule here is a small pure function named for what it decides; the engine materialises
the same rules as a calendar table so SQL and Python agree.
"""

from cscperf.calendar.bank_holidays import bank_holidays
from cscperf.calendar.months import (
    add_months,
    age_on,
    is_month_end,
    month_end,
    month_end_of,
    month_start,
    month_start_of,
    months_between,
    reached_age,
    within_12_months_before,
)
from cscperf.calendar.periods import (
    Basis,
    FinancialYear,
    financial_year_ending,
    financial_year_of,
    is_year_end,
    period_window,
    population_year,
    reporting_months,
    rolling_12m_start,
)
from cscperf.calendar.tables import calendar_table, period_table
from cscperf.calendar.working_days import (
    add_working_days,
    add_working_days_array,
    is_working_day,
    working_day_calendar,
    working_days_between,
    working_days_between_arrays,
)

__all__ = [
    "Basis",
    "FinancialYear",
    "add_months",
    "add_working_days",
    "add_working_days_array",
    "age_on",
    "bank_holidays",
    "calendar_table",
    "financial_year_ending",
    "financial_year_of",
    "is_month_end",
    "is_working_day",
    "is_year_end",
    "month_end",
    "month_end_of",
    "month_start",
    "month_start_of",
    "months_between",
    "period_table",
    "period_window",
    "population_year",
    "reached_age",
    "reporting_months",
    "rolling_12m_start",
    "within_12_months_before",
    "working_day_calendar",
    "working_days_between",
    "working_days_between_arrays",
]
