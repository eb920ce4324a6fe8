"""WD and ADD_WD (spec section 4): the specification's examples, holiday periods worked out
by hand, and properties checked on random dates, including the numpy array versions."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cscperf.calendar import (
    add_working_days,
    add_working_days_array,
    is_working_day,
    working_days_between,
    working_days_between_arrays,
)

days = st.dates(min_value=date(2005, 1, 1), max_value=date(2035, 12, 31))
WD = working_days_between


def reference_wd(a: date, b: date) -> int:
    """WD by its definition: walk the days after a up to and including b."""
    return sum(is_working_day(a + timedelta(days=k)) for k in range(1, (b - a).days + 1))


# The specification's examples, in the week of Monday 8 January 2024.
def test_same_day_is_zero() -> None:
    assert WD(date(2024, 1, 8), date(2024, 1, 8)) == 0


def test_friday_to_next_monday_is_one() -> None:
    assert WD(date(2024, 1, 5), date(2024, 1, 8)) == 1


def test_saturday_to_monday_is_one() -> None:
    assert WD(date(2024, 1, 6), date(2024, 1, 8)) == 1


def test_friday_to_saturday_is_zero() -> None:
    assert WD(date(2024, 1, 5), date(2024, 1, 6)) == 0


def test_end_before_start_is_zero() -> None:
    assert WD(date(2024, 1, 10), date(2024, 1, 8)) == 0


def test_christmas_2023() -> None:
    # 23-24 weekend, 25-26 holidays, 27-29 working, 30-31 weekend, 1 Jan holiday, 2 Jan working.
    assert WD(date(2023, 12, 22), date(2024, 1, 2)) == 4


def test_easter_2024() -> None:
    # Good Friday 29 March, weekend, Easter Monday 1 April, then Tuesday 2 April.
    assert WD(date(2024, 3, 28), date(2024, 4, 2)) == 1


def test_substitute_days_christmas_2021() -> None:
    # Christmas and Boxing Day on the weekend: Monday 27 and Tuesday 28 are substitutes.
    assert WD(date(2021, 12, 24), date(2021, 12, 29)) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (date(2022, 6, 1), date(2022, 6, 6)),  # Spring holiday 2 June, Platinum Jubilee 3 June
        (date(2022, 9, 16), date(2022, 9, 20)),  # State funeral, Monday 19 September
        (date(2023, 5, 5), date(2023, 5, 9)),  # Coronation, Monday 8 May
    ],
)
def test_one_off_days(a: date, b: date) -> None:
    assert WD(a, b) == 1


def test_ve_day_2020_moved_the_early_may_holiday() -> None:
    # Monday 4 May 2020 was a working day; Friday 8 May was the holiday.
    assert is_working_day(date(2020, 5, 4))
    assert not is_working_day(date(2020, 5, 8))
    assert WD(date(2020, 5, 1), date(2020, 5, 11)) == 5


def test_working_days_in_2024() -> None:
    # 366 days from Monday 1 January: 52 weeks and Monday-Tuesday = 262 weekdays, less 8
    # bank holidays, all on weekdays.
    assert WD(date(2023, 12, 31), date(2024, 12, 31)) == 254


def test_add_working_days_over_christmas() -> None:
    # From Monday 18 Dec 2023: 19-22 (4), 27-29 (7), 2-4 Jan (10).
    assert add_working_days(date(2023, 12, 18), 10) == date(2024, 1, 4)


def test_add_working_days_from_a_weekend() -> None:
    assert add_working_days(date(2023, 12, 23), 1) == date(2023, 12, 27)
    assert add_working_days(date(2024, 1, 6), 1) == date(2024, 1, 8)


def test_add_zero_working_days_is_the_start_even_on_a_sunday() -> None:
    assert add_working_days(date(2024, 1, 7), 0) == date(2024, 1, 7)


def test_add_working_days_refuses_negative() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2024, 1, 7), -1)


def test_dates_far_outside_the_default_span() -> None:
    assert WD(date(1989, 12, 22), date(1990, 1, 2)) == 4  # 27, 28, 29 Dec 1989 and 2 Jan
    assert not is_working_day(date(2060, 12, 27))  # substitute: 25 Dec 2060 is a Saturday
    assert add_working_days(date(2060, 12, 24), 1) == date(2060, 12, 29)


@given(a=days, b=days)
@settings(max_examples=200)
def test_wd_matches_its_definition(a: date, b: date) -> None:
    if b > a + timedelta(days=800):
        b = a + timedelta(days=800)  # keep the day-by-day reference quick
    assert WD(a, b) == (reference_wd(a, b) if b > a else 0)


@given(st.lists(days, min_size=3, max_size=3))
def test_wd_is_additive(three: list[date]) -> None:
    a, b, c = sorted(three)
    assert WD(a, b) + WD(b, c) == WD(a, c)


@given(a=days, n=st.integers(min_value=0, max_value=400))
def test_add_wd_lands_n_working_days_on(a: date, n: int) -> None:
    later = add_working_days(a, n)
    assert WD(a, later) == n
    if n > 0:
        assert is_working_day(later)
        # ...and it is the first such day: the day before is still n - 1 working days on.
        assert WD(a, later - timedelta(days=1)) == n - 1


@given(d=days)
def test_one_working_day_step_is_is_working_day(d: date) -> None:
    assert WD(d - timedelta(days=1), d) == (1 if is_working_day(d) else 0)


@given(st.lists(st.tuples(days, days), min_size=1, max_size=50))
def test_array_wd_equals_scalar(pairs: list[tuple[date, date]]) -> None:
    a = np.array([p[0] for p in pairs], dtype="datetime64[D]")
    b = np.array([p[1] for p in pairs], dtype="datetime64[D]")
    assert working_days_between_arrays(a, b).tolist() == [WD(x, y) for x, y in pairs]


@given(st.lists(st.tuples(days, st.integers(min_value=0, max_value=300)), min_size=1))
def test_array_add_wd_equals_scalar(pairs: list[tuple[date, int]]) -> None:
    a = np.array([p[0] for p in pairs], dtype="datetime64[D]")
    n = np.array([p[1] for p in pairs])
    got = add_working_days_array(a, n).astype(object).tolist()
    assert got == [add_working_days(x, k) for x, k in pairs]


def test_array_wd_refuses_missing_dates() -> None:
    a = np.array(["2024-01-05", "NaT"], dtype="datetime64[D]")
    with pytest.raises(ValueError, match="NaT"):
        working_days_between_arrays(a, a)


def test_array_add_wd_keeps_missing_dates_missing() -> None:
    a = np.array(["2023-12-23", "NaT", "2023-12-22"], dtype="datetime64[D]")
    got = add_working_days_array(a, [1, 3, 0])
    assert got[0] == np.datetime64("2023-12-27")
    assert np.isnat(got[1])
    assert got[2] == np.datetime64("2023-12-22")


def test_array_wd_broadcasts_a_single_end() -> None:
    a = np.array(["2024-01-05", "2024-01-06", "2024-01-08"], dtype="datetime64[D]")
    assert working_days_between_arrays(a, np.datetime64("2024-01-08")).tolist() == [1, 1, 0]


def test_array_add_wd_refuses_negative() -> None:
    with pytest.raises(ValueError):
        add_working_days_array(np.array(["2024-01-05"], dtype="datetime64[D]"), [-2])
