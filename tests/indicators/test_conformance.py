"""The whole catalogue gives identical results on every backend: DuckDB, PostgreSQL, Spark.

A small synthetic council (scale 0.02) over three financial years, with imported PEP and
foster-carer files, is computed for every month (year-ends, a leap February, rolling and
year-to-date windows; the children's earlier history is behind) on DuckDB, then on each other
backend, and every row and column compared: values, numerators, denominators, breakdowns.

Indicators a backend cannot compute are declared in one place, the backend's
``cannot_compute`` (with the reason); the engine reports them not available there. This test
attempts each of them anyway and fails when one now gives DuckDB's rows, so the list stays
true (as Ibis's own backend suite does with its strict expected failures).

The PostgreSQL part skips only without ``CSCPERF_TEST_PG_URL``; the Spark part only where
Java is absent (see conftest.py). ``make test`` runs both.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cscperf.indicators.backends import BACKENDS
from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.context import BuildTables
from cscperf.indicators.engine import compute
from cscperf.indicators.functions import registered

SYNTH_START, SYNTH_END = date(2021, 4, 1), date(2024, 3, 31)
FIRST, LAST = date(2021, 4, 30), date(2024, 3, 31)
KEYS = ["indicator_id", "period_end", "breakdown", "breakdown_value"]
OTHER_ENGINES = ["postgres", "pyspark"]
# Computed ids the synthetic council cannot feed (no placement locations or distances, no
# convictions): every backend must still agree that they are not available.
NOT_FED = {
    "placements.outside_la_count",
    "placements.outside_la_over_20_miles_pct",
    "placements.new_outside_la_over_20_miles_pct",
    "yj.lac_convicted_pct",
}


def _imported_files(build: Any, folder: Path) -> list[Path]:
    """PEP rows for looked-after children of the build and a small foster-carer register, as
    the CSV layouts ``cscperf import-measures`` reads, so the PEP and fostering indicators run
    on every backend too."""
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
    from cscperf.app.load import ingest
    from cscperf.indicators.imported import read_files, store_imported
    from cscperf.store import Store
    from cscperf.synth import generate

    root = tmp_path_factory.mktemp("synthetic")
    inputs = root / "in"
    generate(inputs, seed=5, scale=0.02, start=SYNTH_START, end=SYNTH_END)
    outcome = ingest(
        root / "store", [inputs / "ssd", inputs / "population", inputs / "council.yaml"]
    )
    assert outcome.reason is None, outcome.reason
    build = Store(root / "store").get()
    return store_imported(build, read_files(_imported_files(build, root)))


def _computed_ids() -> list[str]:
    return [d.id for d in load_catalogue() if d.id in registered()]


@pytest.fixture(scope="module")
def duckdb_results(synthetic_build: Any) -> pl.DataFrame:
    from cscperf.indicators.imported import stored_frames, with_imported
    from cscperf.indicators.results import duckdb_tables

    build = synthetic_build
    tables = with_imported(duckdb_tables(build), stored_frames(build))
    return compute(tables, FIRST, LAST, settings=build.settings, ids=_computed_ids())


@dataclass
class EngineRun:
    """One backend's results of the catalogue, and what each indicator it declares it cannot
    compute gave when attempted anyway (its rows, or the error)."""

    engine: str
    results: pl.DataFrame
    attempted: dict[str, pl.DataFrame | str]


def _tables_on(engine: str, build: Any, request: pytest.FixtureRequest) -> Iterator[BuildTables]:
    """The build's tables on ``engine``, removed afterwards."""
    if engine == "postgres":
        url = os.environ.get("CSCPERF_TEST_PG_URL")
        if not url:
            pytest.skip("CSCPERF_TEST_PG_URL is not set (make test starts a PostgreSQL server)")
        from cscperf.indicators.results import drop_uploaded, postgres_tables

        tables = postgres_tables(build, url, prefix=f"s{uuid.uuid4().hex[:8]}_")
        try:
            yield tables
        finally:
            drop_uploaded(tables)
        return
    from cscperf.indicators.results import spark_tables

    yield spark_tables(build, request.getfixturevalue("spark_session"))  # views: nothing to drop


def _attempt(tables: BuildTables, build: Any, indicator_id: str) -> pl.DataFrame | str:
    """An indicator the backend declares it cannot compute, computed with the declaration
    lifted: its rows, or the error it raised."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(tables.backend), "cannot_compute", {})
        try:
            return compute(tables, FIRST, LAST, settings=build.settings, ids=[indicator_id])
        except Exception as exc:  # any failure is what the declaration says
            return " ".join(str(exc).split())[:300]


@pytest.fixture(scope="module", params=OTHER_ENGINES)
def engine_run(request: pytest.FixtureRequest, synthetic_build: Any) -> Iterator[EngineRun]:
    build, engine = synthetic_build, request.param
    declared = BACKENDS[engine].cannot_compute
    for tables in _tables_on(engine, build, request):
        results = compute(tables, FIRST, LAST, settings=build.settings, ids=_computed_ids())
        attempted = {i: _attempt(tables, build, i) for i in declared}
        yield EngineRun(engine, results, attempted)


def _same(duck: pl.DataFrame, other: pl.DataFrame) -> None:
    """Same rows and keys, and every column exactly equal (sums of fractional values such as
    FTE included: the engine rounds away the backends' different orders of addition)."""
    duck, other = duck.sort(KEYS), other.sort(KEYS)
    assert duck.select(KEYS).equals(other.select(KEYS))
    assert_frame_equal(duck, other, check_exact=True)


def test_every_backend_gives_duckdbs_results(
    duckdb_results: pl.DataFrame, engine_run: EngineRun
) -> None:
    declared = list(BACKENDS[engine_run.engine].cannot_compute)
    keep = ~pl.col("indicator_id").is_in(declared)
    _same(duckdb_results.filter(keep), engine_run.results.filter(keep))


def test_what_a_backend_cannot_compute_is_still_true(
    duckdb_results: pl.DataFrame, engine_run: EngineRun
) -> None:
    declared = BACKENDS[engine_run.engine].cannot_compute
    for indicator_id, reason in declared.items():
        assert reason.strip(), f"{indicator_id}: give the reason"
        # The engine reports it not available there, with the reason.
        rows = engine_run.results.filter(pl.col("indicator_id") == indicator_id)
        assert rows.height > 0 and rows.get_column("value").null_count() == rows.height
        assert set(rows.get_column("reason")) == {
            f"cannot be computed on {engine_run.engine}: {reason}"
        }
        # Attempted anyway, it still fails or differs; else remove it from the list.
        got = engine_run.attempted[indicator_id]
        if isinstance(got, pl.DataFrame):
            expected = duckdb_results.filter(pl.col("indicator_id") == indicator_id)
            with pytest.raises(AssertionError):
                _same(expected, got)
    assert set(declared) <= set(_computed_ids()), "declared ids must be computed indicators"


def test_the_comparison_covers_the_whole_catalogue(duckdb_results: pl.DataFrame) -> None:
    ids = _computed_ids()
    assert len(ids) > 100
    assert set(duckdb_results.get_column("indicator_id")) == set(ids)
    months = duckdb_results.get_column("period_end").unique()
    assert months.min() == FIRST and months.max() == LAST and months.len() == 36
    with_values = duckdb_results.filter(pl.col("value").is_not_null())
    unfed = set(ids) - set(with_values.get_column("indicator_id"))
    assert unfed == NOT_FED
