"""Looked-after children indicators (catalogue ``lac.yaml``, ids ``lac.*``).

Owns the ``lac.*`` item tables. The building blocks they share with other areas (episodes,
periods of care, children looked after at each month end, reviews) are in
:mod:`cscperf.indicators.blocks.care`.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.care import (
    EPISODES,
    current_placements,
    looked_after_at_month_end,
    periods,
    reviews_with_due_dates,
)
from cscperf.indicators.blocks.care_periods import (
    add_months,
    care_codes,
    ceased_periods,
    days_between,
)
from cscperf.indicators.blocks.expressions import (
    counted,
    ends_after,
    first_per_key,
    flag_is_yes,
    rated,
    started_by,
)
from cscperf.indicators.blocks.windows import in_window
from cscperf.indicators.context import Context
from cscperf.indicators.registry import child_list, indicator

IMMIGRATION = "ssd_immigration_status"
CARE_PLANS = "ssd_cla_care_plan"
VISITS = "ssd_cla_visits"


# ------------------------------------------------------------------ building blocks


# ------------------------------------------------------------------ counts at month end


@indicator("lac.count", "lac.rate_per_10k")
def lac_children_looked_after(ctx: Context) -> ir.Table:
    return counted(looked_after_at_month_end(ctx))


def _is_uasc(status: ir.StringValue) -> ir.BooleanValue:
    text = status.strip().upper()
    return text.contains("UNACCOMPANIED") | (text == "UASC")


@indicator("lac.uasc_count")
def lac_uasc_count(ctx: Context) -> ir.Table:
    immi = ctx.table(IMMIGRATION, ["immi_person_id", "immi_immigration_status"])
    uasc = immi.filter(_is_uasc(immi.immi_immigration_status)).select(
        _u_person=immi.immi_person_id,
        _u_start=immi.immi_immigration_status_start_date,
        _u_end=immi.immi_immigration_status_end_date,
    )
    children = looked_after_at_month_end(ctx)
    hits = children.join(
        uasc,
        [
            children.person_id == uasc._u_person,
            started_by(uasc._u_start, children.period_end),
            ends_after(uasc._u_end, children.period_end),
        ],
    )
    return counted(hits.select("person_id", "period_end", "team").distinct())


# ------------------------------------------------------------------ starts and endings


def _starts(ctx: Context) -> ir.Table:
    started = in_window(ctx, periods(ctx), "poc_start")
    return attribute(ctx, started, "person_id", "poc_start")


def _endings(ctx: Context) -> ir.Table:
    ended = in_window(ctx, ceased_periods(periods(ctx)), "poc_end")
    return attribute(ctx, ended, "person_id", "poc_end")


@indicator("lac.starts_count")
def lac_starts_count(ctx: Context) -> ir.Table:
    return counted(_starts(ctx))


@indicator("lac.starts_rate_per_10k")
def lac_starts_rate_per_10k(ctx: Context) -> ir.Table:
    first = first_per_key(_starts(ctx), ["person_id", "period_end"], ["poc_start", "poc_seq"])
    return counted(first)


@indicator("lac.ceased_count")
def lac_ceased_count(ctx: Context) -> ir.Table:
    return counted(_endings(ctx))


def _last_endings(ctx: Context) -> ir.Table:
    """Each child once per window: the last POC that ended in it."""
    ends = _endings(ctx)
    return first_per_key(
        ends, ["person_id", "period_end"], [ends.poc_end.desc(), ends.poc_seq.desc()]
    )


@indicator("lac.ceased_rate_per_10k")
def lac_ceased_rate_per_10k(ctx: Context) -> ir.Table:
    return counted(_last_endings(ctx))


def _permanence_reasons() -> list[str]:
    codes = care_codes()
    return [
        *codes.adopted_reasons,
        *codes.child_arrangements_reasons,
        *codes.special_guardianship_reasons,
    ]


@indicator("lac.ceased_permanence_pct")
def lac_ceased_permanence_pct(ctx: Context) -> ir.Table:
    ends = _endings(ctx)
    return rated(ends, ends.ceased_reason.isin(_permanence_reasons()))


@indicator("lac.ceased_adopted_pct")
def lac_ceased_adopted_pct(ctx: Context) -> ir.Table:
    ends = _endings(ctx)
    return rated(ends, ends.ceased_reason.isin(care_codes().adopted_reasons))


@indicator("lac.ceased_adopted_rolling_12m_pct")
def lac_ceased_adopted_rolling_12m_pct(ctx: Context) -> ir.Table:
    ends = _last_endings(ctx)
    return rated(ends, ends.ceased_reason.isin(care_codes().adopted_reasons))


@indicator("lac.ceased_sgo_rolling_12m_pct")
def lac_ceased_sgo_rolling_12m_pct(ctx: Context) -> ir.Table:
    ends = _last_endings(ctx)
    return rated(ends, ends.ceased_reason.isin(care_codes().special_guardianship_reasons))


@indicator("lac.second_or_subsequent_start_pct")
def lac_second_or_subsequent_start_pct(ctx: Context) -> ir.Table:
    ctx.history_from(EPISODES, "clae_cla_episode_start_date")
    pocs = periods(ctx)
    first = pocs.group_by("person_id").aggregate(_first_start=pocs.poc_start.min())
    flagged = pocs.join(first, "person_id")
    flagged = flagged.mutate(returning=flagged._first_start < flagged.poc_start)
    started = in_window(ctx, flagged.drop("_first_start"), "poc_start")
    started = attribute(ctx, started, "person_id", "poc_start")
    return rated(started, started.returning)


# ------------------------------------------------------------------ reviews, plans, visits


@child_list(
    "lac.reviews_in_timescale_pct",
    act_on_passing=False,
    columns=(
        ("poc_start", "In care since"),
        ("due_date", "Review was due"),
        ("review_date", "Review held"),
    ),
    describes="Looked-after reviews held in the month after they were due",
)
def lac_reviews_items(ctx: Context) -> ir.Table:
    """Reviews held in the month, ``passes`` when held by the due date."""
    held = in_window(ctx, reviews_with_due_dates(ctx), "review_date")
    held = attribute(ctx, held, "person_id", "review_date")
    due = held.due_date.cast("date")
    return held.mutate(
        due_date=due, passes=held.in_timescale, days_overdue=days_between(due, held.review_date)
    )


@indicator("lac.reviews_in_timescale_pct")
def lac_reviews_in_timescale_pct(ctx: Context) -> ir.Table:
    items = lac_reviews_items(ctx)
    return rated(items, items.passes)


@child_list(
    "lac.care_plan_up_to_date_pct",
    act_on_passing=False,
    columns=(("poc_start", "In care since"), ("plan_start", "Latest care plan started")),
    describes="Looked-after children without a care plan started in the last six months",
    overdue="Days older than six months",
)
def lac_care_plan_items(ctx: Context) -> ir.Table:
    """Children looked after at the month end, ``passes`` when their open care plan started
    on or after ADD_MONTHS(E, -6)."""
    plans = ctx.table(CARE_PLANS, ["lacp_person_id", "lacp_cla_care_plan_start_date"])
    plans = plans.select(
        _c_person=plans.lacp_person_id,
        _c_start=plans.lacp_cla_care_plan_start_date,
        _c_end=plans.lacp_cla_care_plan_end_date,
    )
    children = looked_after_at_month_end(ctx)
    joined = children.left_join(
        plans,
        [
            children.person_id == plans._c_person,
            plans._c_start <= children.period_end,
            ends_after(plans._c_end, children.period_end),
        ],
    )
    latest = joined.group_by(["person_id", "period_end", "team", "poc_start"]).aggregate(
        plan_start=joined._c_start.max()
    )
    oldest = add_months(latest.period_end, -6)
    return latest.mutate(
        passes=latest.plan_start >= oldest,
        days_overdue=days_between(latest.plan_start, oldest),
    )


@indicator("lac.care_plan_up_to_date_pct")
def lac_care_plan_up_to_date_pct(ctx: Context) -> ir.Table:
    items = lac_care_plan_items(ctx)
    return rated(items, items.passes.fill_null(False))


@child_list(
    "lac.visits_in_timescale_pct",
    act_on_passing=False,
    columns=(
        ("chain_start", "Placement started"),
        ("last_seen", "Last seen on a visit"),
    ),
    describes="Looked-after children not seen on a visit within the timescale",
)
def lac_visits_items(ctx: Context) -> ir.Table:
    """Children in a placement long enough to need a visit, ``passes`` when seen within the
    interval (or, in a long-term foster placement of a year or more, within its months)."""

    interval_days = int(ctx.param("interval_days"))
    long_term_months = int(ctx.param("long_term_interval_months"))
    first_visit_days = int(ctx.param("first_visit_days"))
    visits = ctx.table(VISITS, ["clav_person_id", "clav_cla_visit_date"])
    seen = visits.filter(flag_is_yes(visits.clav_cla_visit_seen).fill_null(False)).select(
        _v_person=visits.clav_person_id, _v_date=visits.clav_cla_visit_date
    )
    children = current_placements(ctx)
    due = children.filter(
        children.chain_start.notnull()
        & (days_between(children.chain_start, children.period_end) > first_visit_days)
    )
    joined = due.left_join(
        seen,
        [
            due.person_id == seen._v_person,
            seen._v_date >= due.chain_start,
            seen._v_date <= due.period_end,
        ],
    )
    latest = joined.group_by(["person_id", "period_end", "team", "chain_start", "type"]).aggregate(
        last_seen=joined._v_date.max()
    )
    long_term = latest.type.isin(care_codes().long_term_foster_placement_types) & (
        latest.chain_start <= add_months(latest.period_end, -12)
    )
    in_time = days_between(latest.last_seen, latest.period_end) <= interval_days
    long_term_in_time = long_term & (
        latest.last_seen >= add_months(latest.period_end, -long_term_months)
    )
    # The earliest a visit could have been for the child to count as seen in time; how many
    # days before it the last visit (or, never seen, the placement's start) was is how late.
    seen_since = (latest.period_end - ibis.interval(days=interval_days)).cast("date")
    seen_since = ibis.ifelse(
        long_term,
        ibis.least(seen_since, add_months(latest.period_end, -long_term_months)),
        seen_since,
    )
    late = ibis.ifelse(
        latest.last_seen.notnull(),
        days_between(latest.last_seen, seen_since),
        days_between(latest.chain_start, latest.period_end) - first_visit_days,
    )
    return latest.mutate(
        passes=latest.last_seen.notnull() & (in_time | long_term_in_time),
        days_overdue=late,
    )


@indicator("lac.visits_in_timescale_pct")
def lac_visits_in_timescale_pct(ctx: Context) -> ir.Table:
    items = lac_visits_items(ctx)
    return rated(items, items.passes)
