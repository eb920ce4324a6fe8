"""A hand-made store for the dashboard tests: three indicators, two localities, two builds.

Figures for April 2025 (financial year 2025-26, Q1 targets of the synthetic council's example
targets file), worked out by hand:

* lac.rate_per_10k, county: 1,100 / 170,000 * 10,000 = 64.7; target 62, red past 62 * 1.05 =
  65.1, so amber. Saltfleet 100 / 17,000 * 10,000 = 58.8 (green); Harrowmere 120 / 17,000 *
  10,000 = 70.6 (red).
* referrals.rereferral_12m_pct, county: 30 / 100 = 30.0%; green at 20, red past 25: red.
* cp.rate_per_10k, county: 595 / 170,000 * 10,000 = 35.0; green 30..40: green.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cscperf.settings import dump_settings
from cscperf.synth.council import eastshire_settings
from cscperf.web.sample import month_ends

CURRENT = "20250508T090000Z"
EARLIER = "20250410T090000Z"
APRIL = date(2025, 4, 30)

# (indicator, breakdown, value): (numerator before April, numerator in April, denominator)
SERIES = {
    ("lac.rate_per_10k", "all", "all"): (1000.0, 1100.0, 170_000.0),
    ("lac.rate_per_10k", "locality", "Saltfleet"): (100.0, 100.0, 17_000.0),
    ("lac.rate_per_10k", "locality", "Harrowmere"): (110.0, 120.0, 17_000.0),
    ("referrals.rereferral_12m_pct", "all", "all"): (20.0, 30.0, 100.0),
    ("cp.rate_per_10k", "all", "all"): (595.0, 595.0, 170_000.0),
    # Given by source only (no overall row): police 35 / 100 = 35.0%, health 15 / 100 = 15.0%.
    ("contacts.source_share_pct", "source", "police"): (30.0, 35.0, 100.0),
    ("contacts.source_share_pct", "source", "health"): (20.0, 15.0, 100.0),
}
SCALE = {
    "lac.rate_per_10k": 10_000,
    "cp.rate_per_10k": 10_000,
    "referrals.rereferral_12m_pct": 100,
    "contacts.source_share_pct": 100,
}


def rows_until(last: date) -> pl.DataFrame:
    records = []
    for (ident, breakdown, value), (before, april, den) in SERIES.items():
        for end in month_ends(date(2023, 4, 30), last):
            num = april if end == APRIL else before
            records.append((ident, end, breakdown, value, num, den, num / den * SCALE[ident]))
    return pl.DataFrame(
        records,
        schema=[
            ("indicator_id", pl.String),
            ("period_end", pl.Date),
            ("breakdown", pl.String),
            ("breakdown_value", pl.String),
            ("numerator", pl.Float64),
            ("denominator", pl.Float64),
            ("value", pl.Float64),
        ],
        orient="row",
    )


def write_build(store: Path, build_id: str, last: date, extract: str) -> None:
    folder = store / "builds" / build_id
    (folder / "results").mkdir(parents=True)
    (folder / "quality").mkdir()
    manifest = {
        "created": extract + "T09:00:00Z",
        "extract_date": extract,
        "source_system": "Test case system",
        "council": {"name": "Eastshire County Council", "la_code": "999"},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    dump_settings(eastshire_settings(), folder / "settings.yaml")
    rows_until(last).write_parquet(folder / "results" / "indicators.parquet")
    quality = pl.DataFrame(
        {
            "severity": ["error", "warning", "warning"],
            "rule": ["episode_end_before_start", "missing_team", "missing_team"],
            "file": ["a.csv"] * 3,
            "row": ["12", "40", "41"],
            "table": ["ssd_cla_episodes", "ssd_cin_episodes", "ssd_cin_episodes"],
            "field": ["clae_cla_episode_ceased_date", "cine_referral_team", "cine_referral_team"],
            "value": ["CHILD-SECRET-1", "", ""],
            "message": ["sample"] * 3,
        }
    )
    quality.write_csv(folder / "quality" / "report.csv")


@pytest.fixture(scope="session")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("web") / "store"
    write_build(store, EARLIER, date(2025, 3, 31), "2025-04-07")
    write_build(store, CURRENT, APRIL, "2025-05-07")
    (store / "current").write_text(CURRENT + "\n", encoding="utf-8")
    commentary = {
        "kind": "cscperf-commentary",
        "indicators": [
            {
                "indicator_id": "lac.rate_per_10k",
                "period": "2025-04",
                "analysis": "Numbers rose after two large sibling groups came into care.",
            }
        ],
    }
    (store / "commentary.yaml").write_text(json.dumps(commentary), encoding="utf-8")
    return store
