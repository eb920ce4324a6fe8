"""ADD_MONTHS, ages and the 12-months-before test (spec section 5)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cscperf.calendar import (
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

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))
steps = st.integers(min_value=-300, max_value=300)


@pytest.mark.parametrize(
    ("d", "n", "expected"),
    [
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # leap year
        (date(2022, 8, 31), 6, date(2023, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 1, 31), 3, date(2024, 4, 30)),
        (date(2024, 1, 15), -13, date(2022, 12, 15)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 5, 20), 0, date(2024, 5, 20)),
    ],
)
def test_add_months(d: date, n: int, expected: date) -> None:
    assert add_months(d, n) == expected


@given(d=days, n=steps)
def test_add_months_round_trip_where_the_day_exists_in_every_month(d: date, n: int) -> None:
    if d.day <= 28:
        assert add_months(add_months(d, n), -n) == d
        assert add_months(d, n).day == d.day


@given(d=days, n=steps)
def test_add_months_keeps_the_day_or_takes_the_month_end(d: date, n: int) -> None:
    moved = add_months(d, n)
    assert (moved.year * 12 + moved.month) - (d.year * 12 + d.month) == n
    assert moved.day == d.day or (moved.day < d.day and is_month_end(moved))


@given(a=days, b=days, n=steps)
def test_add_months_keeps_order(a: date, b: date, n: int) -> None:
    if a <= b:
        assert add_months(a, n) <= add_months(b, n)


def test_month_ends_and_starts() -> None:
    assert month_end(2024, 2) == date(2024, 2, 29)
    assert month_end(2023, 2) == date(2023, 2, 28)
    assert month_end(2023, 12) == date(2023, 12, 31)
    assert month_start(2023, 12) == date(2023, 12, 1)
    assert month_end_of(date(2024, 4, 3)) == date(2024, 4, 30)
    assert month_start_of(date(2024, 4, 30)) == date(2024, 4, 1)
    assert is_month_end(date(2024, 4, 30))
    assert not is_month_end(date(2024, 4, 29))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2024, 1, 31), date(2024, 2, 29), 1),  # ADD_MONTHS(31 Jan, 1) = 29 Feb
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2016, 6, 15), date(2017, 6, 15), 12),
        (date(2016, 6, 15), date(2017, 6, 14), 11),
        (date(2017, 6, 15), date(2016, 6, 15), -12),
        (date(2024, 5, 5), date(2024, 5, 5), 0),
    ],
)
def test_months_between(a: date, b: date, expected: int) -> None:
    assert months_between(a, b) == expected


@given(a=days, b=days)
def test_months_between_is_the_largest_whole_step(a: date, b: date) -> None:
    if a <= b:
        n = months_between(a, b)
        assert add_months(a, n) <= b < add_months(a, n + 1)


def test_age_with_an_ordinary_birthday() -> None:
    dob = date(2010, 7, 14)
    assert age_on(dob, date(2026, 7, 13)) == 15
    assert age_on(dob, date(2026, 7, 14)) == 16


def test_29_february_birthday_is_1_march_in_other_years() -> None:
    dob = date(2008, 2, 29)
    assert age_on(dob, date(2009, 2, 28)) == 0
    assert age_on(dob, date(2009, 3, 1)) == 1
    assert age_on(dob, date(2023, 2, 28)) == 14
    assert age_on(dob, date(2023, 3, 1)) == 15
    assert age_on(dob, date(2024, 2, 28)) == 15
    assert age_on(dob, date(2024, 2, 29)) == 16
    assert reached_age(dob, date(2025, 3, 1), years=17)
    assert not reached_age(dob, date(2025, 2, 28), years=17)


def birthday(dob: date, years: int) -> date:
    """The k-th birthday as the specification puts it: 1 March when 29 Feb does not exist."""
    try:
        return dob.replace(year=dob.year + years)
    except ValueError:
        return date(dob.year + years, 3, 1)


@given(dob=days, d=days)
def test_age_counts_birthdays_passed(dob: date, d: date) -> None:
    if dob <= d:
        age = age_on(dob, d)
        assert birthday(dob, age) <= d < birthday(dob, age + 1)


def test_16_years_3_months() -> None:
    dob = date(2008, 1, 10)  # ADD_MONTHS(dob, 195) = 10 April 2024
    assert reached_age(dob, date(2024, 4, 10), years=16, months=3)
    assert not reached_age(dob, date(2024, 4, 9), years=16, months=3)


def test_16_years_3_months_clamped_to_february() -> None:
    dob = date(2007, 11, 30)  # 30 February 2024 does not exist: 29 February
    assert reached_age(dob, date(2024, 2, 29), years=16, months=3)
    assert not reached_age(dob, date(2024, 2, 28), years=16, months=3)


def test_reached_age_refuses_negative() -> None:
    with pytest.raises(ValueError):
        reached_age(date(2008, 1, 10), date(2024, 1, 1), years=-1)


def test_re_referral_window() -> None:
    referral = date(2017, 6, 15)
    assert within_12_months_before(date(2016, 6, 15), referral)
    assert not within_12_months_before(date(2016, 6, 14), referral)
    assert within_12_months_before(date(2017, 6, 14), referral)
    assert not within_12_months_before(referral, referral)


def test_12_months_before_29_february() -> None:
    x = date(2024, 2, 29)  # ADD_MONTHS(x, -12) = 28 February 2023
    assert within_12_months_before(date(2023, 2, 28), x)
    assert not within_12_months_before(date(2023, 2, 27), x)
