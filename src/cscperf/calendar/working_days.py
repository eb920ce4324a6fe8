"""Working days as the specification counts them (spec section 4).

A working day is Monday to Friday and not an England and Wales bank holiday.
``WD(a, b)`` counts the working days w with a < w <= b (0 when b <= a): the start day is not
counted, the end day is. ``ADD_WD(a, n)`` is the n-th working day after a. Scalar functions
serve the rules engine; the ``*_array`` functions do the same on numpy ``datetime64[D]``
arrays for the synthetic council's millions of rows.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import numpy as np
import numpy.typing as npt

from cscperf.calendar.bank_holidays import (
    DEFAULT_FIRST_YEAR,
    DEFAULT_LAST_YEAR,
    bank_holidays,
    is_weekday,
)

DayArray = npt.NDArray[np.datetime64]
ONE_DAY = np.timedelta64(1, "D")


def _covering_years(first_year: int, last_year: int) -> tuple[int, int]:
    """The cached holiday span to use: the default span, widened to take in the asked years
    (so that almost every call shares one cached calendar)."""
    return min(first_year, DEFAULT_FIRST_YEAR), max(last_year, DEFAULT_LAST_YEAR)


@cache
def _busday_calendar(first_year: int, last_year: int) -> np.busdaycalendar:
    days = sorted(bank_holidays(first_year, last_year))
    return np.busdaycalendar(weekmask="1111100", holidays=np.array(days, dtype="datetime64[D]"))


def working_day_calendar(*days: date) -> np.busdaycalendar:
    """A numpy business-day calendar (Monday to Friday, bank holidays removed) whose holiday
    list covers every given date and the year after the last."""
    years = [d.year for d in days]
    # One year of margin: ADD_WD may run past 31 December.
    return _busday_calendar(*_covering_years(min(years), max(years) + 1))


def is_working_day(d: date) -> bool:
    """Monday to Friday and not a bank holiday in England and Wales."""
    first, last = _covering_years(d.year, d.year)
    return is_weekday(d) and d not in bank_holidays(first, last)


def working_days_between(a: date, b: date) -> int:
    """WD(a, b): working days w with a < w <= b; 0 when b is on or before a."""
    if b <= a:
        return 0
    count = np.busday_count(
        np.datetime64(a + timedelta(days=1), "D"),
        np.datetime64(b + timedelta(days=1), "D"),
        busdaycal=working_day_calendar(a, b),
    )
    return int(count)


def add_working_days(a: date, n: int) -> date:
    """ADD_WD(a, n): the n-th working day after a (a itself when n is 0)."""
    if n < 0:
        raise ValueError(f"add_working_days counts forward only; got n = {n}")
    if n == 0:
        return a
    # Roll a non-working start back to the previous working day: no working day lies between
    # them, so the n-th working day after either is the same.
    calendar = working_day_calendar(a, a + timedelta(days=2 * n + 14))
    result = np.busday_offset(np.datetime64(a, "D"), n, roll="backward", busdaycal=calendar)
    return date.fromisoformat(str(result))


def _as_days(values: npt.ArrayLike) -> DayArray:
    return np.asarray(values, dtype="datetime64[D]")


def _calendar_for_arrays(*arrays: DayArray, extra_days: int = 0) -> np.busdaycalendar:
    known = [arr[~np.isnat(arr)] for arr in arrays]
    known = [arr for arr in known if arr.size]
    if not known:
        return _busday_calendar(DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR)
    low = min(arr.min() for arr in known)
    high = max(arr.max() for arr in known) + np.timedelta64(extra_days, "D")
    first_year = int(low.astype("datetime64[Y]").astype(int)) + 1970
    last_year = int(high.astype("datetime64[Y]").astype(int)) + 1970 + 1
    return _busday_calendar(*_covering_years(first_year, last_year))


def working_days_between_arrays(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """WD(a, b) element by element for ``datetime64[D]`` arrays (or anything numpy turns
    into one); 0 where b is on or before a. Missing dates (NaT) are refused."""
    start, end = np.broadcast_arrays(_as_days(a), _as_days(b))
    if np.isnat(start).any() or np.isnat(end).any():
        raise ValueError("working_days_between_arrays was given a missing date (NaT)")
    counts = np.busday_count(
        start + ONE_DAY, end + ONE_DAY, busdaycal=_calendar_for_arrays(start, end)
    )
    return np.where(end > start, counts, 0).astype(np.int64)


def add_working_days_array(a: npt.ArrayLike, n: npt.ArrayLike) -> DayArray:
    """ADD_WD(a, n) element by element: the n-th working day after each a (a where n is 0).
    NaT stays NaT."""
    start = _as_days(a)
    steps = np.asarray(n, dtype=np.int64)
    if (steps < 0).any():
        raise ValueError("add_working_days_array counts forward only; some n are negative")
    start, steps = np.broadcast_arrays(start, steps)
    most = int(steps.max()) if steps.size else 0
    calendar = _calendar_for_arrays(start, extra_days=2 * most + 14)
    moved = np.busday_offset(start, steps, roll="backward", busdaycal=calendar)
    return np.where(steps == 0, start, moved)
