"""The same indicators on DuckDB and on a real PostgreSQL server give identical results.

Runs every indicator of the early help, contacts, referrals, assessments, s47 and CIN areas
over the hand-built tables of this folder's tests, and (marked slow) the whole computed
catalogue over a small synthetic council with imported PEP and foster-carer files, on both
backends, and compares every row and column. Needs ``CSCPERF_TEST_PG_URL``.
"""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path
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


# A small synthetic council over three financial years, every month of them compared (year-ends,
# a leap February, rolling and year-to-date windows; the children's earlier history is behind).
SYNTH_START, SYNTH_END = date(2021, 4, 1), date(2024, 3, 31)
FIRST, LAST = date(2021, 4, 30), date(2024, 3, 31)
# Computed ids the synthetic council cannot feed (no placement locations or distances, no
# convictions): both backends must still agree that they are not available.
NOT_FED = {
    "placements.outside_la_count",
    "placements.outside_la_over_20_miles_pct",
    "placements.new_outside_la_over_20_miles_pct",
    "yj.lac_convicted_pct",
}


def _imported_files(build: Any, folder: Path) -> list[Path]:
    """PEP rows for looked-after children of the build and a small foster-carer register, as
    the CSV layouts ``cscperf import-measures`` reads, so the PEP and fostering indicators run
    on both backends too."""
    episodes = build.table("ssd_cla_episodes").sort("clae_cla_episode_start_date")
    people = episodes.get_column("clae_person_id").unique(maintain_order=True).to_list()[:60]
    peps = ["person_id,pep_date,pep_status"]
    for n, person in enumerate(people):
        for k in range(n % 4 + 1):
            # Spread over the reporting years; every fifth one is only a draft.
            when = date(2021 + (n + k) % 3, (n * 5 + k * 4) % 12 + 1, (n % 27) + 1)
            peps.append(f"{person},{when.isoformat()},{'draft' if k % 5 == 4 else 'completed'}")
    register = ["household_id,carer_type,approval_date,approval_kind,deregistration_date"]
    kinds = ["mainstream", "kinship", "short_breaks", "connected_persons"]
    for n in range(24):
        approved = date(2020 + n % 4, n % 12 + 1, 10)
        ended = date(2022 + n % 2, (n * 7) % 12 + 1, 20).isoformat() if n % 3 == 0 else ""
        if n % 4 == 1:  # temporary approval, then full approval of the same household
            full = date(approved.year, approved.month, 28)
            register.append(f"H{n},{kinds[n % 4]},{approved},temporary_reg24,{full}")
            register.append(f"H{n},mainstream,{full},full,{ended}")
        else:
            register.append(f"H{n},{kinds[n % 4]},{approved},full,{ended}")
    paths = [folder / "pep.csv", folder / "foster_register.csv"]
    for path, lines in zip(paths, (peps, register), strict=True):
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def synthetic_build(tmp_path_factory: pytest.TempPathFactory) -> Any:
    synth = pytest.importorskip("cscperf.synth")
    from cscperf.app.load import ingest
    from cscperf.indicators.imported import read_files, store_imported
    from cscperf.store import Store

    root = tmp_path_factory.mktemp("synthetic")
    inputs = root / "in"
    synth.generate(inputs, seed=5, scale=0.02, start=SYNTH_START, end=SYNTH_END)
    outcome = ingest(
        root / "store", [inputs / "ssd", inputs / "population", inputs / "council.yaml"]
    )
    assert outcome.reason is None, outcome.reason
    build = Store(root / "store").get()
    return store_imported(build, read_files(_imported_files(build, root)))


def _computed_ids() -> list[str]:
    from cscperf.indicators.functions import registered

    return [d.id for d in load_catalogue() if d.id in registered()]


@pytest.fixture(scope="module")
def duckdb_results(synthetic_build: Any) -> pl.DataFrame:
    from cscperf.indicators.imported import stored_frames, with_imported
    from cscperf.indicators.results import duckdb_tables

    build = synthetic_build
    tables = with_imported(duckdb_tables(build), stored_frames(build))
    return compute(tables, FIRST, LAST, settings=build.settings, ids=_computed_ids())


@pytest.fixture(scope="module")
def postgres_results(synthetic_build: Any, pg: Any) -> pl.DataFrame:
    from cscperf.indicators.results import postgres_tables

    build = synthetic_build
    url = os.environ["CSCPERF_TEST_PG_URL"]
    tables = postgres_tables(build, url, prefix=f"s{uuid.uuid4().hex[:8]}_")
    try:
        return compute(tables, FIRST, LAST, settings=build.settings, ids=_computed_ids())
    finally:
        for name in tables.names.values():
            tables.con.drop_table(name, force=True)
        tables.con.disconnect()


def _same_everywhere(duck: pl.DataFrame, post: pl.DataFrame) -> None:
    """Same rows and keys, and every column exactly equal (sums of fractional values such as
    FTE included: the engine rounds away the backends' different orders of addition)."""
    keys = ["indicator_id", "period_end", "breakdown", "breakdown_value"]
    duck, post = duck.sort(keys), post.sort(keys)
    assert duck.select(keys).equals(post.select(keys))
    assert_frame_equal(duck, post, check_exact=True)


@pytest.mark.slow
def test_synthetic_council_gives_identical_results(
    duckdb_results: pl.DataFrame, postgres_results: pl.DataFrame
) -> None:
    _same_everywhere(duckdb_results, postgres_results)


@pytest.mark.slow
def test_synthetic_comparison_covers_the_whole_catalogue(duckdb_results: pl.DataFrame) -> None:
    ids = _computed_ids()
    assert len(ids) > 100
    assert set(duckdb_results.get_column("indicator_id")) == set(ids)
    months = duckdb_results.get_column("period_end").unique()
    assert months.min() == FIRST and months.max() == LAST and months.len() == 36
    with_values = duckdb_results.filter(pl.col("value").is_not_null())
    unfed = set(ids) - set(with_values.get_column("indicator_id"))
    assert unfed == NOT_FED


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
