"""Building blocks of looked-after care shared by several areas: episodes with short breaks
flagged, periods of care, children looked after at each month end with their team, the
twelve-month cohort, reviews with their due dates, placements in care and the placement open
at each month end.

Each is a shared block (``Context.shared``): made once per run and read by every indicator
that asks. The rules they apply are in :mod:`cscperf.indicators.blocks.care_periods`.

Whether a placement is outside the council's boundary needs the placement's location, which
the SSD does not carry: the canonical model adds the cscperf extension field
``clap_cla_placement_location`` ('IN' / 'OUT'), filled from the 903 ``PL_LOCATION`` column when
an export has it or supplied as an extra column of an SSD extract.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.ages import with_dob
from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.care_periods import (
    add_months,
    care_episodes,
    care_placements,
    lac_review_timeliness,
    periods_of_care,
    placement_chains,
    reviews_of_children,
)
from cscperf.indicators.blocks.expressions import ends_after, first_per_key
from cscperf.indicators.blocks.windows import open_at_period_end
from cscperf.indicators.context import Context

EPISODES = "ssd_cla_episodes"
LEGAL_STATUS = "ssd_legal_status"
REVIEWS = "ssd_cla_reviews"
PLACEMENTS = "ssd_cla_placement"
LOCATION_COLUMN = "clap_cla_placement_location"


def episodes(ctx: Context) -> ir.Table:
    """Looked-after episodes with ``is_short_break`` (see care_periods.care_episodes)."""

    def build() -> ir.Table:
        raw = ctx.table(EPISODES, ["clae_person_id", "clae_cla_episode_start_date"])
        legal = ctx.optional_table(LEGAL_STATUS, ["lega_person_id", "lega_legal_status"])
        return care_episodes(raw, legal)

    return ctx.shared("care episodes", build)


def periods(ctx: Context) -> ir.Table:
    """Periods of care of the build (short breaks removed)."""
    return ctx.shared("periods of care", lambda: periods_of_care(episodes(ctx)))


def looked_after_at_month_end(ctx: Context) -> ir.Table:
    """One row per child and month end with LAC_AT(E): person_id, period_end, team, and the
    POC open at E (poc_seq, poc_start, began_after_short_break)."""
    return ctx.shared(
        "looked after at month end", lambda: _looked_after_at_month_end(ctx), monthly=True
    ).view()


def _looked_after_at_month_end(ctx: Context) -> ir.Table:
    care = episodes(ctx)
    care = care.filter(~care.is_short_break)
    open_at = open_at_period_end(ctx, care, "start", "end")
    per_child = first_per_key(open_at, ["person_id", "period_end"], ["start", "episode_id"])
    pocs = periods(ctx).select(
        _p_person="person_id",
        poc_seq="poc_seq",
        poc_start="poc_start",
        poc_end="poc_end",
        began_after_short_break="began_after_short_break",
    )
    with_poc = per_child.left_join(
        pocs,
        [
            per_child.person_id == pocs._p_person,
            pocs.poc_start <= per_child.period_end,
            ends_after(pocs.poc_end, per_child.period_end),
        ],
    )
    with_poc = first_per_key(with_poc, ["person_id", "period_end"], ["poc_seq"])
    children = with_poc.select(
        "person_id", "period_end", "poc_seq", "poc_start", "began_after_short_break"
    )
    return attribute(ctx, children, "person_id", "period_end")


def reviewed_children(ctx: Context) -> ir.Table:
    """Reviews held (not cancelled) with the child: person_id, review_date, and the review's
    participation code and id (the review's cla_id leads to the child through the episodes)."""

    def build() -> ir.Table:
        reviews = ctx.table(REVIEWS, ["clar_cla_id", "clar_cla_review_date"])
        return reviews_of_children(reviews, episodes(ctx))

    return ctx.shared("reviews of children", build)


def reviews_with_due_dates(ctx: Context) -> ir.Table:
    """Reviews within periods of care with their due dates (see
    care_periods.lac_review_timeliness)."""
    return ctx.shared(
        "reviews with due dates",
        lambda: lac_review_timeliness(periods(ctx), reviewed_children(ctx), ctx.calendar),
    )


def twelve_month_cohort(ctx: Context) -> ir.Table:
    """Children LAC_AT(E) whose current POC began on or before ADD_MONTHS(E, -12), with
    person_id, period_end, team, poc_start and dob. Exactly twelve months is in."""
    children = looked_after_at_month_end(ctx)
    children = children.filter(children.poc_start <= add_months(children.period_end, -12))
    return with_dob(ctx, children)


def placement_rows(ctx: Context) -> ir.Table:
    """Placements made in (non-short-break) care, with chains and carer spells."""
    return ctx.shared("placements in care", lambda: _placement_rows(ctx))


def _placement_rows(ctx: Context) -> ir.Table:
    raw = ctx.table(PLACEMENTS, ["clap_person_id", "clap_cla_placement_start_date"])
    care = episodes(ctx)
    rows = care_placements(raw, care, periods(ctx))
    if LOCATION_COLUMN in raw.columns:
        located = raw.select(
            _l_id=raw.clap_cla_placement_id, location=raw[LOCATION_COLUMN].strip().upper()
        )
        rows = rows.left_join(located, rows.placement_id == located._l_id).drop("_l_id")
    else:
        rows = rows.mutate(location=ibis.null("string"))
    return placement_chains(rows.view())


def current_placements(ctx: Context) -> ir.Table:
    """Every child looked after at each month end, with the placement open at E when there
    is one: type, provider, distance, location, chain_start (start of the counted placement;
    a temporary placement keeps the one before it), carer_spell_start, is_temporary."""
    return ctx.shared(
        "placements at month end", lambda: _current_placements(ctx), monthly=True
    ).view()


def _current_placements(ctx: Context) -> ir.Table:
    children = looked_after_at_month_end(ctx)
    rows = placement_rows(ctx).select(
        _p_person="person_id",
        _p_start="start",
        _p_end="end",
        _p_id="placement_id",
        type="type",
        provider="provider",
        distance="distance",
        location="location",
        chain_start="chain_start",
        carer_spell_start="carer_spell_start",
        is_temporary="is_temporary",
    )
    joined = children.left_join(
        rows,
        [
            children.person_id == rows._p_person,
            rows._p_start <= children.period_end,
            ends_after(rows._p_end, children.period_end),
        ],
    )
    joined = first_per_key(
        joined, ["person_id", "period_end"], [joined._p_start.desc(), joined._p_id.desc()]
    )
    current = joined.drop("_p_person", "_p_end", "_p_id").rename(placement_start="_p_start")
    return current
