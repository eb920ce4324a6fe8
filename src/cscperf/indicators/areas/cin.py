"""Children in need at month end: all, section 17 only, rate, and section 17 children due a
plan who have one.

A child is in need at E when a CIN episode is open at E (referral on or before E, no close
or a close after E); NFA referrals are left out. A child with several open episodes counts
once, attributed to the team of the most recent referral (or the allocated worker at E).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.care_periods import care_episodes, cp_plan_parts
from cscperf.indicators.blocks.expressions import flag_is_yes, one_if
from cscperf.indicators.blocks.windows import open_at_period_end, working_days
from cscperf.indicators.context import Context
from cscperf.indicators.registry import child_list, indicator

EPISODES = "ssd_cin_episodes"
CP_PLANS = "ssd_cp_plans"
CLA_EPISODES = "ssd_cla_episodes"
LEGAL_STATUS = "ssd_legal_status"
CIN_PLANS = "ssd_cin_plans"


def children_in_need(ctx: Context) -> ir.Table:
    """One row per child and month end: ``person``, ``period_end``, ``team``,
    ``first_referral`` (earliest open referral date)."""
    return ctx.shared("children in need at month end", lambda: _children_in_need(ctx), monthly=True)


def _children_in_need(ctx: Context) -> ir.Table:
    raw = ctx.table(EPISODES, ["cine_person_id", "cine_referral_date"])
    nfa = flag_is_yes(raw.cine_referral_nfa.cast("string")).fill_null(False)
    raw = raw.filter(raw.cine_person_id.notnull() & raw.cine_referral_date.notnull() & ~nfa)
    raw = raw.filter(raw.cine_close_date.isnull() | (raw.cine_close_date >= raw.cine_referral_date))
    open_at = open_at_period_end(ctx, raw, "cine_referral_date", "cine_close_date")
    ranked = open_at.mutate(
        _rank=ibis.row_number().over(
            group_by=[open_at.cine_person_id, open_at.period_end],
            order_by=[open_at.cine_referral_date.desc(), open_at.cine_referral_id.desc()],
        ),
        first_referral=open_at.cine_referral_date.min().over(
            group_by=[open_at.cine_person_id, open_at.period_end]
        ),
    )
    latest = ranked.filter(ranked._rank == 0)
    attributed = attribute(ctx, latest, "cine_person_id", "period_end", "cine_referral_team")
    return attributed.select(
        person=attributed.cine_person_id,
        period_end=attributed.period_end,
        team=attributed.team,
        first_referral=attributed.first_referral,
    )


def _people_open(ctx: Context, table: ir.Table, person: str, start: str, end: str) -> ir.Table:
    open_at = open_at_period_end(ctx, table, start, end)
    return open_at.select(_o_person=open_at[person], _o_end=open_at.period_end).distinct()


def _optional(ctx: Context, name: str) -> ir.Table | None:
    """A table a measure can do without when the build supplied it empty, but not when the
    source could not supply it at all (then the answer is unknown: NotAvailable)."""
    if name in ctx.build.not_supplied:
        ctx.table(name)  # raises NotAvailable with the manifest's reason
    return ctx.optional_table(name)


def section_17(ctx: Context) -> ir.Table:
    """Children in need at E who are not on a CP plan of this council and not looked after."""
    return ctx.shared("section 17 children at month end", lambda: _section_17(ctx), monthly=True)


def _section_17(ctx: Context) -> ir.Table:
    cin = children_in_need(ctx)
    excluded: list[ir.Table] = []
    cp = _optional(ctx, CP_PLANS)
    if cp is not None:
        parts = cp_plan_parts(cp)
        excluded.append(_people_open(ctx, parts, "person_id", "start", "end"))
    cla = _optional(ctx, CLA_EPISODES)
    if cla is not None:
        episodes = care_episodes(cla, ctx.optional_table(LEGAL_STATUS))
        looked_after = episodes.filter(~episodes.is_short_break)
        excluded.append(_people_open(ctx, looked_after, "person_id", "start", "end"))
    for other in excluded:
        cin = cin.anti_join(other, [cin.person == other._o_person, cin.period_end == other._o_end])
    return cin


@indicator("cin.count", "cin.rate_per_10k")
def count(ctx: Context) -> ir.Table:
    return children_in_need(ctx).select("period_end", "team", numerator=ibis.literal(1))


@indicator("cin.s17_count")
def s17_count(ctx: Context) -> ir.Table:
    return section_17(ctx).select("period_end", "team", numerator=ibis.literal(1))


@child_list(
    "cin.plan_up_to_date_pct",
    act_on_passing=False,
    columns=(("first_referral", "Referred"), ("wd_open", "Working days open")),
    describes="Children in need (section 17) due a plan who have no current child in need plan",
    overdue="Working days since the plan was due",
)
def plan_items(ctx: Context) -> ir.Table:
    """Section 17 children open long enough to need a plan, ``passes`` with an open plan."""
    plans = ctx.table(CIN_PLANS, ["cinp_person_id", "cinp_cin_plan_start_date"])
    due_after = int(ctx.param("cin_plan_due_wd"))
    s17 = working_days(ctx, section_17(ctx), "first_referral", "period_end", "wd_open")
    due = s17.filter(s17.wd_open >= due_after)
    with_plan = _people_open(
        ctx, plans, "cinp_person_id", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date"
    )
    joined = due.left_join(
        with_plan, [due.person == with_plan._o_person, due.period_end == with_plan._o_end]
    )
    return joined.mutate(
        person_id=joined.person,
        passes=joined._o_person.notnull(),
        days_overdue=joined.wd_open - due_after,
    )


@indicator("cin.plan_up_to_date_pct")
def plan_up_to_date(ctx: Context) -> ir.Table:
    items = plan_items(ctx)
    return items.select(
        "period_end", "team", numerator=one_if(items.passes), denominator=ibis.literal(1)
    )
