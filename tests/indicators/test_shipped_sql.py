"""The SQL shipped with the package (indicators/shipped_sql.py): current in CI, used when a
build answers every probe as the shape it was compiled for, and a miss, compiling the right
SQL, when an answer or the code differs."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cscperf.indicators import shipped_sql, sql_cache
from cscperf.indicators.engine import compute
from cscperf.indicators.results import duckdb_tables

IDS = ["referrals.count", "cp.count", "lac.count"]
FIRST, LAST = date(2022, 4, 30), date(2024, 2, 29)


def test_the_shipped_sql_is_current() -> None:
    """`make sql-cache` (run by `make setup`, so by CI's `make test`) makes it; it must be
    remade whenever the indicator or calendar code, Ibis, SQLGlot or the shapes change, or
    every first run compiles everything again without anyone noticing."""
    problem = shipped_sql.staleness()
    if problem is not None and not os.environ.get("CI") and not sql_cache.SHIPPED_PATH.exists():
        pytest.skip(f"{problem} (made by `make sql-cache`; required under CI)")
    assert problem is None, f"{problem}: run `make sql-cache`"


def test_the_shipped_sql_is_left_out_of_the_code_fingerprint(tmp_path: Path) -> None:
    package = tmp_path / "cscperf"
    for part in ("indicators", "calendar"):
        (package / part).mkdir(parents=True)
        (package / part / "code.py").write_text("x = 1\n")
    shipped = package / "indicators" / "shipped"
    shipped.mkdir()
    (shipped / "sql.json.gz").write_bytes(b"one")
    before = sql_cache.source_fingerprint(package)
    (shipped / "sql.json.gz").write_bytes(b"two")
    (shipped / "shapes.json").write_text("{}")
    assert sql_cache.source_fingerprint(package) == before
    (package / "indicators" / "code.py").write_text("x = 2\n")
    assert sql_cache.source_fingerprint(package) != before


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cscperf.app.load import ingest
    from cscperf.synth import generate

    root = tmp_path_factory.mktemp("shipped")
    inputs = root / "in"
    generate(inputs, seed=5, scale=0.02, start=date(2021, 4, 1), end=date(2024, 3, 31))
    outcome = ingest(
        root / "store", [inputs / "ssd", inputs / "population", inputs / "council.yaml"]
    )
    assert outcome.reason is None, outcome.reason
    annex_a = ingest(root / "annex-a", [inputs / "annex_a", inputs / "council.yaml"])
    assert annex_a.reason is None, annex_a.reason
    return root / "store"


class Compiles:
    """Counts the entries compiled (kept) rather than found."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.kept: list[str] = []
        keep = sql_cache.keep

        def counting(build: Any, base: str, probes: Any, compiled: Any) -> None:
            self.kept.append(base)
            keep(build, base, probes, compiled)

        monkeypatch.setattr(sql_cache, "keep", counting)


def _compute(
    store: Path, folder: Path, ids: list[str] = IDS, window: tuple[date, date] = (FIRST, LAST)
) -> pl.DataFrame:
    from cscperf.store import Store

    tables = duckdb_tables(Store(store).get())
    tables.sql_cache_dir = folder
    return compute(tables, *window, ids=ids)


def _fresh(
    store: Path, folder: Path, ids: list[str] = IDS, window: tuple[date, date] = (FIRST, LAST)
) -> pl.DataFrame:
    """Every row compiled afresh: nothing in memory, an empty folder, nothing shipped."""
    sql_cache.forget_process_memory()
    with sql_cache.without_shipped():
        return _compute(store, folder, ids, window)


def _shape(store: Path) -> dict[str, Any]:
    shape = shipped_sql.shape_from_store(store, "test")
    shape["window"] = [FIRST.isoformat(), LAST.isoformat()]
    return shape


def _shipped_from(
    shape: dict[str, Any], path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    counts = shipped_sql.ship([shape], path, ids=IDS)
    assert counts["entries"] >= len(IDS)
    monkeypatch.setattr(sql_cache, "SHIPPED_PATH", path)
    sql_cache.forget_process_memory()  # the next run is another process: only the file
    raw = sql_cache.read_shipped(path)
    assert raw is not None
    return raw


def test_a_build_answering_as_the_shape_compiles_nothing_and_gets_its_own_rows(
    synthetic_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _shipped_from(_shape(synthetic_store), tmp_path / "sql.json.gz", monkeypatch)
    compiles = Compiles(monkeypatch)
    shipped_rows = _compute(synthetic_store, tmp_path / "empty")
    assert compiles.kept == []  # every query came from the shipped file
    assert sql_cache.shipped() is not None
    fresh = _fresh(synthetic_store, tmp_path / "fresh")
    assert compiles.kept  # (the fresh run did compile)
    assert_frame_equal(shipped_rows, fresh, check_exact=True)
    assert shipped_rows.filter(pl.col("numerator") > 0).height > 0


def test_a_changed_probe_answer_misses_and_compiles_the_right_sql(
    synthetic_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shape = _shape(synthetic_store)
    raw = _shipped_from(shape, tmp_path / "true.json.gz", monkeypatch)
    # A column the entries asked about, which this build fills, shipped as never filled: a
    # council whose extract leaves it empty. This build answers otherwise, so must compile.
    asked = [p for p in shipped_sql.probes_of(raw) if p[0] == "filled"]
    table, column = next((p[1], p[2]) for p in asked if p[2] in shape["tables"][p[1]]["filled"])
    shape["tables"][table]["filled"].remove(column)
    other = _shipped_from(shape, tmp_path / "other.json.gz", monkeypatch)
    assert other["entries"] != raw["entries"]
    compiles = Compiles(monkeypatch)
    rows = _compute(synthetic_store, tmp_path / "empty")
    assert compiles.kept, f"nothing compiled though {table}.{column} is filled here"
    assert_frame_equal(rows, _fresh(synthetic_store, tmp_path / "fresh"), check_exact=True)


# Read the involvements (teams by allocated worker), which an Annex A build lacks (not
# supplied); lac.count and cp.count by month end, referrals by date; contacts and s47
# completions are not available from Annex A.
ROUTE_IDS = [*IDS, "contacts.count", "s47.completed_count", "lac.starts_count"]


def test_a_build_of_another_route_and_window_compiles_at_most_one_run(
    synthetic_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An Annex A build of the same council (involvements not supplied, twelve months only)
    finds the SQL shipped for its SSD build: whether the involvements hold rows or a team does
    not change the SQL (none is ever chosen from an empty table), and a "not available" outcome
    is kept by run key like the SQL, so it holds for another window too. Its rows are a fresh
    compile's."""
    shape = _shape(synthetic_store)
    shipped_sql.ship([shape], tmp_path / "sql.json.gz", ids=ROUTE_IDS)
    monkeypatch.setattr(sql_cache, "SHIPPED_PATH", tmp_path / "sql.json.gz")
    sql_cache.forget_process_memory()
    annex_a = synthetic_store.parent / "annex-a"
    window = (date(2023, 4, 30), date(2024, 2, 29))
    compiles = Compiles(monkeypatch)
    rows = _compute(annex_a, tmp_path / "empty", ROUTE_IDS, window)
    assert len(compiles.kept) <= 1, f"{len(compiles.kept)} runs compiled"
    assert rows.filter(pl.col("numerator") > 0).height > 0
    assert_frame_equal(
        rows, _fresh(annex_a, tmp_path / "fresh", ROUTE_IDS, window), check_exact=True
    )


def test_changed_code_leaves_the_shipped_sql_unread(
    synthetic_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _shipped_from(_shape(synthetic_store), tmp_path / "sql.json.gz", monkeypatch)
    monkeypatch.setattr(sql_cache, "code_fingerprint", lambda: "edited code")
    assert sql_cache.shipped() is None
    compiles = Compiles(monkeypatch)
    rows = _compute(synthetic_store, tmp_path / "empty")
    assert len(set(compiles.kept)) >= len(IDS)
    assert_frame_equal(rows, _fresh(synthetic_store, tmp_path / "fresh"), check_exact=True)


def test_a_stale_or_missing_file_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shapes = tmp_path / "shapes"
    shapes.mkdir()
    (shapes / "a.json").write_text(json.dumps({"name": "a"}))
    target = tmp_path / "sql.json.gz"
    assert "missing" in (shipped_sql.staleness(target, shapes) or "")
    import gzip

    payload = {"format": sql_cache.FORMAT, "code": sql_cache.code_fingerprint()}
    payload["shapes"] = shipped_sql.shapes_hash([{"name": "a"}])
    target.write_bytes(gzip.compress(json.dumps(payload).encode()))
    assert shipped_sql.staleness(target, shapes) is None
    (shapes / "a.json").write_text(json.dumps({"name": "a", "window": []}))
    assert "other shapes" in (shipped_sql.staleness(target, shapes) or "")
    monkeypatch.setattr(sql_cache, "code_fingerprint", lambda: "edited code")
    assert "other code" in (shipped_sql.staleness(target, shapes) or "")
