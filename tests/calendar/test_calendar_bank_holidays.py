"""Every England and Wales bank holiday 2012-2028 checked against second sources.

Sources: the GOV.UK ``bank-holidays.json`` bundled with the ``govuk-bank-holidays`` package
(read from its installed files, no network), for the years that file covers; and the list
below, typed from GOV.UK's published dates, for every year (so a year the JSON lacks is still
checked). Both directions are asserted: no holiday missing, none extra.
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from cscperf.calendar import bank_holidays, is_working_day
from cscperf.calendar.bank_holidays import (
    CHANGES_FILE,
    HolidayChange,
    HolidayChanges,
    load_holiday_changes,
    weekday_closures,
)
from cscperf.errors import ConfigError

YEARS = range(2012, 2029)

# Days off in England and Wales as GOV.UK publishes them (substitute days, not the weekend
# dates they replace), month and day per year.
PUBLISHED: dict[int, list[tuple[int, int]]] = {
    # Spring holiday moved to 4 June; 5 June Diamond Jubilee.
    2012: [(1, 2), (4, 6), (4, 9), (5, 7), (6, 4), (6, 5), (8, 27), (12, 25), (12, 26)],
    2013: [(1, 1), (3, 29), (4, 1), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)],
    2014: [(1, 1), (4, 18), (4, 21), (5, 5), (5, 26), (8, 25), (12, 25), (12, 26)],
    2015: [(1, 1), (4, 3), (4, 6), (5, 4), (5, 25), (8, 31), (12, 25), (12, 28)],
    2016: [(1, 1), (3, 25), (3, 28), (5, 2), (5, 30), (8, 29), (12, 26), (12, 27)],
    2017: [(1, 2), (4, 14), (4, 17), (5, 1), (5, 29), (8, 28), (12, 25), (12, 26)],
    2018: [(1, 1), (3, 30), (4, 2), (5, 7), (5, 28), (8, 27), (12, 25), (12, 26)],
    2019: [(1, 1), (4, 19), (4, 22), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)],
    # Early May holiday moved to Friday 8 May for VE Day 75.
    2020: [(1, 1), (4, 10), (4, 13), (5, 8), (5, 25), (8, 31), (12, 25), (12, 28)],
    2021: [(1, 1), (4, 2), (4, 5), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)],
    # Spring holiday 2 June, Platinum Jubilee 3 June, the Queen's funeral 19 September.
    2022: [(1, 3), (4, 15), (4, 18), (5, 2), (6, 2), (6, 3), (8, 29), (9, 19), (12, 26), (12, 27)],
    # Coronation 8 May.
    2023: [(1, 2), (4, 7), (4, 10), (5, 1), (5, 8), (5, 29), (8, 28), (12, 25), (12, 26)],
    2024: [(1, 1), (3, 29), (4, 1), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)],
    2025: [(1, 1), (4, 18), (4, 21), (5, 5), (5, 26), (8, 25), (12, 25), (12, 26)],
    2026: [(1, 1), (4, 3), (4, 6), (5, 4), (5, 25), (8, 31), (12, 25), (12, 28)],
    2027: [(1, 1), (3, 26), (3, 29), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)],
    2028: [(1, 3), (4, 14), (4, 17), (5, 1), (5, 29), (8, 28), (12, 25), (12, 26)],
}


def published(year: int) -> set[date]:
    return {date(year, month, day) for month, day in PUBLISHED[year]}


def govuk_json_days() -> set[date] | None:
    """England and Wales days from the package's bundled GOV.UK file, or None without it."""
    try:
        bundled = resources.files("govuk_bank_holidays") / "bank-holidays.json"
    except ModuleNotFoundError:
        return None
    data = json.loads(Path(str(bundled)).read_text(encoding="utf-8"))
    return {date.fromisoformat(e["date"]) for e in data["england-and-wales"]["events"]}


def json_covers(days: set[date], year: int) -> bool:
    """The file holds the whole year: it has the New Year day off (1-3 January) and the
    Christmas days off (25-28 December), which every year has."""
    return any(d.year == year and d.month == 1 for d in days) and any(
        d.year == year and d.month == 12 for d in days
    )


def assert_same(ours: frozenset[date], expected: set[date], source: str) -> None:
    missing = sorted(expected - ours)
    extra = sorted(ours - expected)
    assert not missing, f"missing against {source}: {missing}"
    assert not extra, f"extra against {source}: {extra}"


def test_the_hand_list_has_every_year() -> None:
    assert set(PUBLISHED) == set(YEARS)


@pytest.mark.parametrize("year", YEARS)
def test_year_matches_published_list(year: int) -> None:
    assert_same(bank_holidays(year, year), published(year), "the GOV.UK list in this test")


@pytest.mark.parametrize("year", YEARS)
def test_year_matches_bundled_govuk_file(year: int) -> None:
    days = govuk_json_days()
    if days is None or not json_covers(days, year):
        # The hand list above is then this year's only second source (and it is checked).
        assert year in PUBLISHED
        return
    expected = {d for d in days if d.year == year}
    assert_same(bank_holidays(year, year), expected, "the bundled GOV.UK bank-holidays.json")


def test_bundled_govuk_file_is_present_and_covers_2018_to_2026() -> None:
    # The dev environment ships it; if this fails the JSON comparison above has silently
    # shrunk to the hand list.
    days = govuk_json_days()
    assert days is not None
    assert all(json_covers(days, year) for year in range(2018, 2027))


def test_multi_year_span_is_the_union_of_years() -> None:
    span = bank_holidays(2012, 2028)
    assert span == frozenset().union(*(bank_holidays(y, y) for y in YEARS))
    assert len(span) == 8 * 17 + 1 + 2 + 1  # 2012 +1, 2022 +2, 2023 +1 one-off days


def test_weekend_holidays_close_nothing() -> None:
    # Christmas 2021 fell on a Saturday; the closure is the substitute Monday 27 December.
    assert date(2021, 12, 25) not in bank_holidays(2021, 2021)
    assert not is_working_day(date(2021, 12, 27))
    assert not is_working_day(date(2021, 12, 28))
    assert is_working_day(date(2021, 12, 29))


def test_scottish_and_northern_irish_holidays_do_not_count() -> None:
    assert is_working_day(date(2024, 1, 2))  # Scotland only
    assert is_working_day(date(2024, 3, 18))  # St Patrick's Day (substitute), NI only
    assert is_working_day(date(2024, 8, 5))  # Scottish summer holiday
    assert is_working_day(date(2024, 7, 12))  # Battle of the Boyne, NI only


def test_changes_add_and_remove_days() -> None:
    changes = HolidayChanges(
        added=(HolidayChange(date=date(2030, 5, 10), reason="new one-off day"),),
        removed=(HolidayChange(date=date(2030, 5, 6), reason="moved"),),
    )
    computed = {date(2030, 5, 6), date(2030, 12, 25), date(2030, 12, 28)}  # 28th is Saturday
    assert weekday_closures(computed, changes, 2030, 2030) == {
        date(2030, 5, 10),
        date(2030, 12, 25),
    }
    assert weekday_closures(computed, changes, 2031, 2031) == frozenset()


def test_shipped_changes_file_is_valid() -> None:
    assert isinstance(load_holiday_changes(CHANGES_FILE), HolidayChanges)


def test_bad_changes_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "holiday_changes.yaml"
    bad.write_text("added:\n  - date: 2030-02-30\n    reason: no such day\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"holiday_changes\.yaml"):
        load_holiday_changes(bad)
