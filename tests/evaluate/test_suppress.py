"""Public suppression: cells resting on fewer than the threshold are [c], and the next smallest
locality too when the county total would give a single suppressed cell away."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import polars as pl
import pytest

from cscperf.errors import CscperfError
from cscperf.evaluate.suppress import (
    MARK,
    check_audience,
    marks_by_key,
    public_csv,
    public_json,
    suppress,
    suppression,
)

JUNE = date(2025, 6, 30)
UNITS = {"assess.within_45wd_pct": "percent", "referrals.count": "count"}


def _rows(ident: str, cells: dict[str, tuple[float, float | None]]) -> pl.DataFrame:
    """The county row (sum of the localities) and one row per locality."""
    num = sum(n for n, _ in cells.values())
    dens = [d for _, d in cells.values()]
    den = None if None in dens else sum(d for d in dens if d is not None)
    rows = [("all", "all", num, den)] + [("locality", k, n, d) for k, (n, d) in cells.items()]
    return pl.DataFrame(
        [
            {
                "indicator_id": ident,
                "period_end": JUNE,
                "breakdown": b,
                "breakdown_value": v,
                "numerator": n,
                "denominator": d,
                "value": n if d is None else n / d * 100,
            }
            for b, v, n, d in rows
        ],
        schema_overrides={"denominator": pl.Float64},
    )


def _marks(frame: pl.DataFrame) -> dict[str, str | None]:
    return dict(zip(frame["breakdown_value"], suppression(frame, UNITS, 5), strict=True))


def test_one_small_locality_takes_the_next_smallest_with_it() -> None:
    rows = _rows("assess.within_45wd_pct", {"North": (3, 4), "South": (10, 20), "West": (50, 100)})
    assert _marks(rows) == {"all": None, "North": "primary", "South": "secondary", "West": None}
    out = suppress(rows, UNITS, 5)
    north = out.filter(pl.col("breakdown_value") == "North").row(0, named=True)
    south = out.filter(pl.col("breakdown_value") == "South").row(0, named=True)
    assert north["value"] is None and north["numerator"] is None and north["denominator"] is None
    assert south["value"] is None and south["suppressed"] == "secondary"
    # The county, 63 of 124, is shown: North and South can no longer be worked out from it.
    county = out.filter(pl.col("breakdown") == "all").row(0, named=True)
    assert county["numerator"] == 63 and county["suppressed"] is None


def test_two_small_localities_need_no_secondary() -> None:
    rows = _rows("referrals.count", {"North": (2, None), "South": (4, None), "West": (30, None)})
    assert _marks(rows) == {"all": None, "North": "primary", "South": "primary", "West": None}


def test_counts_rest_on_themselves_and_zero_is_not_small() -> None:
    rows = _rows(
        "referrals.count",
        {"North": (2, None), "East": (0, None), "South": (7, None), "W": (30, None)},
    )
    # 0 is not small in itself, but it is the next smallest cell: hiding it leaves North's 2
    # ambiguous (the county's 39 less 7 and 30 is North and East together).
    assert _marks(rows) == {
        "all": None,
        "North": "primary",
        "East": "secondary",
        "South": None,
        "W": None,
    }


def test_public_csv_and_json_show_c_and_leak_no_figure() -> None:
    rows = _rows("assess.within_45wd_pct", {"North": (3, 4), "South": (10, 20), "West": (50, 100)})
    text = public_csv(suppress(rows, UNITS, 5))
    records = list(csv.DictReader(io.StringIO(text)))
    north = next(r for r in records if r["breakdown_value"] == "North")
    south = next(r for r in records if r["breakdown_value"] == "South")
    for record in (north, south):
        assert (record["value"], record["numerator"], record["denominator"]) == (MARK,) * 3
    assert north["suppressed"] == "primary" and south["suppressed"] == "secondary"
    west = next(r for r in records if r["breakdown_value"] == "West")
    assert (west["numerator"], west["denominator"], west["value"]) == ("50", "100", "50")
    assert ",3," not in text and ",4," not in text  # North's figures are nowhere
    loaded = json.loads(public_json(suppress(rows, UNITS, 5)))
    assert next(r for r in loaded if r["breakdown_value"] == "North")["value"] == MARK
    assert loaded[0]["period_end"] == "2025-06-30"


def test_known_marks_carry_secondary_suppression_to_a_single_locality() -> None:
    rows = _rows("assess.within_45wd_pct", {"North": (3, 4), "South": (10, 20), "West": (50, 100)})
    known = marks_by_key(rows, UNITS, 5)
    south_only = rows.filter(pl.col("breakdown_value") == "South")
    # On its own South is not small; with the marks of all the localities it is suppressed.
    assert suppress(south_only, UNITS, 5)["suppressed"].to_list() == [None]
    assert suppress(south_only, UNITS, 5, known)["suppressed"].to_list() == ["secondary"]


def test_evaluated_rows_lose_ytd_and_rank_when_small() -> None:
    frame = pl.DataFrame(
        {
            "indicator_id": ["assess.within_45wd_pct"],
            "period_end": [JUNE],
            "breakdown": ["all"],
            "breakdown_value": ["all"],
            "unit": ["percent"],
            "numerator": [1.0],
            "denominator": [2.0],
            "value": [50.0],
            "ytd_value": [60.0],
            "ytd_numerator": [6.0],
            "ytd_denominator": [10.0],
            "ytd_small_number": [False],
            "prev_ytd_value": [100.0],
            "prev_ytd_small_number": [True],
            "dot_month": ["improving"],
            "rag": ["red"],
            "rag_label": ["Red"],
            "bm_rank": [3],
            "bm_quartile_band": ["A"],
        }
    )
    out = suppress(frame, {}, 5).row(0, named=True)
    assert out["value"] is None and out["bm_rank"] is None and out["bm_quartile_band"] is None
    assert out["dot_month"] == "not comparable"  # which way it moved is hidden too
    assert (out["rag"], out["rag_label"]) == ("none", "Suppressed [c]")
    assert out["ytd_value"] == 60.0  # the year to date rests on 10: shown
    assert out["prev_ytd_value"] is None  # last year's year to date rested on fewer than 5


def test_audience_is_checked() -> None:
    assert check_audience("public") == "public"
    with pytest.raises(CscperfError, match=r"council \(every figure.*or public"):
        check_audience("press")
