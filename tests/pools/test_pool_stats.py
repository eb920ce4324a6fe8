"""Pooled benchmarks on a tiny hand-made pool: mean, median, quartiles, rank, suppression.

Five councils, one percentage (polarity high) and one rate (polarity low) for March 2025:

percentage: A 10 (of 50), B 20 (of 40), C 40 (of 30), D 70 (of 20), E 90 (of 5). With the pool's
rule "denominators under 10 are suppressed", E is suppressed, leaving 10, 20, 40, 70:
mean 35; median (20 + 40) / 2 = 30; lower quartile at position (4-1) x 0.25 = 0.75, so
10 + 0.75 x (20 - 10) = 17.5; upper quartile at position 2.25, so 40 + 0.25 x (70 - 40) = 47.5.
Higher is better: D rank 1, C 2, B 3, A 4, E no rank.

rate (lower is better): A 5, B 3, C 3, D 8, E 1 (per 10,000 children; denominators are
populations): ties share the better rank: E 1, B 2, C 2, A 4, D 5; median 3, mean 4.

A count is never benchmarked; a locality row is not the council's figure; a month in which
only two values are left (rule: three members at least) has its statistics and ranks withheld.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from cscperf.pools.settings import Suppression
from cscperf.pools.stats import benchmark_csv, pool_benchmarks

MARCH, FEBRUARY = date(2025, 3, 31), date(2025, 2, 28)
UNITS = {"x.pct": "percent", "x.rate": "rate_per_10k", "x.count": "count"}
POLARITIES = {"x.pct": "high", "x.rate": "low", "x.count": "high"}
RULE = Suppression(denominator_below=10, members_below=3)


def _row(la: str, ident: str, value: float, den: float, month: date = MARCH) -> dict[str, object]:
    return {"la_code": la, "indicator_id": ident, "period_end": month, "breakdown": "all",
            "breakdown_value": "all", "numerator": value * den / 100, "denominator": den,
            "value": value}  # fmt: skip


ROWS = [
    *(_row(la, "x.pct", v, d) for la, v, d in
      [("A", 10, 50), ("B", 20, 40), ("C", 40, 30), ("D", 70, 20), ("E", 90, 5)]),
    *(_row(la, "x.rate", v, 20000) for la, v in
      [("A", 5), ("B", 3), ("C", 3), ("D", 8), ("E", 1)]),
    _row("A", "x.count", 4, 1),
    {**_row("A", "x.pct", 99, 50), "breakdown": "locality", "breakdown_value": "North"},
    _row("A", "x.pct", 10, 50, FEBRUARY),
    _row("B", "x.pct", 20, 50, FEBRUARY),
    _row("C", "x.pct", 30, 5, FEBRUARY),
]  # fmt: skip


@pytest.fixture(scope="module")
def bench() -> pl.DataFrame:
    return pool_benchmarks(pl.DataFrame(ROWS), UNITS, POLARITIES, RULE)


def _by_la(bench: pl.DataFrame, ident: str, month: date = MARCH) -> dict[str, dict[str, object]]:
    rows = bench.filter((pl.col("indicator_id") == ident) & (pl.col("period_end") == month))
    return {r["la_code"]: r for r in rows.iter_rows(named=True)}


def test_percentage_statistics_and_rank(bench: pl.DataFrame) -> None:
    got = _by_la(bench, "x.pct")
    assert got["A"]["members"] == 4
    assert got["A"]["mean"] == pytest.approx(35)
    assert got["A"]["median"] == pytest.approx(30)
    assert got["A"]["lower_quartile"] == pytest.approx(17.5)
    assert got["A"]["upper_quartile"] == pytest.approx(47.5)
    assert {la: r["rank"] for la, r in got.items()} == {"A": 4, "B": 3, "C": 2, "D": 1, "E": None}
    assert got["E"]["suppressed"] is True and got["E"]["value"] is None


def test_rate_ties_share_the_better_rank(bench: pl.DataFrame) -> None:
    got = _by_la(bench, "x.rate")
    assert {la: r["rank"] for la, r in got.items()} == {"A": 4, "B": 2, "C": 2, "D": 5, "E": 1}
    assert got["A"]["median"] == pytest.approx(3)
    assert got["A"]["mean"] == pytest.approx(4)


def test_counts_and_localities_are_not_benchmarked(bench: pl.DataFrame) -> None:
    assert "x.count" not in set(bench["indicator_id"])
    assert 99.0 not in set(bench["value"].drop_nulls())
    assert bench.height == 5 + 5 + 3


def test_too_few_members_withholds_statistics_and_ranks(bench: pl.DataFrame) -> None:
    got = _by_la(bench, "x.pct", FEBRUARY)
    assert got["A"]["members"] == 2  # C rests on 5 and is suppressed
    assert all(r["mean"] is None and r["rank"] is None for r in got.values())
    assert got["A"]["value"] == 10  # a member's own value is still its own


def test_csv_marks_suppressed_and_withheld(bench: pl.DataFrame) -> None:
    text = benchmark_csv(bench.filter(pl.col("period_end") == FEBRUARY))
    lines = text.splitlines()
    assert lines[0] == (
        "la_code,indicator_id,period_end,value,members,mean,median,lower_quartile,"
        "upper_quartile,rank"
    )
    assert lines[1] == "A,x.pct,2025-02-28,10.0000,2,[c],[c],[c],[c],"
    assert lines[3] == "C,x.pct,2025-02-28,[c],2,[c],[c],[c],[c],"
