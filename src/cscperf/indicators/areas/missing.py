"""Looked-after children missing or away from placement (catalogue ``missing.yaml``).

Owns the ``missing.*`` item tables. An incident counts only when the child was looked after
(short breaks removed) on the day it began; for the rolling twelve-month child measures an
incident already running at the window start counts when the child was looked after then.
Two rows of a child with the same start date are one incident.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.care import episodes
from cscperf.indicators.blocks.care_periods import days_between
from cscperf.indicators.blocks.expressions import (
    counted,
    ends_after,
    first_per_key,
    rated,
    valid_interval,
)
from cscperf.indicators.blocks.windows import in_window
from cscperf.indicators.context import Context
from cscperf.indicators.registry import child_list, indicator

MISSING = "ssd_missing"


def incidents(ctx: Context, types_parameter: str) -> ir.Table:
    """Incidents of the types in ``types_parameter``: person, start, end, rhi (offer code)."""
    raw = ctx.table(MISSING, ["miss_person_id", "miss_missing_episode_start_date"])
    kinds = [str(k).upper() for k in ctx.param(types_parameter)]
    rows = raw.filter(
        raw.miss_person_id.notnull()
        & raw.miss_missing_episode_start_date.notnull()
        & raw.miss_missing_episode_type.cast("string").strip().upper().isin(kinds)
    )
    rows = valid_interval(rows, "miss_missing_episode_start_date", "miss_missing_episode_end_date")
    kept = first_per_key(
        rows, ["miss_person_id", "miss_missing_episode_start_date"], [rows.miss_table_id]
    )
    return kept.select(
        person=kept.miss_person_id,
        start=kept.miss_missing_episode_start_date,
        end=kept.miss_missing_episode_end_date,
        rhi=kept.miss_missing_rhi_offered.cast("string").strip().upper(),
    )


def care_spells(ctx: Context) -> ir.Table:
    """Non-short-break episodes: _e_person, _e_start, _e_end."""
    care = episodes(ctx)
    care = care.filter(~care.is_short_break)
    return care.select(_e_person=care.person_id, _e_start=care.start, _e_end=care.end)


def looked_after_on(ctx: Context, items: ir.Table, date_column: str) -> ir.BooleanValue:
    """Items whose child was LAC_AT the item's date (semi-join on the care episodes)."""
    spells = care_spells(ctx)
    day = items[date_column]
    return items.join(
        spells,
        [
            items.person == spells._e_person,
            spells._e_start <= day,
            ends_after(spells._e_end, day),
        ],
        how="semi",
    )


def incidents_of_looked_after(ctx: Context, types_parameter: str) -> ir.Table:
    return looked_after_on(ctx, incidents(ctx, types_parameter).view(), "start")


def _children_in_year(ctx: Context, types_parameter: str) -> ir.Table:
    spells = care_spells(ctx)
    windows = ctx.periods.select("period_end", _w_start="rolling_12m_start")
    during = spells.join(
        windows,
        [
            spells._e_start <= windows.period_end,
            ends_after(spells._e_end, windows._w_start, inclusive=True),
        ],
    )
    # The child's team is taken on the last day in the window the child was looked after.
    last_day = ibis.least(during.period_end, during._e_end.fill_null(during.period_end))
    during = during.mutate(_ref=last_day)
    children = during.group_by(["_e_person", "period_end", "_w_start"]).aggregate(
        reference=during._ref.max()
    )
    children = children.rename(person="_e_person")

    raw = incidents(ctx, types_parameter).view()
    began_in_care = looked_after_on(ctx, raw, "start")
    began_in_care = began_in_care.select("person", "start", "end")
    # Incidents already running when the window opened count if the child was in care then.
    running = raw.join(
        windows,
        [raw.start < windows._w_start, ends_after(raw.end, windows._w_start, inclusive=True)],
    )
    running = running.mutate(_day=running._w_start)
    running = looked_after_on(ctx, running.view(), "_day").select(
        _h_person="person", _h_end="period_end"
    )
    overlapping = began_in_care.join(
        windows,
        [
            began_in_care.start <= windows.period_end,
            ends_after(began_in_care.end, windows._w_start, inclusive=True),
        ],
    ).select(_h_person="person", _h_end="period_end")
    had = overlapping.union(running).distinct()
    items = children.left_join(
        had, [children.person == had._h_person, children.period_end == had._h_end]
    )
    items = items.mutate(passes=items._h_person.notnull()).drop("_h_person", "_h_end")
    return attribute(ctx, items, "person", "reference")


@indicator("missing.children_missing_rolling_12m_pct")
def children_missing(ctx: Context) -> ir.Table:
    items = _children_in_year(ctx, "missing_types")
    return rated(items, items.passes)


@indicator("missing.children_away_rolling_12m_pct")
def children_away(ctx: Context) -> ir.Table:
    items = _children_in_year(ctx, "away_types")
    return rated(items, items.passes)


@indicator("missing.incidents_count")
def incidents_count(ctx: Context) -> ir.Table:
    started = in_window(ctx, incidents_of_looked_after(ctx, "missing_types"), "start")
    return counted(attribute(ctx, started, "person", "start"))


@child_list(
    "missing.rhi_offered_pct",
    act_on_passing=False,
    columns=(
        ("start", "Went missing"),
        ("end", "Returned"),
        ("rhi", "Return interview offered (as recorded)"),
    ),
    describes="Missing episodes of children in care that ended in the month without a return "
    "interview offered",
    overdue="Days since the child returned",
)
def rhi_offered_items(ctx: Context) -> ir.Table:
    """Ended missing episodes, ``passes`` when a return interview was offered."""
    ended = incidents_of_looked_after(ctx, "missing_types")
    ended = ended.filter(
        ended.end.notnull() & (ended.rhi.isnull() | (ended.rhi != ctx.param("not_applicable")))
    )
    ended = in_window(ctx, ended, "end")
    ended = attribute(ctx, ended, "person", "end")
    return ended.mutate(
        person_id=ended.person,
        passes=ended.rhi.isin(["Y", "YES"]),
        days_overdue=days_between(ended.end, ended.period_end),
    )


@indicator("missing.rhi_offered_pct")
def rhi_offered(ctx: Context) -> ir.Table:
    items = rhi_offered_items(ctx)
    return rated(items, items.passes)
