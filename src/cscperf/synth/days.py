"""Day arithmetic on numpy arrays for the simulation: dates held as int64 days since 1970-01-01.

Working days follow the specification's rules (``ADD_WD(a, n)`` is the n-th working day after
a; ``WD(a, b)`` counts working days w with a < w <= b). The England and Wales bank holidays come
from ``cscperf.calendar`` when it offers them, otherwise from the offline ``holidays`` package.
"""

from __future__ import annotations

from datetime import date

import numpy as np

EPOCH = date(1970, 1, 1)
NEVER = 10**6  # a day number far beyond any real date: "not happened"


def day_number(d: date) -> int:
    return (d - EPOCH).days


def from_day_number(n: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + int(n))


def bank_holidays(first_year: int, last_year: int) -> np.ndarray:
    """England and Wales bank holidays in the years given, as datetime64[D], sorted."""
    found: list[date] = []
    try:  # the project's own calendar, once it offers the list
        from cscperf.calendar import bank_holidays as calendar_holidays

        found = sorted(d for d in calendar_holidays() if first_year <= d.year <= last_year)
    except (ImportError, TypeError, AttributeError):
        found = []
    if not found:
        import holidays

        england = holidays.country_holidays(
            "GB", subdiv="ENG", years=range(first_year, last_year + 1)
        )
        found = sorted(england.keys())
    return np.array(found, dtype="datetime64[D]")


class WorkingDays:
    """Working-day arithmetic over a fixed span of years (holidays looked up once)."""

    def __init__(self, first_year: int, last_year: int) -> None:
        self.holidays = bank_holidays(first_year, last_year)

    def add(self, days: np.ndarray, n: np.ndarray | int) -> np.ndarray:
        """ADD_WD(a, n): the n-th working day after a (a itself when n is 0 and a works)."""
        start = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
        moved = np.busday_offset(start, n, roll="backward", holidays=self.holidays)
        return moved.astype(np.int64)

    def between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """WD(a, b): working days w with a < w <= b, 0 when b <= a."""
        lo = (np.asarray(a, dtype=np.int64) + 1).astype("datetime64[D]")
        hi = (np.asarray(b, dtype=np.int64) + 1).astype("datetime64[D]")
        counts = np.busday_count(lo, hi, holidays=self.holidays)
        return np.where(hi > lo, counts, 0)

    def next_working(self, days: np.ndarray) -> np.ndarray:
        """The day itself when it is a working day, else the next working day."""
        start = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
        return np.busday_offset(start, 0, roll="forward", holidays=self.holidays).astype(np.int64)


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
