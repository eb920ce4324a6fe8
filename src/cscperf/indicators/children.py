"""The children behind a figure: for the indicators where a manager acts on individuals, the
list of children (and their dates) that the month's figure counts.

The list is made by the very item function the indicator is computed from
(:class:`~cscperf.indicators.registry.ChildList`), for one month, so its length is the
figure's numerator (or, for a within-timescale measure, its denominator less its numerator):
the same rows, not a second definition that could drift. Each row carries the child's
identifier, the dates behind the figure and how many days overdue the child is (the list is
sorted most overdue first), so the list is for the child-level pages only and never for
aggregate output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.context import BuildTables, Context, NotAvailable
from cscperf.indicators.engine import install_calendar
from cscperf.indicators.framework import framework_settings
from cscperf.indicators.functions import registered
from cscperf.indicators.imported import stored_frames, with_imported
from cscperf.indicators.registry import ChildList, child_lists_so_far
from cscperf.indicators.results import duckdb_tables
from cscperf.indicators.rollup import UNALLOCATED
from cscperf.indicators.runs import runs_of
from cscperf.settings import Settings
from cscperf.store.store import Build

PERSON = "person_id"
LOCALITY = "locality"
TEAM = "team"
OVERDUE = "days_overdue"


def child_lists() -> Mapping[str, ChildList]:
    """Every indicator with a list of children behind it (importing every area first)."""
    registered()
    return child_lists_so_far()


@dataclass(frozen=True)
class Children:
    """The children behind one figure: ``rows`` has ``person_id``, ``locality``, ``team`` and
    the list's columns; ``reason`` says why there is no list (the data lack a table)."""

    spec: ChildList
    period_end: date
    rows: pl.DataFrame
    reason: str | None = None


def children_behind(
    build: Build, indicator_id: str, period_end: date, localities: frozenset[str] | None = None
) -> Children:
    """The children the figure of ``indicator_id`` for the month ending ``period_end`` counts
    (those a manager acts on); only those of ``localities`` when given (a child whose team is in
    no locality is then left out)."""
    settings = build.settings if build.has_settings else None
    tables = with_imported(duckdb_tables(build), stored_frames(build))
    try:
        return children_in(tables, settings, indicator_id, period_end, localities)
    finally:
        tables.con.disconnect()


def children_in(
    tables: BuildTables,
    settings: Settings | None,
    indicator_id: str,
    period_end: date,
    localities: frozenset[str] | None = None,
) -> Children:
    """:func:`children_behind` on the tables of a build (hand-built ones in tests), with the
    council's ``settings`` (parameters, and which locality each team is in)."""
    spec = child_lists()[indicator_id]
    definition = load_catalogue().definitions[indicator_id]
    overrides = settings.parameters if settings is not None else []
    (run,) = runs_of(definition, [period_end], overrides, framework_settings().parameters)
    install_calendar(tables, period_end, period_end)
    ctx = Context(tables, definition, run.parameters.values, [period_end])
    try:
        items = spec.items(ctx)
    except NotAvailable as missing:
        return Children(spec, period_end, _empty(spec), missing.reason)
    acted = items.passes.fill_null(False)
    chosen = items.filter(items.period_end == period_end, acted if spec.act_on_passing else ~acted)
    names = [PERSON, TEAM, *(c for c, _ in spec.columns), OVERDUE]
    frame = chosen.select(*names).to_polars()
    team_locality = dict(settings.team_locality()) if settings is not None else {}
    frame = frame.with_columns(
        pl.col(PERSON).cast(pl.String),
        pl.col(TEAM)
        .cast(pl.String)
        .replace_strict(team_locality, default=UNALLOCATED, return_dtype=pl.String)
        .fill_null(UNALLOCATED)
        .alias(LOCALITY),
        pl.col(OVERDUE).cast(pl.Int64),
    )
    if localities is not None:
        frame = frame.filter(pl.col(LOCALITY).is_in(sorted(localities)))
    first = spec.columns[0][0]
    frame = frame.select(PERSON, LOCALITY, TEAM, *(c for c, _ in spec.columns), OVERDUE).sort(
        [OVERDUE, first, PERSON], descending=[True, False, False], nulls_last=True
    )
    return Children(spec, period_end, frame)


def _empty(spec: ChildList) -> pl.DataFrame:
    names = [PERSON, LOCALITY, TEAM, *(c for c, _ in spec.columns)]
    schema: dict[str, pl.DataType] = {n: pl.String() for n in names}
    return pl.DataFrame(schema={**schema, OVERDUE: pl.Int64()})
