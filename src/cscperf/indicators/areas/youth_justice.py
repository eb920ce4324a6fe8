"""Youth justice (catalogue ``youth_justice.yaml``).

Owns the one youth justice measure computed from case records: looked-after children aged
10-17 in care for twelve months or more who were convicted or cautioned in the last twelve
months. The published measures (first-time entrants, reoffending) are imported values, read
by :mod:`cscperf.indicators.imported`. A conviction without a date (903 OC2 gives only a flag
per return year) is dated 31 March of the year in its row id ``child/year``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.ages import age_at
from cscperf.indicators.blocks.care import twelve_month_cohort
from cscperf.indicators.blocks.expressions import rated
from cscperf.indicators.context import Context
from cscperf.indicators.registry import indicator

CONVICTIONS = "ssd_cla_convictions"


def conviction_dates(ctx: Context) -> ir.Table:
    """_c_person, _c_date: dated convictions; undated 903 ones on 31 March of their year."""
    raw = ctx.table(CONVICTIONS, ["clac_person_id"])
    year = raw.clac_cla_conviction_id.cast("string").re_extract("/([0-9]{4})$", 1)
    from_year = ibis.ifelse(
        year.length() == 4,
        ibis.date(year.cast("int32"), 3, 31),
        ibis.null("date"),
    )
    dated = raw.select(
        _c_person=raw.clac_person_id,
        _c_date=raw.clac_cla_conviction_date.coalesce(from_year),
    )
    return dated.filter(dated._c_date.notnull())


@indicator("yj.lac_convicted_pct")
def lac_convicted(ctx: Context) -> ir.Table:
    cohort = twelve_month_cohort(ctx)
    age = age_at(cohort.dob, cohort.period_end)
    cohort = cohort.filter(age.notnull() & (age >= 10) & (age <= 17))
    convictions = conviction_dates(ctx)
    windows = ctx.periods.select(_w_end="period_end", _w_start="rolling_12m_start")
    recent = (
        convictions.join(
            windows,
            [convictions._c_date >= windows._w_start, convictions._c_date <= windows._w_end],
        )
        .select("_c_person", "_w_end")
        .distinct()
    )
    cohort = cohort.view()
    items = cohort.left_join(
        recent, [cohort.person_id == recent._c_person, cohort.period_end == recent._w_end]
    )
    return rated(items, items._c_person.notnull())
