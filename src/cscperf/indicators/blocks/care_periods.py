"""Shared rules for looked-after care, child protection plans, placements and carer spells.

Owns the spec's shared terms (README section 6) as Ibis expressions over the canonical SSD
tables, so that every area module counts the same way on DuckDB and on PostgreSQL:

* short breaks (SB): episodes whose legal status open at the episode start is V3 or V4;
* periods of care (POC): runs of non-short-break episodes, each starting on the day the
  previous one ceased, with the reason ceased of the last episode and whether the POC began
  straight after a short break;
* continuous child protection plans (CPP): plans of this LA, merged where one starts on the
  day another ends;
* review timeliness: the chained due dates of CP and looked-after reviews;
* placements: which placement rows count as placements (temporary T0-T4 placements do not;
  a return to the same carer after a temporary placement and a move to A3/A5 from fostering
  continue the placement) and carer spells (placements with the same carers).

Every function takes and returns Ibis tables; output columns have short, plain names
(``person_id``, ``start``, ``end`` ...). Records whose end is before their start are left out
(the data-quality report lists them).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import ibis
import yaml
from pydantic import BaseModel, ConfigDict

from cscperf.indicators.blocks.expressions import ends_after
from cscperf.paths import package_data

if TYPE_CHECKING:
    import ibis.expr.types as ir


class CareCodes(BaseModel):
    """The code lists of ``care_codes.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    short_break_legal_statuses: list[str]
    temporary_placement_types: list[str]
    foster_placement_types: list[str]
    long_term_foster_placement_types: list[str]
    placement_order_legal_statuses: list[str]
    adoption_placement_types: list[str]
    adoption_with_current_carer_types: list[str]
    residential_placement_types: list[str]
    new_carer_start_reasons: list[str]
    same_carer_start_reasons: list[str]
    care_continues_reason: str
    adopted_reasons: list[str]
    special_guardianship_reasons: list[str]
    child_arrangements_reasons: list[str]
    own_provision_provider: str
    unknown_distance: float


@cache
def care_codes() -> CareCodes:
    """The packaged code lists (read once)."""
    path = package_data("indicators", "care_codes.yaml")
    return CareCodes.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


# ------------------------------------------------------------------ date arithmetic


def add_months(d: ir.DateValue, n: int) -> ir.DateValue:
    """ADD_MONTHS(d, n): both DuckDB and PostgreSQL clamp to the end of a shorter month, as
    the spec requires (31 Aug + 6 months = 28/29 Feb)."""
    shifted = d + ibis.interval(months=n) if n >= 0 else d - ibis.interval(months=-n)
    # PostgreSQL gives a timestamp for date + interval; compare dates with dates.
    return shifted.cast("date")


def days_inclusive(start: ir.DateValue, end: ir.DateValue) -> ir.IntegerValue:
    """Days from start to end counting both days (the DfE plan-duration count)."""
    return end.delta(start, unit="day") + 1


def days_between(start: ir.DateValue, end: ir.DateValue) -> ir.IntegerValue:
    """end - start in days."""
    return end.delta(start, unit="day")


def _person_window(order_by: list[str], *, cumulative: bool = False) -> object:
    if cumulative:
        return ibis.window(group_by="person_id", order_by=order_by, rows=(None, 0))
    return ibis.window(group_by="person_id", order_by=order_by)


# ------------------------------------------------------------------ episodes and POC


