"""Day arithmetic on numpy arrays for the simulation: dates held as int64 days since 1970-01-01.

Working days are the project's own (``cscperf.calendar``): ``ADD_WD(a, n)`` is the n-th working
day after a, ``WD(a, b)`` counts working days w with a < w <= b, and the England and Wales bank
holidays are the calendar's, corrections included. This module only converts day numbers.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from cscperf.calendar import add_working_days_array, bank_holidays, working_days_between_arrays

EPOCH = date(1970, 1, 1)
NEVER = 10**6  # a day number far beyond any real date: "not happened"


def day_number(d: date) -> int:
    return (d - EPOCH).days


def from_day_number(n: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + int(n))


def _as_dates(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]")


class WorkingDays:
    """Working-day arithmetic on day numbers over a span of years, by ``cscperf.calendar``."""

    def __init__(self, first_year: int, last_year: int) -> None:
        holidays = np.array(sorted(bank_holidays(first_year, last_year)), dtype="datetime64[D]")
        self.calendar = np.busdaycalendar(weekmask="1111100", holidays=holidays)

    def add(self, days: np.ndarray, n: np.ndarray | int) -> np.ndarray:
        """ADD_WD(a, n): the n-th working day after a (a itself when n is 0)."""
        return add_working_days_array(_as_dates(days), n).astype(np.int64)

    def between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """WD(a, b): working days w with a < w <= b, 0 when b <= a."""
        return working_days_between_arrays(_as_dates(a), _as_dates(b))

    def back(self, days: np.ndarray, n: int) -> np.ndarray:
        """The n-th working day before each day (the last working day on or before it, for 0)."""
        moved = np.busday_offset(_as_dates(days), -n, roll="backward", busdaycal=self.calendar)
        return moved.astype(np.int64)

    def next_working(self, days: np.ndarray) -> np.ndarray:
        """The day itself when it is a working day, else the next working day."""
        moved = np.busday_offset(_as_dates(days), 0, roll="forward", busdaycal=self.calendar)
        return moved.astype(np.int64)


def census_year_end(days: np.ndarray) -> np.ndarray:
    """The 31 March ending the collection year (1 April to 31 March) each day falls in."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]").astype(np.int64)  # months since January 1970
    year = 1970 + month // 12 + (month % 12 >= 3)
    march = ((year - 1970) * 12 + 2).astype("datetime64[M]")
    return march.astype("datetime64[D]").astype(np.int64) + 30


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """ADD_MONTHS(d, n): same day n months on, or the month's last day if it has no such day."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months).astype("timedelta64[M]")
    month_length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    return target.astype("datetime64[D]").astype(np.int64) + np.minimum(
        day_of_month, month_length - 1
    )


def birthday(dob: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """The day a child born on ``dob`` turns ``years`` (29 Feb -> 1 Mar in common years)."""
    d = add_months(dob, 12 * np.asarray(years))
    dob_dt = np.asarray(dob, dtype=np.int64).astype("datetime64[D]")
    leapling = (dob_dt - dob_dt.astype("datetime64[M]").astype("datetime64[D]")).astype(
        np.int64
    ) == 28
    leapling &= (dob_dt.astype("datetime64[M]").astype(np.int64) % 12) == 1
    shifted = d.astype("datetime64[D]")
    not_leap_day = (shifted - shifted.astype("datetime64[M]").astype("datetime64[D]")).astype(
        np.int64
    ) != 28
    return np.where(leapling & not_leap_day, d + 1, d)


def age_at(dob: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Completed years of age on each day (approximate by 365.25 days, then corrected)."""
    dob = np.asarray(dob, dtype=np.int64)
    days = np.asarray(days, dtype=np.int64)
    guess = np.floor((days - dob) / 365.25).astype(np.int64)
    guess = np.maximum(guess, 0)
    # Correct the guess by one either way around birthdays.
    too_high = birthday(dob, guess) > days
    guess = np.where(too_high, guess - 1, guess)
    too_low = birthday(dob, guess + 1) <= days
    return np.where(too_low, guess + 1, guess)
