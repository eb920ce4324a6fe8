"""Indicator results of a stored build: computing them, keeping them, reading them back.

Owns the link between the store and the engine: opening a build's tables on DuckDB (a view
over the build's cached DuckDB file) or uploading them to PostgreSQL (the statements each
needs are the backend objects', ``indicators/backends/``), deciding the reporting
months of a build (the default window of ``framework.yaml``: the last ten financial years up to
the last reportable month ingest recorded, never before the first month with activity;
earlier months on request), and ``results/indicators.parquet`` (written atomically, computed on
first use, recomputed when earlier months are asked for than it holds).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import polars as pl

from cscperf.calendar.months import month_end_of
from cscperf.calendar.periods import last_complete_month, reporting_months, window_start
from cscperf.console import progress
from cscperf.errors import StoreError
from cscperf.indicators.backends.duckdb import DuckDBBackend
from cscperf.indicators.backends.postgres import PostgresBackend, redacted
from cscperf.indicators.backends.spark import SparkBackend, is_spark_address, shown_address
from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.context import BuildTables
from cscperf.indicators.engine import compute
from cscperf.indicators.framework import framework_settings
from cscperf.indicators.functions import registered
from cscperf.indicators.imported import imported_results, stored_frames, with_imported
from cscperf.indicators.rollup import sort_results
from cscperf.indicators.stored import FROM_KEY, RESULTS_FILE, stored_results
from cscperf.indicators.testing import upload
from cscperf.sources.canonical import canonical_tables, empty_table

if TYPE_CHECKING:
    from cscperf.indicators.aggregates import Timings
    from cscperf.store.store import Build

SQL_CACHE_DIR = "indicator-sql"  # beside the build caches: compiled SQL is not data
# A folder for compiled SQL shared by every store that runs with it set (a pool's members,
# every council computed on one machine): SQL is kept by what it depends on, not by build.
SQL_CACHE_ENV = "CSCPERF_SQL_CACHE"


def duckdb_tables(build: Build) -> BuildTables:
    """The build's canonical tables as views in a fresh in-memory DuckDB (the engine writes
    its calendar tables there, never into the build)."""
    build.duckdb().close()  # makes sure the cache file exists
    con = ibis.duckdb.connect()
    # DuckDB would draw its own progress bar on stdout over any query taking two seconds
    # (a slow or busy machine), through the command's progress display and its output.
    con.raw_sql("SET enable_progress_bar = false")
    names = DuckDBBackend.attach_read_only(con, str(build.cache_path))
    return BuildTables(
        con=con,
        names=names,
        not_supplied=not_supplied_of(build),
        sql_cache_dir=sql_cache_dir_for(build),
    )


def sql_cache_dir_for(build: Build) -> Path:
    """Where a build's compiled SQL is kept: the folder ``CSCPERF_SQL_CACHE`` names, else
    beside the build's caches in its store."""
    shared = os.environ.get(SQL_CACHE_ENV)
    return Path(shared) if shared else build.cache_path.parent / SQL_CACHE_DIR


def postgres_connection(url: str) -> Any:
    """An Ibis connection to PostgreSQL (``url`` as postgresql://user@host:port/db), with the
    session settings the catalogue's queries need (see backends.postgres)."""
    return PostgresBackend.connect(url)


def drop_uploaded(tables: BuildTables) -> None:
    """Remove a build's uploaded tables from the server and close the connection."""
    try:
        for name in tables.names.values():
            tables.con.drop_table(name, force=True)
    finally:
        tables.con.disconnect()


def postgres_tables(build: Build, url: str, prefix: str | None = None) -> BuildTables:
    """The build's canonical tables uploaded to a PostgreSQL database (``url`` as
    postgresql://user@host:port/db), each named ``<prefix><table>``."""
    con = postgres_connection(url)
    prefix = prefix if prefix is not None else f"b{build.id.lower()}_"
    frames = {name: build.table(name) for name in build.tables()}
    frames.update(stored_frames(build))  # imported measures travel with the build
    names = {name: f"{prefix}{name}" for name in frames}
    for name, frame in frames.items():
        copy_into_postgres(con, names[name], frame)
    return BuildTables(con=con, names=names, not_supplied=not_supplied_of(build))


def copy_into_postgres(con: Any, name: str, frame: pl.DataFrame) -> None:
    """Create table ``name`` from the frame on PostgreSQL, filled by COPY."""
    PostgresBackend.copy_into(con, name, frame)