def care_episodes(episodes: ir.Table, legal_status: ir.Table | None) -> ir.Table:
    """Looked-after episodes with a ``is_short_break`` flag.

    Columns: person_id, episode_id, cla_id, start, end, start_reason, ceased_reason,
    placement_id, entered_care, is_short_break. An episode is a short break when a legal
    status row of the child with status V3/V4 is open at the episode's start. Without a legal
    status table no episode can be recognised as a short break.
    """
    codes = care_codes()
    e = episodes.select(
        person_id=episodes.clae_person_id,
        episode_id=episodes.clae_cla_episode_id,
        cla_id=episodes.clae_cla_id,
        start=episodes.clae_cla_episode_start_date,
        end=episodes.clae_cla_episode_ceased_date,
        start_reason=episodes.clae_cla_episode_start_reason,
        ceased_reason=episodes.clae_cla_episode_ceased_reason,
        placement_id=episodes.clae_cla_placement_id,
        entered_care=episodes.clae_entered_care_date,
    )
    e = e.filter(e.start.notnull() & (e.end.isnull() | (e.end >= e.start)))
    if legal_status is None:
        return e.mutate(is_short_break=ibis.literal(False))
    ls = legal_status.filter(
        legal_status.lega_legal_status.isin(codes.short_break_legal_statuses)
    ).select(
        sb_person=legal_status.lega_person_id,
        sb_start=legal_status.lega_legal_status_start_date,
        sb_end=legal_status.lega_legal_status_end_date,
    )
    matched = (
        e.join(
            ls,
            [
                e.person_id == ls.sb_person,
                ls.sb_start <= e.start,
                ends_after(ls.sb_end, e.start),
            ],
        )
        .select(sb_episode=e.episode_id, sb_episode_person=e.person_id)
        .distinct()
    )
    flagged = e.left_join(
        matched,
        [e.episode_id == matched.sb_episode, e.person_id == matched.sb_episode_person],
    )
    # view(): a fresh relation, so later joins on the result do not reach into this join.
    return flagged.select(
        *[flagged[c] for c in e.columns],
        is_short_break=flagged.sb_episode.notnull(),
    ).view()


def periods_of_care(episodes: ir.Table) -> ir.Table:
    """Periods of care from :func:`care_episodes` output (short breaks removed).

    One row per POC: person_id, poc_seq (1, 2 ... per child), poc_start, poc_end (null while
    open), ceased_reason (of the last episode), first_episode_start, last_episode_start,
    began_after_short_break, team_ref_cla_id (the cla_id of the last episode).

    A POC starts on its first episode's start, or on ``clae_entered_care_date`` when that is
    populated and earlier (an extract that begins part-way through a POC) unless the POC
    began straight after a short break (then the short breaks were not care).
    """
    sb_ends = (
        episodes.filter(episodes.is_short_break & episodes.end.notnull())
        .select(sb_person=episodes.person_id, sb_end=episodes.end)
        .distinct()
    )
    care = episodes.filter(~episodes.is_short_break)
    order = ["start", "end", "episode_id"]
    w = _person_window(order)
    care = care.mutate(prev_start=care.start.lag().over(w), prev_end=care.end.lag().over(w))
    # An overlap or an open previous episode (data errors) keeps the same POC.
    care = care.mutate(
        new_poc=ibis.ifelse(
            care.prev_start.isnull() | (care.prev_end.notnull() & (care.start > care.prev_end)),
            1,
            0,
        )
    )
    care = care.mutate(poc_seq=care.new_poc.cumsum().over(_person_window(order, cumulative=True)))
    wp = ibis.window(group_by=["person_id", "poc_seq"])
    wl = ibis.window(group_by=["person_id", "poc_seq"], order_by=[ibis.desc(c) for c in order])
    care = care.mutate(
        first_episode_start=care.start.min().over(wp),
        any_open=care.end.isnull().any().over(wp),
        entered_min=care.entered_care.min().over(wp),
        rank_from_last=ibis.row_number().over(wl),
    )
    last = care.filter(care.rank_from_last == 0)
    last = last.left_join(
        sb_ends,
        [last.person_id == sb_ends.sb_person, last.first_episode_start == sb_ends.sb_end],
    )
    began_after_sb = last.sb_end.notnull()
    use_entered = (
        last.entered_min.notnull() & (last.entered_min < last.first_episode_start) & ~began_after_sb
    )
    return last.select(
        person_id=last.person_id,
        poc_seq=last.poc_seq,
        poc_start=ibis.ifelse(use_entered, last.entered_min, last.first_episode_start),
        poc_end=ibis.ifelse(last.any_open, ibis.null("date"), last.end),
        ceased_reason=last.ceased_reason,
        first_episode_start=last.first_episode_start,
        last_episode_start=last.start,
        began_after_short_break=began_after_sb,
        team_ref_cla_id=last.cla_id,
    ).view()


