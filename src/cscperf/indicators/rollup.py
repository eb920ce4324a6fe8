"""The roll-up: one indicator's grouped sums (per month, team and extra breakdown, as the
backend returns them) turned into rows of the output contract, in Polars.

Owns aggregation to ``all`` and every listed breakdown so that the breakdown rows sum to
``all``; population denominators for rates; ``value`` by unit; the flags
``history_incomplete``, ``population_provisional`` and ``small_number``; "not available" rows
when the build cannot supply an indicator; and the order of result rows. Nothing here
depends on which database computed the sums.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

from cscperf.calendar.months import add_months, month_start_of
from cscperf.calendar.periods import population_year
from cscperf.indicators.catalogue import IndicatorDefinition
from cscperf.indicators.contract import BREAKDOWNS, RESULT_SCHEMA
from cscperf.indicators.framework import framework_settings
from cscperf.indicators.runs import Run, window_start
from cscperf.settings import Settings

if TYPE_CHECKING:
    from cscperf.indicators.context import BuildTables

UNALLOCATED = "unallocated"
EXTRA_BREAKDOWNS = ("source", "carer_type", "team_type")
RATE_SCALE = {"rate_per_10k": 10_000.0, "rate_per_100k": 100_000.0}
SUM_UNITS = {"percent", "days", "average", "ratio"}
SUM_DECIMALS = 9

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
    and the largest item (``mx``); every month and every known value appears, zero-filled.

    Every breakdown is grouped in one Polars query (the sums stacked once per breakdown) and
    the rows shown are made by one join: a query per breakdown cost more in Polars' fixed
    overhead per call than in the few thousand rows summed."""
    terms = ("num", "den", "n", "mx")
    stacked = pl.concat(
        [
            aggregates.lazy().select(
                "period_end",
                *terms,
                breakdown=pl.lit(breakdown),
                breakdown_value=_breakdown_column(aggregates, breakdown, lookups).cast(pl.String),
            )
            for breakdown in definition.breakdowns
        ]
    )
    grouped = (
        stacked.group_by("breakdown", "period_end", "breakdown_value")
        .agg(pl.col("num").sum(), pl.col("den").sum(), pl.col("n").sum(), pl.col("mx").max())
        .collect()
    )
    seen: dict[str, set[str]] = {}
    for breakdown, value in grouped.select("breakdown", "breakdown_value").unique().iter_rows():
        seen.setdefault(breakdown, set()).add(value)
    shown: list[tuple[str, str]] = []
    for breakdown in definition.breakdowns:
        values = _always_shown(definition, breakdown, params, lookups)
        extra = sorted(v for v in seen.get(breakdown, ()) if v not in values)
        shown += [(breakdown, v) for v in [*values, *extra]]
    periods = pl.DataFrame({"period_end": list(period_ends)}, schema={"period_end": pl.Date})
    values_frame = pl.DataFrame(
        shown, schema={"breakdown": pl.String, "breakdown_value": pl.String}, orient="row"
    )
    return (
        periods.join(values_frame, how="cross")
        .join(grouped, on=["breakdown", "period_end", "breakdown_value"], how="left")
        .with_columns(
            pl.col("num").fill_null(0.0), pl.col("den").fill_null(0.0), pl.col("n").fill_null(0.0)
        )
    )


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
        return cls.from_rows(frame)

    @classmethod
    def from_rows(cls, frame: pl.DataFrame) -> Population | None:
        """From the population table's rows of the age group (``area_level``, ``area``,
        ``mid_year``, ``population``, in that order)."""
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


def flags_column(frame: pl.DataFrame) -> pl.Expr:
    """The flags of each row, in this order, from its true ``_history``, ``_provisional`` and
    ``_small`` columns (those the frame has; null is false). Each row's set of flags is
    numbered and the number mapped to one of the few possible lists: building a list per row
    (``concat_list``) costs about fifteen times as much over the tens of millions of rows a
    pool rolls up."""
    present = [
        (column, name)
        for column, name in (
            ("_history", "history_incomplete"),
            ("_provisional", "population_provisional"),
            ("_small", "small_number"),
        )
        if column in frame.columns
    ]
    if not present:
        return pl.lit([], dtype=pl.List(pl.String))
    number: pl.Expr = pl.lit(0, pl.UInt8)
    for bit, (column, _) in enumerate(present):
        number = number + pl.col(column).fill_null(False).cast(pl.UInt8) * (1 << bit)

    def flags(which: int) -> pl.Expr:
        return pl.lit(
            _flag_list(tuple(name for bit, (_, name) in enumerate(present) if which >> bit & 1))
        )

    chosen: Any = pl
    for which in range(1, 1 << len(present)):
        chosen = chosen.when(number == which).then(flags(which))
    return chosen.otherwise(flags(0))


@cache
def _flag_list(names: tuple[str, ...]) -> pl.Series:
    """One list of flags as a one-row Series, made once per process (making it took a few
    milliseconds, for every run of every indicator)."""
    return pl.Series([list(names)], dtype=pl.List(pl.String))


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


class Earliest(Protocol):
    """What knows the earliest date loaded in a table's column (a build's tables)."""

    def earliest(self, name: str, column: str) -> date | None: ...


def history_incomplete(
    definition: IndicatorDefinition,
    build: Earliest,
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


def run_rows(
    definition: IndicatorDefinition,
    run: Run,
    aggregates: pl.DataFrame,
    *,
    lookups: Lookups,
    population: Population | None,
    history: Mapping[date, bool],
) -> pl.DataFrame:
    """The rows of ``RESULT_SCHEMA`` for one run of months of one indicator, from its grouped
    sums; ``history`` marks the months whose look-back reaches before the loaded records."""
    rows = roll_up(definition, aggregates, run.period_ends, run.parameters.values, lookups)
    if definition.unit in RATE_SCALE and population is not None:
        years = {e: population_year(e) for e in run.period_ends}
        rows = add_population(rows, population, years)
    rows = finish(definition, rows)
    rows = rows.with_columns(
        _history=pl.col("period_end").replace_strict(
            dict(history), default=False, return_dtype=pl.Boolean
        )
    )
    rows = rows.with_columns(
        indicator_id=pl.lit(definition.id),
        definition_version=pl.lit(f"{definition.id}@{run.parameters.version}"),
        flags=flags_column(rows),
        reason=pl.lit(None, pl.String),
    )
    return rows.select(list(RESULT_SCHEMA)).cast(RESULT_SCHEMA)  # type: ignore[arg-type]


def sort_results(frame: pl.DataFrame, definitions: Sequence[IndicatorDefinition]) -> pl.DataFrame:
    """Catalogue order, then month, breakdown as listed, value (``unallocated`` last)."""
    order = {d.id: i for i, d in enumerate(definitions)}
    breakdowns = {b: i for i, b in enumerate(BREAKDOWNS)}
    return (
        frame.with_columns(
            _i=pl.col("indicator_id").replace_strict(order, default=len(order)),
            _b=pl.col("breakdown").replace_strict(breakdowns, default=len(breakdowns)),
            _u=pl.col("breakdown_value") == UNALLOCATED,
        )
        .sort(["_i", "period_end", "_b", "_u", "breakdown_value"])
        .drop("_i", "_b", "_u")
    )
