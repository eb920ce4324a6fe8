"""Why a summary row has no figure: the reason given matches the indicator."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import polars as pl

from cscperf.indicators.catalogue import load_catalogue
from cscperf.reports.sections import missing_reasons

OCTOBER = date(2026, 10, 31)


def _pack(rows: list[dict[str, Any]], ids: list[str], focus: tuple[str, str]) -> Any:
    catalogue = load_catalogue()
    frame = pl.DataFrame(
        rows,
        schema={
            "indicator_id": pl.String,
            "period_end": pl.Date,
            "breakdown": pl.String,
            "breakdown_value": pl.String,
            "value": pl.Float64,
            "reason": pl.String,
        },
    )
    return SimpleNamespace(
        rows=frame,
        period_end=OCTOBER,
        focus=focus,
        definitions={i: catalogue.get(i) for i in ids},
    )


def test_an_indicator_given_only_by_source_says_so_rather_than_missing():
    rows = [
        {
            "indicator_id": "contacts.source_share_pct",
            "period_end": OCTOBER,
            "breakdown": "source",
            "breakdown_value": "police",
            "value": 32.9,
            "reason": None,
        }
    ]
    reasons = missing_reasons(_pack(rows, ["contacts.source_share_pct"], ("all", "all")))
    assert reasons["contacts.source_share_pct"] == (
        "this indicator is given by source only, not as one overall figure"
    )


def test_an_indicator_with_no_row_at_all_says_the_build_has_none():
    reasons = missing_reasons(_pack([], ["referrals.count"], ("all", "all")))
    assert reasons["referrals.count"] == "this build has no result for this month"
