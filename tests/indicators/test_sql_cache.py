"""Compiled SQL carries from one month's run to the next: the queries name their months only
through run keys, so next month's window reuses this month's SQL and gives exactly the rows a
fresh compilation gives."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cscperf.indicators import sql_cache
from cscperf.indicators.engine import compute
from cscperf.indicators.results import duckdb_tables


@pytest.fixture(scope="module")
def synthetic_build(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from cscperf.app.load import ingest
    from cscperf.store import Store
    from cscperf.synth import generate

    root = tmp_path_factory.mktemp("cached")
    inputs = root / "in"
    generate(inputs, seed=3, scale=0.02, start=date(2019, 4, 1), end=date(2024, 3, 31))
    outcome = ingest(
        root / "store", [inputs / "ssd", inputs / "population", inputs / "council.yaml"]
    )
    assert outcome.reason is None, outcome.reason
    return Store(root / "store").get()


def _run(build: Any, cache: Path, first: date, last: date) -> pl.DataFrame:
    tables = duckdb_tables(build)
    tables.sql_cache_dir = cache
    return compute(tables, first, last, settings=build.settings)


def test_next_months_window_reuses_the_sql_and_gives_the_same_rows(
    synthetic_build: Any, tmp_path: Path
) -> None:
    cache = tmp_path / "sql"
    sql_cache._MEMORY.clear()
    _run(synthetic_build, cache, date(2020, 4, 30), date(2024, 1, 31))  # "January's run"
    compiled = {p.name for p in cache.glob("*.json")}
    assert len(compiled) > 100
    sql_cache._MEMORY.clear()  # next month is another process: only the folder is shared
    february = _run(synthetic_build, cache, date(2020, 5, 31), date(2024, 2, 29))
    # Every indicator ran from the SQL compiled a month earlier: nothing new was compiled.
    assert {p.name for p in cache.glob("*.json")} == compiled

    sql_cache._MEMORY.clear()
    fresh = _run(synthetic_build, tmp_path / "fresh", date(2020, 5, 31), date(2024, 2, 29))
    keys = ["indicator_id", "period_end", "breakdown", "breakdown_value"]
    assert_frame_equal(february.sort(keys), fresh.sort(keys), check_exact=True)
    assert february.get_column("period_end").max() == date(2024, 2, 29)
    assert february.get_column("period_end").min() == date(2020, 5, 31)
