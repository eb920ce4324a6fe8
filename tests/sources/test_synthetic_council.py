"""The synthetic council's SSD folder loads cleanly, and every planted fault is reported."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cscperf.app.load import ingest

synth = pytest.importorskip("cscperf.synth")

# Every kind of planted fault, with the rule that must report it.
RULE_FOR_FAULT = {
    "referral_before_birth": "date-before-birth",
    "missing_date": "missing-date",
    "duplicate_row": "duplicate-row",
    "overlapping_episode": "overlapping-episodes",
    "end_before_start": "end-before-start",
    "code_not_valid_for_year": "code-not-valid-for-year",
    "dd/mm/yyyy_date": "mixed-date-formats",
    "iso_date_in_903": "mixed-date-formats",
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


def test_every_planted_fault_is_reported_where_it_is(tmp_path, faulty_council):
    inputs = [*_ssd_inputs(faulty_council), faulty_council / "ssda903"]
    outcome = ingest(tmp_path / "store", inputs)
    found = set()
    for p in outcome.problems:
        path = Path(p.file)
        if path.is_relative_to(faulty_council):
            found.add((path.relative_to(faulty_council).as_posix(), p.row, p.field, p.rule))
    with (faulty_council / "planted_faults.csv").open(newline="") as handle:
        planted = list(csv.DictReader(handle))
    # Every kind the simulation plants must have a rule here, so a new kind fails this test.
    assert {f["kind"] for f in planted} == set(RULE_FOR_FAULT)
    missed = [
        f
        for f in planted
        if (f["file"], int(f["row"]), f["field"] or None, RULE_FOR_FAULT[f["kind"]]) not in found
        # A duplicate row is one fault of the whole row: no field is named.
        and (f["file"], int(f["row"]), None, RULE_FOR_FAULT[f["kind"]]) not in found
    ]
    assert missed == []
    assert len(planted) >= len(RULE_FOR_FAULT)
    assert not outcome.published
