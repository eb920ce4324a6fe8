"""Honest comparisons in the evaluated table: each indicator set beside the published figure on
the same basis, small numbers marked and never rated or ranked."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from cscperf.evaluate.evaluate import IndicatorMeta, evaluate
from cscperf.evaluate.rules import is_small_number, small_number_label
from cscperf.evaluate.targets import parse_targets
from cscperf.indicators.contract import CONTRACT_COLUMNS

META = {
    "assess.within_45wd_pct": IndicatorMeta("percent", "high", "in_month", "Assessments"),
    "referrals.count": IndicatorMeta("count", "info", "in_month", "Referrals"),
    "lac.rate_per_10k": IndicatorMeta("rate_per_10k", "low", "snapshot_month_end", "LAC rate"),
}
END = date(2024, 6, 30)  # three months into 2024-25: April, May, June
MONTHS = [date(2024, 4, 30), date(2024, 5, 31), END]
TARGETS = parse_targets(
    {
        "kind": "cscperf-targets",
        "council": "Testshire",
        "targets": [
            {
                "indicator_id": "assess.within_45wd_pct",
                "financial_year": "2024-25",
                "target": 90,
                "green": 90,
                "red": 80,
            },
        ],
    },
    "test",
)


def _rows(north: tuple[float, float]) -> pl.DataFrame:
    rows = []
    for end in MONTHS:
        rows.append(("assess.within_45wd_pct", end, "all", "all", 8.0, 10.0, 80.0))
        north_value = north[0] / north[1] * 100
        rows.append(("assess.within_45wd_pct", end, "locality", "North", *north, north_value))
        rows.append(("referrals.count", end, "all", "all", 100.0, None, 100.0))
        rows.append(("lac.rate_per_10k", end, "all", "all", 1000.0, 170_000.0, 1000 / 17))
    return pl.DataFrame(
        rows,
        schema=list(CONTRACT_COLUMNS),
        orient="row",
    )


def _published(indicator_id: str, basis: str, compare_as: str, rank: int | None) -> dict:
    return {
        "indicator_id": indicator_id,
        "year": 2024,
        "year_ends": "march",
        "basis": basis,
        "compare_as": compare_as,
        "la_name": "Norfolk",
        "published_by": "Norfolk's published figures (borrowed for the demo)",
        "value": 85.0,
        "england": 80.0,
        "region_value": 82.0,
        "sn_mean": 81.0,
        "sn_median": 81.0,
        "sn_best": 90.0,
        "top_quartile": 88.0,
        "rank": rank,
        "ranked_of": 150 if rank else None,
        "quartile_band": "B" if rank else None,
        "decimals": 1,
    }


def _benchmarks() -> pl.DataFrame:
    annual = "year ending 31 March 2024; ours is the year to date"
    return pl.DataFrame(
        [
            _published("assess.within_45wd_pct", annual, "ytd_annualised", 40),
            _published("referrals.count", annual + ", scaled to 12 months", "ytd_annualised", None),
            _published("lac.rate_per_10k", "31 March 2024 snapshot", "value", 60),
        ]
    )


def _one(out: pl.DataFrame, ident: str, value: str = "all") -> dict:
    return out.filter(pl.col("indicator_id") == ident, pl.col("breakdown_value") == value).row(
        0, named=True
    )


def test_each_indicator_is_compared_on_the_published_basis() -> None:
    out = evaluate(_rows((30, 40)), META, TARGETS, END, _benchmarks())
    # An in-month percentage: its year to date (24 of 30 = 80%) beside the year's figure.
    assess = _one(out, "assess.within_45wd_pct")
    assert assess["bm_own_value"] == pytest.approx(80.0)
    assert assess["bm_basis"] == "year ending 31 March 2024; ours is the year to date"
    # An in-month count: 300 in three months, scaled to twelve = 1,200 for the year.
    referrals = _one(out, "referrals.count")
    assert referrals["ytd_value"] == 300
    assert referrals["bm_own_value"] == pytest.approx(1200.0)
    assert referrals["bm_rank"] is None and referrals["bm_quartile_band"] is None
    # A snapshot: the month's own value beside the 31 March snapshot.
    lac = _one(out, "lac.rate_per_10k")
    assert lac["bm_own_value"] == pytest.approx(1000 / 17)
    assert lac["bm_basis"] == "31 March 2024 snapshot"
    assert lac["bm_rank"] == 60
    # Whose figures they are travels with every benchmark.
    assert lac["bm_published_by"] == "Norfolk's published figures (borrowed for the demo)"


def test_small_numbers_are_marked_not_rated_and_not_ranked() -> None:
    # North: 3 of 4 assessments in time = 75%, which would be red against red-below-80.
    out = evaluate(_rows((3, 4)), META, TARGETS, END, _benchmarks())
    north = _one(out, "assess.within_45wd_pct", "North")
    assert north["small_number"] is True
    assert north["rag"] == "none"
    assert north["rag_label"] == "Fewer than 5: not rated"
    assert "rests on 4" in north["rag_reason"]
    assert north["exception"] is False
    # The year to date, 9 of 12, rests on 12: no longer small.
    assert north["ytd_small_number"] is False
    county = _one(out, "assess.within_45wd_pct")
    assert county["small_number"] is False and county["rag"] == "amber"  # 80: amber
    # The same month on 30 of 40 is rated: 75 is red.
    rated = _one(evaluate(_rows((30, 40)), META, TARGETS, END), "assess.within_45wd_pct", "North")
    assert rated["small_number"] is False and rated["rag"] == "red"


def test_a_small_county_value_loses_its_rank() -> None:
    rows = _rows((30, 40)).with_columns(
        pl.when(pl.col("indicator_id") == "lac.rate_per_10k")
        .then(3.0)
        .otherwise(pl.col("numerator"))
        .alias("numerator")
    )
    lac = _one(evaluate(rows, META, TARGETS, END, _benchmarks()), "lac.rate_per_10k")
    assert lac["small_number"] is True  # a rate rests on its numerator: 3 children
    assert lac["bm_rank"] is None and lac["bm_quartile_band"] is None
    assert lac["bm_england"] == 80.0  # the published comparators are still shown


@pytest.mark.parametrize(
    ("unit", "numerator", "denominator", "small"),
    [
        ("percent", 1, 2, True),
        ("percent", 0, 4, True),  # 0 of 4 rests on 4 children
        ("percent", 4, 5, False),
        ("percent", 0, 0, False),  # nothing to rest on: no value, not a small number
        ("count", 4, None, True),
        ("count", 5, None, False),
        ("count", 0, None, False),
        ("rate_per_10k", 2, 170_000, True),
        ("average", 100, 3, True),
        ("days", 30, 5, False),
    ],
)
def test_small_number_rule(
    unit: str, numerator: float, denominator: float | None, small: bool
) -> None:
    assert is_small_number(unit, numerator, denominator, 5) is small


def test_small_number_label_names_the_threshold() -> None:
    assert small_number_label(5) == "fewer than 5: not rated"
    assert small_number_label(10) == "fewer than 10: not rated"
