"""Referrals to children's social care: counts, rate, re-referrals within 12 months, NFA.

One SSD ``ssd_cin_episodes`` row is one referral. Same-day duplicates for a child are one
referral (the lowest referral id is kept). Each referral is attributed to its own team
(``cine_referral_team``) or to the allocated worker's team on the referral date.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.expressions import one_if
from cscperf.indicators.blocks.referrals import referrals
from cscperf.indicators.blocks.windows import in_window
from cscperf.indicators.context import Context
from cscperf.indicators.registry import indicator

EPISODES = "ssd_cin_episodes"


def with_rereferral(ctx: Context) -> ir.Table:
    """Referrals with ``rereferral``: the child has another referral p with
    ADD_MONTHS(r, -12) <= p < r."""
    return ctx.shared("referrals with re-referrals", lambda: _with_rereferral(ctx))


def _with_rereferral(ctx: Context) -> ir.Table:
    refs = referrals(ctx)
    ctx.history_from(EPISODES, "cine_referral_date")
    earlier = refs.select(_p_person=refs.person, _p_date=refs.referral_date)
    pairs = refs.join(
        earlier,
        [
            refs.person == earlier._p_person,
            earlier._p_date < refs.referral_date,
            earlier._p_date >= (refs.referral_date - ibis.interval(months=12)).cast("date"),
        ],
    )
    found = pairs.select(_r_person=pairs.person, _r_date=pairs.referral_date).distinct()
    joined = refs.left_join(
        found, [refs.person == found._r_person, refs.referral_date == found._r_date]
    )
    return joined.mutate(rereferral=joined._r_person.notnull()).drop("_r_person", "_r_date")


@indicator("referrals.count", "referrals.rate_per_10k")
def referrals_count(ctx: Context) -> ir.Table:
    items = in_window(ctx, referrals(ctx), "referral_date")
    return items.select("period_end", "team", numerator=ibis.literal(1))


@indicator("referrals.rereferral_12m_pct", "referrals.rereferral_12m_rolling_12m_pct")
def rereferral_12m(ctx: Context) -> ir.Table:
    items = in_window(ctx, with_rereferral(ctx), "referral_date")
    return items.select(
        "period_end",
        "team",
        numerator=one_if(items.rereferral),
        denominator=ibis.literal(1),
    )


@indicator("referrals.nfa_pct")
def nfa(ctx: Context) -> ir.Table:
    items = in_window(ctx, referrals(ctx), "referral_date")
    return items.select(
        "period_end", "team", numerator=one_if(items.nfa), denominator=ibis.literal(1)
    )
