"""Month arithmetic and ages (spec section 5).

``ADD_MONTHS(d, n)`` keeps the day of the month and falls back to the month's last day when
that day does not exist (31 August + 6 months = 28 or 29 February). Ages are completed years,
with a 29 February birthday falling on 1 March in other years.
"""

from __future__ import annotations

import calendar
from datetime import date


def month_start(year: int, month: int) -> date:
    """The 1st of the month."""
    return date(year, month, 1)


def month_end(year: int, month: int) -> date:
    """The last day of the month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def month_end_of(d: date) -> date:
    """The last day of the month containing d (the period end E of d's reporting month)."""
    return month_end(d.year, d.month)


def month_start_of(d: date) -> date:
    """The 1st of the month containing d."""
    return d.replace(day=1)


def is_month_end(d: date) -> bool:
    """d is the last day of its month."""
    return d == month_end_of(d)


def _shift_month(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def add_months(d: date, n: int) -> date:
    """ADD_MONTHS(d, n): the same day n months later (earlier for negative n), or the last
    day of the target month when that day does not exist."""
    year, month = _shift_month(d.year, d.month, n)
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def months_between(a: date, b: date) -> int:
    """Complete months from a to b: the largest n with ADD_MONTHS(a, n) <= b (negative,
    mirrored, when b is before a)."""
    if b < a:
        return -months_between(b, a)
    n = (b.year - a.year) * 12 + (b.month - a.month)
    return n - 1 if add_months(a, n) > b else n


def age_on(dob: date, d: date) -> int:
    """AGE(d): completed years at d. Comparing (month, day) pairs puts a 29 February
    birthday on 1 March in non-leap years, as the specification asks."""
    had_birthday = (d.month, d.day) >= (dob.month, dob.day)
    return d.year - dob.year - (0 if had_birthday else 1)


def reached_age(dob: date, d: date, years: int = 0, months: int = 0) -> bool:
    """The child is at least ``years`` years and ``months`` months old at d.

    With months, this is ADD_MONTHS(dob, 12 * years + months) <= d ("16 years 3 months").
    A whole number of years follows AGE instead, so that a child born on 29 February turns
    16 on 1 March, not 28 February, in a non-leap year.
    """
    if years < 0 or months < 0:
        raise ValueError(f"an age cannot be negative: {years} years {months} months")
    if months == 0:
        return age_on(dob, d) >= years
    return add_months(dob, 12 * years + months) <= d


def within_12_months_before(p: date, x: date) -> bool:
    """p is within the 12 months before x: ADD_MONTHS(x, -12) <= p < x (re-referrals)."""
    return add_months(x, -12) <= p < x
