"""Apache Spark through Ibis's PySpark backend: the engine for pools of many councils.

Spark runs SQL text (compiled SQL is cached for the run and fetched straight to Arrow) and
keeps shared building blocks as checkpointed temporary views: inlined, they made each query up
to half a megabyte of SQL that Spark took a minute to analyse and optimise, and run them again
in every indicator. Everything runs in the main thread. A build's tables are temporary views
over its Parquet files, read in place; the engine's small calendar and period tables are
temporary views made from memory. Spark still takes about a second per indicator where DuckDB
takes a fraction of one (each query is planned and run as several jobs): its gain is many
councils at once.

The session runs in local mode for one machine (``local[2]``), bound to the loopback address,
with no web UI and nothing downloaded at run time (pyspark carries its own jars). Against a
cluster the same catalogue runs through a session made by ``spark-submit`` or Spark Connect
(see docs/indicators.md, "Running on Spark").
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import polars as pl
from ibis.formats.pyarrow import PyArrowData

from cscperf.errors import ConfigError
from cscperf.indicators.backends.base import Backend

LOCAL_MASTER = "local[2]"
LOCAL_URL = "spark://local"
# The local session's settings (see local_session).
LOCAL_SETTINGS: dict[str, str] = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # A council's tables are small: Spark's default 200 tasks per shuffle only add cost, and
    # one task per shuffle used the least CPU on the catalogue (profiled, two cores).
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "2",
}


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

        def to_pyarrow(
            self, expr: Any, /, *, params: Any = None, limit: Any = None, **kw: Any
        ) -> Any:
            # Straight to Arrow: Ibis's own path goes through pandas, row by row (seconds for
            # the engine's probes of a build's tables).
            self._run_pre_execute_hooks(expr)
            table_expr = expr.as_table()
            sql = self.compile(table_expr, params=params, limit=limit, **kw)
            arrow = self._session.sql(sql).toArrow()
            return expr.__pyarrow_result__(PyArrowData.convert_table(arrow, table_expr.schema()))

    return ViewConnection


class SparkBackend(Backend):
    name: ClassVar[str] = "pyspark"
    runs_sql_text: ClassVar[bool] = True
    shared_tables: ClassVar[bool] = True
    temporary_tables: ClassVar[bool] = True
    # Spark's optimiser collapses nested projections itself; Ibis merging them first cost
    # more than it saved (the whole catalogue: 171 s of CPU unfused against 185 s fused).
    fuse_selects: ClassVar[bool] = False
    cannot_express: ClassVar[Mapping[str, str]] = {
        "temporary tables (Ibis's PySpark backend has none)": "the engine's tables made from "
        "data in memory (calendar, periods, imported files) are temporary views of the "
        "session (connect); shared blocks are checkpointed temporary views (materialise)",
    }

    def __init__(self, con: Any) -> None:
        super().__init__(con)
        # The checkpointed frame behind each shared block's view, released when it is dropped.
        self._blocks: dict[str, Any] = {}

    def materialise(self, name: str, sql: str, defer: Callable[[str], Any] | None) -> None:
        # Inlined, the blocks make each indicator's query up to half a megabyte of SQL that
        # Spark analyses and optimises for a minute. A local checkpoint computes the block once
        # and cuts its lineage: the view is a leaf, planned in no time, read from memory.
        frame = self.con._session.sql(sql).localCheckpoint(eager=True)
        frame.createOrReplaceTempView(name)
        self._blocks[name] = frame

    def drop_shared(self, name: str) -> None:
        self.con._session.catalog.dropTempView(name)
        frame = self._blocks.pop(name, None)
        if frame is not None:
            frame.unpersist()

    def fetch(self, sql: str, cursor: Any = None) -> Any:
        # Straight to Arrow: Ibis's own path goes through pandas, row by row.
        return self.con._session.sql(sql).toArrow()

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
        # Spark's launcher otherwise looks up the host's own address (and warns, or binds
        # there, when the name resolves to loopback); the session listens on loopback only.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        warehouse = tempfile.mkdtemp(prefix="cscperf-spark-")
        builder = SparkSession.builder.master(LOCAL_MASTER).appName(app_name)
        for key, value in LOCAL_SETTINGS.items():
            builder = builder.config(key, value)
        session = (
            builder.config("spark.sql.warehouse.dir", warehouse)
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
