"""Placement indicators (catalogue ``placements.yaml``, ids ``placements.*``).

Owns the placement-type, provider, stability and distance measures. The current placement
of each looked-after child at each month end and the placements in care are shared blocks
(:mod:`cscperf.indicators.blocks.care`). Which rows count as a placement and what a carer
spell is are decided in ``blocks.care_periods.placement_chains``.

Whether a placement is outside the council's boundary needs the placement's location, which
the SSD does not carry: the canonical model adds the cscperf extension field
``clap_cla_placement_location`` ('IN' / 'OUT'), filled from the 903 ``PL_LOCATION`` column when
an export has it or supplied as an extra column of an SSD extract. When it is never filled the
three distance measures are reported as not available.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.care import (
    LOCATION_COLUMN,
    PLACEMENTS,
    current_placements,
    looked_after_at_month_end,
    placement_rows,
)
from cscperf.indicators.blocks.care_periods import (
    add_months,
    care_codes,
    counted_placements,
)
from cscperf.indicators.blocks.expressions import counted, ends_after, rated
from cscperf.indicators.blocks.windows import in_window
from cscperf.indicators.context import Context, NotAvailable
from cscperf.indicators.registry import indicator

PERSON = "ssd_person"
MILES = 20


# ------------------------------------------------------------------ type and provider


@indicator("placements.residential_count")
def placements_residential_count(ctx: Context) -> ir.Table:
    current = current_placements(ctx)
    return counted(current.filter(current.type.isin(care_codes().residential_placement_types)))


@indicator("placements.residential_pct")
def placements_residential_pct(ctx: Context) -> ir.Table:
    current = current_placements(ctx)
    return rated(current, current.type.isin(care_codes().residential_placement_types))


@indicator("placements.foster_pct")
def placements_foster_pct(ctx: Context) -> ir.Table:
    current = current_placements(ctx)
    return rated(current, current.type.isin(care_codes().foster_placement_types))


def _own_provision(current: ir.Table) -> ir.BooleanValue:
    return current.provider.strip().upper() == care_codes().own_provision_provider


@indicator("placements.foster_in_house_pct")
def placements_foster_in_house_pct(ctx: Context) -> ir.Table:
    current = current_placements(ctx)
    fostered = current.filter(current.type.isin(care_codes().foster_placement_types))
    return rated(fostered, _own_provision(fostered))


@indicator("placements.own_provision_pct")
def placements_own_provision_pct(ctx: Context) -> ir.Table:
    current = current_placements(ctx)
    return rated(current, _own_provision(current))


# ------------------------------------------------------------------ stability


@indicator("placements.three_plus_12m_pct")
def placements_three_plus_12m_pct(ctx: Context) -> ir.Table:
    children = looked_after_at_month_end(ctx)
    children = children.filter(~children.began_after_short_break.fill_null(False))
    chains = counted_placements(placement_rows(ctx)).select(
        _c_person="person_id", _c_start="chain_start", _c_end="chain_end"
    )
    windows = ctx.periods.select(_w_end="period_end", _w_start="rolling_12m_start")
    children = children.join(windows, children.period_end == windows._w_end)
    joined = children.left_join(
        chains,
        [
            children.person_id == chains._c_person,
            chains._c_start <= children.period_end,
            ends_after(chains._c_end, children._w_start, inclusive=True),
        ],
    )
    per_child = joined.group_by(["person_id", "period_end", "team"]).aggregate(
        placements=joined._c_start.count()
    )
    return rated(per_child, per_child.placements >= 3)


def _before_16th_birthday(dob: ir.DateValue, day: ir.DateValue) -> ir.BooleanValue:
    """AGE(day) < 16; a 29 February birthday falls on 1 March in other years."""
    sixteenth = add_months(dob, 192)
    leap_born = (dob.month() == 2) & (dob.day() == 29) & (sixteenth.day() == 28)
    birthday = ibis.ifelse(leap_born, (sixteenth + ibis.interval(days=1)).cast("date"), sixteenth)
    return day < birthday


@indicator("placements.long_term_stability_pct")
def placements_long_term_stability_pct(ctx: Context) -> ir.Table:
    person = ctx.table(PERSON, ["pers_person_id", "pers_dob"])
    dob = person.select(_d_person=person.pers_person_id, _dob=person.pers_dob)
    current = current_placements(ctx)
    current = current.join(dob, current.person_id == dob._d_person)
    cohort = current.filter(
        _before_16th_birthday(current._dob, current.period_end)
        & (current.poc_start <= add_months(current.period_end, -30))
        & ~current.began_after_short_break.fill_null(False)
    )
    stable = cohort.carer_spell_start <= add_months(cohort.period_end, -24)
    return rated(cohort, stable)


# ------------------------------------------------------------------ distance and location


def _require_location(ctx: Context) -> None:
    raw = ctx.table(PLACEMENTS, ["clap_person_id"])
    if LOCATION_COLUMN not in raw.columns or not ctx.has_field(PLACEMENTS, LOCATION_COLUMN):
        raise NotAvailable(
            "whether a placement is outside the council's boundary is not in the SSD "
            f"placement table ({PLACEMENTS}.{LOCATION_COLUMN} is not supplied)"
        )


def _far_outside(rows: ir.Table) -> ir.BooleanValue:
    unknown = care_codes().unknown_distance
    return (
        (rows.location == "OUT")
        & rows.distance.notnull()
        & (rows.distance != unknown)
        & (rows.distance > MILES)
    )


@indicator("placements.outside_la_over_20_miles_pct")
def placements_outside_la_over_20_miles_pct(ctx: Context) -> ir.Table:
    _require_location(ctx)
    current = current_placements(ctx)
    return rated(current, _far_outside(current))


@indicator("placements.outside_la_count")
def placements_outside_la_count(ctx: Context) -> ir.Table:
    _require_location(ctx)
    current = current_placements(ctx)
    return counted(current.filter(current.location == "OUT"))


@indicator("placements.new_outside_la_over_20_miles_pct")
def placements_new_outside_la_over_20_miles_pct(ctx: Context) -> ir.Table:
    _require_location(ctx)
    rows = placement_rows(ctx)
    new = rows.filter(~rows.is_temporary & ~rows.continues_previous.fill_null(False))
    started = in_window(ctx, new, "start")
    started = attribute(ctx, started, "person_id", "start")
    return rated(started, _far_outside(started))
