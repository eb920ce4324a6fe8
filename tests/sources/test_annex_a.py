"""Annex A reader: spellings councils use, dates of every kind, bad workbooks, the sample."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from cscperf.errors import InputError
from cscperf.sources.annex_a import AnnexAReader, code_of, flag_of
from cscperf.sources.base import Severity


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_values_as_councils_write_them() -> None:
    assert code_of("q) 6: Police") == "6"
    assert code_of("N1 - Abuse or Neglect") == "N1"
    assert code_of("a) WBRI") == "WBRI"
    assert code_of("f) U6: Foster placement - not FFA") == "U6"
    assert flag_of("a) Yes") == "Y" and flag_of("b) No") == "N" and flag_of("") is None


def test_lists_with_unusual_spellings(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "annex.xlsx",
        {
            "List 1": [
                ["Child ID", "Sex", "Ethnicity", "DOB", "Date of contact", "Source of contact"],
                [123.0, "Female", "a) WBRI", datetime(2015, 1, 2), "03/04/2024", "q) 6: Police"],
            ],
            "list_3": [
                ["Title row of a council's own export"],
                [
                    "Unique ID",
                    "Gender",
                    "Ethnicity",
                    "Date of Birth",
                    "Referral date",
                    "Referral Source",
                    "Referral NFA?",
                ],
                ["C9", "1 - Male", "WBRI", "", 45387, "5A", "b) No"],
            ],
            "List 7": [
                [
                    "Child Unique ID",
                    "Gender",
                    "Ethnicity",
                    "Date of Birth",
                    "Child Protection Plan Start Date",
                    "Initial Category of Abuse",
                    "Latest Category of Abuse",
                    "Child Protection Plan End Date",
                ],
                ["C9", "Male", "WBRI", "", date(2024, 5, 1), "Neglect", "Emotional abuse", ""],
            ],
        },
    )
    reader = AnnexAReader()
    assert reader.recognises(path, b"")
    result = reader.read([path])
    assert [p for p in result.problems if p.severity != Severity.INFO] == []
    contacts = result.tables["ssd_contacts"]
    assert contacts.select(
        "cont_person_id", "cont_contact_date", "cont_contact_source_code"
    ).rows() == [("123", date(2024, 4, 3), "6")]
    # 45387 is the Excel serial of 5 April 2024; the header was on the second row.
    referrals = result.tables["ssd_cin_episodes"]
    assert referrals.select(
        "cine_referral_date", "cine_referral_source_code", "cine_referral_nfa", "_source_row"
    ).rows() == [(date(2024, 4, 5), "5A", "N", 3)]
    plans = result.tables["ssd_cp_plans"]
    assert plans.select("cppl_cp_plan_initial_category", "cppl_cp_plan_latest_category").rows() == [
        ("NEG", "EMO")
    ]
    people = dict(result.tables["ssd_person"].select("pers_person_id", "pers_sex").rows())
    assert people == {"123": "F", "C9": "M"}


def test_a_list_without_its_key_column_is_reported(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "List 1": [["Child ID", "Gender"], ["1", "F"]],
            "List 2": [["Child ID"]],
            "List 3": [["Child ID"]],
        },
    )
    result = AnnexAReader().read([path])
    errors = [(p.rule, p.table) for p in result.problems if p.severity == Severity.ERROR]
    assert ("annex_a.columns.missing_key", "List 1") in errors


def test_a_damaged_workbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    assert not AnnexAReader().recognises(path, path.read_bytes())
    with pytest.raises(InputError):
        AnnexAReader().read([path])


def test_the_sample_workbook_loads(shared: Path) -> None:
    path = shared / "data" / "samples" / "annex_a" / "Annex_A_2024_Jan.xlsx"
    result = AnnexAReader().read([path])
    assert [p for p in result.problems if p.severity == Severity.ERROR] == []
    assert result.tables["ssd_contacts"].height == 5
    assert result.tables["ssd_cla_placement"]["clap_cla_placement_type"].to_list()[:2] == [
        "U6",
        "U1",
    ]
    assert "*" in result.not_supplied
