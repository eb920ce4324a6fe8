"""The same indicators on DuckDB and on Spark (local mode) give identical results.

A tiny synthetic council (scale 0.02, fifteen months of records) is computed for its last
three months on both engines and every row and column compared. Spark takes seconds per
indicator on a busy two-core machine, so by default the comparison covers the first computed
indicator of every catalogue area (each area's shared blocks and SQL shapes); with
``CSCPERF_TEST_SPARK_FULL=1`` it covers the whole computed catalogue. Indicators Spark cannot
compute are listed in ``CANNOT`` with the reason, and that list is asserted both ways.

Skipped only where Java or pyspark is genuinely absent (the reason is printed by ``-ra``).
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.engine import compute
from cscperf.indicators.functions import registered

JAVA = shutil.which("java")
pytestmark = pytest.mark.skipif(
    JAVA is None,
    reason="Spark needs Java and none is on the PATH (scripts/setup-system.sh installs "
    "openjdk-17-jre-headless)",
)

SYNTH_START, SYNTH_END = date(2023, 1, 1), date(2024, 3, 31)
FIRST, LAST = date(2024, 1, 31), date(2024, 3, 31)
# Indicators Spark cannot compute, each with the reason (none so far).
CANNOT: dict[str, str] = {}
KEYS = ["indicator_id", "period_end", "breakdown", "breakdown_value"]


def _ids() -> list[str]:
    functions = registered()
    ids = [d.id for d in load_catalogue() if d.id in functions]
    if os.environ.get("CSCPERF_TEST_SPARK_FULL"):
        return ids
    firsts: dict[str, str] = {}
    for indicator_id in ids:
        firsts.setdefault(indicator_id.split(".")[0], indicator_id)
    return list(firsts.values())


@pytest.fixture(scope="session")
def spark_session() -> Any:
    pytest.importorskip("pyspark", reason="pyspark is not installed (the spark extra)")
    from cscperf.indicators.backends.spark import SparkBackend

    session = SparkBackend.local_session("cscperf-tests")
    yield session
    SparkBackend.stop(session)


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from cscperf.app.load import ingest
    from cscperf.store import Store
    from cscperf.synth import generate

    root = tmp_path_factory.mktemp("spark")
    inputs = root / "in"
    generate(inputs, seed=5, scale=0.02, start=SYNTH_START, end=SYNTH_END)
    outcome = ingest(
        root / "store", [inputs / "ssd", inputs / "population", inputs / "council.yaml"]
    )
    assert outcome.reason is None, outcome.reason
    return Store(root / "store").get()


def _each(tables: Any, build: Any, ids: list[str]) -> tuple[pl.DataFrame, dict[str, str]]:
    """Every indicator computed on its own, so that one Spark cannot compute is named
    (with the error) rather than stopping the rest."""
    frames: list[pl.DataFrame] = []
    failed: dict[str, str] = {}
    for indicator_id in ids:
        try:
            frames.append(compute(tables, FIRST, LAST, settings=build.settings, ids=[indicator_id]))
        except Exception as exc:  # the comparison reports any failure by id
            failed[indicator_id] = " ".join(str(exc).split())[:300]
    return pl.concat(frames), failed


def test_spark_gives_the_same_results_as_duckdb(tiny_build: Any, spark_session: Any) -> None:
    from cscperf.indicators.backends import SparkBackend, backend_for
    from cscperf.indicators.results import duckdb_tables, spark_tables

    ids = _ids()
    assert len(ids) >= 17  # one per area at least
    duck = compute(duckdb_tables(tiny_build), FIRST, LAST, settings=tiny_build.settings, ids=ids)
    tables = spark_tables(tiny_build, spark_session)
    assert isinstance(backend_for(tables.con), SparkBackend)
    spark, failed = _each(tables, tiny_build, ids)

    assert {i: failed[i] for i in failed if i not in CANNOT} == {}
    assert set(CANNOT) - set(failed) == set(), "listed as impossible on Spark, but it ran"
    duck = duck.filter(~pl.col("indicator_id").is_in(list(CANNOT))).sort(KEYS)
    spark = spark.sort(KEYS)
    # Something to compare: most indicators have values in these months.
    assert duck.filter(pl.col("value").is_not_null()).height > 50
    assert duck.select(KEYS).equals(spark.select(KEYS))
    assert_frame_equal(duck, spark, check_exact=True)


def test_scratch_tables_are_views_of_the_session(spark_session: Any) -> None:
    """The engine's in-memory tables become temporary views (nothing written to the
    warehouse), dropped like tables."""
    import pyarrow as pa

    from cscperf.indicators.backends.spark import SparkBackend

    con = SparkBackend.connect(spark_session)
    days = pa.table({"day": pa.array([date(2024, 2, 29), None], pa.date32()), "n": [1, 2]})
    table = con.create_table("_cscperf_test_days", days, overwrite=True)
    assert table.count().execute() == 2
    assert spark_session.catalog.getTable("_cscperf_test_days").isTemporary
    assert str(table.schema()["day"]) == "date"
    con.drop_table("_cscperf_test_days", force=True)
    assert not spark_session.catalog.tableExists("_cscperf_test_days")


def test_only_local_spark_is_started_from_the_command_line(tiny_build: Any) -> None:
    from cscperf.errors import ConfigError
    from cscperf.indicators.results import results_for

    with pytest.raises(ConfigError, match="spark://local"):
        results_for(tiny_build, database="spark://cluster:7077", show_progress=False)