def spark_tables(build: Build, session: Any = None) -> BuildTables:
    """The build's canonical tables as temporary views on Spark: each stored table's Parquet
    file read in place, canonical tables the build lacks as empty views, imported measures
    beside them. ``session`` is a SparkSession to use (a local one is started otherwise); give
    it back with ``SparkBackend.release(tables.con, tables.names.values())``."""
    con = SparkBackend.connect(session if session is not None else SparkBackend.local_session())
    # A build's id may hold a hyphen (a second build in the same second), which Spark's view
    # names cannot.
    prefix = f"b{build.id.lower().replace('-', '_')}_"
    stored = set(build.tables())
    names: dict[str, str] = {}
    for name in sorted(stored | set(canonical_tables())):
        names[name] = f"{prefix}{name}"
        if name in stored:
            SparkBackend.register_parquet(con, names[name], build.tables_dir / f"{name}.parquet")
        else:
            SparkBackend.register_frame(con, names[name], empty_table(name).to_arrow())
    for name, frame in stored_frames(build).items():  # imported measures travel with the build
        names[name] = f"{prefix}{name}"
        SparkBackend.register_frame(con, names[name], frame.to_arrow())
    return BuildTables(con=con, names=names, not_supplied=not_supplied_of(build))


def shown(database: str) -> str:
    """A database address fit to print: no password, no Spark Connect token."""
    return shown_address(database) if is_spark_address(database) else redacted(database)


def not_supplied_of(build: Build) -> dict[str, str]:
    raw = build.manifest.get("not_supplied") or {}
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def reporting_range(
    tables: BuildTables, extract: date | None, earliest: date | None = None
) -> tuple[date, date]:
    """First and last period end of a build: the last complete month before the extract date
    (without one, before the latest activity date), and back to the start of the default
    window or ``earliest`` if that is earlier, but never before the first month with
    activity."""
    firsts: list[date] = []
    lasts: list[date] = []
    for table, column in framework_settings().activity_dates:
        if tables.has(table) and tables.filled(table, column):
            values = tables.raw(table)[column]
            found = tables.raw(table).aggregate(first=values.min(), last=values.max())
            row = tables.fetch_arrow(found).to_pylist()[0]  # no pandas import
            firsts.append(_to_date(row["first"]))
            lasts.append(_to_date(row["last"]))
    return range_of_activity(firsts, lasts, extract, earliest)


def range_of_activity(
    firsts: Sequence[date], lasts: Sequence[date], extract: date | None, earliest: date | None
) -> tuple[date, date]:
    """:func:`reporting_range` from the first and last dates of each kind of activity."""
    if not firsts:
        raise StoreError(
            "the build holds no dated contacts, referrals or episodes, so there is no month to "
            "report; load case-level data first (cscperf ingest)"
        )
    last = last_complete_month(extract or max(lasts))
    first = max(month_end_of(min(firsts)), requested_first(last, earliest))
    if first > last:
        raise StoreError(
            f"the build's data start in {first:%B %Y}, after its last complete month "
            f"{last:%B %Y}; there is no complete month to report"
        )
    return first, last


def requested_first(last: date, earliest: date | None) -> date:
    """The first month to report, before clipping to the data: the default window's start,
    or ``earliest`` when that is earlier (``date.min`` when there is no window)."""
    start = window_start(last, framework_settings().reporting_financial_years)
    if start is None:
        return date.min  # no window: the whole history is reported anyway
    return start if earliest is None else min(start, month_end_of(earliest))


def _to_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _complete_from(build: Build) -> date | None:
    """The first month the build's inputs hold completely (statutory returns or an Annex A
    list loaded without a case-system extract): earlier months are never reported, even on
    request, as they would count only the children the returns happen to hold."""
    reporting = build.manifest.get("reporting")
    raw = reporting.get("complete_from") if isinstance(reporting, dict) else None
    return date.fromisoformat(str(raw)[:10]) if raw else None


def _extract_date(build: Build) -> date | None:
    """The date the build's months end by: the last reportable month ingest decided (see
    :mod:`cscperf.sources.coverage`), else (builds made before it was recorded) the extract
    date."""
    reporting = build.manifest.get("reporting")
    raw = reporting.get("last") if isinstance(reporting, dict) else None
    raw = raw or build.manifest.get("extract_date")
    return date.fromisoformat(str(raw)[:10]) if raw else None


