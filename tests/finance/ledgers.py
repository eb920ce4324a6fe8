"""Hand-built ledgers for the finance tests, with the figures worked out by hand in the tests."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

HEADING = [
    "Fin Year",
    "Per",
    "Cost Centre",
    "Service Division",
    "S251",
    "Subjective",
    "Provision",
    "Fund",
    "Original Budget",
    "Revised Budget",
    "Actual YTD",
    "Commitments",
    "Forecast Outturn",
    "Last Month Forecast",
    "Variance Reason",
]
COLUMNS = {
    "financial_year": "Fin Year",
    "period": "Per",
    "cost_centre": "Cost Centre",
    "division": "Service Division",
    "s251_line": "S251",
    "subjective_code": "Subjective",
    "provision_type": "Provision",
    "funding_source": "Fund",
    "approved_budget": "Original Budget",
    "current_budget": "Revised Budget",
    "actual_to_date": "Actual YTD",
    "commitments": "Commitments",
    "forecast_outturn": "Forecast Outturn",
    "previous_forecast": "Last Month Forecast",
    "reason": "Variance Reason",
}
FUNDS = {"GF": "council_fund", "HNB": "dsg_high_needs", "EYB": "dsg_early_years"}

# (cost centre, division, s251, provision, fund, budget, forecast July, forecast June, reason)
LINES = [
    (
        "CC100",
        "Agency fostering",
        "3.1.3",
        "agency",
        "GF",
        1_000_000,
        1_060_000,
        1_040_000,
        "More children with fostering agencies",
    ),
    ("CC101", "Agency fostering", "3.1.3", "agency", "GF", 500_000, 500_000, 510_000, ""),
    (
        "CC200",
        "Agency residential",
        "3.1.1",
        "agency",
        "GF",
        2_000_000,
        1_990_000,
        2_000_000,
        "Two placements ended early",
    ),
    ("CC300", "In-house fostering", "3.1.3", "in_house", "GF", 800_000, 804_000, 800_000, ""),
    ("CC400", "Staying put", "3.1.10", "", "GF", 0, 25_000, 25_000, "Grant short of cost"),
    ("CC500", "Youth justice", "3.6.1", "", "GF", 300_000, 300_000, 300_000, ""),
    (
        "CC600",
        "High needs top-up",
        "1.2.1",
        "",
        "HNB",
        5_000_000,
        5_250_000,
        5_200_000,
        "More post-16 places",
    ),
    ("CC700", "Early years entitlement", "1.3.1", "", "EYB", 1_000_000, 990_000, 990_000, ""),
]


def finance_settings(path: Path, *, previous: bool = True, **extra: object) -> Path:
    columns = dict(COLUMNS)
    if not previous:
        del columns["previous_forecast"]
    data = {
        "kind": "cscperf-finance-settings",
        "ledger": {"columns": columns, "funding_sources": FUNDS},
        "thresholds": {"red_over_pct": 1.0, "amber_over_pct": 0.0},
        **extra,
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def ledger_rows(period: int) -> list[list[object]]:
    rows: list[list[object]] = []
    for cc, division, s251, provision, fund, budget, july, june, reason in LINES:
        forecast = july if period == 4 else june
        previous = june if period == 4 else budget
        rows.append(
            [
                "2025-26",
                period,
                cc,
                division,
                s251,
                "5100",
                provision,
                fund,
                budget,
                budget,
                round(budget * period / 12, 2),
                0,
                forecast,
                previous,
                reason if period == 4 else "",
            ]
        )
    return rows


def write_ledger(path: Path, period: int, rows: list[list[object]] | None = None) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADING)
        writer.writerows(rows if rows is not None else ledger_rows(period))
    return path


def write_csv(path: Path, heading: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(heading)
        writer.writerows(rows)
    return path
