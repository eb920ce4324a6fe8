"""The same indicators on DuckDB and on a real PostgreSQL server give identical results.

Runs every indicator of the early help, contacts, referrals, assessments, s47 and CIN areas
over the hand-built tables of this folder's tests (and, marked slow, over a small synthetic
council) on both backends and compares every row. Needs ``CSCPERF_TEST_PG_URL``.
"""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path

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
    import ibis

    con = ibis.connect(url.replace("postgresql://", "postgres://", 1))
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


def _same(duck: pl.DataFrame, post: pl.DataFrame) -> None:
    keys = ["indicator_id", "period_end", "breakdown", "breakdown_value"]
    assert duck.height > 0
    assert_frame_equal(duck.sort(keys), post.sort(keys), check_exact=False, rel_tol=1e-12)


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
    _same(duck, post)


@pytest.mark.slow
def test_synthetic_council_gives_identical_results(pg, tmp_path: Path):
    synth = pytest.importorskip("cscperf.synth")
    from cscperf.indicators.results import compute_build, duckdb_tables, postgres_tables
    from cscperf.sources.ingest import ingest
    from cscperf.store import Store

    synth.generate(tmp_path / "in", scale=0.05, start=date(2021, 4, 1), end=date(2023, 3, 31))
    store = tmp_path / "store"
    inputs = tmp_path / "in"
    outcome = ingest(store, [inputs / "ssd", inputs / "population", inputs / "council.yaml"])
    assert outcome.reason is None, outcome.reason
    build = Store(store).get()
    ids = [d.id for d in load_catalogue(areas=AREAS)]
    duck = compute_build(build, duckdb_tables(build), ids=ids)
    post_tables = postgres_tables(
        build, os.environ["CSCPERF_TEST_PG_URL"], prefix=f"s{uuid.uuid4().hex[:8]}_"
    )
    try:
        post = compute_build(build, post_tables, ids=ids)
    finally:
        for name in post_tables.names.values():
            post_tables.con.drop_table(name, force=True)
    _same(duck, post)
