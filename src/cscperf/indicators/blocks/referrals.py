"""Distinct referrals: the block the referral and contact areas both read.

One SSD ``ssd_cin_episodes`` row is one referral. Same-day duplicates for a child are one
referral (the lowest referral id is kept). Each referral is attributed to its own team
(``cine_referral_team``) or to the allocated worker's team on the referral date.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.expressions import first_per_key, flag_is_yes
from cscperf.indicators.context import Context

EPISODES = "ssd_cin_episodes"


def referrals(ctx: Context) -> ir.Table:
    """Distinct referrals (child, date), with the team and the NFA flag of the kept row."""
    return ctx.shared("referrals", lambda: _distinct_referrals(ctx))


def _distinct_referrals(ctx: Context) -> ir.Table:
    episodes = ctx.table(EPISODES, ["cine_person_id", "cine_referral_date"])
    episodes = episodes.filter(
        episodes.cine_person_id.notnull() & episodes.cine_referral_date.notnull()
    )
    kept = first_per_key(
        episodes, ["cine_person_id", "cine_referral_date"], [episodes.cine_referral_id]
    )
    team_column = "cine_referral_team" if "cine_referral_team" in kept.columns else None
    attributed = attribute(ctx, kept, "cine_person_id", "cine_referral_date", team_column)
    nfa = (
        flag_is_yes(attributed.cine_referral_nfa.cast("string")).fill_null(False)
        if "cine_referral_nfa" in attributed.columns
        else ibis.literal(False)
    )
    return attributed.select(
        person=attributed.cine_person_id,
        referral_date=attributed.cine_referral_date,
        team=attributed.team,
        nfa=nfa,
    )
