"""The synthetic council's targets file covers every financial year of its window."""

from __future__ import annotations

from datetime import date

from cscperf.evaluate.targets import load_targets
from cscperf.synth.targets import financial_year_labels, rolled_targets, write_targets


def test_financial_year_labels_cover_the_window():
    assert financial_year_labels(date(2023, 3, 31), date(2025, 4, 1)) == [
        "2022-23",
        "2023-24",
        "2024-25",
        "2025-26",
    ]
    assert financial_year_labels(date(2024, 4, 1), date(2024, 4, 30)) == ["2024-25"]


def test_latest_year_is_carried_to_every_year():
    example = {
        "kind": "cscperf-targets",
        "targets": [
            {"indicator_id": "a", "financial_year": "2024-25", "target": 1},
            {"indicator_id": "a", "financial_year": "2025-26", "target": 2},
            {"indicator_id": "b", "financial_year": "2025-26", "target": 3},
        ],
    }
    rolled = rolled_targets(example, ["2026-27", "2027-28"])
    assert rolled["kind"] == "cscperf-targets"
    assert rolled["targets"] == [
        {"indicator_id": "a", "financial_year": "2026-27", "target": 2},
        {"indicator_id": "b", "financial_year": "2026-27", "target": 3},
        {"indicator_id": "a", "financial_year": "2027-28", "target": 2},
        {"indicator_id": "b", "financial_year": "2027-28", "target": 3},
    ]


def test_written_file_is_valid_and_rates_the_last_month(tmp_path):
    path = write_targets(tmp_path, date(2016, 4, 1), date(2026, 10, 31))
    targets = load_targets(path)
    years = {entry.financial_year for entry in targets.targets}
    assert years == set(financial_year_labels(date(2016, 4, 1), date(2026, 10, 31)))
    entry = targets.entry_for("lac.rate_per_10k", date(2026, 10, 31), None)
    assert entry is not None and entry.target is not None
