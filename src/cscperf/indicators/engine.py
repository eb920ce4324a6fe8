"""The engine: every indicator of the catalogue for every reporting month and breakdown.

Owns the orchestration only. For each indicator, its months are split into runs
(:mod:`~cscperf.indicators.runs`); each run's item table becomes one grouped query
(:mod:`~cscperf.indicators.aggregates`, with the compiled-SQL cache where the backend runs SQL
text); the query runs on the backend (:mod:`~cscperf.indicators.backends`), in a worker thread
while the next indicators compile where the backend allows it
(:mod:`~cscperf.indicators.scheduler`); and the small grouped sums that come back become rows
of the output contract in Polars (:mod:`~cscperf.indicators.rollup`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

import ibis
import polars as pl

from cscperf.calendar.periods import reporting_months
from cscperf.calendar.tables import calendar_table, period_table
from cscperf.indicators.aggregates import (
    Timings,
    normalise_items,
    prepare_aggregates,
    run_aggregates,
)
from cscperf.indicators.catalogue import (
    Catalogue,
    IndicatorDefinition,
    load_catalogue,
    parameters_in_force,
)
from cscperf.indicators.context import BuildTables, Context, NotAvailable
from cscperf.indicators.framework import framework_settings
from cscperf.indicators.functions import registered
from cscperf.indicators.registry import months_check_of
from cscperf.indicators.rollup import (
    EXTRA_BREAKDOWNS,
    RATE_SCALE,
    RESULT_SCHEMA,
    Lookups,
    Population,
    history_incomplete,
    not_available_rows,
    run_rows,
    sort_results,
)
from cscperf.indicators.runs import Run, runs_of
from cscperf.indicators.scheduler import Execute, ExecutionThread, pipelined
from cscperf.settings import ParameterOverride, Settings

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["RESULT_SCHEMA", "Timings", "compute", "compute_indicator", "indicator_sql"]

CALENDAR_YEARS_BACK = 30  # working days are counted from dates this far before the first month
# Python's collector runs after every 700 allocations. Building and compiling Ibis expressions
# allocates millions of small objects (SQLGlot's trees hold cycles through their parent
# links), so on a first run of the default county it ran about 1,500 times and took 2.2 s of
# the main thread's 9.9 s while finding little to free; every 50,000 allocations it ran 12
# times and took 0.6 s. Garbage waits longer to be freed, which a run of the catalogue
# can afford.
GC_THRESHOLD = 50_000
_gc_lock = threading.Lock()
_gc_users: list[tuple[int, int, int]] = []  # the thresholds before, while any run is under way


@contextmanager
def collecting_rarely() -> Iterator[None]:
    """Python's youngest generation collected every ``GC_THRESHOLD`` allocations while the
    block runs; the thresholds before are put back when the last such block ends (runs in
    several threads of one process, as the web service's, overlap)."""
    with _gc_lock:
        if not _gc_users:
            before = gc.get_threshold()
            gc.set_threshold(max(GC_THRESHOLD, before[0]), *before[1:])
        else:
            before = _gc_users[0]
        _gc_users.append(before)
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users.pop()
            if not _gc_users:
                gc.set_threshold(*before)


@cache
def _periods_between(first_period_end: date, last_period_end: date) -> pl.DataFrame:
    """The period table, made once per range (every indicator of a run asks for it)."""
    return period_table(first_period_end, last_period_end)


def install_calendar(build: BuildTables, first_period_end: date, last_period_end: date) -> None:
    """Write the calendar and period tables the indicator functions join to."""
    con = build.con
    first_day = date(first_period_end.year - CALENDAR_YEARS_BACK, 1, 1)
    last_day = date(last_period_end.year + 2, 12, 31)
    con.create_table(
        build.calendar_table, calendar_table(first_day, last_day).to_arrow(), overwrite=True
    )
    con.create_table(
        build.periods_table,
        period_table(first_period_end, last_period_end).to_arrow(),
        overwrite=True,
    )


@dataclass
class PlannedRun:
    """One run of months of one indicator: its context and its grouped sums, already here
    (``aggregates``), being executed (``future``), or not available (``missing``)."""

    run: Run
    ctx: Context
    aggregates: pl.DataFrame | None = None
    future: Future[tuple[pl.DataFrame, float]] | None = None
    missing: str | None = None


@dataclass
class PlannedIndicator:
    """Every run of one indicator, prepared; :func:`finish_indicator` makes its rows."""

    definition: IndicatorDefinition
    runs: list[PlannedRun]

    def done(self) -> bool:
        return all(r.future is None or r.future.done() for r in self.runs)


def plan_indicator(
    definition: IndicatorDefinition,
    function: Callable[[Context], ir.Table],
    build: BuildTables,
    period_ends: Sequence[date],
    *,
    overrides: Sequence[ParameterOverride] = (),
    timings: Timings | None = None,
    execute: Execute | None = None,
    runs: Sequence[Run] | None = None,
) -> PlannedIndicator:
    """Build and compile every run of one indicator; with ``execute`` (a worker thread) the
    SQL is handed over to run there while the next indicator compiles, else it runs here.
    ``runs``: its runs of months when the caller has split them already."""
    extras = [b for b in definition.breakdowns if b in EXTRA_BREAKDOWNS]
    planned: list[PlannedRun] = []
    if runs is None:
        runs = runs_of(definition, period_ends, overrides, framework_settings().parameters)
    # Run keys let compiled SQL be cached across months; a backend that compiles afresh each
    # time (PostgreSQL) plans better with the months written out.
    by_key = build.backend.run_keys
    if by_key:
        build.install_runs({run.key: run.period_ends for run in runs})
    check = months_check_of(definition.id)
    impossible = build.backend.cannot_compute.get(definition.id)
    for run in runs:
        ctx = Context(
            build,
            definition,
            run.parameters.values,
            run.period_ends,
            run_key=run.key if by_key else None,
        )
        if impossible is not None:
            reason = f"cannot be computed on {build.backend.name}: {impossible}"
            planned.append(PlannedRun(run, ctx, missing=reason))
            continue
        try:
            if check is not None:  # before any cached SQL, which names its months by run key
                check(run.parameters.values, run.period_ends)
            if execute is None:
                frame = run_aggregates(ctx, function, extras, run.parameters.key(), timings)
                planned.append(PlannedRun(run, ctx, aggregates=frame))
                continue
            prepared = prepare_aggregates(ctx, function, extras, run.parameters.key(), timings)
        except NotAvailable as missing:
            planned.append(PlannedRun(run, ctx, missing=missing.reason))
            continue
        if isinstance(prepared, pl.DataFrame):
            planned.append(PlannedRun(run, ctx, aggregates=prepared))
        else:
            planned.append(PlannedRun(run, ctx, future=execute(prepared)))
    return PlannedIndicator(definition, planned)


def finish_indicator(
    planned: PlannedIndicator,
    build: BuildTables,
    period_ends: Sequence[date],
    *,
    lookups: Lookups | None = None,
    population: Population | None = None,
    timings: Timings | None = None,
    ordered: bool = True,
) -> pl.DataFrame:
    """Every month and breakdown of one planned indicator, as rows of ``RESULT_SCHEMA``
    (waits for its SQL to finish running); ``ordered=False`` leaves the rows unsorted, for a
    caller that sorts many indicators' rows at once."""
    definition = planned.definition
    lookups = lookups or Lookups({}, {}, [], [])
    all_periods = _periods_between(min(period_ends), max(period_ends))
    frames: list[pl.DataFrame] = []
    for item in planned.runs:
        run, aggregates = item.run, item.aggregates
        if item.future is not None:
            aggregates, seconds = item.future.result()
            if timings is not None:
                timings.add(definition.id, 1, seconds)
        reason = item.missing
        if reason is None and definition.unit in RATE_SCALE and population is None:
            reason = "no population estimates are loaded for rates"
        if reason is not None or aggregates is None:
            version = run.parameters.version
            frames.append(not_available_rows(definition, run.period_ends, version, reason or ""))
            continue
        periods = all_periods.filter(pl.col("period_end").is_in(list(run.period_ends)))
        history = history_incomplete(definition, build, item.ctx.history, periods)
        frames.append(
            run_rows(
                definition,
                run,
                aggregates,
                lookups=lookups,
                population=population,
                history=history,
            )
        )
    if not frames:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    rows = pl.concat(frames)
    return sort_results(rows, [definition]) if ordered else rows


def compute_indicator(
    definition: IndicatorDefinition,
    function: Callable[[Context], ir.Table],
    build: BuildTables,
    period_ends: Sequence[date],
    *,
    overrides: Sequence[ParameterOverride] = (),
    lookups: Lookups | None = None,
    population: Population | None = None,
    timings: Timings | None = None,
) -> pl.DataFrame:
    """Every month and breakdown of one indicator, as rows of ``RESULT_SCHEMA``."""
    planned = plan_indicator(
        definition, function, build, period_ends, overrides=overrides, timings=timings
    )
    return finish_indicator(
        planned, build, period_ends, lookups=lookups, population=population, timings=timings
    )


def compute(
    build: BuildTables,
    first_period_end: date,
    last_period_end: date,
    *,
    settings: Settings | None = None,
    catalogue: Catalogue | None = None,
    ids: Sequence[str] | None = None,
    on_indicator: Callable[[str], None] | None = None,
    timings: Timings | None = None,
) -> pl.DataFrame:
    """Every registered indicator (or ``ids``) for every month from the first to the last
    period end, on the backend of ``build``. ``on_indicator`` is told each id as it is done
    (for progress display); ``timings`` collects the seconds each took (for profiling)."""
    catalogue = catalogue or load_catalogue()
    functions = registered()
    period_ends = reporting_months(first_period_end, last_period_end)
    install_calendar(build, period_ends[0], period_ends[-1])
    lookups = Lookups.from_settings(settings)
    overrides = settings.parameters if settings is not None else []
    population = Population.load(build)
    definitions = [d for d in catalogue.select(ids) if d.id in functions]
    frames: list[pl.DataFrame] = []

    def finish_one(planned: PlannedIndicator) -> None:
        frames.append(
            finish_indicator(
                planned,
                build,
                period_ends,
                lookups=lookups,
                population=population,
                timings=timings,
                ordered=False,
            )
        )
        if on_indicator is not None:
            on_indicator(planned.definition.id)

    # One council's statements are small: the backend's settings for such a run (a pool's
    # are large and keep the defaults, see pooled.py).
    with build.backend.catalogue_session():
        run_catalogue(build, definitions, period_ends, overrides, finish_one, timings=timings)
    if not frames:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    # One sort of every indicator's rows: sorting each indicator's alone cost Polars' fixed
    # overhead a hundred times over.
    return sort_results(pl.concat(frames), definitions)


def run_catalogue(
    build: BuildTables,
    definitions: Sequence[IndicatorDefinition],
    period_ends: Sequence[date],
    overrides: Sequence[ParameterOverride],
    finish_one: Callable[[PlannedIndicator], None],
    *,
    timings: Timings | None = None,
) -> None:
    """Plan every indicator of ``definitions`` in turn, its SQL running on the execution
    thread while the next ones compile, and hand each to ``finish_one`` as it is done; the
    engine's scratch tables are dropped after."""
    functions = registered()
    defaults = framework_settings().parameters
    runs = {d.id: runs_of(d, period_ends, overrides, defaults) for d in definitions}
    if build.backend.run_keys:
        # Every run's months are written before any SQL runs: the execution thread reads them.
        build.install_runs({run.key: run.period_ends for d in definitions for run in runs[d.id]})
    try:
        with collecting_rarely(), ExecutionThread(build) as execute:

            def planned() -> Iterator[PlannedIndicator]:
                for definition in definitions:
                    yield plan_indicator(
                        definition,
                        functions[definition.id],
                        build,
                        period_ends,
                        overrides=overrides,
                        timings=timings,
                        execute=execute,
                        runs=runs[definition.id],
                    )

            pipelined(planned(), finish_one)
    finally:
        build.drop_scratch()


def indicator_sql(
    build: BuildTables,
    definition: IndicatorDefinition,
    period_end: date,
    *,
    settings: Settings | None = None,
    dialect: str | None = None,
) -> str:
    """The SQL the engine runs for one indicator at one month (for ``explain``)."""
    function = registered()[definition.id]
    install_calendar(build, period_end, period_end)
    overrides = settings.parameters if settings is not None else []
    params = parameters_in_force(definition, period_end, overrides, framework_settings().parameters)
    ctx = Context(build, definition, params.values, (period_end,))
    extras = [b for b in definition.breakdowns if b in EXTRA_BREAKDOWNS]
    items = function(ctx)
    extras = [e for e in extras if e in items.columns]
    normal = normalise_items(items, extras)
    grouped = normal.group_by(["period_end", "team", *extras]).aggregate(
        num=normal.numerator.sum(), den=normal.denominator.sum(), n=normal.count()
    )
    return str(ibis.to_sql(grouped, dialect=dialect))
