"""Properties of the engine over random referrals: breakdown rows sum to the ``all`` row, and
year-to-date and rolling views made by the spec's rule (sum of monthly numerators over sum of
monthly denominators) agree with a direct count written here from the definition."""

from __future__ import annotations

from datetime import date

import ibis
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.indicators.helpers import run

from cscperf.calendar.months import add_months

IDS = [
    "referrals.count",
    "referrals.rereferral_12m_pct",
    "referrals.rereferral_12m_rolling_12m_pct",
]
FIRST, LAST = date(2023, 2, 28), date(2024, 12, 31)
CON = ibis.duckdb.connect()

referral = st.fixed_dictionaries(
    {
        "cine_person_id": st.sampled_from(["A", "B", "C", "D", "E"]),
        "cine_referral_date": st.dates(date(2022, 6, 1), date(2024, 12, 31)),
        "cine_referral_team": st.sampled_from(["T1", "T2", "T3", "TX", None]),
    }
)


def _rereferrals_in(rows: list[dict], start: date, end: date) -> tuple[int, int]:
    """Direct count: distinct (child, date) referrals dated start..end, and how many of them
    have an earlier referral p of the child with ADD_MONTHS(r, -12) <= p < r."""
    dates: dict[str, set[date]] = {}
    for r in rows:
        dates.setdefault(r["cine_person_id"], set()).add(r["cine_referral_date"])
    den = num = 0
    for days in dates.values():
        for r in days:
            if start <= r <= end:
                den += 1
                num += any(add_months(r, -12) <= p < r for p in days)
    return num, den


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(referral, min_size=1, max_size=40))
def test_breakdowns_sum_and_ytd_follows_the_rule(rows):
    for i, r in enumerate(rows):
        r["cine_referral_id"] = f"r{i:03d}"
    results = run({"ssd_cin_episodes": rows}, IDS, FIRST, LAST, con=CON)

    totals = results.filter(pl.col("breakdown") == "all").select(
        "indicator_id",
        "period_end",
        pl.col("numerator").alias("n_all"),
        pl.col("denominator").alias("d_all"),
    )
    for breakdown in ("locality", "team"):
        parts = (
            results.filter(pl.col("breakdown") == breakdown)
            .group_by("indicator_id", "period_end")
            .agg(pl.col("numerator").sum(), pl.col("denominator").sum())
            .join(totals, on=["indicator_id", "period_end"])
        )
        assert parts.height == totals.height
        assert (parts["numerator"] == parts["n_all"]).all()
        pct = parts.filter(pl.col("d_all").is_not_null())
        assert (pct["denominator"] == pct["d_all"]).all()

    monthly = results.filter(
        (pl.col("indicator_id") == "referrals.rereferral_12m_pct") & (pl.col("breakdown") == "all")
    )
    # Year to date at 31 Dec 2024: April..December 2024.
    ytd = monthly.filter(pl.col("period_end").is_between(date(2024, 4, 30), LAST))
    expected = _rereferrals_in(rows, date(2024, 4, 1), LAST)
    assert (ytd["numerator"].sum(), ytd["denominator"].sum()) == expected
    # The rolling indicator equals sum(num) / sum(den) of the twelve monthly rows.
    rolling = results.filter(
        (pl.col("indicator_id") == "referrals.rereferral_12m_rolling_12m_pct")
        & (pl.col("breakdown") == "all")
        & (pl.col("period_end") == LAST)
    ).row(0, named=True)
    last12 = monthly.filter(pl.col("period_end") >= date(2024, 1, 31))
    assert (rolling["numerator"], rolling["denominator"]) == (
        last12["numerator"].sum(),
        last12["denominator"].sum(),
    )
