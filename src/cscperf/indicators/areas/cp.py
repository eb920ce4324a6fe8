"""Child protection indicators (catalogue ``cp.yaml``, ids ``cp.*``).

Owns turning initial conferences, continuous CP plans (``care_periods.cp_plan_parts``), CP
reviews and CP visits into the item tables the engine aggregates: one row per counted item
per ``period_end`` with ``team``, ``numerator`` and, for percentages, ``denominator``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.care_periods import (
    add_months,
    continuous_cp_plans,
    cp_plan_parts,
    cp_review_timeliness,
    days_between,
    days_inclusive,
)
from cscperf.indicators.blocks.expressions import first_per_key, flag_is_yes
from cscperf.indicators.blocks.windows import in_window, open_at_period_end, working_days
from cscperf.indicators.context import Context
from cscperf.indicators.registry import child_list, indicator

CP_PLANS = "ssd_cp_plans"
ICPC = "ssd_initial_cp_conference"
S47 = "ssd_s47_enquiry"
CP_REVIEWS = "ssd_cp_reviews"
CP_VISITS = "ssd_cp_visits"

TWO_YEARS_DAYS = 729  # "more than 729 calendar days including the day of cessation" (DfE)


def _one(condition: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.ifelse(condition.fill_null(False), 1, 0)


def _counted(items: ir.Table) -> ir.Table:
    return items.select("period_end", "team", numerator=ibis.literal(1))


def _rated(items: ir.Table, passes: ir.BooleanValue) -> ir.Table:
    return items.select("period_end", "team", numerator=_one(passes), denominator=ibis.literal(1))


# ------------------------------------------------------------------ plans


def plan_parts(ctx: Context) -> ir.Table:
    """This council's CP plan rows with the continuous plan each belongs to."""

    def build() -> ir.Table:
        plans = ctx.table(CP_PLANS, ["cppl_person_id", "cppl_cp_plan_start_date"])
        if "cppl_cp_plan_ola" not in plans.columns:
            plans = plans.mutate(cppl_cp_plan_ola=ibis.null("string"))
        return cp_plan_parts(plans)

    return ctx.shared("child protection plan parts", build)


def _plans(ctx: Context) -> ir.Table:
    ctx.history_from(CP_PLANS, "cppl_cp_plan_start_date")
    return ctx.shared(
        "continuous child protection plans", lambda: continuous_cp_plans(plan_parts(ctx))
    )


def _open_plans_per_child(ctx: Context) -> ir.Table:
    """One row per child and month end with a plan open at E (the longest-running plan when
    a child wrongly has two), with ``team`` found at E."""
    open_at = open_at_period_end(ctx, _plans(ctx), "cpp_start", "cpp_end")
    per_child = first_per_key(open_at, ["person_id", "period_end"], ["cpp_start", "cpp_seq"])
    return attribute(ctx, per_child, "person_id", "period_end")


def _plan_starts(ctx: Context) -> ir.Table:
    starts = in_window(ctx, _plans(ctx), "cpp_start")
    return attribute(ctx, starts, "person_id", "cpp_start")


def _plan_ends(ctx: Context) -> ir.Table:
    plans = _plans(ctx)
    ends = in_window(ctx, plans.filter(plans.cpp_end.notnull()), "cpp_end")
    return attribute(ctx, ends, "person_id", "cpp_end")


@indicator("cp.count", "cp.rate_per_10k")
def cp_children_on_a_plan(ctx: Context) -> ir.Table:
    return _counted(_open_plans_per_child(ctx))


@indicator("cp.starts_count", "cp.starts_rate_per_10k")
def cp_starts(ctx: Context) -> ir.Table:
    return _counted(_plan_starts(ctx))


@indicator("cp.ends_count", "cp.ends_rate_per_10k")
def cp_ends(ctx: Context) -> ir.Table:
    return _counted(_plan_ends(ctx))


def _starts_after_an_earlier_plan(ctx: Context) -> ir.Table:
    """Plan starts in the window with ``repeat``: the child had a plan starting earlier."""
    plans = _plans(ctx)
    first = plans.group_by("person_id").aggregate(_first_start=plans.cpp_start.min())
    flagged = plans.join(first, "person_id")
    flagged = flagged.mutate(repeat=flagged._first_start < flagged.cpp_start).drop("_first_start")
    starts = in_window(ctx, flagged, "cpp_start")
    return attribute(ctx, starts, "person_id", "cpp_start")


