"""Social work assessments: completed, rate, timeliness (from start and from referral), and
the NFA and step-down-to-early-help outcomes.

One ``ssd_cin_assessments`` row is one assessment, counted by its authorisation date; an
assessment authorised before its start is left out. Each is attributed to
``cina_assessment_team`` or to the allocated worker on the authorisation date.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.expressions import flag_is_yes, json_flag_is_yes, one_if
from cscperf.indicators.blocks.windows import in_window, working_days
from cscperf.indicators.context import Context
from cscperf.indicators.registry import child_list, indicator

ASSESSMENTS = "ssd_cin_assessments"
EPISODES = "ssd_cin_episodes"


def completed(ctx: Context) -> ir.Table:
    """Authorised assessments with ``start``, ``auth``, ``referral_id``, outcome fields, team."""
    raw = ctx.table(ASSESSMENTS, ["cina_assessment_auth_date"])
    raw = raw.filter(raw.cina_assessment_auth_date.notnull())
    raw = raw.filter(
        raw.cina_assessment_start_date.isnull()
        | (raw.cina_assessment_auth_date >= raw.cina_assessment_start_date)
    )
    attributed = attribute(
        ctx, raw, "cina_person_id", "cina_assessment_auth_date", "cina_assessment_team"
    )
    return attributed.select(
        assessment_id=attributed.cina_assessment_id,
        person_id=attributed.cina_person_id,
        referral_id=attributed.cina_referral_id,
        start=attributed.cina_assessment_start_date,
        auth=attributed.cina_assessment_auth_date,
        outcome_nfa=attributed.cina_assessment_outcome_nfa,
        outcome=attributed.cina_assessment_outcome_json,
        team=attributed.team,
    )


def with_episode(ctx: Context, items: ir.Table) -> ir.Table:
    """Adds the parent episode's ``referral_date``, ``close_date`` and ``close_reason``
    (null when the assessment cannot be linked)."""
    episodes = ctx.optional_table(EPISODES, ["cine_referral_id"])
    if episodes is None:
        return items.mutate(
            referral_date=ibis.null("date"),
            close_date=ibis.null("date"),
            close_reason=ibis.null("string"),
        )
    parents = episodes.select(
        _e_id=episodes.cine_referral_id,
        referral_date=episodes.cine_referral_date,
        close_date=episodes.cine_close_date,
        close_reason=episodes.cine_close_reason.strip().upper(),
    ).filter(lambda t: t._e_id.notnull())
    # One row per referral id, so a duplicated episode row cannot double an assessment.
    parents = parents.group_by("_e_id").aggregate(
        referral_date=parents.referral_date.min(),
        close_date=parents.close_date.max(),
        close_reason=parents.close_reason.max(),
    )
    joined = items.left_join(parents, items.referral_id == parents._e_id)
    return joined.drop("_e_id")


def _share(ctx: Context, items: ir.Table, numerator: ir.Value, denominator: ir.Value) -> ir.Table:
    return items.select(
        "period_end",
        "team",
        numerator=one_if(numerator),
        denominator=denominator,
    )


@indicator("assess.completed_count", "assess.rate_per_10k")
def completed_count(ctx: Context) -> ir.Table:
    items = in_window(ctx, completed(ctx), "auth")
    return items.select("period_end", "team", numerator=ibis.literal(1))


@child_list(
    "assess.within_45wd_pct",
    act_on_passing=False,
    columns=(("start", "Assessment started"), ("auth", "Authorised"), ("wd", "Working days")),
    describes="Assessments authorised in the month more than 45 working days after they started",
    overdue="Working days over the timescale",
)
def within_45wd_items(ctx: Context) -> ir.Table:
    """The assessments of the figure, ``passes`` when authorised within the timescale."""
    base = completed(ctx).filter(lambda t: t.start.notnull())
    timed = working_days(ctx, base, "start", "auth", "wd")
    return _timed_items(ctx, in_window(ctx, timed, "auth"))


def _timed_items(ctx: Context, items: ir.Table) -> ir.Table:
    """``passes`` when ``wd`` is within the timescale; ``days_overdue`` the working days
    beyond it."""
    limit = int(ctx.param("timescale_wd"))
    return items.mutate(passes=items.wd <= limit, days_overdue=items.wd - limit)


@indicator("assess.within_45wd_pct")
def within_45wd(ctx: Context) -> ir.Table:
    items = within_45wd_items(ctx)
    return _share(ctx, items, items.passes, ibis.literal(1))


@child_list(
    "assess.within_45wd_of_referral_pct",
    act_on_passing=False,
    columns=(
        ("referral_date", "Referred"),
        ("auth", "Assessment authorised"),
        ("wd", "Working days"),
    ),
    describes="Assessments authorised in the month more than 45 working days after the referral",
    overdue="Working days over the timescale",
)
def within_45wd_of_referral_items(ctx: Context) -> ir.Table:
    """The assessments of the figure, ``passes`` when authorised within the timescale of the
    referral."""
    ctx.table(EPISODES, ["cine_referral_id", "cine_referral_date"])
    linked = with_episode(ctx, completed(ctx)).filter(lambda t: t.referral_date.notnull())
    timed = working_days(ctx, linked, "referral_date", "auth", "wd")
    return _timed_items(ctx, in_window(ctx, timed, "auth"))


@indicator("assess.within_45wd_of_referral_pct")
def within_45wd_of_referral(ctx: Context) -> ir.Table:
    items = within_45wd_of_referral_items(ctx)
    return _share(ctx, items, items.passes, ibis.literal(1))


def nfa_outcome(ctx: Context, items: ir.Table) -> ir.BooleanValue:
    """The assessment's NFA outcome: the NFA field when filled; else the outcome JSON's
    NFA_FLAG with no other flag; else the episode closed with ``nfa_close_reason`` on or after
    the authorisation."""
    field = items.outcome_nfa.strip()
    has_field = field.notnull() & (field != "")
    others = [json_flag_is_yes(items.outcome, key) for key in ctx.param("other_outcome_flags")]
    any_other = ibis.literal(False)
    for flag in others:
        any_other = any_other | flag
    json_nfa = json_flag_is_yes(items.outcome, "NFA_FLAG") & ~any_other
    has_json = items.outcome.re_search(r"NFA_FLAG").fill_null(False)
    closed_nfa = (items.close_reason == str(ctx.param("nfa_close_reason")).upper()) & (
        items.close_date >= items.auth
    )
    return ibis.cases(
        (has_field, flag_is_yes(field)),
        (has_json, json_nfa),
        else_=closed_nfa.fill_null(False),
    )


@indicator("assess.outcome_nfa_pct")
def outcome_nfa(ctx: Context) -> ir.Table:
    base = with_episode(ctx, completed(ctx))
    items = in_window(ctx, base.mutate(nfa=nfa_outcome(ctx, base)), "auth")
    return _share(ctx, items, items.nfa, ibis.literal(1))


@indicator("assess.outcome_step_down_eh_pct")
def outcome_step_down(ctx: Context) -> ir.Table:
    ctx.table(EPISODES, ["cine_referral_id", "cine_close_reason"])
    base = with_episode(ctx, completed(ctx))
    reason = str(ctx.param("step_down_close_reason")).upper()
    stepped = (base.close_reason == reason) & (base.close_date >= base.auth)
    items = in_window(ctx, base.mutate(step_down=stepped), "auth")
    return _share(ctx, items, items.step_down, ibis.literal(1))