def ceased_periods(pocs: ir.Table) -> ir.Table:
    """POCs that ended (an end date and a last reason other than X1)."""
    codes = care_codes()
    return pocs.filter(
        pocs.poc_end.notnull()
        & (pocs.ceased_reason.isnull() | (pocs.ceased_reason != codes.care_continues_reason))
    )


# ------------------------------------------------------------------ child protection plans


def cp_plan_parts(cp_plans: ir.Table) -> ir.Table:
    """CP plan rows of this LA, each with the continuous plan it belongs to.

    Columns: person_id, plan_id, start, end, cpp_seq, cpp_start, cpp_end (the merged plan:
    the start of the first part and the end of the last part, null while open).
    """
    p = cp_plans.filter(
        cp_plans.cppl_cp_plan_ola.isnull() | (cp_plans.cppl_cp_plan_ola != "Y")
    ).select(
        person_id=cp_plans.cppl_person_id,
        plan_id=cp_plans.cppl_cp_plan_id,
        start=cp_plans.cppl_cp_plan_start_date,
        end=cp_plans.cppl_cp_plan_end_date,
    )
    p = p.filter(p.start.notnull() & (p.end.isnull() | (p.end >= p.start)))
    order = ["start", "end", "plan_id"]
    w = _person_window(order)
    p = p.mutate(prev_start=p.start.lag().over(w), prev_end=p.end.lag().over(w))
    # Only a plan starting on the very day the previous one ended continues it.
    p = p.mutate(
        new_plan=ibis.ifelse(p.prev_end.notnull() & (p.start == p.prev_end), 0, 1),
    )
    p = p.mutate(cpp_seq=p.new_plan.cumsum().over(_person_window(order, cumulative=True)))
    wp = ibis.window(group_by=["person_id", "cpp_seq"])
    p = p.mutate(
        cpp_start=p.start.min().over(wp),
        cpp_any_open=p.end.isnull().any().over(wp),
        cpp_last_end=p.end.max().over(wp),
    )
    return p.select(
        "person_id",
        "plan_id",
        "start",
        "end",
        "cpp_seq",
        "cpp_start",
        cpp_end=ibis.ifelse(p.cpp_any_open, ibis.null("date"), p.cpp_last_end),
    )


def continuous_cp_plans(parts: ir.Table) -> ir.Table:
    """One row per continuous plan: person_id, cpp_seq, cpp_start, cpp_end."""
    return parts.select("person_id", "cpp_seq", "cpp_start", "cpp_end").distinct()


def cp_review_timeliness(parts: ir.Table, reviews: ir.Table) -> ir.Table:
    """CP review conferences of continuous plans with their computed due dates.

    One row per plan and review date: person_id, cpp_seq, cpp_start, cpp_end, review_date,
    due_date, in_timescale. Reviews are linked by ``cppr_cp_plan_id`` to any part of the
    plan; reviews on or before the plan start, or after its end, are ignored. The first
    review is due 3 months after the start, each later one 6 months after the previous one.
    """
    r = reviews.filter(reviews.cppr_cp_review_date.notnull()).select(
        r_plan_id=reviews.cppr_cp_plan_id, review_date=reviews.cppr_cp_review_date
    )
    j = r.join(parts, r.r_plan_id == parts.plan_id)
    j = j.filter(
        (j.review_date > j.cpp_start) & (j.cpp_end.isnull() | (j.review_date <= j.cpp_end))
    )
    j = j.select("person_id", "cpp_seq", "cpp_start", "cpp_end", "review_date").distinct()
    w = ibis.window(group_by=["person_id", "cpp_seq"], order_by="review_date")
    j = j.mutate(prev_review=j.review_date.lag().over(w))
    due = ibis.ifelse(
        j.prev_review.isnull(), add_months(j.cpp_start, 3), add_months(j.prev_review, 6)
    )
    j = j.mutate(due_date=due)
    return j.mutate(in_timescale=j.review_date <= j.due_date).view()


