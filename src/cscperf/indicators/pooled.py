"""The whole catalogue for many councils at once: one set of queries over every council's
tables together, each council's rows then rolled up as its own run rolls them up.

A pool's members each have a stored build. Run one by one, each member's catalogue is about
a hundred statements, so a pool of 150 councils pays each statement's fixed cost 150 times.
Here the members' canonical tables are read into one table each, with a column naming the
council (:data:`COUNCIL`), and every indicator's query is computed for all of them at once,
the council the outermost grouping (:mod:`~cscperf.indicators.partition` rewrites each
query; the indicator functions are unchanged). The grouped sums that come back are split by
council and rolled up with that council's own teams and localities, population, months and
history, exactly as :func:`~cscperf.indicators.results.compute_build` does for the council
alone; the values are the same, row for row (``tests/pools/test_pooled_catalogue.py``).

What changes the SQL must be the same for the councils computed together: the parameters
their settings override, the reporting months, what their source did not supply, and which
tables hold rows and which columns are ever filled (an indicator missing one of them is "not
available" for that council only). Councils are grouped by all of these, and a council alone
in its group, or with imported measures (fostering register, PEPs), is computed by its own run.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import polars as pl

from cscperf.calendar.months import add_months, month_start_of
from cscperf.calendar.periods import population_year, reporting_months
from cscperf.indicators.aggregates import Timings
from cscperf.indicators.backends.spark import LOCAL_URL, SparkBackend
from cscperf.indicators.catalogue import IndicatorDefinition, load_catalogue
from cscperf.indicators.context import BuildTables, NotAvailable
from cscperf.indicators.engine import (
    PlannedIndicator,
    _periods_between,
    install_calendar,
    run_catalogue,
)
from cscperf.indicators.framework import framework_settings
from cscperf.indicators.functions import registered
from cscperf.indicators.imported import imported_results, stored_frames
from cscperf.indicators.registry import months_check_of
from cscperf.indicators.results import (
    RESULTS_FILE,
    SQL_CACHE_DIR,
    SQL_CACHE_ENV,
    _complete_from,
    _extract_date,
    _to_date,
    compute_build,
    not_supplied_of,
    range_of_activity,
    requested_first,
    spark_tables,
    write_results,
)
from cscperf.indicators.rollup import (
    RATE_SCALE,
    RESULT_SCHEMA,
    UNALLOCATED,
    Lookups,
    Population,
    finish,
    flags_column,
    not_available_rows,
    sort_results,
)
from cscperf.indicators.runs import Run, window_start
from cscperf.sources.canonical import canonical_tables, empty_table
from cscperf.store import Build

COUNCIL = "_council"  # the column naming the council in the pooled tables (never output)
COUNCILS_TABLE = "_cscperf_councils"
# At most this many councils are computed together (a bigger group is split into parts of
# about equal size): their results are all in memory while they are rolled up.
PART_COUNCILS = 40
PART_SUFFIX = "_part"  # the views of a part's councils (the same names for every part)
# Fewer councils than this answering the data's questions alike are computed with a bigger
# class rather than on their own (see answering_alike).
FEW_ALIKE = 5


@dataclass
class Probes:
    """What each council's own build would answer to the engine's probes, asked of the pooled
    tables once per table for every council (grouped by council)."""

    tables: BuildTables
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    filled: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)
    _earliest: dict[tuple[str, str], dict[str, date | None]] = field(default_factory=dict)

    def count(self, names: Sequence[str]) -> None:
        """Rows and filled columns of each table, per council."""
        for name in names:
            table = self.tables.raw(name)
            columns = [c for c in table.columns if c != COUNCIL]
            counts = table.group_by(COUNCIL).aggregate(
                _rows=table.count(), **{c: table[c].count() for c in columns}
            )
            frame = _polars(counts)
            for row in frame.iter_rows(named=True):
                code = row[COUNCIL]
                self.rows.setdefault(code, {})[name] = int(row["_rows"])
                self.filled.setdefault(code, {})[name] = frozenset(c for c in columns if row[c] > 0)

    def minmax(self, name: str, column: str) -> dict[str, tuple[Any, Any]]:
        table = self.tables.raw(name)
        found = table.group_by(COUNCIL).aggregate(
            first=table[column].min(), last=table[column].max()
        )
        return {r[COUNCIL]: (r["first"], r["last"]) for r in _polars(found).iter_rows(named=True)}

    def earliest(self, council: str, name: str, column: str) -> date | None:
        key = (name, column)
        if key not in self._earliest:
            values = self.minmax(name, column) if name in self.tables.names else {}
            self._earliest[key] = {code: _as_date(first) for code, (first, _) in values.items()}
        return self._earliest[key].get(council)


def _polars(expr: Any) -> pl.DataFrame:
    frame = pl.from_arrow(expr.to_pyarrow())
    assert isinstance(frame, pl.DataFrame)
    return frame


def _as_date(value: Any) -> date | None:
    return None if value is None else _to_date(value)


@dataclass
class Member:
    """A council of the pooled computation: its build, months and what changes its SQL."""

    council: str
    build: Build
    first: date
    last: date
    signature: str
    lookups: Lookups
    population: Population | None

    months: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        self.months = frozenset(reporting_months(self.first, self.last))


# ------------------------------------------------------------------ the pooled tables


def pooled_duckdb(builds: Mapping[str, Build]) -> BuildTables:
    """Every council's canonical tables, one table each with :data:`COUNCIL`, in a fresh
    in-memory DuckDB (each read once from the builds' Parquet files), and the table of
    councils."""
    con = ibis.duckdb.connect()
    con.raw_sql("SET enable_progress_bar = false")
    names: dict[str, str] = {}
    for name in canonical_tables():
        files = {
            str(build.tables_dir / f"{name}.parquet"): code
            for code, build in builds.items()
            if (build.tables_dir / f"{name}.parquet").is_file()
        }
        names[name] = name
        if not files:
            empty = empty_table(name).select(pl.lit(None, pl.String).alias(COUNCIL), pl.all())
            con.create_table(name, empty.to_arrow(), overwrite=True)
            continue
        which = pl.DataFrame({"_file": list(files), COUNCIL: list(files.values())})
        con.create_table("_cscperf_files", which.to_arrow(), overwrite=True)
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.raw_sql(
            f'CREATE TABLE "{name}" AS SELECT f.{COUNCIL}, p.* EXCLUDE (filename) '
            f"FROM read_parquet([{listed}], union_by_name = true, filename = true) p "
            "JOIN _cscperf_files f ON p.filename = f._file"
        )
    con.drop_table("_cscperf_files", force=True)
    councils = pl.DataFrame({COUNCIL: list(builds)}, schema={COUNCIL: pl.String})
    con.create_table(COUNCILS_TABLE, councils.to_arrow(), overwrite=True)
    return BuildTables(con=con, names=names, partition=COUNCIL, councils_table=COUNCILS_TABLE)


def pooled_spark(builds: Mapping[str, Build], folder: Path, session: Any = None) -> BuildTables:
    """The pooled tables of :func:`pooled_duckdb` on Spark: written once as one Parquet file
    per table under ``folder`` (storage every executor reads, on a cluster) and read in place
    as temporary views of ``session`` (a local session by default)."""
    folder.mkdir(parents=True, exist_ok=True)
    duck = pooled_duckdb(builds)
    try:
        written = {**duck.names, COUNCILS_TABLE: COUNCILS_TABLE}
        for name, table in written.items():
            # Spark skips files whose names start with "_" or "."
            target = str(folder / f"pool{name}.parquet").replace("'", "''")
            duck.con.raw_sql(f"COPY \"{table}\" TO '{target}' (FORMAT parquet)")
    finally:
        duck.con.disconnect()
    con = SparkBackend.connect(session if session is not None else SparkBackend.local_session())
    names = {name: f"pool{name}" for name in written}
    for name, view in names.items():
        SparkBackend.register_parquet(con, view, folder / f"pool{name}.parquet")
    councils = names.pop(COUNCILS_TABLE)
    return BuildTables(con=con, names=names, partition=COUNCIL, councils_table=councils)


def spark_engine(folder: Path, session: Any = None, *, address: str = LOCAL_URL) -> Engine:
    """The pooled catalogue on Spark, the pooled tables written under ``folder``; a council
    computed alone runs there too. The session is ``session``, else the one the database
    ``address`` names (``SparkBackend.session_for``: a local one by default), opened only
    when councils are computed; after the run a session cscperf started is stopped, and only
    the pooled tables' views are dropped from any other (a script's, spark-submit's)."""
    opened: list[Any] = [session] if session is not None else []

    def current() -> Any:
        if not opened:
            opened.append(SparkBackend.session_for(address))
        return opened[0]

    return Engine(
        pooled=lambda builds: pooled_spark(builds, folder, current()),
        own=lambda build: spark_tables(build, current()),
        close=lambda tables: SparkBackend.release(tables.con, tables.names.values()),
    )


def _subset(
    tables: BuildTables, codes: Sequence[str], not_supplied: Mapping[str, str]
) -> BuildTables:
    """The pooled tables of some councils only (views), with their common not-supplied map.

    The views have the same names whichever councils they hold (each call replaces the last
    call's, which must be done with), so that SQL compiled for one part of a group, or one
    group, is found in the compiled-SQL cache for the next that answers the data's questions
    alike (see :mod:`~cscperf.indicators.sql_cache`)."""
    assert tables.councils_table is not None
    everyone = tables.backend_table(tables.councils_table)
    if len(codes) == everyone.count().to_pyarrow().as_py():
        names = dict(tables.names)
        councils = tables.councils_table
    else:
        names = {}
        for name, table in tables.names.items():
            names[name] = f"{table}{PART_SUFFIX}"
            rows = tables.backend_table(table)
            tables.con.create_view(
                names[name], rows.filter(rows[COUNCIL].isin(list(codes))), overwrite=True
            )
        councils = f"{tables.councils_table}{PART_SUFFIX}"
        frame = pl.DataFrame({COUNCIL: list(codes)}, schema={COUNCIL: pl.String})
        tables.con.create_table(councils, frame.to_arrow(), overwrite=True)
    return BuildTables(
        con=tables.con,
        names=names,
        not_supplied=dict(not_supplied),
        partition=COUNCIL,
        councils_table=councils,
        sql_cache_dir=tables.sql_cache_dir,
    )


def pool_sql_cache(folder: Path) -> Path:
    """Where a pool in ``folder`` keeps its members' pooled compiled SQL: the folder
    ``CSCPERF_SQL_CACHE`` names, else ``indicator-sql`` in the pool's folder. Kept by what
    the SQL depends on (:mod:`~cscperf.indicators.sql_cache`: the code, the indicator, its
    parameters and months, the backend, that the run is pooled, and the pooled tables'
    answers to its probes), so next month's build of the pool compiles only what changed."""
    shared = os.environ.get(SQL_CACHE_ENV)
    return Path(shared) if shared else Path(folder) / SQL_CACHE_DIR


# ------------------------------------------------------------------ the members


def members_of(builds: Mapping[str, Build], probes: Probes) -> list[Member]:
    """Each council's months, roll-up settings and SQL signature (see the module's
    description)."""
    probes.count(sorted(probes.tables.names))
    activity = {
        (t, c): probes.minmax(t, c)
        for t, c in framework_settings().activity_dates
        if t in probes.tables.names
    }
    population = _populations(probes)
    members = []
    for code, build in builds.items():
        rows, filled = probes.rows.get(code, {}), probes.filled.get(code, {})
        not_supplied = not_supplied_of(build)
        firsts, lasts = [], []
        for (table, column), found in activity.items():
            has = rows.get(table, 0) > 0 and table not in not_supplied
            if has and column in filled.get(table, ()) and code in found:
                firsts.append(_to_date(found[code][0]))
                lasts.append(_to_date(found[code][1]))
        first, last = range_of_activity(firsts, lasts, _extract_date(build), None)
        first = max(first, _complete_from(build) or first)
        settings = build.settings if build.has_settings else None
        overrides = [p.model_dump(mode="json") for p in settings.parameters] if settings else []
        signature = {
            # The engine's calendar runs from 30 years before the first month's year to two
            # after the last's: councils computed together share it (their months may
            # differ, each keeps its own).
            "years": [first.year, last.year],
            "parameters": overrides,
            "not_supplied": sorted(not_supplied.items()),
            "imported": sorted(stored_frames(build)),
        }
        members.append(
            Member(
                council=code,
                build=build,
                first=first,
                last=last,
                signature=json.dumps(signature, sort_keys=True, default=str),
                lookups=Lookups.from_settings(settings),
                population=population.get(code) if _has_population(rows, not_supplied) else None,
            )
        )
    return members


def _has_population(rows: Mapping[str, int], not_supplied: Mapping[str, str]) -> bool:
    return rows.get("population", 0) > 0 and "population" not in not_supplied


def _populations(probes: Probes) -> dict[str, Population | None]:
    if "population" not in probes.tables.names:
        return {}
    table = probes.tables.raw("population")
    label = framework_settings().population_age_group
    rows = table.filter(table.age_group == label).select(
        COUNCIL, "area_level", "area", "mid_year", "population"
    )
    frame = _polars(rows)
    return {
        str(code): Population.from_rows(part)
        for (code,), part in frame.partition_by(COUNCIL, as_dict=True, include_key=False).items()
    }


# ------------------------------------------------------------------ computing


@dataclass(frozen=True)
class Engine:
    """Where the pooled catalogue runs: ``pooled`` opens the councils' tables together (see
    :func:`pooled_duckdb`, :func:`pooled_spark`), ``own`` one council's build for a council
    computed alone (None: DuckDB)."""

    pooled: Callable[[Mapping[str, Build]], BuildTables]
    own: Callable[[Build], BuildTables] | None = None
    close: Callable[[BuildTables], None] = lambda tables: tables.con.disconnect()


DUCKDB = Engine(lambda builds: pooled_duckdb(builds))


def pooled_results(
    builds: Mapping[str, Build],
    *,
    engine: Engine = DUCKDB,
    ids: Sequence[str] | None = None,
    on_group: Callable[[Sequence[str]], None] | None = None,
    timings: Timings | None = None,
    part_councils: int = PART_COUNCILS,
    sql_cache: Path | None = None,
) -> dict[str, pl.DataFrame]:
    """Every council's results (``builds`` by LA code; of ``ids``, or every indicator), each
    equal to its own :func:`~cscperf.indicators.results.compute_build`, computed together (on
    DuckDB unless ``engine`` says otherwise; in parts, see :func:`parts_of`)."""
    found = dict(
        each_pooled_result(
            builds,
            engine=engine,
            ids=ids,
            on_group=on_group,
            timings=timings,
            part_councils=part_councils,
            sql_cache=sql_cache,
        )
    )
    return {code: found[code] for code in builds}


def each_pooled_result(
    builds: Mapping[str, Build],
    *,
    engine: Engine = DUCKDB,
    ids: Sequence[str] | None = None,
    on_group: Callable[[Sequence[str]], None] | None = None,
    timings: Timings | None = None,
    part_councils: int = PART_COUNCILS,
    sql_cache: Path | None = None,
) -> Iterator[tuple[str, pl.DataFrame]]:
    """:func:`pooled_results` one council at a time (LA code, results), in the order they are
    computed (part by part of each group, not the order of ``builds``): at most one part's
    results are held at once, if the caller drops each as it comes. The pooled queries'
    compiled SQL is kept in ``sql_cache`` (see :func:`pool_sql_cache`) when given, else in
    memory only."""
    tables = engine.pooled(builds)
    tables.sql_cache_dir = sql_cache
    own = _own_run(engine)
    try:
        probes = Probes(tables)
        members = members_of(builds, probes)
        groups: dict[str, list[Member]] = defaultdict(list)
        for member in members:
            groups[member.signature].append(member)
        for group in groups.values():
            if len(group) == 1 or json.loads(group[0].signature)["imported"]:
                for member in group:
                    yield member.council, own(member.build, ids)
                continue
            for alike in answering_alike(group, probes):
                for part in parts_of(alike, probes, part_councils):
                    yield from _part_results(tables, part, probes, ids, own, on_group, timings)
    finally:
        engine.close(tables)


def answering_alike(group: Sequence[Member], probes: Probes) -> list[list[Member]]:
    """``group`` in classes of councils that answer every question an indicator may ask of
    the data alike (which tables hold rows, which columns are ever filled), so that no
    indicator of theirs need be computed again (see :func:`_catalogue`). A class of fewer
    than :data:`FEW_ALIKE` councils joins the biggest class that holds rows in every table
    and column it does (only its own councils then answer otherwise, for the few indicators
    that ask); classes of one council left over are put together."""
    classes: dict[tuple[frozenset[str], frozenset[tuple[str, str]]], list[Member]] = {}
    for member in group:
        rows = probes.rows.get(member.council, {})
        filled = probes.filled.get(member.council, {})
        key = (
            frozenset(t for t, n in rows.items() if n > 0),
            frozenset((t, c) for t, columns in filled.items() for c in columns),
        )
        classes.setdefault(key, []).append(member)
    # the biggest first, and of two as big the one answering yes more often (which may hold
    # the other)
    ordered = sorted(classes.items(), key=lambda kv: (-len(kv[1]), -len(kv[0][0]) - len(kv[0][1])))
    kept: list[tuple[tuple[frozenset[str], frozenset[tuple[str, str]]], list[Member]]] = []
    for key, members in ordered:
        holder = next(
            (
                held
                for (tables, columns), held in kept
                if key[0] <= tables and key[1] <= columns and len(members) < FEW_ALIKE
            ),
            None,
        )
        if holder is not None:
            holder.extend(members)
        else:
            kept.append((key, list(members)))
    place = {m.council: at for at, m in enumerate(group)}  # each class in the group's order
    alike = [sorted(held, key=lambda m: place[m.council]) for _, held in kept if len(held) > 1]
    alone = sorted((held[0] for _, held in kept if len(held) == 1), key=lambda m: place[m.council])
    return [*alike, alone] if alone else alike


def parts_of(group: Sequence[Member], probes: Probes, size: int) -> list[list[Member]]:
    """``group`` in as many parts as ``size`` councils each would make (never a council
    alone), computed one after another so that only a part's results are held at once. The
    councils are ordered by how many rows their tables hold and cut where each part holds
    about the same number of rows (a part of big councils has fewer of them), so councils of
    a like size, which answer the data's questions more alike, are computed together."""
    count = min(-(-len(group) // max(size, 1)), len(group) // 2)
    if count <= 1:
        return [list(group)]

    def rows(member: Member) -> int:
        return sum(probes.rows.get(member.council, {}).values())

    ordered = sorted(group, key=lambda m: (rows(m), m.council))
    total = sum(rows(m) for m in ordered) or 1
    parts: list[list[Member]] = [[]]
    held = 0
    for at, member in enumerate(ordered):
        left = len(ordered) - at  # members not yet placed, this one included
        # a new part where this member's rows lie mostly past the current part's share
        past = held + rows(member) / 2 >= total * len(parts) / count
        if past and len(parts) < count and len(parts[-1]) >= 2 and left >= 2:
            parts.append([])
        parts[-1].append(member)
        held += rows(member)
    return parts


def _part_results(
    tables: BuildTables,
    part: Sequence[Member],
    probes: Probes,
    ids: Sequence[str] | None,
    own: Callable[[Build, Sequence[str] | None], pl.DataFrame],
    on_group: Callable[[Sequence[str]], None] | None,
    timings: Timings | None,
) -> Iterator[tuple[str, pl.DataFrame]]:
    """Each council's results of one part of a group, computed together, then given one at a
    time (each dropped from here as it is given)."""
    frames = _catalogue(tables, part, probes, ids, own, on_group, timings)
    everything = list(load_catalogue())
    for member in part:
        months = reporting_months(member.first, member.last)
        imported = imported_results(stored_frames(member.build), months)
        order = everything
        if ids is not None:  # as compute_build orders them
            imported = imported.filter(pl.col("indicator_id").is_in(list(ids)))
            order = everything if imported.height else load_catalogue().select(ids)
        parts = [*frames.pop(member.council), imported]  # freed as it goes
        yield member.council, sort_results(pl.concat(parts), order)


def _own_run(engine: Engine) -> Callable[[Build, Sequence[str] | None], pl.DataFrame]:
    """A council's own run (of ``ids``, or every indicator) on the engine."""

    def run(build: Build, ids: Sequence[str] | None) -> pl.DataFrame:
        tables = engine.own(build) if engine.own is not None else None
        return compute_build(build, tables, ids=ids)

    return run


def _catalogue(
    tables: BuildTables,
    group: Sequence[Member],
    probes: Probes,
    ids: Sequence[str] | None,
    own: Callable[[Build, Sequence[str] | None], pl.DataFrame],
    on_group: Callable[[Sequence[str]], None] | None,
    timings: Timings | None,
) -> dict[str, list[pl.DataFrame]]:
    """The computed indicators (``ids``, or all) of councils with the same signature, by
    council: together, then again for the councils whose own answers to an indicator's
    questions of the data differ from the group's, with those that answer alike."""
    if len(group) == 1:
        member = group[0]
        wanted = list(ids) if ids is not None else sorted(registered())
        alone = own(member.build, wanted)
        return {member.council: [alone.filter(pl.col("indicator_id").is_in(wanted))]}
    if on_group is not None:
        on_group([m.council for m in group])
    subset = _subset(tables, [m.council for m in group], not_supplied_of(group[0].build))
    frames, unsure = compute_group(subset, group, probes, ids, timings=timings)
    again: dict[frozenset[str], list[Member]] = defaultdict(list)
    for member in group:
        if unsure[member.council]:
            again[frozenset(unsure[member.council])].append(member)
    for redo, members in again.items():
        if len(members) == len(group):  # no smaller group to try: each on its own
            for member in members:
                frames[member.council] += _catalogue(
                    tables, [member], probes, sorted(redo), own, on_group, timings
                )[member.council]
            continue
        found = _catalogue(tables, members, probes, sorted(redo), own, on_group, timings)
        for code, more in found.items():
            frames[code] += more
    return frames


def compute_group(
    tables: BuildTables,
    group: Sequence[Member],
    probes: Probes,
    ids: Sequence[str] | None = None,
    *,
    timings: Timings | None = None,
) -> tuple[dict[str, list[pl.DataFrame]], dict[str, set[str]]]:
    """The computed indicators (``ids``, or all) for councils with the same SQL signature,
    at once: each council's rows, and the indicators whose questions of the data the council
    answers otherwise than the group (no rows for those; see :func:`_catalogue`)."""
    functions = registered()
    head = group[0]
    period_ends = reporting_months(min(m.first for m in group), max(m.last for m in group))
    install_calendar(tables, period_ends[0], period_ends[-1])
    settings = head.build.settings if head.build.has_settings else None
    overrides = settings.parameters if settings is not None else []
    definitions = [d for d in load_catalogue().select(ids) if d.id in functions]
    frames: dict[str, list[pl.DataFrame]] = {m.council: [] for m in group}
    unsure: dict[str, set[str]] = {m.council: set() for m in group}

    lookups = _GroupLookups.of(group)

    def finish_one(planned: PlannedIndicator) -> None:
        finish_for_councils(
            planned, tables, group, probes, frames, unsure, lookups=lookups, timings=timings
        )

    run_catalogue(tables, definitions, period_ends, overrides, finish_one, timings=timings)
    return frames, unsure


def _answers_alike(
    tables: BuildTables, probes: Probes, council: str, asked: Sequence[tuple[str, str]]
) -> bool:
    """The council's own build answers every question in ``asked`` as the pooled tables do."""
    rows, filled = probes.rows.get(council, {}), probes.filled.get(council, {})
    for name, column in asked:
        if name not in tables.names:
            continue
        if column == "":
            if (rows.get(name, 0) > 0) != (tables.rows(name) > 0):
                return False
        elif (column in filled.get(name, ())) != tables.filled(name, column):
            return False
    return True


def _months_pass(indicator_id: str, run: Run) -> bool:
    """The indicator has no months check, or its check passes for the run's months."""
    check = months_check_of(indicator_id)
    if check is None:
        return True
    try:
        check(run.parameters.values, run.period_ends)
    except NotAvailable:
        return False
    return True


def finish_for_councils(
    planned: PlannedIndicator,
    tables: BuildTables,
    group: Sequence[Member],
    probes: Probes,
    frames: dict[str, list[pl.DataFrame]],
    unsure: dict[str, set[str]],
    *,
    lookups: _GroupLookups,
    timings: Timings | None = None,
) -> None:
    """Each council's rows of one planned indicator, as ``engine.finish_indicator`` makes
    them for a council alone, added to ``frames`` by council."""
    definition = planned.definition
    for item in planned.runs:
        aggregates = item.aggregates
        if item.future is not None:
            aggregates, seconds = item.future.result()
            if timings is not None:
                timings.add(definition.id, 1, seconds)
        ok: list[tuple[Member, list[date]]] = []
        for member in group:
            months = [e for e in item.run.period_ends if e in member.months]
            if not months:
                continue
            if not _answers_alike(tables, probes, member.council, item.ctx.probes) or (
                # a check of the months alone failed for the group's months, which may not be
                # the council's (it checks each month: passed, it passes for any of them)
                len(months) < len(item.run.period_ends)
                and not _months_pass(definition.id, item.run)
            ):
                unsure[member.council].add(definition.id)
                continue
            reason = item.missing
            if reason is None and definition.unit in RATE_SCALE and member.population is None:
                reason = "no population estimates are loaded for rates"
            if reason is not None or aggregates is None:
                version = item.run.parameters.version
                frames[member.council].append(
                    not_available_rows(definition, months, version, reason or "")
                )
                continue
            ok.append((member, months))
        if not ok or aggregates is None:
            continue
        months_frame = pl.DataFrame(
            [(m.council, e) for m, months in ok for e in months],
            schema={COUNCIL: pl.String, "period_end": pl.Date},
            orient="row",
        )
        periods = _periods_between(min(item.run.period_ends), max(item.run.period_ends))
        history = _history_frame(definition, item.ctx.history, periods, months_frame, probes)
        rows = rows_for_councils(
            definition, item.run, aggregates, months_frame, [m for m, _ in ok], lookups, history
        )
        for (code,), part in rows.partition_by(COUNCIL, as_dict=True, include_key=False).items():
            frames[str(code)].append(part)


# ------------------------------------------------------------------ roll-up of many councils


@dataclass(frozen=True)
class _GroupLookups:
    """Every council's teams and localities as frames keyed by council, for the roll-up."""

    teams: pl.DataFrame  # council, team, locality, team_type
    always: dict[str, pl.DataFrame]  # breakdown -> council, breakdown_value always shown

    @classmethod
    def of(cls, group: Sequence[Member]) -> _GroupLookups:
        teams: list[tuple[str, str, str, str]] = []
        always: dict[str, list[tuple[str, str]]] = {"team": [], "locality": [], "team_type": []}
        for m in group:
            mapped = set(m.lookups.team_locality) | set(m.lookups.team_type)
            for team in sorted(mapped):
                locality = m.lookups.team_locality.get(team, UNALLOCATED)
                kind = m.lookups.team_type.get(team, UNALLOCATED)
                teams.append((m.council, team, locality, kind))
            always["team"] += [(m.council, t) for t in m.lookups.teams]
            always["locality"] += [(m.council, x) for x in m.lookups.localities]
            always["team_type"] += [(m.council, t) for t in set(m.lookups.team_type.values())]
        schema = {COUNCIL: pl.String, "team": pl.String, "_locality": pl.String, "_type": pl.String}
        pairs = {COUNCIL: pl.String, "breakdown_value": pl.String}
        return cls(
            pl.DataFrame(teams, schema=schema, orient="row"),
            {k: pl.DataFrame(v, schema=pairs, orient="row") for k, v in always.items()},
        )


def rows_for_councils(
    definition: IndicatorDefinition,
    run: Run,
    aggregates: pl.DataFrame,
    months: pl.DataFrame,
    group: Sequence[Member],
    lookups: _GroupLookups,
    history: pl.DataFrame | None,
) -> pl.DataFrame:
    """``rollup.run_rows`` for many councils at once: ``aggregates`` and ``months`` (each
    council's months of the run) keyed by :data:`COUNCIL`, rows of RESULT_SCHEMA with it."""
    keys = [COUNCIL, "period_end"]
    aggregates = aggregates.join(months, on=keys, how="semi")
    params = run.parameters.values
    frames = []
    for breakdown in definition.breakdowns:
        grouped = (
            _with_breakdown(aggregates, breakdown, lookups)
            .group_by(COUNCIL, "period_end", "breakdown_value")
            .agg(pl.col("num").sum(), pl.col("den").sum(), pl.col("n").sum(), pl.col("mx").max())
        )
        always = _always(breakdown, params, lookups, months)
        shown = pl.concat([always, grouped.select(COUNCIL, "breakdown_value")]).unique()
        frame = (
            months.join(shown, on=COUNCIL)
            .join(grouped, on=[*keys, "breakdown_value"], how="left")
            .with_columns(
                pl.col("num").fill_null(0.0),
                pl.col("den").fill_null(0.0),
                pl.col("n").fill_null(0.0),
                breakdown=pl.lit(breakdown),
            )
        )
        frames.append(frame)
    rows = pl.concat(frames, how="diagonal_relaxed")
    if definition.unit in RATE_SCALE:
        rows = _with_population(rows, group)
    rows = finish(definition, rows)
    if history is None:
        rows = rows.with_columns(_history=pl.lit(False))
    else:
        rows = rows.join(history, on=keys, how="left").with_columns(
            pl.col("_history").fill_null(False)
        )
    rows = rows.with_columns(
        indicator_id=pl.lit(definition.id),
        definition_version=pl.lit(f"{definition.id}@{run.parameters.version}"),
        flags=flags_column(rows),
        reason=pl.lit(None, pl.String),
    )
    return rows.select(COUNCIL, *RESULT_SCHEMA).cast(RESULT_SCHEMA)  # type: ignore[arg-type]


def _with_breakdown(
    aggregates: pl.DataFrame, breakdown: str, lookups: _GroupLookups
) -> pl.DataFrame:
    if breakdown == "all":
        return aggregates.with_columns(breakdown_value=pl.lit("all"))
    if breakdown == "team":
        return aggregates.with_columns(breakdown_value=pl.col("team").fill_null(UNALLOCATED))
    mapped = {"locality": "_locality", "team_type": "_type"}.get(breakdown)
    if mapped is not None and breakdown not in aggregates.columns:
        joined = aggregates.join(
            lookups.teams.select(COUNCIL, "team", mapped), on=[COUNCIL, "team"], how="left"
        )
        return joined.with_columns(breakdown_value=pl.col(mapped).fill_null(UNALLOCATED))
    return aggregates.with_columns(breakdown_value=pl.col(breakdown).fill_null(UNALLOCATED))


def _always(
    breakdown: str, params: Mapping[str, Any], lookups: _GroupLookups, months: pl.DataFrame
) -> pl.DataFrame:
    councils = months.select(COUNCIL).unique()
    if breakdown == "all":
        return councils.with_columns(breakdown_value=pl.lit("all"))
    if breakdown in lookups.always:
        return lookups.always[breakdown].join(councils, on=COUNCIL, how="semi")
    values: list[str] = []
    if breakdown == "source" and isinstance(params.get("source_groups"), Mapping):
        values = list(params["source_groups"])
    shown = pl.DataFrame({"breakdown_value": values}, schema={"breakdown_value": pl.String})
    return councils.join(shown, how="cross")


def _with_population(rows: pl.DataFrame, group: Sequence[Member]) -> pl.DataFrame:
    """``rollup.add_population`` for many councils: the estimate of each council (or its
    locality) for each month's population year, and whether it is provisional."""
    by_council = {m.council: m.population for m in group if m.population is not None}
    local = [c for c, p in by_council.items() if p.has_localities]
    rows = rows.filter((pl.col("breakdown") == "all") | pl.col(COUNCIL).is_in(local))
    ends = rows.get_column("period_end").unique().to_list()
    years = {e: population_year(e) for e in ends}
    wanted = rows.select(COUNCIL, "breakdown", "breakdown_value").unique()
    found = []
    for council, breakdown, value in wanted.iter_rows():
        population = by_council[council]
        locality = None if breakdown == "all" else value
        for year in set(years.values()):
            estimate, flag = population.estimate(year, locality)
            found.append((council, breakdown, value, year, estimate, flag))
    schema = {COUNCIL: pl.String, "breakdown": pl.String, "breakdown_value": pl.String,
              "_year": pl.Int64, "den": pl.Float64, "_provisional": pl.Boolean}  # fmt: skip
    estimates = pl.DataFrame(found, schema=schema, orient="row")
    return (
        rows.drop("den")
        .with_columns(_year=pl.col("period_end").replace_strict(years, return_dtype=pl.Int64))
        .join(estimates, on=[COUNCIL, "breakdown", "breakdown_value", "_year"], how="left")
        .drop("_year")
    )


def _history_frame(
    definition: IndicatorDefinition,
    asked: Sequence[tuple[str, str]],
    periods: pl.DataFrame,
    months: pl.DataFrame,
    probes: Probes,
) -> pl.DataFrame | None:
    """``rollup.history_incomplete`` for many councils: (council, period_end, _history)."""
    lookback = definition.lookback
    if lookback is None:
        return None
    if lookback.months is None:
        return months.with_columns(_history=pl.lit(True))
    loaded: dict[str, date] = {}
    for council in months.get_column(COUNCIL).unique().to_list():
        dates = [d for d in (probes.earliest(council, t, c) for t, c in asked) if d is not None]
        if dates:
            loaded[council] = month_start_of(min(dates))
    needed = {
        row["period_end"]: add_months(window_start(definition.basis, row), -lookback.months)
        for row in periods.iter_rows(named=True)
    }
    frame = months.filter(pl.col(COUNCIL).is_in(list(loaded))).with_columns(
        _from=pl.col(COUNCIL).replace_strict(loaded, return_dtype=pl.Date),
        _needed=pl.col("period_end").replace_strict(needed, return_dtype=pl.Date),
    )
    return frame.select(COUNCIL, "period_end", _history=pl.col("_from") > pl.col("_needed"))


def results_for_councils(
    builds: Mapping[str, Build],
    *,
    engine: Engine = DUCKDB,
    on_group: Callable[[Sequence[str]], None] | None = None,
    sql_cache: Path | None = None,
) -> dict[str, pl.DataFrame]:
    """Each council's stored results (``builds`` by LA code), as
    :func:`~cscperf.indicators.results.results_for` gives them one by one: read from the
    build when it holds them, else computed (here all together, :func:`pooled_results`) and
    written to the build."""
    found = dict(each_council_result(builds, engine=engine, on_group=on_group, sql_cache=sql_cache))
    return {code: found[code] for code in builds}


def each_council_result(
    builds: Mapping[str, Build],
    *,
    engine: Engine = DUCKDB,
    on_group: Callable[[Sequence[str]], None] | None = None,
    sql_cache: Path | None = None,
) -> Iterator[tuple[str, pl.DataFrame]]:
    """:func:`results_for_councils` one council at a time (LA code, results): first those
    the builds hold, then the others as they are computed (:func:`each_pooled_result`), each
    written to its build before it is given, so a caller that drops each holds at most one
    group's results."""
    missing: dict[str, Build] = {}
    for code, build in builds.items():
        target = build.results_dir / RESULTS_FILE
        if target.is_file():
            yield code, pl.read_parquet(target)
        else:
            missing[code] = build
    if missing:
        computed = each_pooled_result(
            missing, engine=engine, on_group=on_group, sql_cache=sql_cache
        )
        for code, results in computed:
            last = results.get_column("period_end").max() if results.height else None
            asked = requested_first(last, None) if isinstance(last, date) else None
            write_results(missing[code], results, asked)
            yield code, results
            del results  # not held while the next council's are computed
