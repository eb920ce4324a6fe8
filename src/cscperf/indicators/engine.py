"""The engine: every indicator of the catalogue for every reporting month and breakdown.

Owns turning the item-level tables the indicator functions return into rows of the output
contract (spec section 8): aggregation to ``all`` and every listed breakdown so that the
breakdown rows sum to ``all``; population denominators for rates; ``value`` by unit; the flags
``history_incomplete``, ``population_provisional``, ``small_number``; "not available" rows when
the build cannot supply an indicator; and the runs of months that share one parameter set and
definition version. The heavy work runs in the Ibis backend (one grouped query per indicator
and run of months); only those small aggregates come back to Python.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

import ibis
import polars as pl

from cscperf.calendar.months import add_months, month_start_of
from cscperf.calendar.periods import is_year_end, population_year, reporting_months
from cscperf.calendar.tables import calendar_table, period_table
from cscperf.indicators.catalogue import (
    Catalogue,
    IndicatorDefinition,
    ParametersInForce,
    load_catalogue,
    parameters_in_force,
)
from cscperf.indicators.context import (
    BuildTables,
    Context,
    NotAvailable,
)
from cscperf.indicators.framework import framework_settings
from cscperf.indicators.registry import registered
from cscperf.settings import ParameterOverride, Settings

if TYPE_CHECKING:
    import ibis.expr.types as ir

UNALLOCATED = "unallocated"
EXTRA_BREAKDOWNS = ("source", "carer_type", "team_type")
RESULT_SCHEMA: dict[str, Any] = {
    "indicator_id": pl.String,
    "period_end": pl.Date,
    "breakdown": pl.String,
    "breakdown_value": pl.String,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "value": pl.Float64,
    "definition_version": pl.String,
    "flags": pl.List(pl.String),
    "reason": pl.String,
}
RATE_SCALE = {"rate_per_10k": 10_000.0, "rate_per_100k": 100_000.0}
SUM_UNITS = {"percent", "days", "average", "ratio"}
SUM_DECIMALS = 9
YEAR_END_BASES = ("financial_year", "as_at_31_march")
CALENDAR_YEARS_BACK = 30  # working days are counted from dates this far before the first month


@dataclass(frozen=True)
class Run:
    """Consecutive reporting months of one indicator that share parameters and version.

    ``key`` names the months in terms that stay the same from one month's build to the next
    (year ends or every month, which run of the indicator, where later runs start), so the
    compiled SQL, which refers to the months only through this key, can be reused."""

    parameters: ParametersInForce
    period_ends: tuple[date, ...]
    key: str = ""


# ------------------------------------------------------------------ months and runs


def months_for(definition: IndicatorDefinition, period_ends: Sequence[date]) -> list[date]:
    """The months an indicator is produced for: year-end bases only at 31 March."""
    if definition.basis in YEAR_END_BASES:
        return [e for e in period_ends if is_year_end(e)]
    return list(period_ends)


def runs_of(
    definition: IndicatorDefinition,
    period_ends: Sequence[date],
    overrides: Sequence[ParameterOverride],
    framework_defaults: Mapping[str, Any],
) -> list[Run]:
    """Split the months where the parameters in force change, keeping months in order."""
    runs: list[Run] = []
    current: list[date] = []
    current_params: ParametersInForce | None = None
    for period_end in months_for(definition, period_ends):
        params = parameters_in_force(definition, period_end, overrides, framework_defaults)
        if current_params is not None and params.key() != current_params.key():
            runs.append(Run(current_params, tuple(current)))
            current = []
        current_params = params
        current.append(period_end)
    if current_params is not None:
        runs.append(Run(current_params, tuple(current)))
    kind = "year ends" if definition.basis in YEAR_END_BASES else "months"
    later_starts = ",".join(run.period_ends[0].isoformat() for run in runs[1:])
    return [replace(run, key=f"{kind} #{i} /{later_starts}") for i, run in enumerate(runs)]


def window_start(basis: str, row: Mapping[str, Any]) -> date:
    """The first day an indicator on ``basis`` looks at for one period row."""
    match basis:
        case "in_month":
            return row["month_start"]
        case "rolling_12m":
            return row["rolling_12m_start"]
        case "ytd" | "financial_year":
            return row["ytd_start"]
    return row["period_end"]


# ------------------------------------------------------------------ backend preparation


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


# ------------------------------------------------------------------ items -> aggregates


def _normalise_items(items: ir.Table, extras: Sequence[str]) -> ir.Table:
    """Check the columns an indicator function must return, and type them."""
    missing = [c for c in ("period_end", "team", "numerator") if c not in items.columns]
    missing += [c for c in extras if c not in items.columns]
    if missing:
        raise TypeError(f"an indicator function returned no column(s) {missing}")
    denominator = (
        items.denominator.cast("float64")
        if "denominator" in items.columns
        else ibis.null("float64")
    )
    return items.select(
        period_end=items.period_end.cast("date"),
        team=items.team.cast("string"),
        numerator=items.numerator.cast("float64"),
        denominator=denominator,
        **{c: items[c].cast("string") for c in extras},
    )


def grouped_items(items: ir.Table, extras: Sequence[str]) -> ir.Table:
    """Sums per period, team and extra breakdown: the finest grain any breakdown needs."""
    normal = _normalise_items(items, extras)
    return normal.group_by(["period_end", "team", *extras]).aggregate(
        num=normal.numerator.sum().fill_null(0.0),
        den=normal.denominator.sum().fill_null(0.0),
        n=normal.count().cast("float64"),
        mx=normal.numerator.max(),
    )


def aggregate_items(items: ir.Table, extras: Sequence[str]) -> pl.DataFrame:
    """The grouped sums of ``items`` fetched from the backend."""
    return _typed_aggregates(grouped_items(items, extras).to_pyarrow())


def _typed_aggregates(arrow: Any) -> pl.DataFrame:
    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(
        pl.col("period_end").cast(pl.Date),
        *(pl.col(c).cast(pl.Float64) for c in ("num", "den", "n", "mx")),
    )


# ------------------------------------------------------------------ breakdown roll-up


@dataclass(frozen=True)
class Lookups:
    """How teams roll up, and which values each breakdown always shows."""

    team_locality: Mapping[str, str]
    team_type: Mapping[str, str]
    teams: Sequence[str]
    localities: Sequence[str]

    @classmethod
    def from_settings(cls, settings: Settings | None) -> Lookups:
        if settings is None:
            return cls({}, {}, [], [])
        return cls(
            team_locality=settings.team_locality(),
            team_type=settings.team_types(),
            teams=[t.id for loc in settings.localities for t in loc.teams],
            localities=[loc.name for loc in settings.localities],
        )


def _breakdown_column(aggregates: pl.DataFrame, breakdown: str, lookups: Lookups) -> pl.Expr:
    team = pl.col("team")
    if breakdown == "all":
        return pl.lit("all")
    if breakdown == "team":
        return team.fill_null(UNALLOCATED)
    if breakdown == "locality":
        return team.replace_strict(
            dict(lookups.team_locality), default=UNALLOCATED, return_dtype=pl.String
        ).fill_null(UNALLOCATED)
    if breakdown == "team_type" and "team_type" not in aggregates.columns:
        return team.replace_strict(
            dict(lookups.team_type), default=UNALLOCATED, return_dtype=pl.String
        ).fill_null(UNALLOCATED)
    return pl.col(breakdown).fill_null(UNALLOCATED)


def _always_shown(
    definition: IndicatorDefinition, breakdown: str, params: Mapping[str, Any], lookups: Lookups
) -> list[str]:
    if breakdown == "all":
        return ["all"]
    if breakdown == "team":
        return list(lookups.teams)
    if breakdown == "locality":
        return list(lookups.localities)
    if breakdown == "team_type":
        return sorted(set(lookups.team_type.values()))
    if breakdown == "source" and isinstance(params.get("source_groups"), Mapping):
        return list(params["source_groups"])
    return []


def roll_up(
    definition: IndicatorDefinition,
    aggregates: pl.DataFrame,
    period_ends: Sequence[date],
    params: Mapping[str, Any],
    lookups: Lookups,
) -> pl.DataFrame:
    """One row per period, breakdown and value with summed terms (``num``, ``den``, ``n``)
    and the largest item (``mx``); every month and every known value appears, zero-filled."""
    frames = []
    periods = pl.DataFrame({"period_end": list(period_ends)}, schema={"period_end": pl.Date})
    for breakdown in definition.breakdowns:
        grouped = (
            aggregates.with_columns(
                breakdown_value=_breakdown_column(aggregates, breakdown, lookups)
            )
            .group_by("period_end", "breakdown_value")
            .agg(pl.col("num").sum(), pl.col("den").sum(), pl.col("n").sum(), pl.col("mx").max())
        )
        values = _always_shown(definition, breakdown, params, lookups)
        seen = grouped.get_column("breakdown_value").unique().to_list()
        shown = values + sorted(v for v in seen if v not in values)
        frame = periods.join(
            pl.DataFrame({"breakdown_value": shown}, schema={"breakdown_value": pl.String}),
            how="cross",
        )
        frame = frame.join(grouped, on=["period_end", "breakdown_value"], how="left").with_columns(
            pl.col("num").fill_null(0.0),
            pl.col("den").fill_null(0.0),
            pl.col("n").fill_null(0.0),
            breakdown=pl.lit(breakdown),
        )
        frames.append(frame)
    return pl.concat(frames, how="diagonal_relaxed")


# ------------------------------------------------------------------ population


@dataclass(frozen=True)
class Population:
    """POP0_17 by mid-year for the council and, when loaded, its localities."""

    council: Mapping[int, float]
    localities: Mapping[tuple[str, int], float]

    @classmethod
    def load(cls, build: BuildTables) -> Population | None:
        if not build.has("population"):
            return None
        table = build.raw("population")
        label = framework_settings().population_age_group
        rows = table.filter(table.age_group == label).select(
            "area_level", "area", "mid_year", "population"
        )
        frame = pl.from_arrow(rows.to_pyarrow())
        assert isinstance(frame, pl.DataFrame)
        council: dict[int, float] = {}
        localities: dict[tuple[str, int], float] = {}
        for level, area, year, value in frame.iter_rows():
            if value is None or year is None:
                continue
            if level == "locality":
                localities[(str(area), int(year))] = float(value)
            else:
                council[int(year)] = float(value)
        return cls(council, localities) if council else None

    def estimate(self, year: int, locality: str | None = None) -> tuple[float | None, bool]:
        """The estimate for mid-``year`` (provisional: the latest earlier one)."""
        if locality is None:
            series = dict(self.council)
        else:
            series = {y: v for (area, y), v in self.localities.items() if area == locality}
        if year in series:
            return series[year], False
        earlier = [y for y in series if y < year]
        if earlier:
            return series[max(earlier)], True
        return None, False

    @property
    def has_localities(self) -> bool:
        return bool(self.localities)


def add_population(
    frame: pl.DataFrame, population: Population, period_years: Mapping[date, int]
) -> pl.DataFrame:
    """Denominator = POP0_17(E) for ``all`` and locality rows (locality rows only when
    locality estimates are loaded); ``_provisional`` marks a latest-available estimate."""
    if not population.has_localities:
        frame = frame.filter(pl.col("breakdown") == "all")
    dens: list[float | None] = []
    provisional: list[bool] = []
    for period_end, breakdown, value in frame.select(
        "period_end", "breakdown", "breakdown_value"
    ).iter_rows():
        locality = None if breakdown == "all" else value
        estimate, flag = population.estimate(period_years[period_end], locality)
        dens.append(estimate)
        provisional.append(flag)
    return frame.with_columns(
        den=pl.Series(dens, dtype=pl.Float64), _provisional=pl.Series(provisional)
    )


# ------------------------------------------------------------------ values and flags


def finish(definition: IndicatorDefinition, frame: pl.DataFrame) -> pl.DataFrame:
    """Numerator, denominator and value by unit (spec section 8), and small_number."""
    unit = definition.unit
    below = framework_settings().small_number_below
    # Sums of fractional values (FTE) depend on the order the backend adds rows in, which
    # varies between runs and backends in the last bits; rounding well below any recorded
    # precision makes the same data give the same numbers every time, everywhere.
    num, den = pl.col("num").round(SUM_DECIMALS), pl.col("den").round(SUM_DECIMALS)
    if unit == "count":
        numerator, denominator, value = num, pl.lit(None, pl.Float64), num
        small = num.is_between(1, below - 1)
    elif unit == "maximum":
        has_items = pl.col("n") > 0
        numerator = pl.when(has_items).then(pl.col("mx")).otherwise(0.0)
        denominator = pl.col("n")
        value = pl.when(has_items).then(pl.col("mx"))
        small = pl.col("n").is_between(1, below - 1)
    elif unit in RATE_SCALE:
        numerator, denominator = num, den
        scaled = num * definition.value_multiplier / den * RATE_SCALE[unit]
        value = pl.when(den > 0).then(scaled)
        small = num.is_between(1, below - 1)
    else:
        numerator, denominator = num, den
        ratio = num * definition.value_multiplier / den
        value = pl.when(den > 0).then(ratio * 100.0 if unit == "percent" else ratio)
        small = den.is_between(1, below - 1)
    return frame.with_columns(
        numerator=numerator.cast(pl.Float64),
        denominator=denominator.cast(pl.Float64),
        value=value.cast(pl.Float64),
        _small=small.fill_null(False),
    )


def _flags_column(frame: pl.DataFrame) -> pl.Expr:
    parts = []
    for column, name in (
        ("_history", "history_incomplete"),
        ("_provisional", "population_provisional"),
        ("_small", "small_number"),
    ):
        if column in frame.columns:
            parts.append(pl.when(pl.col(column)).then(pl.lit(name)))
    if not parts:
        return pl.lit([], dtype=pl.List(pl.String))
    return pl.concat_list(parts).list.drop_nulls()


def not_available_rows(
    definition: IndicatorDefinition, period_ends: Sequence[date], version: int, reason: str
) -> pl.DataFrame:
    """One row per month on the indicator's first breakdown, value null, with the reason."""
    breakdown = "all" if "all" in definition.breakdowns else definition.breakdowns[0]
    n = len(period_ends)
    return pl.DataFrame(
        {
            "indicator_id": [definition.id] * n,
            "period_end": list(period_ends),
            "breakdown": [breakdown] * n,
            "breakdown_value": ["all"] * n,
            "numerator": [None] * n,
            "denominator": [None] * n,
            "value": [None] * n,
            "definition_version": [f"{definition.id}@{version}"] * n,
            "flags": [["not_available"]] * n,
            "reason": [reason] * n,
        },
        schema=RESULT_SCHEMA,
    )