# ------------------------------------------------------------------ looked-after reviews


def reviews_of_children(reviews: ir.Table, episodes: ir.Table) -> ir.Table:
    """Looked-after reviews held (a date, not cancelled) with the child they were for.

    One row per review: person_id, review_date, code (participation code, trimmed and upper
    case; may be null), review_id. ``clar_cla_id`` gives the child through the episodes.
    """
    children = episodes.select(c_cla_id=episodes.cla_id, c_person=episodes.person_id).distinct()
    held = reviews.filter(
        reviews.clar_cla_review_date.notnull()
        & (reviews.clar_cla_review_cancelled.isnull() | (reviews.clar_cla_review_cancelled != "Y"))
    )
    if "clar_cla_review_participation" in held.columns:
        code = held.clar_cla_review_participation.cast("string").strip().upper()
    else:
        code = ibis.null("string")
    joined = held.join(children, held.clar_cla_id == children.c_cla_id)
    return joined.select(
        person_id=joined.c_person,
        review_date=joined.clar_cla_review_date,
        code=code,
        review_id=joined.clar_cla_review_id,
    )


def lac_review_timeliness(pocs: ir.Table, reviews: ir.Table, calendar: ir.Table) -> ir.Table:
    """Looked-after reviews within non-short-break POCs with their computed due dates.

    ``reviews`` is :func:`reviews_of_children`. One row per POC and review date: person_id,
    poc_seq, poc_start, review_date, due_date, in_timescale. A review belongs to the POC open
    on its date (reviews before the POC start or after its end are ignored). The first review
    is due ADD_WD(POC start, 20), the second 3 months after the first, later ones 6 months
    after the previous. ``calendar`` is the engine's calendar table.
    """
    # The child is already on each review, so this join is on the child first: joining
    # reviews, episodes and periods in one go let DuckDB pair every review with every period
    # of care by date alone (tens of millions of rows).
    r = reviews.select(r_person=reviews.person_id, review_date=reviews.review_date)
    j = r.join(
        pocs,
        [
            r.r_person == pocs.person_id,
            r.review_date >= pocs.poc_start,
            ends_after(pocs.poc_end, r.review_date, inclusive=True),
        ],
    )
    j = j.select("person_id", "poc_seq", "poc_start", "review_date").distinct()
    w = ibis.window(group_by=["person_id", "poc_seq"], order_by="review_date")
    j = j.mutate(
        prev_review=j.review_date.lag().over(w),
        review_no=ibis.row_number().over(w) + 1,
    )
    j = add_working_days(j, "poc_start", 20, calendar, "first_due")
    due = ibis.cases(
        (j.review_no == 1, j.first_due),
        (j.review_no == 2, add_months(j.prev_review, 3)),
        else_=add_months(j.prev_review, 6),
    )
    j = j.mutate(due_date=due)
    return j.select(
        "person_id",
        "poc_seq",
        "poc_start",
        "review_date",
        "due_date",
        in_timescale=j.review_date <= j.due_date,
    ).view()