@indicator("cp.second_or_subsequent_ever_pct", "cp.second_or_subsequent_ever_rolling_12m_pct")
def cp_second_or_subsequent_ever(ctx: Context) -> ir.Table:
    starts = _starts_after_an_earlier_plan(ctx)
    return _rated(starts, starts.repeat)


def _starts_within_2y_of_an_end(ctx: Context) -> ir.Table:
    """Plan starts in the window with ``repeat``: an earlier plan of the child ended on e
    with ADD_MONTHS(s, -24) <= e < s."""
    plans = _plans(ctx)
    earlier = plans.filter(plans.cpp_end.notnull()).select(
        _p_person=plans.person_id, _p_end=plans.cpp_end
    )
    hits = (
        plans.join(
            earlier,
            [
                plans.person_id == earlier._p_person,
                earlier._p_end < plans.cpp_start,
                earlier._p_end >= add_months(plans.cpp_start, -24),
            ],
        )
        .select(_h_person=plans.person_id, _h_seq=plans.cpp_seq)
        .distinct()
    )
    flagged = plans.left_join(
        hits, [plans.person_id == hits._h_person, plans.cpp_seq == hits._h_seq]
    )
    flagged = flagged.mutate(repeat=flagged._h_person.notnull()).drop("_h_person", "_h_seq")
    starts = in_window(ctx, flagged, "cpp_start")
    return attribute(ctx, starts, "person_id", "cpp_start")


@indicator("cp.second_or_subsequent_2y_pct", "cp.second_or_subsequent_2y_rolling_12m_pct")
def cp_second_or_subsequent_2y(ctx: Context) -> ir.Table:
    starts = _starts_within_2y_of_an_end(ctx)
    return _rated(starts, starts.repeat)


@child_list(
    "cp.open_over_18m_count",
    act_on_passing=True,
    columns=(("cpp_start", "Plan started"), ("months_18", "18 months on")),
    describes="Children whose child protection plan has been open more than 18 months",
    overdue="Days past 18 months",
)
def cp_open_over_18m_items(ctx: Context) -> ir.Table:
    """Children with a plan open at the month end, ``passes`` when it started more than 18
    months before (the month end after ADD_MONTHS(start, 18))."""
    open_now = _open_plans_per_child(ctx)
    months_18 = add_months(open_now.cpp_start, 18)
    return open_now.mutate(
        months_18=months_18,
        passes=open_now.period_end > months_18,
        days_overdue=days_between(months_18, open_now.period_end),
    )


@indicator("cp.open_over_18m_count")
def cp_open_over_18m_count(ctx: Context) -> ir.Table:
    items = cp_open_over_18m_items(ctx)
    return _counted(items.filter(items.passes))


@child_list(
    "cp.open_2y_plus_pct",
    act_on_passing=True,
    columns=(("cpp_start", "Plan started"),),
    describes="Children whose child protection plan has been open two years or more",
    overdue="Days over two years",
)
def cp_open_2y_plus_items(ctx: Context) -> ir.Table:
    """Children with a plan open at the month end, ``passes`` when open over two years."""
    open_now = _open_plans_per_child(ctx)
    lasted = days_inclusive(open_now.cpp_start, open_now.period_end)
    return open_now.mutate(passes=lasted > TWO_YEARS_DAYS, days_overdue=lasted - TWO_YEARS_DAYS)


@indicator("cp.open_2y_plus_pct")
def cp_open_2y_plus_pct(ctx: Context) -> ir.Table:
    items = cp_open_2y_plus_items(ctx)
    return _rated(items, items.passes)


@indicator("cp.ended_lasting_2y_plus_pct")
def cp_ended_lasting_2y_plus_pct(ctx: Context) -> ir.Table:
    ends = _plan_ends(ctx)
    return _rated(ends, days_inclusive(ends.cpp_start, ends.cpp_end) > TWO_YEARS_DAYS)


# ------------------------------------------------------------------ reviews and visits


def _review_rows(ctx: Context) -> ir.Table:
    reviews = ctx.table(CP_REVIEWS, ["cppr_cp_review_date"])
    return cp_review_timeliness(plan_parts(ctx), reviews)


@child_list(
    "cp.reviews_in_timescale_pct",
    act_on_passing=False,
    columns=(
        ("cpp_start", "Plan started"),
        ("due_date", "Review was due"),
        ("review_date", "Review held"),
    ),
    describes="Child protection review conferences held in the month after they were due",
)
def cp_reviews_items(ctx: Context) -> ir.Table:
    """Review conferences held in the month, ``passes`` when held by the due date."""
    held = in_window(ctx, _review_rows(ctx), "review_date")
    held = attribute(ctx, held, "person_id", "review_date")
    return held.mutate(
        passes=held.in_timescale, days_overdue=days_between(held.due_date, held.review_date)
    )