def history_incomplete(
    definition: IndicatorDefinition,
    build: BuildTables,
    history: Iterable[tuple[str, str]],
    periods: pl.DataFrame,
) -> dict[date, bool]:
    """Months whose look-back reaches before the earliest record loaded. An "ever" look-back
    (``months: null``, all available history) always does: nothing in an extract proves that
    it holds a child's whole history, so every month is flagged (spec section 6)."""
    lookback = definition.lookback
    if lookback is None:
        return {}
    if lookback.months is None:
        return {row["period_end"]: True for row in periods.iter_rows(named=True)}
    earliest_dates = [d for d in (build.earliest(t, c) for t, c in history) if d is not None]
    if not earliest_dates:
        return {}
    loaded_from = month_start_of(min(earliest_dates))
    flags: dict[date, bool] = {}
    for row in periods.iter_rows(named=True):
        needed = add_months(window_start(definition.basis, row), -lookback.months)
        flags[row["period_end"]] = loaded_from > needed
    return flags


# ------------------------------------------------------------------ one indicator, all months


def _executes_sql_directly(build: BuildTables) -> bool:
    """DuckDB runs cached SQL text as it is; other backends go through Ibis each time."""
    return getattr(build.con, "name", None) == "duckdb"


class Timings(dict[str, list[float]]):
    """Seconds spent per indicator id: ``[building and compiling, executing]``."""

    def add(self, indicator_id: str, stage: int, seconds: float) -> None:
        self.setdefault(indicator_id, [0.0, 0.0])[stage] += seconds

    def slowest(self, n: int = 20) -> list[tuple[str, float, float]]:
        """The ``n`` indicators that took longest, as (id, compile, execute)."""
        ranked = sorted(self.items(), key=lambda item: -sum(item[1]))
        return [(i, c, e) for i, (c, e) in ranked[:n]]


