"""Indicator results of a stored build: computing them, keeping them, reading them back.

Owns the link between the store and the engine: opening a build's tables on DuckDB (a view
over the build's cached DuckDB file) or uploading them to PostgreSQL, deciding the reporting
months of a build (first month with activity to the last complete month before the extract
date), and ``results/indicators.parquet`` (written atomically, computed on first use).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from cscperf.calendar.months import month_end_of, month_start_of
from cscperf.errors import StoreError
from cscperf.indicators.context import BuildTables
from cscperf.indicators.framework import framework_settings

if TYPE_CHECKING:
    from cscperf.store.store import Build

RESULTS_FILE = "indicators.parquet"
SQL_CACHE_DIR = "indicator-sql"  # beside the build caches: compiled SQL is not data


def duckdb_tables(build: Build) -> BuildTables:
    """The build's canonical tables as views in a fresh in-memory DuckDB (the engine writes
    its calendar tables there, never into the build)."""
    import ibis

    build.duckdb().close()  # makes sure the cache file exists
    con = ibis.duckdb.connect()
    cache = str(build.cache_path).replace("'", "''")
    con.raw_sql(f"ATTACH '{cache}' AS build_cache (READ_ONLY)")
    names: dict[str, str] = {}
    attached = con.raw_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'build_cache'"
    ).fetchall()
    for (name,) in attached:
        quoted = '"' + name.replace('"', '""') + '"'
        con.raw_sql(f"CREATE VIEW {quoted} AS SELECT * FROM build_cache.{quoted}")
        names[name] = name
    return BuildTables(
        con=con,
        names=names,
        not_supplied=not_supplied_of(build),
        sql_cache_dir=build.cache_path.parent / SQL_CACHE_DIR,
    )


def postgres_tables(build: Build, url: str, prefix: str | None = None) -> BuildTables:
    """The build's canonical tables uploaded to a PostgreSQL database (``url`` as
    postgresql://user@host:port/db), each named ``<prefix><table>``."""
    import ibis

    from cscperf.indicators.imported import stored_frames
    from cscperf.indicators.testing import upload

    con = ibis.connect(url.replace("postgresql://", "postgres://", 1))
    prefix = prefix if prefix is not None else f"b{build.id.lower()}_"
    frames = {name: build.table(name) for name in build.tables()}
    frames.update(stored_frames(build))  # imported measures travel with the build
    return BuildTables(
        con=con, names=upload(con, frames, prefix), not_supplied=not_supplied_of(build)
    )


def not_supplied_of(build: Build) -> dict[str, str]:
    raw = build.manifest.get("not_supplied") or {}
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def last_complete_month(extract: date) -> date:
    """The last reporting month wholly before the end of the extract date."""
    return extract if extract == month_end_of(extract) else month_start_of(extract) - timedelta(1)


def reporting_range(tables: BuildTables, extract: date | None) -> tuple[date, date]:
    """First and last period end of a build: the first month with activity, the last complete
    month before the extract date (without one, before the latest activity date)."""
    firsts: list[date] = []
    lasts: list[date] = []
    for table, column in framework_settings().activity_dates:
        if tables.has(table) and tables.filled(table, column):
            values = tables.raw(table)[column]
            found = tables.raw(table).aggregate(first=values.min(), last=values.max()).execute()
            firsts.append(_to_date(found["first"].iloc[0]))
            lasts.append(_to_date(found["last"].iloc[0]))
    if not firsts:
        raise StoreError(
            "the build holds no dated contacts, referrals or episodes, so there is no month to "
            "report; load case-level data first (cscperf ingest)"
        )
    last = last_complete_month(extract or max(lasts))
    first = month_end_of(min(firsts))
    if first > last:
        raise StoreError(
            f"the build's data start in {first:%B %Y}, after its last complete month "
            f"{last:%B %Y}; there is no complete month to report"
        )
    return first, last


def _to_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _extract_date(build: Build) -> date | None:
    raw = build.manifest.get("extract_date")
    return date.fromisoformat(str(raw)[:10]) if raw else None


def compute_build(
    build: Build,
    tables: BuildTables | None = None,
    *,
    ids: Sequence[str] | None = None,
    on_indicator: Callable[[str], None] | None = None,
) -> pl.DataFrame:
    """Every indicator of a stored build for every reporting month (not written): computed
    ones from the build's tables and its imported tables (fostering register, PEPs), then the
    imported values (workforce, youth justice) flagged ``imported``."""
    from cscperf.calendar.periods import reporting_months
    from cscperf.indicators.catalogue import load_catalogue
    from cscperf.indicators.engine import compute, sort_results
    from cscperf.indicators.imported import imported_results, stored_frames, with_imported

    tables = tables or duckdb_tables(build)
    first, last = reporting_range(tables, _extract_date(build))
    settings = build.settings if build.has_settings else None
    frames = stored_frames(build)
    # postgres_tables has uploaded them already; only add what the backend lacks.
    cache_dir = tables.sql_cache_dir
    tables = with_imported(tables, {k: v for k, v in frames.items() if k not in tables.names})
    tables.sql_cache_dir = cache_dir
    results = compute(tables, first, last, settings=settings, ids=ids, on_indicator=on_indicator)
    imported = imported_results(frames, reporting_months(first, last))
    if ids is not None:
        imported = imported.filter(pl.col("indicator_id").is_in(list(ids)))
    if imported.is_empty():
        return results
    return sort_results(pl.concat([results, imported]), list(load_catalogue()))


def write_results(build: Build, results: pl.DataFrame) -> None:
    """Write ``results/indicators.parquet`` atomically (replacing an earlier one)."""
    target = build.results_dir / RESULTS_FILE
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    results.write_parquet(tmp)
    os.replace(tmp, target)


def results_for(build: Build, *, show_progress: bool = True) -> pl.DataFrame:
    """The stored results of a build, computing and storing them first when absent."""
    target = build.results_dir / RESULTS_FILE
    if target.is_file():
        return pl.read_parquet(target)
    from cscperf.console import progress
    from cscperf.indicators.catalogue import load_catalogue
    from cscperf.indicators.registry import registered

    total = sum(1 for d in load_catalogue() if d.id in registered())
    with progress() as bar:
        task = bar.add_task(f"Computing indicators for build {build.id}", total=total)
        results = compute_build(
            build, on_indicator=lambda _id: bar.advance(task) if show_progress else None
        )
    write_results(build, results)
    return results


class _SchemaOnly(BuildTables):
    """Every canonical table present and filled: enough to compile SQL for ``explain``."""

    def rows(self, name: str) -> int:
        return 1 if name in self.names else 0

    def filled(self, name: str, column: str) -> bool:
        return column in self.raw(name).columns


def schema_only_tables() -> BuildTables:
    """Empty canonical tables on an in-memory DuckDB, treated as filled, for showing SQL."""
    import ibis

    from cscperf.indicators.testing import upload
    from cscperf.sources.canonical import canonical_tables, empty_table

    con = ibis.duckdb.connect()
    frames = {name: empty_table(name) for name in canonical_tables()}
    return _SchemaOnly(con=con, names=upload(con, frames))