def compute_build(
    build: Build,
    tables: BuildTables | None = None,
    *,
    ids: Sequence[str] | None = None,
    earliest: date | None = None,
    on_indicator: Callable[[str], None] | None = None,
    timings: Timings | None = None,
) -> pl.DataFrame:
    """Every indicator of a stored build for every reporting month (not written): computed
    ones from the build's tables and its imported tables (fostering register, PEPs), then the
    imported values (workforce, youth justice) flagged ``imported``. The months are the
    default window, extended back to ``earliest`` when that is earlier."""
    tables = tables or duckdb_tables(build)
    first, last = reporting_range(tables, _extract_date(build), earliest)
    first = max(first, _complete_from(build) or first)
    if first > last:
        raise StoreError(
            f"the build's inputs hold every record only from {first:%B %Y}, after its last "
            f"month {last:%B %Y}; there is no complete month to report"
        )
    settings = build.settings if build.has_settings else None
    frames = stored_frames(build)
    # postgres_tables has uploaded them already; only add what the backend lacks.
    cache_dir = tables.sql_cache_dir
    tables = with_imported(tables, {k: v for k, v in frames.items() if k not in tables.names})
    tables.sql_cache_dir = cache_dir
    catalogue = load_catalogue()  # read once: its YAML is parsed afresh on every load
    results = compute(
        tables,
        first,
        last,
        settings=settings,
        catalogue=catalogue,
        ids=ids,
        on_indicator=on_indicator,
        timings=timings,
    )
    imported = imported_results(frames, reporting_months(first, last))
    if ids is not None:
        imported = imported.filter(pl.col("indicator_id").is_in(list(ids)))
    if imported.is_empty():
        return results
    return sort_results(pl.concat([results, imported]), list(catalogue))


def write_results(build: Build, results: pl.DataFrame, reported_from: date | None = None) -> None:
    """Write ``results/indicators.parquet`` atomically (replacing an earlier one), noting the
    first month it was asked to start at."""
    target = build.results_dir / RESULTS_FILE
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    metadata = {FROM_KEY: reported_from.isoformat()} if reported_from is not None else None
    results.write_parquet(tmp, metadata=metadata)
    os.replace(tmp, target)


def results_for(
    build: Build,
    *,
    earliest: date | None = None,
    show_progress: bool = True,
    database: str | None = None,
) -> pl.DataFrame:
    """The stored results of a build, computing and storing them first when absent or when
    ``earliest`` asks for months before those stored (the default window otherwise). With
    ``database`` (a PostgreSQL address) they are always computed there: the build's tables
    are copied to the server for the run and removed after it; on Spark (``spark://local``,
    ``sc://HOST:PORT``, ``spark://submit``: ``SparkBackend.session_for``) the build's Parquet
    files are read in place."""
    stored = stored_results(build, earliest) if database is None else None
    if stored is not None:
        return stored

    total = sum(1 for d in load_catalogue() if d.id in registered())
    tables = None
    if database is not None and is_spark_address(database):
        tables = spark_tables(build, SparkBackend.session_for(database))
    elif database is not None:
        # A prefix of its own per run: several people may compute on one server at once.
        tables = postgres_tables(build, database, prefix=f"r{uuid.uuid4().hex[:10]}_")
    where = f" on {shown(database)}" if database else ""
    try:
        with progress() as bar:
            task = bar.add_task(f"Computing indicators for build {build.id}{where}", total=total)
            results = compute_build(
                build,
                tables,
                earliest=earliest,
                on_indicator=lambda _id: bar.advance(task) if show_progress else None,
            )
    finally:
        if tables is not None and tables.backend.name == SparkBackend.name:
            SparkBackend.release(tables.con, tables.names.values())  # views only
        elif tables is not None:
            drop_uploaded(tables)
    last = results.get_column("period_end").max() if results.height else None
    asked = requested_first(last, earliest) if isinstance(last, date) else None
    write_results(build, results, asked)
    return results


class _SchemaOnly(BuildTables):
    """Every canonical table present and filled: enough to compile SQL for ``explain``."""

    def answer(self, probe: Sequence[str]) -> Any:
        kind, *args = probe
        present = args[0] in self.names if args else False
        if kind == "nonempty":
            return present
        if kind == "rows":
            return 1 if present else 0
        if kind == "filled":
            return present and args[1] in self.raw(args[0]).columns
        return super().answer(probe)


def schema_only_tables() -> BuildTables:
    """Empty canonical tables on an in-memory DuckDB, treated as filled, for showing SQL."""
    con = ibis.duckdb.connect()
    frames = {name: empty_table(name) for name in canonical_tables()}
    return _SchemaOnly(con=con, names=upload(con, frames), share_tables=False)