def prepare_aggregates(
    ctx: Context,
    function: Callable[[Context], ir.Table],
    extras: Sequence[str],
    parameters_key: Any,
    timings: Timings | None = None,
) -> str | pl.DataFrame:
    """The SQL that gives one indicator's grouped sums over one run of months, ready to run on
    DuckDB (its shared tables created), or the sums themselves when the backend cannot run SQL
    text directly. The compiled SQL is looked up first (see :mod:`cscperf.indicators.sql_cache`)
    so that the Ibis expression is built and compiled once, not on every run; ``ctx.history``
    is filled either way."""
    build = ctx.build
    timings = timings if timings is not None else Timings()
    indicator_id = ctx.definition.id
    started = time.perf_counter()
    if not _executes_sql_directly(build):
        items = function(ctx)
        result = aggregate_items(
            items, [e for e in extras if e != "team_type" or e in items.columns]
        )
        timings.add(indicator_id, 1, time.perf_counter() - started)
        return result
    from cscperf.indicators import sql_cache

    months = ctx.run_key if ctx.run_key is not None else ctx.period_ends
    key = sql_cache.cache_key(build, indicator_id, parameters_key, months)
    compiled = sql_cache.lookup(build, key)
    if compiled is None:
        items = function(ctx)
        extras_here = [e for e in extras if e != "team_type" or e in items.columns]
        grouped = grouped_items(items, extras_here)
        sql = str(build.con.compile(grouped))
        if "memtable" in sql:
            # In-memory tables are registered by Ibis at execution under fresh names; the
            # shared tables handed to the execution thread must be filled first.
            settle(build)
            result = _typed_aggregates(grouped.to_pyarrow())
            timings.add(indicator_id, 0, time.perf_counter() - started)
            return result
        compiled = sql_cache.Compiled(
            sql, tuple(extras_here), tuple(ctx.history), tuple(ctx.shared_tables)
        )
        sql_cache.store(build, key, compiled)
    else:
        ctx.history.extend(compiled.history)
        for name, shared_sql in compiled.shared:
            build.materialise(name, shared_sql)
    timings.add(indicator_id, 0, time.perf_counter() - started)
    return compiled.sql


