"""Contacts: received, progressed to referral, share by source, repeats within 3 months.

One ``ssd_contacts`` row is one contact; rows with the same person, date and source code are
one contact (lowest contact id kept). Contacts carry no team and are attributed through the
allocated worker on the contact date. Source codes are grouped by the ``source_groups``
parameter; a blank or unknown code falls in the group that lists "blank or unrecognised".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.expressions import first_per_key, json_flag_is_yes, one_if
from cscperf.indicators.blocks.referrals import referrals
from cscperf.indicators.blocks.windows import in_window
from cscperf.indicators.context import Context, NotAvailable
from cscperf.indicators.registry import indicator

CONTACTS = "ssd_contacts"
UNRECOGNISED = "blank or unrecognised"


def source_group(cleaned: ir.StringValue, groups: Mapping[str, Sequence[str]]) -> ir.StringValue:
    """The group of a source code already stripped and upper-cased (the contacts block's
    ``source_code``: cleaning it again for every indicator that groups it was a tenth of the
    catalogue's DuckDB time); blank and unknown codes go to the 'unrecognised' group."""
    fallback = next((g for g, codes in groups.items() if UNRECOGNISED in codes), "other")
    branches = [
        (cleaned.isin([str(c).upper() for c in codes if c != UNRECOGNISED]), group)
        for group, codes in groups.items()
    ]
    return ibis.cases(*branches, else_=fallback)


def contacts(ctx: Context) -> ir.Table:
    """Distinct contacts with ``contact_id``, ``person``, ``contact_date``, ``source``,
    ``outcome`` (the outcome text) and ``team``."""
    base = ctx.shared("contacts", lambda: _distinct_contacts(ctx))
    groups = ctx.parameters.get("source_groups")
    return base.select(
        "contact_id",
        "person",
        "contact_date",
        source=source_group(base.source_code, groups) if groups else ibis.null("string"),
        outcome=base.outcome,
        team=base.team,
    )


def _distinct_contacts(ctx: Context) -> ir.Table:
    """One contact per child, day and source code (the lowest id), with its team."""
    raw = ctx.table(CONTACTS, ["cont_person_id", "cont_contact_date"])
    raw = raw.filter(raw.cont_person_id.notnull() & raw.cont_contact_date.notnull())
    raw = raw.mutate(_source_code=raw.cont_contact_source_code.strip().upper().fill_null(""))
    kept = first_per_key(
        raw, ["cont_person_id", "cont_contact_date", "_source_code"], [raw.cont_contact_id]
    )
    attributed = attribute(ctx, kept, "cont_person_id", "cont_contact_date")
    return attributed.select(
        contact_id=attributed.cont_contact_id,
        person=attributed.cont_person_id,
        contact_date=attributed.cont_contact_date,
        source_code=attributed._source_code,
        outcome=attributed.cont_contact_outcome_json,
        team=attributed.team,
    )


@indicator("contacts.count")
def received(ctx: Context) -> ir.Table:
    items = in_window(ctx, contacts(ctx), "contact_date")
    return items.select("period_end", "team", "source", numerator=ibis.literal(1))


def with_progression(ctx: Context, items: ir.Table) -> ir.Table:
    """Adds ``progressed``: the outcome flag NEW_REFERRAL_FLAG where recorded, otherwise the
    contact is the latest one on or before a referral of the child made within ``link_days``."""
    recorded = items.outcome.re_search(r'NEW_REFERRAL_FLAG"?[ ]*:[ ]*"?[YNyn]').fill_null(False)
    flagged = json_flag_is_yes(items.outcome, "NEW_REFERRAL_FLAG")
    refs = None
    if ctx.has_field("ssd_cin_episodes", "cine_referral_date"):
        refs = referrals(ctx)
    if refs is None:
        return items.mutate(progressed=recorded & flagged)
    days = int(ctx.param("link_days"))
    c = items.select(_c_id="contact_id", _c_person="person", _c_date="contact_date")
    pairs = refs.join(
        c,
        [
            refs.person == c._c_person,
            c._c_date <= refs.referral_date,
            refs.referral_date <= (c._c_date + ibis.interval(days=days)).cast("date"),
        ],
    )
    ranked = pairs.mutate(
        _rank=ibis.row_number().over(
            group_by=[pairs.person, pairs.referral_date],
            order_by=[pairs._c_date.desc(), pairs._c_id.desc()],
        )
    )
    linked = ranked.filter(ranked._rank == 0).select(_l_id="_c_id").distinct()
    joined = items.left_join(linked, items.contact_id == linked._l_id)
    progressed = ibis.ifelse(recorded, flagged, joined._l_id.notnull())
    return joined.mutate(progressed=progressed).drop("_l_id")


@indicator("contacts.to_referral_pct")
def to_referral(ctx: Context) -> ir.Table:
    items = in_window(ctx, with_progression(ctx, contacts(ctx)), "contact_date")
    return items.select(
        "period_end",
        "team",
        "source",
        numerator=one_if(items.progressed),
        denominator=ibis.literal(1),
    )


@indicator("contacts.source_share_pct")
def source_share(ctx: Context) -> ir.Table:
    # Each group's share is over all contacts of the month: a contact counts 1 in its own
    # group's numerator, and each group gets one row per month carrying the month's total as
    # its denominator (rather than a copy of every contact per group).
    groups = [str(group) for group in ctx.param("source_groups")]
    if not groups:
        raise NotAvailable("the council settings give this indicator no source groups")
    items = in_window(ctx, contacts(ctx), "contact_date")
    own = items.filter(items.source.isin(groups)).select(
        "period_end",
        team=ibis.null("string"),
        source=items.source,
        numerator=ibis.literal(1, "int64"),
        denominator=ibis.literal(0, "int64"),
    )
    totals = items.group_by("period_end").aggregate(total=items.count())
    offered = [
        totals.select(
            "period_end",
            team=ibis.null("string"),
            source=ibis.literal(group),
            numerator=ibis.literal(0, "int64"),
            denominator=totals.total.cast("int64"),
        )
        for group in groups
    ]
    return ibis.union(own, *offered, distinct=False)


@indicator("contacts.repeat_3m_pct")
def repeat_3m(ctx: Context) -> ir.Table:
    ctx.history_from(CONTACTS, "cont_contact_date")
    base = contacts(ctx)
    earlier = base.select(_p_id="contact_id", _p_person="person", _p_date="contact_date")
    pairs = base.join(
        earlier,
        [
            base.person == earlier._p_person,
            earlier._p_date >= (base.contact_date - ibis.interval(months=3)).cast("date"),
            (earlier._p_date < base.contact_date)
            | ((earlier._p_date == base.contact_date) & (earlier._p_id < base.contact_id)),
        ],
    )
    found = pairs.select(_f_id=pairs.contact_id).distinct()
    joined = base.left_join(found, base.contact_id == found._f_id)
    items = in_window(ctx, joined.mutate(repeat=joined._f_id.notnull()), "contact_date")
    return items.select(
        "period_end", "team", numerator=one_if(items.repeat), denominator=ibis.literal(1)
    )