def add_working_days(
    table: ir.Table, date_column: str, n: int, calendar: ir.Table, output: str
) -> ir.Table:
    """Add column ``output`` = ADD_WD(table[date_column], n) using the calendar table.

    ``working_day_index`` counts working days up to and including a date, so the n-th
    working day after d is the working day whose index is idx(d) + n. Dates outside the
    calendar give null.
    """
    cal = calendar.select(_c_date=calendar.date, _c_idx=calendar.working_day_index)
    working = calendar.filter(calendar.is_working_day).select(
        _w_date=calendar.date, _w_idx=calendar.working_day_index
    )
    with_idx = table.left_join(cal, table[date_column] == cal._c_date)
    with_idx = with_idx.drop("_c_date")
    out = with_idx.left_join(working, with_idx._c_idx + n == working._w_idx)
    return out.drop("_c_idx", "_w_idx").rename({output: "_w_date"}).view()


# ------------------------------------------------------------------ placements


def care_placements(placements: ir.Table, episodes: ir.Table, pocs: ir.Table) -> ir.Table:
    """Placement rows made while the child was in (non-short-break) care, with the POC.

    Columns: person_id, placement_id, start, end, type, urn, postcode, provider, distance,
    start_reason (of the earliest episode linked by clae_cla_placement_id), poc_seq,
    poc_start, began_after_short_break, is_temporary. A placement belongs to the POC open on
    its start day.
    """
    codes = care_codes()
    pl = placements.select(
        person_id=placements.clap_person_id,
        placement_id=placements.clap_cla_placement_id,
        start=placements.clap_cla_placement_start_date,
        end=placements.clap_cla_placement_end_date,
        type=placements.clap_cla_placement_type,
        urn=placements.clap_cla_placement_urn,
        postcode=placements.clap_cla_placement_postcode,
        provider=placements.clap_cla_placement_provider,
        distance=placements.clap_cla_placement_distance,
    )
    pl = pl.filter(pl.start.notnull() & (pl.end.isnull() | (pl.end >= pl.start)))
    linked = episodes.filter(episodes.placement_id.notnull())
    lw = ibis.window(group_by="placement_id", order_by=["start", "episode_id"])
    linked = linked.mutate(rn=ibis.row_number().over(lw))
    linked = linked.filter(linked.rn == 0).select(
        l_placement_id=linked.placement_id, start_reason=linked.start_reason
    )
    pl = pl.left_join(linked, pl.placement_id == linked.l_placement_id).drop("l_placement_id")
    p = pocs.select(
        p_person=pocs.person_id,
        poc_seq=pocs.poc_seq,
        poc_start=pocs.poc_start,
        poc_end=pocs.poc_end,
        began_after_short_break=pocs.began_after_short_break,
    )
    j = pl.join(
        p,
        [
            pl.person_id == p.p_person,
            p.poc_start <= pl.start,
            ends_after(p.poc_end, pl.start),
        ],
    )
    return j.select(
        *pl.columns,
        poc_seq=j.poc_seq,
        poc_start=j.poc_start,
        began_after_short_break=j.began_after_short_break,
        is_temporary=j.type.isin(codes.temporary_placement_types),
    ).view()


def _same_carer(urn_a: ir.Value, pc_a: ir.Value, urn_b: ir.Value, pc_b: ir.Value) -> ir.Value:
    """Same carers when both the URN and the postcode are recorded and equal."""
    return urn_a.notnull() & pc_a.notnull() & (urn_a == urn_b) & (pc_a == pc_b)