@indicator("cp.reviews_in_timescale_pct")
def cp_reviews_in_timescale_pct(ctx: Context) -> ir.Table:
    items = cp_reviews_items(ctx)
    return _rated(items, items.passes)


@child_list(
    "cp.plans_reviewed_in_timescale_pct",
    act_on_passing=False,
    columns=(
        ("cpp_start", "Plan started"),
        ("last_review", "Last review"),
        ("next_due", "Next review due"),
        ("late_reviews", "Reviews held late"),
    ),
    describes="Children on a plan for three months or more with a review held late or overdue",
    overdue="Days the next review is overdue",
)
def cp_plans_reviewed_items(ctx: Context) -> ir.Table:
    """Children on a plan for three months or more, ``passes`` when every review was in
    timescale and the next is not yet overdue."""
    reviews = _review_rows(ctx).select(
        _r_person="person_id",
        _r_seq="cpp_seq",
        _r_date="review_date",
        _r_late=~ibis._.in_timescale,
    )
    open_now = _open_plans_per_child(ctx)
    cohort = open_now.filter(add_months(open_now.cpp_start, 3) <= open_now.period_end)
    held = cohort.left_join(
        reviews,
        [
            cohort.person_id == reviews._r_person,
            cohort.cpp_seq == reviews._r_seq,
            reviews._r_date <= cohort.period_end,
        ],
    )
    per_child = held.group_by(["person_id", "period_end", "team", "cpp_start"]).aggregate(
        late_reviews=_one(held._r_late).sum(),
        last_review=held._r_date.max(),
    )
    next_due = ibis.ifelse(
        per_child.last_review.isnull(),
        add_months(per_child.cpp_start, 3),
        add_months(per_child.last_review, 6),
    )
    per_child = per_child.mutate(next_due=next_due)
    overdue = days_between(per_child.next_due, per_child.period_end)
    return per_child.mutate(
        passes=(per_child.late_reviews == 0) & (per_child.next_due > per_child.period_end),
        days_overdue=ibis.ifelse(overdue >= 0, overdue, ibis.null("int64")),
    )


@indicator("cp.plans_reviewed_in_timescale_pct")
def cp_plans_reviewed_in_timescale_pct(ctx: Context) -> ir.Table:
    items = cp_plans_reviewed_items(ctx)
    return _rated(items, items.passes)


@child_list(
    "cp.visits_in_timescale_pct",
    act_on_passing=False,
    columns=(("cpp_start", "Plan started"), ("last_seen", "Last seen on a visit")),
    describes="Children on a plan not seen on a visit within the timescale",
    overdue="Working days over the visit timescale",
)
def cp_visits_items(ctx: Context) -> ir.Table:
    """Children on a plan long enough to need a visit, ``passes`` when seen in time."""
    interval = int(ctx.param("cp_visit_interval_wd"))
    visits = ctx.table(CP_VISITS, ["cppv_person_id", "cppv_cp_visit_date"])
    seen = visits.filter(flag_is_yes(visits.cppv_cp_visit_seen).fill_null(False)).select(
        _v_person=visits.cppv_person_id, _v_date=visits.cppv_cp_visit_date
    )
    open_now = working_days(ctx, _open_plans_per_child(ctx), "cpp_start", "period_end", "_since")
    due = open_now.filter(open_now._since > interval)
    with_visits = due.left_join(
        seen,
        [
            due.person_id == seen._v_person,
            seen._v_date >= due.cpp_start,
            seen._v_date <= due.period_end,
        ],
    )
    latest = with_visits.group_by(["person_id", "period_end", "team", "cpp_start"]).aggregate(
        last_seen=with_visits._v_date.max()
    )
    latest = working_days(ctx, latest, "last_seen", "period_end", "_gap")
    latest = working_days(ctx, latest, "cpp_start", "period_end", "_since")
    unseen_for = ibis.ifelse(latest.last_seen.notnull(), latest._gap, latest._since)
    return latest.mutate(
        passes=latest.last_seen.notnull() & (latest._gap <= interval),
        days_overdue=unseen_for - interval,
    )


@indicator("cp.visits_in_timescale_pct")
def cp_visits_in_timescale_pct(ctx: Context) -> ir.Table:
    items = cp_visits_items(ctx)
    return _rated(items, items.passes)


