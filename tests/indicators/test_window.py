"""The default reporting window (the last ten financial years) and months before it on request:
the window's first month, the range of a build, and when stored results answer a request."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from cscperf.indicators.output import earliest_month
from cscperf.indicators.results import (
    reporting_range,
    requested_first,
    window_start,
)
from cscperf.indicators.stored import FROM_KEY, stored_covers
from cscperf.indicators.testing import build_from_rows


def test_the_window_starts_in_april_nine_financial_years_before_the_last_month():
    # October 2026 is in 2026-27; ten financial years counted back start April 2017.
    assert window_start(date(2026, 10, 31), 10) == date(2017, 4, 30)
    # March 2026 closes 2025-26: ten whole financial years from April 2016.
    assert window_start(date(2026, 3, 31), 10) == date(2016, 4, 30)
    assert window_start(date(2026, 4, 30), 1) == date(2026, 4, 30)
    assert window_start(date(2026, 4, 30), None) is None


def test_an_earlier_request_extends_the_window_and_a_later_one_does_not():
    last = date(2026, 10, 31)
    assert requested_first(last, None) == date(2017, 4, 30)
    assert requested_first(last, date(2012, 3, 5)) == date(2012, 3, 31)
    assert requested_first(last, date(2020, 1, 31)) == date(2017, 4, 30)


def test_the_range_of_a_build_is_clipped_to_the_window_and_to_the_data():
    rows = [
        {"cine_referral_id": "1", "cine_person_id": "A", "cine_referral_date": "2010-06-10"},
        {"cine_referral_id": "2", "cine_person_id": "B", "cine_referral_date": "2026-11-02"},
    ]
    tables = build_from_rows({"ssd_cin_episodes": rows})
    extract = date(2026, 11, 15)
    assert reporting_range(tables, extract) == (date(2017, 4, 30), date(2026, 10, 31))
    assert reporting_range(tables, extract, date(2012, 1, 1)) == (
        date(2012, 1, 31),
        date(2026, 10, 31),
    )
    # Asking for months before the data starts gives the first month with activity.
    assert reporting_range(tables, extract, date(2001, 1, 1))[0] == date(2010, 6, 30)


def test_earliest_month_of_a_request():
    assert earliest_month(date(2024, 3, 31), 12, None) == date(2023, 4, 30)
    assert earliest_month(date(2024, 3, 31), 1, date(2011, 5, 31)) == date(2011, 5, 31)


def test_stored_results_cover_requests_no_earlier_than_asked_or_held(tmp_path: Path):
    target = tmp_path / "indicators.parquet"
    frame = pl.DataFrame({"period_end": [date(2010, 6, 30), date(2010, 7, 31)]})
    # Asked from 2001 but the data start in June 2010: any request from 2001 on is answered.
    frame.write_parquet(target, metadata={FROM_KEY: "2001-01-31"})
    assert stored_covers(target, None)
    assert stored_covers(target, date(2005, 2, 1))
    assert not stored_covers(target, date(2000, 12, 1))
    frame.write_parquet(target, metadata={FROM_KEY: "2010-07-31"})
    assert stored_covers(target, date(2010, 6, 1))  # the file itself starts in June
    assert not stored_covers(target, date(2010, 5, 1))
