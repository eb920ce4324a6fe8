"""The same indicators on DuckDB and on a real PostgreSQL server give identical results.

Runs every indicator of the early help, contacts, referrals, assessments, s47 and CIN areas
over the hand-built tables of this folder's tests (their edge cases) on both backends and
compares every row and column; and PostgreSQL's COPY keeps values apart. The whole catalogue
on every backend is test_conformance.py's. Needs ``CSCPERF_TEST_PG_URL``.
"""

from __future__ import annotations

import os
import uuid
from datetime import date
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.indicators import test_assessments, test_cin, test_contacts, test_s47
from tests.indicators.helpers import SETTINGS

from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.engine import compute
from cscperf.indicators.testing import build_from_rows

pytestmark = pytest.mark.postgres
AREAS = ["early_help", "contacts", "referrals", "assessments", "s47", "cin"]


@pytest.fixture(scope="module")
def pg():
    url = os.environ.get("CSCPERF_TEST_PG_URL")
    if not url:
        pytest.fail("CSCPERF_TEST_PG_URL is not set; run through `make test`")
    from cscperf.indicators.results import postgres_connection

    con = postgres_connection(url)
    yield con
    con.disconnect()


def _tables() -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = {}
    for source in (
        test_cin.TABLES,
        {"ssd_cin_assessments": test_assessments.ASSESSMENTS},
        {"ssd_contacts": test_contacts.CONTACTS},
        {"ssd_s47_enquiry": test_s47.ENQUIRIES, "ssd_initial_cp_conference": test_s47.CONFERENCES},
        {
            "ssd_involvements": [
                {
                    "invo_involvements_id": "i1",
                    "invo_person_id": "A",
                    "invo_professional_team": "T2",
                    "invo_involvement_start_date": "2023-06-01",
                }
            ]
        },
    ):
        for name, rows in source.items():
            tables.setdefault(name, []).extend(rows)
    return tables


def test_hand_built_data_gives_identical_results(pg):
    catalogue = load_catalogue(areas=AREAS)
    first, last = date(2023, 12, 31), date(2024, 6, 30)
    tables = _tables()
    duck = compute(build_from_rows(tables), first, last, settings=SETTINGS, catalogue=catalogue)
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    post_build = build_from_rows(tables, con=pg, prefix=prefix)
    try:
        post = compute(post_build, first, last, settings=SETTINGS, catalogue=catalogue)
    finally:
        for name in post_build.names.values():
            pg.drop_table(name, force=True)
    assert duck.filter(pl.col("reason").is_null()).height > 100
    _same_everywhere(duck, post)


def _same_everywhere(duck: pl.DataFrame, post: pl.DataFrame) -> None:
    """Same rows and keys, and every column exactly equal (sums of fractional values such as
    FTE included: the engine rounds away the backends' different orders of addition)."""
    keys = ["indicator_id", "period_end", "breakdown", "breakdown_value"]
    duck, post = duck.sort(keys), post.sort(keys)
    assert duck.select(keys).equals(post.select(keys))
    assert_frame_equal(duck, post, check_exact=True)


def test_copy_keeps_nulls_empty_strings_dates_and_numbers_apart(pg: Any) -> None:
    from datetime import datetime

    from cscperf.indicators.results import copy_into_postgres

    frame = pl.DataFrame(
        {
            "text": ['a, "quoted"', "", None, "line\nbreak"],
            "day": [date(2024, 2, 29), None, date(2012, 1, 1), date(1999, 12, 31)],
            "at": [datetime(2024, 1, 2, 3, 4, 5, 600), None, None, datetime(2020, 1, 1)],
            "amount": [1.25, None, -3.0, 0.1],
            "flag": [True, None, False, True],
            "count": [1, 2, None, 4],
        }
    )
    name = f"copy_{uuid.uuid4().hex[:8]}"
    try:
        copy_into_postgres(pg, name, frame)
        back = pl.from_arrow(pg.table(name).to_pyarrow())
        assert isinstance(back, pl.DataFrame)
        assert back.select(frame.columns).equals(frame.cast(back.select(frame.columns).schema))
    finally:
        pg.drop_table(name, force=True)
