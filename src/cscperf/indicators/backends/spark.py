"""Apache Spark through Ibis's PySpark backend: the engine for pools of many councils.

Spark runs SQL text (compiled SQL is cached for the run and fetched straight to Arrow) and
keeps shared building blocks as checkpointed temporary views: inlined, they made each query up
to half a megabyte of SQL that Spark took a minute to analyse and optimise, and run them again
in every indicator. Everything runs in the main thread. A build's tables are temporary views
over its Parquet files, read in place; the engine's small calendar and period tables are
temporary views made from memory. Spark still takes about a second per indicator where DuckDB
takes a fraction of one (each query is planned and run as several jobs): its gain is many
councils at once.

Where the session comes from is the database address (:meth:`SparkBackend.session_for`):
``spark://local`` starts one in local mode on this machine (``local[2]``), bound to the
loopback address, with no web UI and nothing downloaded at run time (pyspark carries its own
jars); ``sc://HOST:PORT`` opens a session on a Spark Connect server; ``spark://submit`` is the
session of the ``spark-submit`` that started this process (``cscperf.spark_submit``), on
whatever master it was given. The catalogue runs the same way on all three: a Spark 4 Connect
server does temporary views, local checkpoints and Arrow results as a local session does
(docs/pools.md, "Running it against a Spark cluster").
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Mapping
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
SUBMIT_URL = "spark://submit"
CONNECT_SCHEME = "sc://"
# spark-submit hands the Python driver the address of its JVM in these variables.
SUBMIT_ENV = "PYSPARK_GATEWAY_PORT"
# pyspark sets this when it opens a Spark Connect session, and from then on refuses to start
# a local one in the process (and in processes it starts, such as spark-submit): the session
# needs it only for pyspark's own functions, which the engine does not call (it runs SQL).
CONNECT_MODE_ENV = "SPARK_CONNECT_MODE_ENABLED"
# How often a new Spark Connect session asks a server that does not answer before giving up
# (pyspark's default keeps asking for over ten minutes); once it has answered, the default
# applies again, riding out a busy server.
CONNECT_PROBE_RETRIES = 3
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


def _spark_frame(session: Any, table: Any) -> Any:
    """A Spark DataFrame of a pyarrow table. An empty table carries its schema along: a
    Spark Connect session cannot infer one from no rows (a local session can)."""
    if table.num_rows:
        return session.createDataFrame(table)
    schema = _pyspark().sql.pandas.types.from_arrow_schema(table.schema)
    return session.createDataFrame(table, schema=schema)


# The sessions cscperf started itself (local ones, with their warehouse folder; Spark Connect
# ones, None): stopped after the run. spark-submit's session is not among them.
_started: weakref.WeakKeyDictionary[Any, str | None] = weakref.WeakKeyDictionary()


def is_spark_address(database: str) -> bool:
    """The database address names a Spark session (``spark://`` or ``sc://``)."""
    return database.startswith(("spark://", CONNECT_SCHEME))


def shown_address(url: str) -> str:
    """A Spark Connect address fit to print: its parameters (a token among them) left out."""
    return url.split("/;", 1)[0].split(";", 1)[0]


def _pyspark() -> Any:
    """The pyspark package, with its SQL module and Arrow types loaded."""
    try:
        # Optional dependency (about 450 MB): imported only when Spark is asked for.
        import pyspark.sql.pandas.types
    except ImportError as exc:
        raise ConfigError(
            "Spark is not installed; install cscperf's spark extra "
            "(pip install 'cscperf[spark]') or compute on DuckDB"
        ) from exc
    return pyspark


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
            _spark_frame(self._session, obj).createOrReplaceTempView(name)
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
        "a schema inferred from a table of no rows (Spark Connect)": "an empty table made "
        "from memory carries its Arrow schema (_spark_frame)",
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
    def session_for(url: str) -> Any:
        """The Spark session a database address names: ``spark://local`` (a local session),
        ``sc://HOST:PORT`` (a Spark Connect server) or ``spark://submit`` (spark-submit's).
        Give it back with :meth:`release` after the run."""
        if url == LOCAL_URL:
            return SparkBackend.local_session()
        if url == SUBMIT_URL:
            return SparkBackend.submitted_session()
        if url.startswith(CONNECT_SCHEME):
            return SparkBackend.connect_session(url)
        raise ConfigError(
            f"--database {shown_address(url)}: give {LOCAL_URL} for Spark on this machine, "
            "sc://HOST:PORT for a Spark Connect server, or run cscperf on a cluster with "
            "spark-submit (docs/pools.md, Running it against a Spark cluster)"
        )

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
        session_class = _pyspark().sql.SparkSession
        # Spark's launcher otherwise looks up the host's own address (and warns, or binds
        # there, when the name resolves to loopback); the session listens on loopback only.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        warehouse = tempfile.mkdtemp(prefix="cscperf-spark-")
        builder = session_class.builder.master(LOCAL_MASTER).appName(app_name)
        for key, value in LOCAL_SETTINGS.items():
            builder = builder.config(key, value)
        session = (
            builder.config("spark.sql.warehouse.dir", warehouse)
            .config("spark.jars.ivy", str(Path(warehouse) / "ivy"))
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("WARN")
        _started[session] = warehouse
        return session

    @staticmethod
    def connect_session(url: str) -> Any:
        """A new session on the Spark Connect server at ``url`` (sc://HOST:PORT, with any
        parameters Spark Connect takes after it), checked to answer. Its temporary views and
        checkpoints live on the server until :meth:`release` closes it."""
        session_class = _pyspark().sql.SparkSession
        where = shown_address(url)
        check = (
            "check the address and port, that the Spark Connect server is running "
            "(start-connect-server.sh) and that this machine may reach it"
        )
        marked = os.environ.get(CONNECT_MODE_ENV)
        try:
            session = session_class.builder.remote(url).create()
        except ImportError as exc:
            raise ConfigError(
                f"--database {where}: Spark Connect needs its client's packages (grpcio, "
                "grpcio-status, googleapis-common-protos); install them with pip install "
                f"'pyspark[connect]=={_pyspark().__version__}'"
            ) from exc
        except ValueError as exc:  # pyspark's own and int() parsing the port
            raise ConfigError(
                f"--database {where} is not a Spark Connect address ({_one_line(exc)}); give "
                "sc://HOST:PORT, e.g. sc://spark.example.org:15002"
            ) from exc
        finally:
            _restore_env(CONNECT_MODE_ENV, marked)
        client = session.client
        patient = client.get_retry_policies()
        client.set_retry_policies([_probe_policy()])
        try:
            session.version  # noqa: B018 (the first call that reaches the server)
        except Exception as exc:  # gRPC's failures vary by cause; all mean "no server there"
            session.stop()
            raise ConfigError(
                f"cannot reach the Spark Connect server at {where} ({_one_line(exc)}); {check}"
            ) from exc
        client.set_retry_policies(patient)
        _started[session] = None
        return session

    @staticmethod
    def submitted_session() -> Any:
        """The session of the ``spark-submit`` that started this process (its master and
        settings are spark-submit's), checked to run a job."""
        if SUBMIT_ENV not in os.environ:
            raise ConfigError(
                f"--database {SUBMIT_URL} is the session spark-submit starts, and this cscperf "
                "was not started by spark-submit; run it as spark-submit --master MASTER "
                '"$(python -m cscperf.spark_submit --path)" ... (docs/pools.md), or give '
                f"{LOCAL_URL} or sc://HOST:PORT"
            )
        session_class = _pyspark().sql.SparkSession
        master = _submitted_master()
        try:
            session = session_class.builder.getOrCreate()
            session.range(1).count()
        except Exception as exc:  # Py4J's errors vary by cause; all mean "no cluster to run on"
            # The Java exception says nothing more to a person than Spark's log above it.
            raise ConfigError(
                f"Spark could not run a job on the master {master} (Spark's log above says "
                "why); check the --master given to spark-submit, that the cluster is running "
                "and that this machine may reach it"
            ) from exc
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
        """Stop a session cscperf started and remove the warehouse folder it made for a local
        one (the engine's scratch tables). A Spark Connect server's warehouse is the
        server's, and left alone."""
        warehouse = _started.pop(session, None)
        session.stop()
        if warehouse:
            shutil.rmtree(warehouse, ignore_errors=True)

    @staticmethod
    def release(con: Any, views: Iterable[str]) -> None:
        """After a run on ``con``: a session cscperf started (local, Spark Connect) is stopped,
        which frees its views and checkpoints; spark-submit's session goes on to the next
        council, so only the run's ``views`` are dropped from it."""
        session = con._session
        if session in _started:
            SparkBackend.stop(session)
            return
        for view in views:
            session.catalog.dropTempView(view)

    @staticmethod
    def register_parquet(con: Any, name: str, path: Path) -> None:
        """Make the Parquet file ``path`` the temporary view ``name``, read in place."""
        con._session.read.parquet(str(path)).createOrReplaceTempView(name)

    @staticmethod
    def register_frame(con: Any, name: str, table: Any) -> None:
        """Make a pyarrow table (an empty canonical table, an imported file) the temporary
        view ``name``."""
        _spark_frame(con._session, table).createOrReplaceTempView(name)


def _probe_policy() -> Any:
    # Part of pyspark's Spark Connect client, loaded only with it.
    from pyspark.sql.connect.client.retries import DefaultPolicy

    return DefaultPolicy(max_retries=CONNECT_PROBE_RETRIES, max_backoff=2000)


def _submitted_master() -> str:
    """The master spark-submit was given, read from its JVM before a session is made: a
    SparkConf reads spark-submit's settings only once the driver is connected to that JVM."""
    pyspark = _pyspark()
    pyspark.SparkContext._ensure_initialized()
    return str(pyspark.SparkConf().get("spark.master", "given to spark-submit"))


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
