"""The evaluated results table on hand-built indicator rows: targets per breakdown, RAG,
direction month on month and year on year, YTD and previous YTD, exceptions, benchmarks and
the 31 March reconciliation."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from cscperf.evaluate.evaluate import IndicatorMeta, evaluate, ytd_months
from cscperf.evaluate.targets import parse_targets
from cscperf.indicators.contract import CONTRACT_COLUMNS

META = {
    "assess.within_45wd_pct": IndicatorMeta("percent", "high", "in_month", "Assessments"),
    "lac.rate_per_10k": IndicatorMeta("rate_per_10k", "low", "snapshot_month_end", "LAC rate"),
    "referrals.count": IndicatorMeta("count", "info", "in_month", "Referrals"),
}

TARGETS = parse_targets(
    {
        "kind": "cscperf-targets",
        "council": "Testshire",
        "vital_signs": ["lac.rate_per_10k"],
        "flagged": ["budget:placements"],
        "unchanged_threshold": {"rate_per_10k": 0.5},
        "targets": [
            {
                "indicator_id": "assess.within_45wd_pct",
                "financial_year": "2024-25",
                "target": 90,
                "green": 90,
                "red": 80,
            },
            {
                "indicator_id": "assess.within_45wd_pct",
                "financial_year": "2024-25",
                "target": 70,
                "green": 70,
                "red": 60,
                "breakdown_value": "North",
            },
            {
                "indicator_id": "lac.rate_per_10k",
                "financial_year": "2024-25",
                "target": 60,
                "green": 60,
                "red": 65,
                "budget_lines": ["placements"],
            },
        ],
    },
    "test",
)

MONTHS = [
    date(2024, 3, 31),
    date(2024, 4, 30),
    date(2024, 5, 31),
    date(2024, 6, 30),
    date(2024, 7, 31),
    date(2024, 8, 31),
    date(2024, 9, 30),
    date(2024, 10, 31),
    date(2024, 11, 30),
    date(2024, 12, 31),
    date(2025, 1, 31),
    date(2025, 2, 28),
    date(2025, 3, 31),
]


def _rows() -> pl.DataFrame:
    rows = []
    for i, end in enumerate(MONTHS):
        # Assessments: 8 of 10 every month except March 2025 (9 of 10).
        num = 9 if end == date(2025, 3, 31) else 8
        rows.append(("assess.within_45wd_pct", end, "all", "all", num, 10, num * 10.0))
        rows.append(("assess.within_45wd_pct", end, "locality", "North", 30, 40, 75.0))
        # LAC rate rising by 1 a month from 50: 62 at March 2025, 50 at March 2024.
        rate = 50.0 + i
        rows.append(("lac.rate_per_10k", end, "all", "all", rate * 17, 170_000, rate / 10))
        rows.append(("referrals.count", end, "all", "all", 100 + i, None, 100.0 + i))
    frame = pl.DataFrame(
        rows,
        schema=list(CONTRACT_COLUMNS),
        orient="row",
    )
    # LAC value is computed from num/den as the engine would: rate * 17 / 170000 * 10000.
    return frame.with_columns(
        pl.when(pl.col("indicator_id") == "lac.rate_per_10k")
        .then(pl.col("numerator") / pl.col("denominator") * 10_000)
        .otherwise(pl.col("value"))
        .alias("value")
    )


def _benchmarks() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "indicator_id": "lac.rate_per_10k",
                "year": 2024,
                "year_ends": "march",
                "value": 65.0,
                "england": 70.0,
                "region_value": 60.0,
                "sn_mean": 61.0,
                "sn_median": 59.0,
                "sn_best": 50.0,
                "top_quartile": 52.0,
                "rank": 40,
                "ranked_of": 150,
                "quartile_band": "B",
                "decimals": 0,
            },
            {
                "indicator_id": "lac.rate_per_10k",
                "year": 2025,
                "year_ends": "march",
                "value": 63.0,
                "england": 67.0,
                "region_value": 58.0,
                "sn_mean": 60.7,
                "sn_median": 58.5,
                "sn_best": 53.0,
                "top_quartile": 53.0,
                "rank": 59,
                "ranked_of": 151,
                "quartile_band": "B",
                "decimals": 0,
            },
        ]
    )


def _one(frame: pl.DataFrame, indicator: str, value: str = "all") -> dict:
    hit = frame.filter(pl.col("indicator_id") == indicator, pl.col("breakdown_value") == value)
    assert hit.height == 1
    return hit.row(0, named=True)


def test_ytd_months() -> None:
    assert ytd_months(date(2024, 6, 30)) == [
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
    ]
    assert ytd_months(date(2024, 4, 30)) == [date(2024, 4, 30)]
    assert len(ytd_months(date(2025, 3, 31))) == 12


def test_evaluated_month() -> None:
    out = evaluate(_rows(), META, TARGETS, date(2025, 3, 31), _benchmarks())
    assess = _one(out, "assess.within_45wd_pct")
    assert assess["value"] == 90.0 and assess["target"] == 90
    assert assess["rag"] == "green"
    assert assess["dot_month"] == "improving"  # 80 -> 90, high is good
    # YTD: 11 months of 8/10 and one of 9/10 = 97/120.
    assert assess["ytd_value"] == pytest.approx(100 * 97 / 120)
    assert assess["ytd_months"] == 12
    # Previous YTD has only March 2024's row of that year (April 2023..March 2024).
    assert assess["prev_ytd_value"] == pytest.approx(80.0)
    assert assess["prev_ytd_months"] == 1
    assert not assess["exception"]

    north = _one(out, "assess.within_45wd_pct", "North")
    assert north["target"] == 70 and north["rag"] == "green"

    lac = _one(out, "lac.rate_per_10k")
    assert lac["value"] == pytest.approx(62.0)
    assert lac["rag"] == "amber"  # between green 60 and red 65
    assert lac["dot_month"] == "worsening"
    assert lac["dot_year"] == "worsening" and lac["dot_year_change"] == pytest.approx(12)
    assert lac["ytd_value"] is None and "snapshot" in lac["ytd_reason"]
    assert lac["vital_sign"]
    # Not red, 62 is within 5% of 60 (63), but three rises in a row and a flagged budget line.
    assert lac["exception_rules"] == "worsened_3_periods,linked_flag"
    assert lac["bm_year"] == 2025 and lac["bm_sn"] == 60.7 and lac["bm_quartile_band"] == "B"
    # Reconciliation at 31 March: 62.0 rounds to 62, published 63: differs.
    assert lac["recon_own"] == pytest.approx(62.0)
    assert lac["recon_published"] == 63.0
    assert lac["recon_differs"] is True

    referrals = _one(out, "referrals.count")
    assert referrals["rag"] == "none" and referrals["rag_reason"] == "information-only measure"
    assert referrals["dot_month"] == "not comparable"
    assert referrals["ytd_value"] == sum(100 + i for i in range(1, 13))


def test_month_without_targets_or_benchmarks() -> None:
    out = evaluate(_rows(), META, None, date(2024, 9, 30), sn_aggregate="median")
    lac = _one(out, "lac.rate_per_10k")
    assert lac["rag"] == "none" and lac["rag_reason"] == "no target applies"
    assert lac["bm_sn"] is None
    assert lac["recon_differs"] is None  # not a year-end month
    assert out.height == 4


def test_median_aggregate_and_red_exception() -> None:
    rows = _rows().with_columns(
        pl.when(pl.col("indicator_id") == "assess.within_45wd_pct")
        .then(pl.lit(50.0))
        .otherwise(pl.col("value"))
        .alias("value")
    )
    out = evaluate(rows, META, TARGETS, date(2025, 3, 31), _benchmarks(), sn_aggregate="median")
    assess = _one(out, "assess.within_45wd_pct")
    assert assess["rag"] == "red"
    assert assess["exception_rules"] == "red,adverse_to_target"
    assert _one(out, "lac.rate_per_10k")["bm_sn"] == 58.5
