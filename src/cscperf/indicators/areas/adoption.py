"""Adoption indicators (catalogue ``adoption.yaml``, ids ``adoption.*``).

Owns finding, for each child adopted (a period of care ended E11/E12, its end date being the
adoption order), the dates of the adoption process from ``ssd_permanence`` (the latest
decision to place that was not reversed, placement order, match, placed for adoption), and
the averages and shares built on them, plus the month-end count of children waiting to be
placed.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.areas.looked_after import (
    counted,
    looked_after_at_month_end,
    periods,
    rated,
)
from cscperf.indicators.care_periods import add_months, care_codes, ceased_periods, days_between
from cscperf.indicators.context import Context, NotAvailable, first_per_key, flag_is_yes
from cscperf.indicators.registry import indicator

PERMANENCE = "ssd_permanence"


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
            decisions._d_reversed.isnull() | (decisions._d_reversed > adopted.order_date),
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
    items = ctx.in_window(table, "order_date")
    return ctx.attribute(items, "person_id", "order_date")


def _permanence(ctx: Context, required: list[str]) -> ir.Table:
    return ctx.table(PERMANENCE, ["perm_person_id", *required])


def _averaged(items: ir.Table, days: ir.IntegerValue) -> ir.Table:
    return items.select("period_end", "team", numerator=days, denominator=ibis.literal(1))


@indicator("adoption.adopted_count")
def adoption_adopted_count(ctx: Context) -> ir.Table:
    adopted = _adopted(ctx)
    return counted(_adoptions_in_window(ctx, adopted))


def _placed(ctx: Context) -> ir.Table:
    perm = _permanence(ctx, ["perm_placed_for_adoption_date"])
    adopted = _adopted(ctx)
    placed = _latest_date(
        adopted, perm, "perm_placed_for_adoption_date", "placed_date", in_care=True
    )
    return _with(adopted, placed)


@indicator("adoption.a1_avg_days")
def adoption_a1_avg_days(ctx: Context) -> ir.Table:
    adopted = _placed(ctx)
    adopted = adopted.filter(adopted.placed_date.notnull())
    items = _adoptions_in_window(ctx, adopted)
    return _averaged(items, days_between(items.poc_start, items.placed_date))


@indicator("adoption.a2_avg_days")
def adoption_a2_avg_days(ctx: Context) -> ir.Table:
    perm = _permanence(ctx, ["perm_placement_order_date", "perm_matched_date"])
    adopted = _placed(ctx)
    adopted = _with(adopted, _latest_date(adopted, perm, "perm_placement_order_date", "po_date"))
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
    from cscperf.indicators.areas.placements import placement_rows

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
    perm = _permanence(ctx, ["perm_placed_for_adoption_date"])
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


@indicator("adoption.awaiting_placement_count")
def adoption_awaiting_placement_count(ctx: Context) -> ir.Table:
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
            decisions._d_reversed.isnull() | (decisions._d_reversed > children.period_end),
        ],
    )
    standing = standing.group_by(["person_id", "period_end", "team", "poc_start"]).aggregate(
        decision=standing._d_date.max()
    )
    placed = perm.filter(perm.perm_placed_for_adoption_date.notnull()).select(
        _p_person=perm.perm_person_id, _p_date=perm.perm_placed_for_adoption_date
    )
    joined = standing.left_join(
        placed,
        [
            standing.person_id == placed._p_person,
            placed._p_date >= standing.decision,
            placed._p_date >= standing.poc_start,
            placed._p_date <= standing.period_end,
        ],
    )
    waiting = joined.group_by(["person_id", "period_end", "team"]).aggregate(
        placements=joined._p_date.count()
    )
    return counted(waiting.filter(waiting.placements == 0))
