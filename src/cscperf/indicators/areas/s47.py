"""Section 47 enquiries: completed, started rate, annualised monthly rate, and the three
outcome classes (continuing risk, not substantiated, substantiated without continuing risk).

One ``ssd_s47_enquiry`` row is one enquiry; an enquiry ending before it starts is left out.
Each is attributed to ``s47e_s47_completed_by_team`` or to the allocated worker on the
reference date (end date for completions, start date for starts).
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.expressions import (
    flag_is_yes,
    json_flag_is_yes,
    one_if,
    valid_interval,
)
from cscperf.indicators.blocks.windows import in_window
from cscperf.indicators.context import Context
from cscperf.indicators.registry import indicator

ENQUIRIES = "ssd_s47_enquiry"
CONFERENCES = "ssd_initial_cp_conference"
CONTINUING_RISK, NOT_SUBSTANTIATED, NO_CONTINUING_RISK = 1, 2, 3


def enquiries(ctx: Context, date_field: str) -> ir.Table:
    """Enquiries with a ``date_field`` (start or end), attributed on that date."""
    raw = ctx.table(ENQUIRIES, [date_field])
    raw = valid_interval(
        raw.filter(raw[date_field].notnull()), "s47e_s47_start_date", "s47e_s47_end_date"
    )
    return attribute(ctx, raw, "s47e_person_id", date_field, "s47e_s47_completed_by_team")


def outcome_class(ctx: Context, items: ir.Table) -> ir.Table:
    """Adds ``outcome_class`` 1, 2 or 3 (see the s47 catalogue header)."""
    outcome = items.s47e_s47_outcome_json
    mapping = ctx.parameters.get("s47_outcome_map")
    if isinstance(mapping, Mapping) and mapping:
        branches = [(json_flag_is_yes(outcome, str(k)), int(v)) for k, v in mapping.items()]
        return items.mutate(outcome_class=ibis.cases(*branches, else_=NO_CONTINUING_RISK))
    conference = json_flag_is_yes(outcome, "CP_CONFERENCE_FLAG")
    icpc = ctx.optional_table(CONFERENCES, ["icpc_s47_enquiry_id"])
    if icpc is not None:
        named = icpc.select(_icpc_enquiry=icpc.icpc_s47_enquiry_id).distinct()
        items = items.left_join(named, items.s47e_s47_enquiry_id == named._icpc_enquiry)
        conference = json_flag_is_yes(items.s47e_s47_outcome_json, "CP_CONFERENCE_FLAG") | (
            items._icpc_enquiry.notnull()
        )
        items = items.mutate(_conference=conference).drop("_icpc_enquiry")
    else:
        items = items.mutate(_conference=conference)
    nfa = flag_is_yes(items.s47e_s47_nfa.cast("string")).fill_null(False) | json_flag_is_yes(
        items.s47e_s47_outcome_json, "NFA_FLAG"
    )
    return items.mutate(
        outcome_class=ibis.cases(
            (items._conference, CONTINUING_RISK), (nfa, NOT_SUBSTANTIATED), else_=NO_CONTINUING_RISK
        )
    ).drop("_conference")


def _completed_items(ctx: Context) -> ir.Table:
    return in_window(ctx, enquiries(ctx, "s47e_s47_end_date"), "s47e_s47_end_date")


@indicator("s47.completed_count", "s47.annualised_month_rate_per_10k")
def completed_count(ctx: Context) -> ir.Table:
    return _completed_items(ctx).select("period_end", "team", numerator=ibis.literal(1))


@indicator("s47.rate_per_10k")
def started_rate(ctx: Context) -> ir.Table:
    items = in_window(ctx, enquiries(ctx, "s47e_s47_start_date"), "s47e_s47_start_date")
    return items.select("period_end", "team", numerator=ibis.literal(1))


def _class_share(ctx: Context, wanted: int) -> ir.Table:
    items = outcome_class(ctx, _completed_items(ctx))
    return items.select(
        "period_end",
        "team",
        numerator=one_if(items.outcome_class == wanted),
        denominator=ibis.literal(1),
    )


@indicator("s47.substantiated_continuing_risk_pct")
def continuing_risk(ctx: Context) -> ir.Table:
    return _class_share(ctx, CONTINUING_RISK)


@indicator("s47.not_substantiated_pct")
def not_substantiated(ctx: Context) -> ir.Table:
    return _class_share(ctx, NOT_SUBSTANTIATED)


@indicator("s47.substantiated_no_continuing_risk_pct")
def no_continuing_risk(ctx: Context) -> ir.Table:
    return _class_share(ctx, NO_CONTINUING_RISK)
