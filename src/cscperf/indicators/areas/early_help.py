"""Early help: episodes started, repeat episodes within 12 months, step-downs from social care.

One ``ssd_early_help_episodes`` row is one episode; same-day duplicates for a person are one
episode (lowest episode id kept); episodes ending before they start are left out. Early help
episodes carry no team, so each is attributed through the allocated worker on its start date.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.expressions import first_per_key, one_if, valid_interval
from cscperf.indicators.blocks.windows import in_window
from cscperf.indicators.context import Context
from cscperf.indicators.registry import indicator

EPISODES = "ssd_early_help_episodes"
CIN_EPISODES = "ssd_cin_episodes"


def episodes_started(ctx: Context) -> ir.Table:
    """Distinct episodes (person, start) with their team."""
    raw = ctx.table(EPISODES, ["earl_person_id", "earl_episode_start_date"])
    raw = raw.filter(raw.earl_person_id.notnull() & raw.earl_episode_start_date.notnull())
    raw = valid_interval(raw, "earl_episode_start_date", "earl_episode_end_date")
    kept = first_per_key(raw, ["earl_person_id", "earl_episode_start_date"], [raw.earl_episode_id])
    attributed = attribute(ctx, kept, "earl_person_id", "earl_episode_start_date")
    return attributed.select(
        person=attributed.earl_person_id, start=attributed.earl_episode_start_date, team="team"
    )


def _with_match(episodes: ir.Table, found: ir.Table, name: str) -> ir.Table:
    """Adds boolean ``name``: the (person, start) appears in ``found`` (_f_person, _f_start)."""
    found = found.distinct()
    joined = episodes.left_join(
        found, [episodes.person == found._f_person, episodes.start == found._f_start]
    )
    return joined.mutate(**{name: joined._f_person.notnull()}).drop("_f_person", "_f_start")


def _percent_items(ctx: Context, episodes: ir.Table, flag: str) -> ir.Table:
    items = in_window(ctx, episodes, "start")
    return items.select(
        "period_end", "team", numerator=one_if(items[flag]), denominator=ibis.literal(1)
    )


@indicator("eh.episodes_started_count")
def started(ctx: Context) -> ir.Table:
    items = in_window(ctx, episodes_started(ctx), "start")
    return items.select("period_end", "team", numerator=ibis.literal(1))


@indicator("eh.rereferral_12m_pct")
def rereferral(ctx: Context) -> ir.Table:
    ctx.history_from(EPISODES, "earl_episode_start_date")
    episodes = episodes_started(ctx)
    earlier = episodes.select(_p_person=episodes.person, _p_start=episodes.start)
    pairs = episodes.join(
        earlier,
        [
            episodes.person == earlier._p_person,
            earlier._p_start < episodes.start,
            earlier._p_start >= (episodes.start - ibis.interval(months=12)).cast("date"),
        ],
    )
    found = pairs.select(_f_person=pairs.person, _f_start=pairs.start)
    return _percent_items(ctx, _with_match(episodes, found, "repeat"), "repeat")


@indicator("eh.step_down_from_social_care_pct")
def step_down(ctx: Context) -> ir.Table:
    episodes = episodes_started(ctx)
    window = int(ctx.param("step_down_window_days"))
    cin = ctx.optional_table(CIN_EPISODES, ["cine_person_id", "cine_close_date"])
    if cin is None:
        if CIN_EPISODES in ctx.build.not_supplied:
            ctx.table(CIN_EPISODES)  # raises NotAvailable with the manifest's reason
        return _percent_items(ctx, episodes.mutate(step_down=ibis.literal(False)), "step_down")
    closed = cin.filter(cin.cine_close_date.notnull()).select(
        _c_person=cin.cine_person_id, _c_date=cin.cine_close_date
    )
    pairs = episodes.join(
        closed,
        [
            episodes.person == closed._c_person,
            closed._c_date <= episodes.start,
            closed._c_date >= (episodes.start - ibis.interval(days=window)).cast("date"),
        ],
    )
    found = pairs.select(_f_person=pairs.person, _f_start=pairs.start)
    return _percent_items(ctx, _with_match(episodes, found, "step_down"), "step_down")
