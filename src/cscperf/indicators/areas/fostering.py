"""Foster carer households from the imported register (catalogue ``fostering.yaml``).

Owns the ``fostering.*`` item tables over ``imported_foster_register``: one row per approval
spell (a temporary regulation 24 approval followed by a full one is already one spell: the
import joins them, keeping the type at approval, the type at the end and the date the full
approval began). Carer types are grouped by the parameter ``carer_type_codes``; a code the map
does not know is reported as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.windows import in_window, open_at_period_end
from cscperf.indicators.context import Context
from cscperf.indicators.registry import indicator

REGISTER = "imported_foster_register"


def carer_group(ctx: Context, code: ir.StringValue) -> ir.StringValue:
    """The council's carer-type code mapped to its group (case and spaces ignored)."""
    mapping: Mapping[str, str] = ctx.param("carer_type_codes")
    key = code.strip().lower().replace(" ", "_")
    cases = [(key == str(k).strip().lower(), ibis.literal(str(v))) for k, v in mapping.items()]
    return ibis.cases(*cases, else_=key) if cases else key


def register(ctx: Context) -> ir.Table:
    spells = ctx.table(REGISTER, ["household_id", "approval_date"])
    return spells.mutate(
        team=ibis.null("string"),
        type_at_approval=carer_group(ctx, spells.carer_type.cast("string")),
        type_at_end=carer_group(
            ctx, spells.carer_type_at_end.cast("string").coalesce(spells.carer_type.cast("string"))
        ),
    )


def _counted(items: ir.Table, carer_type: ir.StringValue) -> ir.Table:
    return items.select("period_end", "team", numerator=ibis.literal(1), carer_type=carer_type)


@indicator("fostering.households_approved_rolling_12m_count")
def households_approved(ctx: Context) -> ir.Table:
    approved = in_window(ctx, register(ctx), "approval_date")
    return _counted(approved, approved.type_at_approval)


@indicator("fostering.households_ceased_rolling_12m_count")
def households_ceased(ctx: Context) -> ir.Table:
    spells = register(ctx)
    ended = in_window(
        ctx, spells.filter(spells.deregistration_date.notnull()), "deregistration_date"
    )
    return _counted(ended, ended.type_at_end)


@indicator("fostering.approved_households_count")
def approved_households(ctx: Context) -> ir.Table:
    spells = register(ctx)
    open_at = open_at_period_end(ctx, spells, "approval_date", "deregistration_date")
    # The type at E: the full approval's type once it has begun.
    full_begun = open_at.full_approval_date.notnull() & (
        open_at.full_approval_date <= open_at.period_end
    )
    kind = ibis.ifelse(full_begun, open_at.type_at_end, open_at.type_at_approval)
    return _counted(open_at, kind)
