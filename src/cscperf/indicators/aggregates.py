"""The one grouped query of an indicator: its item table summed per month, team and extra
breakdown, the finest grain any breakdown needs, compiled once and fetched.

Owns checking and typing what an indicator function returns, building the grouped query,
and preparing it for the backend: where the backend runs SQL text
(``Backend.runs_sql_text``) the query's SQL is looked up in the compiled-SQL cache
(:mod:`cscperf.indicators.sql_cache`) before anything is built, and the shared tables it
reads are created; elsewhere the query runs through Ibis at once. Also the seconds each
indicator spends compiling and executing (:class:`Timings`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ibis
import polars as pl

from cscperf.indicators import sql_cache
from cscperf.indicators.context import BuildTables, Context, NotAvailable

if TYPE_CHECKING:
    import ibis.expr.types as ir


class Timings(dict[str, list[float]]):
    """Seconds spent per indicator id: ``[building and compiling, executing]`` (elapsed), and
    ``compile_cpu``: the main thread's CPU seconds building and compiling, which a loaded
    machine does not inflate as it does elapsed time."""

    def __init__(self) -> None:
        super().__init__()
        self.compile_cpu = 0.0

    def add(self, indicator_id: str, stage: int, seconds: float) -> None:
        self.setdefault(indicator_id, [0.0, 0.0])[stage] += seconds

    def slowest(self, n: int = 20) -> list[tuple[str, float, float]]:
        """The ``n`` indicators that took longest, as (id, compile, execute)."""
        ranked = sorted(self.items(), key=lambda item: -sum(item[1]))
        return [(i, c, e) for i, (c, e) in ranked[:n]]


def normalise_items(items: ir.Table, extras: Sequence[str], keys: Sequence[str] = ()) -> ir.Table:
    """Check the columns an indicator function must return, and type them; ``keys`` (the
    council of a pooled build) are kept as they are."""
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
        *keys,
        period_end=items.period_end.cast("date"),
        team=items.team.cast("string"),
        numerator=items.numerator.cast("float64"),
        denominator=denominator,
        **{c: items[c].cast("string") for c in extras},
    )


def grouped_items(items: ir.Table, extras: Sequence[str], keys: Sequence[str] = ()) -> ir.Table:
    """Sums per period, team and extra breakdown: the finest grain any breakdown needs (per
    council first, ``keys``, in a pooled build)."""
    normal = normalise_items(items, extras, keys)
    return normal.group_by([*keys, "period_end", "team", *extras]).aggregate(
        num=normal.numerator.sum().fill_null(0.0),
        den=normal.denominator.sum().fill_null(0.0),
        n=normal.count().cast("float64"),
        mx=normal.numerator.max(),
    )


def aggregate_items(
    items: ir.Table, extras: Sequence[str], keys: Sequence[str] = ()
) -> pl.DataFrame:
    """The grouped sums of ``items`` fetched from the backend."""
    return typed_aggregates(grouped_items(items, extras, keys).to_pyarrow())


def typed_aggregates(arrow: Any) -> pl.DataFrame:
    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(
        pl.col("period_end").cast(pl.Date),
        *(pl.col(c).cast(pl.Float64) for c in ("num", "den", "n", "mx")),
    )


def prepare_aggregates(
    ctx: Context,
    function: Callable[[Context], ir.Table],
    extras: Sequence[str],
    parameters_key: Any,
    timings: Timings | None = None,
) -> str | pl.DataFrame:
    """The SQL that gives one indicator's grouped sums over one run of months, ready to run (its
    shared tables created), or the sums themselves when the backend cannot run SQL text
    (``Backend.runs_sql_text``). The compiled SQL is looked up first (see
    :mod:`cscperf.indicators.sql_cache`) so that the Ibis expression is built and compiled
    once, not on every run; ``ctx.history`` is filled either way."""
    build = ctx.build
    timings = timings if timings is not None else Timings()
    indicator_id = ctx.definition.id
    started, started_cpu = time.perf_counter(), time.thread_time()
    keys = [build.partition] if build.partition is not None else []
    if not build.backend.runs_sql_text:
        items = function(ctx)
        result = aggregate_items(
            build.by_council(items),
            [e for e in extras if e != "team_type" or e in items.columns],
            keys,
        )
        timings.add(indicator_id, 1, time.perf_counter() - started)
        return result
    months = ctx.run_key if ctx.run_key is not None else ctx.period_ends
    base = sql_cache.base_key(build, ctx.definition, parameters_key, months)
    compiled = sql_cache.find(build, base)
    if compiled is None:
        with build.recording() as probes:
            try:
                items = _items_or_missing(ctx, function, parameters_key)
            except NotAvailable:  # its building counts too (shared blocks asked for first)
                timings.add(indicator_id, 0, time.perf_counter() - started)
                timings.compile_cpu += time.thread_time() - started_cpu
                raise
        extras_here = [e for e in extras if e != "team_type" or e in items.columns]
        grouped = grouped_items(build.by_council(items), extras_here, keys)
        sql = build.backend.compile(grouped)
        if "memtable" in sql:
            # In-memory tables are registered by Ibis at execution under fresh names; the
            # shared tables handed to the execution thread must be filled first.
            settle(build)
            result = typed_aggregates(grouped.to_pyarrow())
            timings.add(indicator_id, 0, time.perf_counter() - started)
            timings.compile_cpu += time.thread_time() - started_cpu
            return result
        compiled = sql_cache.Compiled(
            sql,
            tuple(extras_here),
            tuple(ctx.history),
            tuple(ctx.shared_tables),
            probes=tuple(ctx.probes),
        )
        sql_cache.keep(build, base, probes, compiled)
    else:
        ctx.history.extend(compiled.history)
        ctx.probes.extend(compiled.probes)
        for name, shared_sql in compiled.shared:
            build.materialise(name, shared_sql)
    timings.add(indicator_id, 0, time.perf_counter() - started)
    timings.compile_cpu += time.thread_time() - started_cpu
    return compiled.sql


def _items_or_missing(
    ctx: Context, function: Callable[[Context], ir.Table], parameters_key: Any
) -> ir.Table:
    """The indicator's item table; NotAvailable, remembered in the compiled-SQL cache, when
    the build cannot supply it (a later run raises it again without building anything)."""
    build = ctx.build
    months = ctx.run_key if ctx.run_key is not None else ctx.period_ends
    base = sql_cache.missing_key(build, ctx.definition, parameters_key, months)
    known = sql_cache.find(build, base)
    if known is not None and known.missing is not None:
        ctx.probes.extend(known.probes)
        raise NotAvailable(known.missing)
    with build.recording() as probes:
        try:
            return function(ctx)
        except NotAvailable as absent:
            missing = sql_cache.Compiled(
                "", (), (), missing=absent.reason, probes=tuple(ctx.probes)
            )
            sql_cache.keep(build, base, probes, missing)
            raise


def settle(build: BuildTables) -> None:
    """Wait until the execution thread has filled every shared table handed to it."""
    if build.defer is not None:
        build.defer("SELECT 1").result()


def execute_aggregates(
    build: BuildTables, sql: str, cursor: Any = None
) -> tuple[pl.DataFrame, float]:
    """Run prepared SQL on the backend's main connection or ``cursor``: the grouped sums and
    the seconds."""
    started = time.perf_counter()
    result = typed_aggregates(build.backend.fetch(sql, cursor))
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
    result, seconds = execute_aggregates(ctx.build, prepared)
    timings.add(ctx.definition.id, 1, seconds)
    return result
