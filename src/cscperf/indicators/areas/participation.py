"""Participation of looked-after children in their reviews (catalogue ``participation.yaml``).

Owns the ``participation.*`` item tables: the reviews of lac.reviews_in_timescale_pct held in
the month (reviews within a period of care, cancelled ones left out), without those coded PN0
(child under four), each passing when its participation code is in the indicator's list.
"""

from __future__ import annotations

import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.care import REVIEWS, reviewed_children, reviews_with_due_dates
from cscperf.indicators.blocks.expressions import first_per_key, rated
from cscperf.indicators.blocks.windows import in_window
from cscperf.indicators.context import Context
from cscperf.indicators.registry import indicator


def reviews_with_codes(ctx: Context) -> ir.Table:
    """Reviews held in the month with ``code`` (upper-cased participation code, may be
    null), attributed to the child's team on the review date; PN0 reviews left out."""
    ctx.table(REVIEWS, ["clar_cla_id", "clar_cla_review_date", "clar_cla_review_participation"])
    held = reviews_with_due_dates(ctx)
    # The participation code of the review record(s) of that child and day.
    coded = reviewed_children(ctx)
    coded = coded.select(
        _r_person=coded.person_id,
        _r_date=coded.review_date,
        _r_code=coded.code,
        _r_id=coded.review_id,
    )
    coded = first_per_key(coded, ["_r_person", "_r_date"], [coded._r_code.isnull(), coded._r_id])
    held = held.view()
    joined = held.left_join(
        coded, [held.person_id == coded._r_person, held.review_date == coded._r_date]
    )
    joined = joined.select("person_id", "review_date", code=joined._r_code)
    joined = joined.filter(joined.code.isnull() | (joined.code != ctx.param("under_four_code")))
    in_month = in_window(ctx, joined, "review_date")
    return attribute(ctx, in_month, "person_id", "review_date")


@indicator("participation.lac_review_attended_pct")
def review_attended(ctx: Context) -> ir.Table:
    items = reviews_with_codes(ctx)
    return rated(items, items.code.isin(list(ctx.param("attended_codes"))))


@indicator("participation.lac_review_participated_pct")
def review_participated(ctx: Context) -> ir.Table:
    items = reviews_with_codes(ctx)
    return rated(items, items.code.isin(list(ctx.param("participated_codes"))))