def settle(build: BuildTables) -> None:
    """Wait until the execution thread has filled every shared table handed to it."""
    if build.defer is not None:
        build.defer("SELECT 1").result()


def execute_aggregates(cursor: Any, sql: str) -> tuple[pl.DataFrame, float]:
    """Run prepared SQL on a DuckDB connection or cursor: the grouped sums and the seconds."""
    started = time.perf_counter()
    result = _typed_aggregates(cursor.execute(sql).to_arrow_table())
    return result, time.perf_counter() - started


def run_aggregates(
    ctx: Context,
    function: Callable[[Context], ir.Table],
    extras: Sequence[str],
    parameters_key: Any,
    timings: Timings | None = None,
) -> pl.DataFrame:
    """The grouped sums of one indicator over one run of months, prepared and run here."""
    timings = timings if timings is not None else Timings()
    prepared = prepare_aggregates(ctx, function, extras, parameters_key, timings)
    if isinstance(prepared, pl.DataFrame):
        return prepared
    result, seconds = execute_aggregates(ctx.build.con.con, prepared)
    timings.add(ctx.definition.id, 1, seconds)
    return result


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
    execute: Callable[[str], Future[tuple[pl.DataFrame, float]]] | None = None,
) -> PlannedIndicator:
    """Build and compile every run of one indicator; with ``execute`` (DuckDB) the SQL is
    handed over to run elsewhere while the next indicator compiles, else it runs here."""
    defaults = framework_settings().parameters
    extras = [b for b in definition.breakdowns if b in EXTRA_BREAKDOWNS]
    planned: list[PlannedRun] = []
    runs = runs_of(definition, period_ends, overrides, defaults)
    # Run keys let compiled SQL be cached across months, which only DuckDB does; PostgreSQL
    # plans better with the months written out.
    by_key = _executes_sql_directly(build)
    if by_key:
        build.install_runs({run.key: run.period_ends for run in runs})
    for run in runs:
        ctx = Context(
            build,
            definition,
            run.parameters.values,
            run.period_ends,
            run_key=run.key if by_key else None,
        )
        try:
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
) -> pl.DataFrame:
    """Every month and breakdown of one planned indicator, as rows of ``RESULT_SCHEMA``
    (waits for its SQL to finish running)."""
    definition = planned.definition
    lookups = lookups or Lookups({}, {}, [], [])
    all_periods = _periods_between(min(period_ends), max(period_ends))
    frames: list[pl.DataFrame] = []
    for item in planned.runs:
        run, ctx = item.run, item.ctx
        version = run.parameters.version
        aggregates = item.aggregates
        if item.future is not None:
            aggregates, seconds = item.future.result()
            if timings is not None:
                timings.add(definition.id, 1, seconds)
        reason = item.missing
        if reason is None and definition.unit in RATE_SCALE and population is None:
            reason = "no population estimates are loaded for rates"
        if reason is not None or aggregates is None:
            frames.append(not_available_rows(definition, run.period_ends, version, reason or ""))
            continue
        rows = roll_up(definition, aggregates, run.period_ends, run.parameters.values, lookups)
        if definition.unit in RATE_SCALE and population is not None:
            years = {e: population_year(e) for e in run.period_ends}
            rows = add_population(rows, population, years)
        rows = finish(definition, rows)
        periods = all_periods.filter(pl.col("period_end").is_in(list(run.period_ends)))
        history = history_incomplete(definition, build, ctx.history, periods)
        rows = rows.with_columns(
            _history=pl.col("period_end").replace_strict(
                history, default=False, return_dtype=pl.Boolean
            )
        )
        rows = rows.with_columns(
            indicator_id=pl.lit(definition.id),
            definition_version=pl.lit(f"{definition.id}@{version}"),
            flags=_flags_column(rows),
            reason=pl.lit(None, pl.String),
        )
        frames.append(rows.select(list(RESULT_SCHEMA)).cast(RESULT_SCHEMA))  # type: ignore[arg-type]
    if not frames:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    return sort_results(pl.concat(frames), [definition])


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


