"""The sample store used by the benchmark: figures in range and the engine's columns."""

from __future__ import annotations

from datetime import date

import polars as pl

from cscperf.web.sample import month_ends, sample_rows


def test_month_ends_cover_both_ends() -> None:
    ends = month_ends(date(2024, 11, 30), date(2025, 2, 28))
    assert ends == [date(2024, 11, 30), date(2024, 12, 31), date(2025, 1, 31), date(2025, 2, 28)]


def test_sample_percentages_are_shares_of_their_denominator() -> None:
    rows = sample_rows(month_ends(date(2025, 1, 31), date(2025, 3, 31)), ["North", "South"])
    share = rows.filter(pl.col("indicator_id") == "referrals.rereferral_12m_pct")
    # county + two localities, three months
    assert share.height == 9
    assert share.filter(pl.col("numerator") > pl.col("denominator")).is_empty()
    recomputed = share["numerator"] / share["denominator"] * 100
    assert (recomputed - share["value"]).abs().max() < 1e-9
