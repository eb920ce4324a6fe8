"""The Spark backend's own behaviour: the engine's in-memory tables and shared blocks are
temporary views of the session, and only local Spark starts from the command line. That the
whole catalogue gives DuckDB's results on Spark is test_conformance.py's.

Skipped only where Java is genuinely absent (the reason is printed by ``-ra``).
"""

from __future__ import annotations

import shutil
from datetime import date
from typing import Any

import pytest

JAVA = shutil.which("java")
pytestmark = pytest.mark.skipif(
    JAVA is None,
    reason="Spark needs Java and none is on the PATH (scripts/setup-system.sh installs "
    "openjdk-17-jre-headless)",
)

SYNTH_START, SYNTH_END = date(2023, 1, 1), date(2024, 3, 31)


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


def test_shared_blocks_are_checkpointed_views_read_straight_to_arrow(spark_session: Any) -> None:
    """A shared block is computed once into a view with no lineage (its plan is a leaf, so
    the queries reading it are planned quickly) and dropped with its data."""
    from cscperf.indicators.backends.spark import SparkBackend

    backend = SparkBackend(SparkBackend.connect(spark_session))
    backend.materialise("_cscperf_test_block", "SELECT id, id * 2 AS twice FROM range(5)", None)
    assert spark_session.catalog.getTable("_cscperf_test_block").isTemporary
    plan = spark_session.table("_cscperf_test_block")._jdf.queryExecution().analyzed()
    assert "Range" not in plan.toString()  # the block's own query is not planned again
    got = backend.fetch("SELECT sum(twice) AS s FROM _cscperf_test_block")
    assert got.column("s").to_pylist() == [20]  # 2 * (0 + 1 + 2 + 3 + 4)
    backend.drop_shared("_cscperf_test_block")
    assert not spark_session.catalog.tableExists("_cscperf_test_block")