def sort_results(frame: pl.DataFrame, definitions: Sequence[IndicatorDefinition]) -> pl.DataFrame:
    """Catalogue order, then month, breakdown as listed, value (``unallocated`` last)."""
    order = {d.id: i for i, d in enumerate(definitions)}
    breakdowns = {
        b: i for i, b in enumerate(["all", "locality", "team", "team_type", "source", "carer_type"])
    }
    return (
        frame.with_columns(
            _i=pl.col("indicator_id").replace_strict(order, default=len(order)),
            _b=pl.col("breakdown").replace_strict(breakdowns, default=len(breakdowns)),
            _u=pl.col("breakdown_value") == UNALLOCATED,
        )
        .sort(["_i", "period_end", "_b", "_u", "breakdown_value"])
        .drop("_i", "_b", "_u")
    )


# ------------------------------------------------------------------ the whole catalogue

# Indicators compiled ahead of the one whose rows are being finished: enough to keep the
# execution thread busy while the main thread compiles, few enough to hold little memory.
LOOKAHEAD = 3


class ExecutionThread:
    """Runs prepared SQL on one DuckDB cursor in a worker thread, in the order handed over:
    the filling of shared tables (``BuildTables.defer``) and the indicators' queries. DuckDB
    releases the GIL while it executes, so the main thread builds and compiles the next
    indicators' Ibis expressions meanwhile. On other backends it hands out ``None`` and
    everything runs in the main thread."""

    def __init__(self, build: BuildTables) -> None:
        self.build = build
        self.pool: ThreadPoolExecutor | None = None
        self.cursor: Any = None
        # A shared table that failed to fill: every later query would read it half-made.
        self.failed: BaseException | None = None

    def __enter__(self) -> Callable[[str], Future[tuple[pl.DataFrame, float]]] | None:
        if not _executes_sql_directly(self.build):
            return None
        self.cursor = self.build.con.con.cursor()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cscperf-sql")
        self.build.defer = self.defer
        return self.submit

    def _fill(self, sql: str) -> None:
        if self.failed is not None:
            raise self.failed
        try:
            self.cursor.execute(sql)
        except BaseException as error:
            self.failed = error
            raise

    def _query(self, sql: str) -> tuple[pl.DataFrame, float]:
        if self.failed is not None:
            raise self.failed
        return execute_aggregates(self.cursor, sql)

    def defer(self, sql: str) -> Future[None]:
        assert self.pool is not None
        return self.pool.submit(self._fill, sql)

    def submit(self, sql: str) -> Future[tuple[pl.DataFrame, float]]:
        assert self.pool is not None
        return self.pool.submit(self._query, sql)

    def __exit__(self, *exc: object) -> None:
        self.build.defer = None
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.cursor is not None:
            self.cursor.close()


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
    # Every run's months are written before any SQL runs: the execution thread reads them.
    defaults = framework_settings().parameters
    if _executes_sql_directly(build):
        build.install_runs(
            {
                run.key: run.period_ends
                for definition in definitions
                for run in runs_of(definition, period_ends, overrides, defaults)
            }
        )
    frames: list[pl.DataFrame] = []
    pending: deque[PlannedIndicator] = deque()

    def finish_oldest() -> None:
        planned = pending.popleft()
        frames.append(
            finish_indicator(
                planned,
                build,
                period_ends,
                lookups=lookups,
                population=population,
                timings=timings,
            )
        )
        if on_indicator is not None:
            on_indicator(planned.definition.id)

    try:
        with ExecutionThread(build) as execute:
            for definition in definitions:
                pending.append(
                    plan_indicator(
                        definition,
                        functions[definition.id],
                        build,
                        period_ends,
                        overrides=overrides,
                        timings=timings,
                        execute=execute,
                    )
                )
                while pending and (len(pending) > LOOKAHEAD or pending[0].done()):
                    finish_oldest()
            while pending:
                finish_oldest()
    finally:
        build.drop_scratch()
    if not frames:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    return pl.concat(frames)


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
    normal = _normalise_items(items, extras)
    grouped = normal.group_by(["period_end", "team", *extras]).aggregate(
        num=normal.numerator.sum(), den=normal.denominator.sum(), n=normal.count()
    )
    return str(ibis.to_sql(grouped, dialect=dialect))
