"""The synthetic council's SSD folder loads cleanly, and every planted fault is reported."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cscperf.sources.ingest import ingest

synth = pytest.importorskip("cscperf.synth")

# Faults the SSD route is expected to find, with the rule that reports each.
RULE_FOR_FAULT = {
    "referral_before_birth": "date-before-birth",
    "missing_date": "missing-date",
    "duplicate_row": "duplicate-row",
    "overlapping_episode": "overlapping-episodes",
    "end_before_start": "end-before-start",
}


def _ssd_inputs(out: Path) -> list[Path]:
    return [out / "ssd", out / "council.yaml", *sorted((out / "population").glob("*.csv"))]


def test_ssd_folder_loads_without_errors(tmp_path, clean_council):
    outcome = ingest(tmp_path / "store", _ssd_inputs(clean_council))
    errors = [p for p in outcome.problems if p.severity == "error"]
    assert errors == []
    assert outcome.published
    assert outcome.la_code is not None
    assert outcome.row_counts["ssd_person"] > 1000
    assert outcome.row_counts["population"] > 0


def test_every_planted_ssd_fault_is_reported_where_it_is(tmp_path, faulty_council):
    outcome = ingest(tmp_path / "store", _ssd_inputs(faulty_council))
    found = {(Path(p.file).name, p.row, p.rule) for p in outcome.problems}
    with (faulty_council / "planted_faults.csv").open(newline="") as handle:
        planted = [r for r in csv.DictReader(handle) if r["file"].startswith("ssd/")]
    checked = 0
    for fault in planted:
        rule = RULE_FOR_FAULT.get(fault["kind"])
        if rule is None:
            continue
        assert (Path(fault["file"]).name, int(fault["row"]), rule) in found, fault
        checked += 1
    assert checked >= 5
    assert not outcome.published
