"""Apache Spark through Ibis's PySpark backend: the engine for pools of many councils.

Spark declares no capability beyond computing through Ibis: every indicator's query is
compiled and run in the main thread with shared building blocks inlined (Spark's optimiser
plans each query whole, and a cached view would be one more job per block). A build's tables
are temporary views over its Parquet files, read in place; the engine's small calendar and
period tables are temporary views made from memory. On a busy two-core machine Spark takes
seconds per indicator where DuckDB takes a fraction of one: its gain is many councils at once.

The session runs in local mode for one machine (``local[2]``), bound to the loopback address,
with no web UI and nothing downloaded at run time (pyspark carries its own jars). Against a
cluster the same catalogue runs through a session made by ``spark-submit`` or Spark Connect
(see docs/indicators.md, "Running on Spark").
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import polars as pl

from cscperf.errors import ConfigError
from cscperf.indicators.backends.base import Backend

LOCAL_MASTER = "local[2]"
SHUFFLE_PARTITIONS = 4  # a council's tables are small: Spark's default 200 tasks only add cost
LOCAL_URL = "spark://local"


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@cache
def _view_connection_class() -> type:
    # Loaded only when Spark is asked for (it imports pyspark, an optional dependency), and
    # through ibis.pyspark so that Ibis also registers the backend's options.
    ibis.pyspark  # noqa: B018 (loads the backend and its options)
    from ibis.backends.pyspark import Backend as IbisSpark

    class ViewConnection(IbisSpark):
        """Ibis's PySpark connection; data in memory becomes a temporary view."""

        def create_table(self, name: str, /, obj: Any = None, **kwargs: Any) -> Any:
            if obj is None or isinstance(obj, ir.Expr):
                return super().create_table(name, obj, **kwargs)
            if isinstance(obj, pl.DataFrame):
                obj = obj.to_arrow()
            self._session.createDataFrame(obj).createOrReplaceTempView(name)
            return self.table(name)

    return ViewConnection


class SparkBackend(Backend):
    name: ClassVar[str] = "pyspark"
    cannot_express: ClassVar[Mapping[str, str]] = {
        "temporary tables (Ibis's PySpark backend has none)": "the engine's tables made from "
        "data in memory (calendar, periods, imported files) are temporary views of the "
        "session (connect); shared blocks stay inline in each query",
    }

    @staticmethod
    def local_session(app_name: str = "cscperf") -> Any:
        """A SparkSession in local mode on this machine: two worker threads, listening on the
        loopback address only, no web UI, a few shuffle partitions, warnings only, and a
        warehouse folder of its own (removed by :meth:`stop`)."""
        if shutil.which("java") is None:
            raise ConfigError(
                "Spark needs Java (a JDK or JRE 17) and none was found on the PATH; install "
                "openjdk-17-jre-headless (scripts/setup-system.sh does) or compute on DuckDB"
            )
        try:
            # Optional dependency (about 450 MB): imported only when Spark is asked for.
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise ConfigError(
                "Spark is not installed; install cscperf's spark extra "
                "(pip install 'cscperf[spark]') or compute on DuckDB"
            ) from exc
        warehouse = tempfile.mkdtemp(prefix="cscperf-spark-")
        session = (
            SparkSession.builder.master(LOCAL_MASTER)
            .appName(app_name)
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(SHUFFLE_PARTITIONS))
            .config("spark.default.parallelism", str(SHUFFLE_PARTITIONS))
            .config("spark.sql.warehouse.dir", warehouse)
            .config("spark.jars.ivy", str(Path(warehouse) / "ivy"))
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("WARN")
        return session

    @staticmethod
    def connect(session: Any) -> Any:
        """An Ibis connection on a SparkSession (dates and times in UTC, as Ibis sets) whose
        tables made from data in memory (the engine's calendar, periods and runs, imported
        files, test tables) are temporary views of the session rather than Parquet tables
        written to the warehouse: Ibis's PySpark backend has no temporary tables, and
        writing the calendar out took a minute on a busy machine."""
        return _view_connection_class()().connect(session)

    @staticmethod
    def stop(session: Any) -> None:
        """Stop the session and remove its warehouse folder (the engine's scratch tables)."""
        warehouse = session.conf.get("spark.sql.warehouse.dir", None)
        session.stop()
        if warehouse:
            shutil.rmtree(warehouse.removeprefix("file:"), ignore_errors=True)

    @staticmethod
    def register_parquet(con: Any, name: str, path: Path) -> None:
        """Make the Parquet file ``path`` the temporary view ``name``, read in place."""
        con._session.read.parquet(str(path)).createOrReplaceTempView(name)

    @staticmethod
    def register_frame(con: Any, name: str, table: Any) -> None:
        """Make a pyarrow table (an empty canonical table, an imported file) the temporary
        view ``name``."""
        con._session.createDataFrame(table).createOrReplaceTempView(name)

    def drop_shared(self, name: str) -> None:
        self.con.raw_sql(f"DROP VIEW IF EXISTS {_quoted(name)}")
