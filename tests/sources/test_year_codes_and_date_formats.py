# ruff: noqa: E501  (the 903 CSV text below is kept one record per line, as in a real file)
"""Codes checked against the collection year of the record's date; mixed date formats."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from cscperf.sources.canonical import conform
from cscperf.sources.quality import collection_year_of, quality_rules, run_checks
from cscperf.sources.ssda903 import SSDA903Reader


def _placements(*rows: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "clap_cla_placement_id": [f"PL{i}" for i in range(len(rows))],
            "clap_person_id": [f"P{i}" for i in range(len(rows))],
            "clap_cla_placement_type": [code for code, _ in rows],
            "clap_cla_placement_start_date": [date.fromisoformat(d) for _, d in rows],
            "_source_file": ["ssd_cla_placement.csv"] * len(rows),
            "_source_row": list(range(2, 2 + len(rows))),
        }
    )


def test_collection_year_runs_april_to_march() -> None:
    assert collection_year_of(date(2024, 3, 31)) == 2024
    assert collection_year_of(date(2024, 4, 1)) == 2025
    assert rule_fields() >= {"clap_cla_placement_type", "lega_legal_status"}


def rule_fields() -> set[str]:
    return {r.field for r in quality_rules().codes_for_year}


def test_placement_codes_are_checked_by_the_year_of_their_start() -> None:
    # K3 came in with the 2025 return (from 1 April 2024); H5 went out then.
    frame = _placements(
        ("K3", "2024-03-31"),  # row 2: a day too early
        ("K3", "2024-04-01"),  # row 3: fine
        ("H5", "2024-03-31"),  # row 4: fine, last day H5 was valid
        ("H5", "2024-04-01"),  # row 5: withdrawn
        ("XX", "2020-01-01"),  # row 6: never a code; not this rule's business
    )
    found = [p for p in run_checks({"ssd_cla_placement": frame})
             if p.rule == "code-not-valid-for-year"]  # fmt: skip
    assert [(p.row, p.field, p.value) for p in found] == [
        (2, "clap_cla_placement_type", "K3"),
        (5, "clap_cla_placement_type", "H5"),
    ]
    assert all(p.file == "ssd_cla_placement.csv" and p.severity == "warning" for p in found)
    assert "2024 collection year" in found[0].message
    assert "2025" in found[0].message  # where K3 is valid


def test_mixed_date_formats_are_named_and_still_read() -> None:
    frame = pl.DataFrame(
        {
            "cont_contact_id": ["C1", "C2", "C3", "C4"],
            "cont_person_id": ["P1", "P2", "P3", "P4"],
            "cont_contact_date": ["2024-01-05", "06/02/2024", "2024-03-07", " "],
            "_source_row": [2, 3, 4, 5],
        }
    )
    out, problems = conform("ssd_contacts", frame, file="contacts.csv")
    assert out.get_column("cont_contact_date").to_list() == [
        date(2024, 1, 5),
        date(2024, 2, 6),
        date(2024, 3, 7),
        None,
    ]
    mixed = [p for p in problems if p.rule == "mixed-date-formats"]
    assert [(p.file, p.row, p.field, p.value) for p in mixed] == [
        ("contacts.csv", 3, "cont_contact_date", "06/02/2024")
    ]
    assert mixed[0].severity == "warning"
    assert "mixed date formats in one column" in mixed[0].message


def test_one_way_of_writing_dates_is_not_mixed() -> None:
    frame = pl.DataFrame(
        {"cont_contact_id": ["C1", "C2"], "cont_contact_date": ["05/01/2024", "06/02/2024"]}
    )
    _, problems = conform("ssd_contacts", frame)
    assert [p for p in problems if p.rule == "mixed-date-formats"] == []


EPISODES = """CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN
C1,01/05/2024,S,C2,N1,U1,PR1,,,,AB1 2,CD3 4,SC123456
C2,2024-06-02,S,C2,N1,U1,PR1,,,,AB1 2,CD3 4,SC123456
C3,03/07/2024,S,C2,N1,U1,PR1,,,,AB1 2,CD3 4,SC123456
"""


def test_an_iso_date_among_903_dates_is_a_mixed_format_warning(tmp_path: Path) -> None:
    path = tmp_path / "2025" / "episodes.csv"
    path.parent.mkdir()
    path.write_text(EPISODES, encoding="utf-8")
    result = SSDA903Reader().read([path])
    mixed = [p for p in result.problems if p.rule == "mixed-date-formats"]
    assert [(p.row, p.field, p.severity) for p in mixed] == [(3, "DECOM", "warning")]


def test_a_903_written_all_in_iso_dates_is_noted_once(tmp_path: Path) -> None:
    path = tmp_path / "2025" / "episodes.csv"
    path.parent.mkdir()
    path.write_text(EPISODES.replace("01/05/2024", "2024-05-01").replace("03/07/2024",
                    "2024-07-03"), encoding="utf-8")  # fmt: skip
    result = SSDA903Reader().read([path])
    assert [p for p in result.problems if p.rule == "mixed-date-formats"] == []
    notes = [p for p in result.problems if p.rule == "903.value.date_format"]
    assert [(p.row, p.field) for p in notes] == [(2, "DECOM")]
