"""Adoption indicators (catalogue ``adoption.yaml``, ids ``adoption.*``).

Owns finding, for each child adopted (a period of care ended E11/E12, its end date being the
adoption order), the dates of the adoption process from ``ssd_permanence`` (the latest
decision to place that was not reversed, placement order, match, placed for adoption), and
the averages and shares built on them, plus the month-end count of children waiting to be
placed.

Where ``ssd_permanence`` lacks the placement order or placed-for-adoption date of an adoption
(a 903-only load, or a permanence record not filled in), the spec's fallbacks from the care
record apply: the placement order date is the start of the first legal status E1/D1 in the
period of care, the placed-for-adoption date the start of its first A3-A6 placement.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.care import looked_after_at_month_end, periods, placement_rows
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
)
from cscperf.indicators.blocks.windows import in_window
from cscperf.indicators.context import Context, NotAvailable
from cscperf.indicators.registry import child_list, indicator

PERMANENCE = "ssd_permanence"
LEGAL_STATUS = "ssd_legal_status"
PLACEMENTS = "ssd_cla_placement"


def _adopted(ctx: Context) -> ir.Table:
    """POCs ended by adoption: person_id, poc_seq, poc_start, order_date."""
    ended = ceased_periods(periods(ctx))
    adopted = ended.filter(ended.ceased_reason.isin(care_codes().adopted_reasons))
    return adopted.select("person_id", "poc_seq", "poc_start", order_date=adopted.poc_end)


def _latest_date(
    adopted: ir.Table, perm: ir.Table, column: str, name: str, *, in_care: bool = False
) -> ir.Table:
    """Per adoption, the latest ``column`` on or before the order (and on or after the POC
    start when ``in_care``): person_id, poc_seq, ``name``."""
    dates = perm.filter(perm[column].notnull()).select(
        _d_person=perm.perm_person_id, _d_date=perm[column]
    )
    predicates = [adopted.person_id == dates._d_person, dates._d_date <= adopted.order_date]
    if in_care:
        predicates.append(dates._d_date >= adopted.poc_start)
    joined = adopted.join(dates, predicates)
    return joined.group_by(["person_id", "poc_seq"]).aggregate(**{name: joined._d_date.max()})


def _first_in_care(adopted: ir.Table, events: ir.Table, name: str) -> ir.Table:
    """Per adoption, the earliest ``_e_date`` of the child's ``events`` (``_e_person``,
    ``_e_date``) from the POC start to the order: person_id, poc_seq, ``name``."""
    joined = adopted.join(
        events,
        [
            adopted.person_id == events._e_person,
            events._e_date >= adopted.poc_start,
            events._e_date <= adopted.order_date,
        ],
    )
    return joined.group_by(["person_id", "poc_seq"]).aggregate(**{name: joined._e_date.min()})


def _placement_order_starts(ctx: Context) -> ir.Table | None:
    """Starts of legal statuses E1/D1 (``_e_person``, ``_e_date``), or None without them."""
    legal = ctx.optional_table(
        LEGAL_STATUS, ["lega_person_id", "lega_legal_status", "lega_legal_status_start_date"]
    )
    if legal is None:
        return None
    statuses = care_codes().placement_order_legal_statuses
    legal = legal.filter(legal.lega_legal_status.strip().upper().isin(statuses))
    return legal.select(_e_person=legal.lega_person_id, _e_date=legal.lega_legal_status_start_date)


def _adoption_placement_starts(ctx: Context) -> ir.Table | None:
    """Starts of A3-A6 placements (``_e_person``, ``_e_date``), or None without placements."""
    placements = ctx.optional_table(
        PLACEMENTS, ["clap_person_id", "clap_cla_placement_type", "clap_cla_placement_start_date"]
    )
    if placements is None:
        return None
    types = care_codes().adoption_placement_types
    placements = placements.filter(placements.clap_cla_placement_type.strip().upper().isin(types))
    return placements.select(
        _e_person=placements.clap_person_id, _e_date=placements.clap_cla_placement_start_date
    )


def _date_with_fallback(
    ctx: Context,
    adopted: ir.Table,
    column: str,
    name: str,
    fallback: ir.Table | None,
    *,
    in_care: bool = False,
) -> ir.Table:
    """``adopted`` with column ``name``: the permanence record's latest ``column`` (see
    :func:`_latest_date`), else the first ``fallback`` event in the POC. NotAvailable when
    neither source is in the build."""
    perm = ctx.optional_table(PERMANENCE, ["perm_person_id", column])
    if perm is None and fallback is None:
        raise NotAvailable(
            f"{PERMANENCE}.{column} is never filled in and the care record cannot stand in for it"
        )
    if perm is not None:
        adopted = _with(adopted, _latest_date(adopted, perm, column, name, in_care=in_care))
    else:
        adopted = adopted.mutate(**{name: ibis.null("date")})
    if fallback is not None:
        first = _first_in_care(adopted, fallback, "_fallback")
        adopted = _with(adopted, first)
        adopted = adopted.mutate(**{name: adopted[name].coalesce(adopted._fallback)})
        adopted = adopted.drop("_fallback")
    return adopted


def _latest_standing_decision(adopted: ir.Table, perm: ir.Table) -> ir.Table:
    """Per adoption, the latest SHOBPA on or before the order not reversed by then."""
    decisions = perm.filter(perm.perm_adm_decision_date.notnull()).select(
        _d_person=perm.perm_person_id,
        _d_date=perm.perm_adm_decision_date,
        _d_reversed=perm.perm_decision_reversed_date,
    )
    joined = adopted.join(
        decisions,
        [
            adopted.person_id == decisions._d_person,
            decisions._d_date <= adopted.order_date,
            ends_after(decisions._d_reversed, adopted.order_date),
        ],
    )
    return joined.group_by(["person_id", "poc_seq"]).aggregate(shobpa=joined._d_date.max())


def _with(adopted: ir.Table, extra: ir.Table) -> ir.Table:
    renamed = extra.rename(_x_person="person_id", _x_seq="poc_seq")
    joined = adopted.left_join(
        renamed,
        [adopted.person_id == renamed._x_person, adopted.poc_seq == renamed._x_seq],
    )
    return joined.drop("_x_person", "_x_seq").view()


def _adoptions_in_window(ctx: Context, table: ir.Table) -> ir.Table:
    items = in_window(ctx, table, "order_date")
    return attribute(ctx, items, "person_id", "order_date")


def _permanence(ctx: Context, required: list[str]) -> ir.Table:
    return ctx.table(PERMANENCE, ["perm_person_id", *required])


def _averaged(items: ir.Table, days: ir.IntegerValue) -> ir.Table:
    return items.select("period_end", "team", numerator=days, denominator=ibis.literal(1))


@indicator("adoption.adopted_count")
def adoption_adopted_count(ctx: Context) -> ir.Table:
    adopted = _adopted(ctx)
    return counted(_adoptions_in_window(ctx, adopted))


def _placed(ctx: Context) -> ir.Table:
    """Adoptions with ``placed_date`` (permanence record, else the first A3-A6 placement)."""
    return ctx.shared("adoptions with the date placed", lambda: _placed_dates(ctx))


def _placed_dates(ctx: Context) -> ir.Table:
    return _date_with_fallback(
        ctx,
        _adopted(ctx),
        "perm_placed_for_adoption_date",
        "placed_date",
        _adoption_placement_starts(ctx),
        in_care=True,
    )


@indicator("adoption.a1_avg_days")
def adoption_a1_avg_days(ctx: Context) -> ir.Table:
    adopted = _placed(ctx)
    adopted = adopted.filter(adopted.placed_date.notnull())
    items = _adoptions_in_window(ctx, adopted)
    return _averaged(items, days_between(items.poc_start, items.placed_date))


@indicator("adoption.a2_avg_days")
def adoption_a2_avg_days(ctx: Context) -> ir.Table:
    perm = _permanence(ctx, ["perm_matched_date"])
    adopted = _placed(ctx)
    adopted = _date_with_fallback(
        ctx, adopted, "perm_placement_order_date", "po_date", _placement_order_starts(ctx)
    )
    adopted = _with(adopted, _latest_date(adopted, perm, "perm_matched_date", "match_date"))
    adopted = adopted.filter(
        adopted.po_date.notnull()
        & adopted.match_date.notnull()
        & adopted.placed_date.notnull()
        & (adopted.placed_date < adopted.order_date)
    )
    items = _adoptions_in_window(ctx, adopted)
    wait = days_between(items.po_date, items.match_date)
    return _averaged(items, ibis.ifelse(wait > 0, wait, 0))


def _foster_spell_starts(ctx: Context, adopted: ir.Table) -> ir.Table | None:
    """Per adoption, the start of the carer spell of the child's adoption placement (the
    placement before it included), or None when the build has no placements."""

    try:
        rows = placement_rows(ctx)
    except NotAvailable:
        return None
    adoptive = rows.filter(rows.type.isin(care_codes().adoption_placement_types)).select(
        _a_person="person_id", _a_seq="poc_seq", _a_start="start", _a_spell="carer_spell_start"
    )
    joined = adopted.join(
        adoptive,
        [
            adopted.person_id == adoptive._a_person,
            adopted.poc_seq == adoptive._a_seq,
            adoptive._a_start <= adopted.order_date,
        ],
    )
    latest = first_per_key(joined, ["person_id", "poc_seq"], [joined._a_start.desc()])
    return latest.select("person_id", "poc_seq", spell_start=latest._a_spell)


@indicator("adoption.a10_avg_days")
def adoption_a10_avg_days(ctx: Context) -> ir.Table:
    perm = _permanence(ctx, [])
    adopted = _placed(ctx)
    adopted = adopted.filter(adopted.placed_date.notnull())
    flags = perm.select(
        _f_person=perm.perm_person_id,
        _f_yes=flag_is_yes(perm.perm_adopted_by_carer_flag.cast("string")).fill_null(False),
        _f_date=perm.perm_placed_foster_carer_date,
    )
    joined = adopted.left_join(flags, adopted.person_id == flags._f_person)
    by_carer = joined.group_by(["person_id", "poc_seq"]).aggregate(
        by_carer=joined._f_yes.fill_null(False).any(),
        carer_date=joined._f_date.max(),
    )
    adopted = _with(adopted, by_carer)
    spells = _foster_spell_starts(ctx, adopted.select("person_id", "poc_seq", "order_date"))
    if spells is not None:
        adopted = _with(adopted, spells)
    else:
        adopted = adopted.mutate(spell_start=ibis.null("date"))
    moved_in = ibis.ifelse(
        adopted.by_carer,
        adopted.carer_date.coalesce(adopted.spell_start, adopted.placed_date),
        adopted.placed_date,
    )
    # Moving in can never be after being placed for adoption, nor before entering care.
    moved_in = ibis.least(moved_in, adopted.placed_date)
    adopted = adopted.mutate(moved_in=ibis.greatest(moved_in, adopted.poc_start))
    items = _adoptions_in_window(ctx, adopted)
    return _averaged(items, days_between(items.poc_start, items.moved_in))


def _with_decision(ctx: Context, need_placed: bool) -> ir.Table:
    perm = _permanence(ctx, ["perm_adm_decision_date"])
    adopted = _placed(ctx) if need_placed else _adopted(ctx)
    adopted = _with(adopted, _latest_standing_decision(adopted, perm))
    adopted = adopted.filter(adopted.shobpa.notnull())
    if need_placed:
        adopted = adopted.filter(adopted.placed_date.notnull())
    return _adoptions_in_window(ctx, adopted)


@indicator("adoption.adopted_within_12m_of_shobpa_pct")
def adoption_adopted_within_12m_of_shobpa_pct(ctx: Context) -> ir.Table:
    items = _with_decision(ctx, need_placed=False)
    return rated(items, items.order_date <= add_months(items.shobpa, 12))


@indicator("adoption.placed_within_12m_of_shobpa_pct")
def adoption_placed_within_12m_of_shobpa_pct(ctx: Context) -> ir.Table:
    items = _with_decision(ctx, need_placed=True)
    return rated(items, items.placed_date <= add_months(items.shobpa, 12))


@child_list(
    "adoption.awaiting_placement_count",
    act_on_passing=True,
    columns=(("poc_start", "In care since"), ("decision", "Should be placed for adoption")),
    describes="Children with a decision that they should be placed for adoption who are not yet "
    "placed",
    overdue="Days since the decision",
)
def adoption_awaiting_items(ctx: Context) -> ir.Table:
    """Children looked after at the month end with a standing decision to place for adoption,
    ``passes`` when not placed since the decision (in this period of care)."""
    perm = _permanence(ctx, ["perm_adm_decision_date"])
    children = looked_after_at_month_end(ctx)
    decisions = perm.filter(perm.perm_adm_decision_date.notnull()).select(
        _d_person=perm.perm_person_id,
        _d_date=perm.perm_adm_decision_date,
        _d_reversed=perm.perm_decision_reversed_date,
    )
    standing = children.join(
        decisions,
        [
            children.person_id == decisions._d_person,
            decisions._d_date <= children.period_end,
            ends_after(decisions._d_reversed, children.period_end),
        ],
    )
    standing = standing.group_by(["person_id", "period_end", "team", "poc_start"]).aggregate(
        decision=standing._d_date.max()
    )
    placed = perm.filter(perm.perm_placed_for_adoption_date.notnull()).select(
        _p_person=perm.perm_person_id, _p_date=perm.perm_placed_for_adoption_date
    )
    # A child whose permanence record lacks the date but who is in an A3-A6 placement has
    # been placed too (the 903 fallback).
    starts = _adoption_placement_starts(ctx)
    if starts is not None:
        placed = placed.union(starts.select(_p_person=starts._e_person, _p_date=starts._e_date))
    joined = standing.left_join(
        placed,
        [
            standing.person_id == placed._p_person,
            placed._p_date >= standing.decision,
            placed._p_date >= standing.poc_start,
            placed._p_date <= standing.period_end,
        ],
    )
    waiting = joined.group_by(
        ["person_id", "period_end", "team", "poc_start", "decision"]
    ).aggregate(placements=joined._p_date.count())
    return waiting.mutate(
        passes=waiting.placements == 0,
        days_overdue=days_between(waiting.decision, waiting.period_end),
    )


@indicator("adoption.awaiting_placement_count")
def adoption_awaiting_placement_count(ctx: Context) -> ir.Table:
    items = adoption_awaiting_items(ctx)
    return counted(items.filter(items.passes))