# ------------------------------------------------------------------ initial conferences


def _conferences(ctx: Context) -> ir.Table:
    """Initial conferences, one per child and date (lowest conference id kept)."""
    icpc = ctx.table(ICPC, ["icpc_person_id", "icpc_icpc_date"])
    icpc = icpc.filter(icpc.icpc_icpc_date.notnull())
    return first_per_key(icpc, ["icpc_person_id", "icpc_icpc_date"], ["icpc_icpc_id"])


def _conference_items(ctx: Context) -> ir.Table:
    held = in_window(ctx, _conferences(ctx), "icpc_icpc_date")
    return attribute(ctx, held, "icpc_person_id", "icpc_icpc_date", "icpc_icpc_team")


@indicator("cp.icpc_count", "cp.icpc_rolling_12m_count", "cp.icpc_rate_per_10k")
def cp_initial_conferences(ctx: Context) -> ir.Table:
    return _counted(_conference_items(ctx))


def conferences_with_enquiry(conferences: ir.Table, enquiries: ir.Table) -> ir.Table:
    """Each conference with the start of the section 47 enquiry it follows (``s47_start``).

    Linked by ``icpc_s47_enquiry_id``; a conference without a link takes the child's latest
    enquiry started on or before the conference that no conference is linked to. Conferences
    with no enquiry found are dropped.
    """
    s47 = enquiries.select(
        _s_id=enquiries.s47e_s47_enquiry_id,
        _s_person=enquiries.s47e_person_id,
        _s_start=enquiries.s47e_s47_start_date,
    ).filter(lambda t: t._s_start.notnull())
    link = conferences.icpc_s47_enquiry_id
    linked = conferences.filter(link.notnull() & (link.strip() != ""))
    linked = linked.join(s47, linked.icpc_s47_enquiry_id == s47._s_id)
    linked = linked.mutate(s47_start=linked._s_start).drop("_s_id", "_s_person", "_s_start")
    taken = conferences.filter(link.notnull()).select(_t_id=conferences.icpc_s47_enquiry_id)
    free = s47.left_join(taken, s47._s_id == taken._t_id)
    free = free.filter(free._t_id.isnull()).drop("_t_id")
    unlinked = conferences.filter(link.isnull() | (link.strip() == ""))
    guessed = unlinked.join(
        free,
        [
            unlinked.icpc_person_id == free._s_person,
            free._s_start <= unlinked.icpc_icpc_date,
        ],
    )
    guessed = first_per_key(
        guessed, ["icpc_icpc_id"], [guessed._s_start.desc(), guessed._s_id.desc()]
    )
    guessed = guessed.mutate(s47_start=guessed._s_start).drop("_s_id", "_s_person", "_s_start")
    return linked.union(guessed.select(*linked.columns))


ICPC_TIMESCALE_WD = 15


@child_list(
    "cp.icpc_within_15wd_pct",
    act_on_passing=False,
    columns=(
        ("s47_start", "Section 47 enquiry started"),
        ("icpc_icpc_date", "Initial conference held"),
        ("_wd", "Working days"),
    ),
    describes="Initial child protection conferences held in the month more than 15 working "
    "days after the section 47 enquiry started",
    overdue="Working days over the timescale",
)
def cp_icpc_items(ctx: Context) -> ir.Table:
    """Initial conferences held in the month (not transfers in), ``passes`` when within 15
    working days of the enquiry's start."""
    conferences = _conferences(ctx)
    transfer_in = flag_is_yes(conferences.icpc_icpc_transfer_in.cast("string")).fill_null(False)
    conferences = conferences.filter(~transfer_in)
    enquiries = ctx.table(S47, ["s47e_s47_start_date"])
    followed = conferences_with_enquiry(conferences, enquiries)
    followed = working_days(ctx, followed, "s47_start", "icpc_icpc_date", "_wd")
    held = in_window(ctx, followed, "icpc_icpc_date")
    held = attribute(ctx, held, "icpc_person_id", "icpc_icpc_date", "icpc_icpc_team")
    return held.mutate(
        person_id=held.icpc_person_id,
        passes=held._wd <= ICPC_TIMESCALE_WD,
        days_overdue=held._wd - ICPC_TIMESCALE_WD,
    )


@indicator("cp.icpc_within_15wd_pct")
def cp_icpc_within_15wd_pct(ctx: Context) -> ir.Table:
    items = cp_icpc_items(ctx)
    return _rated(items, items.passes)