def placement_chains(care_pl: ir.Table) -> ir.Table:
    """Every care placement row with the counted placement ("chain") it belongs to.

    Adds: nt_seq (the non-temporary placement a row belongs to; a temporary row belongs to the
    one before it), chain_seq, chain_start, chain_end (null while open), continues_previous,
    spell_start (start of the carer spell, README), carer_spell_start (spell_start, widened
    for an adoption placement to the spell of the placement before it). Temporary placements
    carry the values of the non-temporary placement before them.
    """
    codes = care_codes()
    order = ["start", "end", "placement_id"]
    w = _person_window(order)
    raw = care_pl.mutate(prev_is_temp=care_pl.is_temporary.lag().over(w))
    raw = raw.mutate(
        nt_seq=ibis.ifelse(raw.is_temporary, 0, 1)
        .cumsum()
        .over(_person_window(order, cumulative=True))
    )
    nt = raw.filter(~raw.is_temporary)
    nt = nt.mutate(
        prev_type=nt.type.lag().over(w),
        prev_urn=nt.urn.lag().over(w),
        prev_postcode=nt.postcode.lag().over(w),
        prev_poc=nt.poc_seq.lag().over(w),
    )
    same_poc = nt.prev_poc.notnull() & (nt.prev_poc == nt.poc_seq)
    same_carer = _same_carer(nt.urn, nt.postcode, nt.prev_urn, nt.prev_postcode)
    to_adoption_same_carer = nt.type.isin(codes.adoption_with_current_carer_types) & (
        nt.prev_type.isin(codes.foster_placement_types)
    )
    back_from_temporary = nt.prev_is_temp.fill_null(False) & (
        nt.start_reason.isin(["T", "U"]) | same_carer
    )
    continues = same_poc & (to_adoption_same_carer | back_from_temporary)
    reason_known = nt.start_reason.isin(
        [*codes.new_carer_start_reasons, *codes.same_carer_start_reasons]
    )
    continues_spell = same_poc & ibis.ifelse(
        reason_known, nt.start_reason.isin(codes.same_carer_start_reasons), same_carer
    )
    nt = nt.mutate(
        continues_previous=continues,
        new_chain=ibis.ifelse(continues, 0, 1),
        new_spell=ibis.ifelse(continues_spell, 0, 1),
    )
    cw = _person_window(order, cumulative=True)
    nt = nt.mutate(
        chain_seq=nt.new_chain.cumsum().over(cw), spell_seq=nt.new_spell.cumsum().over(cw)
    )
    wc = ibis.window(group_by=["person_id", "chain_seq"])
    ws = ibis.window(group_by=["person_id", "spell_seq"])
    nt = nt.mutate(spell_start=nt.start.min().over(ws))
    nt = nt.mutate(prev_spell_start=nt.spell_start.lag().over(w))
    adoption_widened = (
        nt.type.isin(codes.adoption_placement_types) & same_poc & nt.prev_spell_start.notnull()
    )
    nt = nt.mutate(
        carer_spell_start=ibis.ifelse(adoption_widened, nt.prev_spell_start, nt.spell_start),
        chain_start=nt.start.min().over(wc),
    )
    per_nt = nt.select(
        k_person=nt.person_id,
        k_nt_seq=nt.nt_seq,
        continues_previous=nt.continues_previous,
        chain_seq=nt.chain_seq,
        chain_start=nt.chain_start,
        spell_start=nt.spell_start,
        carer_spell_start=nt.carer_spell_start,
    )
    j = raw.left_join(per_nt, [raw.person_id == per_nt.k_person, raw.nt_seq == per_nt.k_nt_seq])
    j = j.drop("k_person", "k_nt_seq", "prev_is_temp")
    # A chain ends with its last row (temporary rows after it included: they belong to it).
    wr = ibis.window(group_by=["person_id", "chain_seq"])
    return j.mutate(
        chain_end=ibis.ifelse(
            j.end.isnull().any().over(wr), ibis.null("date"), j.end.max().over(wr)
        )
    ).view()


def counted_placements(chains: ir.Table) -> ir.Table:
    """One row per counted placement: person_id, chain_seq, poc_seq, chain_start, chain_end,
    and the type, provider, distance, postcode and urn of its first part."""
    first = chains.filter(~chains.is_temporary)
    w = ibis.window(group_by=["person_id", "chain_seq"], order_by=["start", "placement_id"])
    first = first.mutate(rn=ibis.row_number().over(w))
    first = first.filter(first.rn == 0)
    return first.select(
        "person_id",
        "chain_seq",
        "poc_seq",
        "chain_start",
        "chain_end",
        "type",
        "provider",
        "distance",
        "postcode",
        "urn",
        "began_after_short_break",
    )
