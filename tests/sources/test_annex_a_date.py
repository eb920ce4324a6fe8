"""The date an Annex A workbook's lists run to: from its headings or cover sheet, its title,
its file name, else a note to give --extract-date."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from cscperf.cli import main
from cscperf.sources.annex_a import AnnexAReader
from cscperf.sources.annex_a_date import date_from_cells, date_from_name, dates_in_text

CONTACTS = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Date of Contact",
            "Contact Source"]  # fmt: skip
CHILD = ["C1", "b) Female", "a) WBRI", datetime(2015, 1, 2)]
SAMPLE = Path("/work/shared/data/samples")


def book(path: Path, sheets: dict[str, list[list[object]]], title: str | None = None) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    if title is not None:
        workbook.properties.title = title
    workbook.save(path)
    return path


def lists(*above: list[object]) -> dict[str, list[list[object]]]:
    """Lists 1-3 (enough to be recognised), with ``above`` rows over List 1's headings."""
    contact = [*CHILD, datetime(2023, 12, 4), "q) 6: Police"]
    return {
        "List 1": [*above, CONTACTS, contact],
        "List 2": [["Child Unique ID", "Assessment start date"]],
        "List 3": [["Child Unique ID", "Date of Referral"]],
    }


def notes(result) -> list[str]:
    return [p.rule for p in result.problems if p.rule.startswith("annex_a.date")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Contacts from 01/02/2023 to 31/01/2024", [date(2023, 2, 1), date(2024, 1, 31)]),
        ("12 months to 31 January 2024", [date(2024, 1, 31)]),
        ("12 months to 31st Jan 2024", [date(2024, 1, 31)]),
        ("period ending January 2024", [date(2024, 1, 31)]),
        ("Extract date: 2024-01-31", [date(2024, 1, 31)]),
        ("to 31/02/2024", []),  # no such day
        ("List 1: contacts", []),
    ],
)
def test_dates_stated_in_words(text: str, expected: list[date]) -> None:
    assert dates_in_text(text) == expected


def test_headings_speak_of_a_period_before_their_dates_count() -> None:
    assert date_from_cells([["Contacts from 01/02/2023 to 31/01/2024"]]) == date(2024, 1, 31)
    assert date_from_cells([["Extract date", date(2024, 2, 29)]]) == date(2024, 2, 29)
    assert date_from_cells([["Eastshire", datetime(2024, 2, 29, 9, 30)]]) is None
    assert date_from_cells([["Council: Eastshire 01/02/2023"]]) is None
    assert date_from_cells([]) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Annex_A_2024_Jan", date(2024, 1, 31)),
        ("Annex A February 2024", date(2024, 2, 29)),
        ("annex_a_2026-11-30", date(2026, 11, 30)),
        ("annexa_20240131", date(2024, 1, 31)),
        ("annex_a_2024-06", date(2024, 6, 30)),
        ("Annex A 5th March 2024", date(2024, 3, 5)),
        ("Annex_A_2024", None),  # a year alone says no month
        ("annex a", None),
    ],
)
def test_dates_in_file_names(name: str, expected: date | None) -> None:
    assert date_from_name(Path(f"{name}.xlsx")) == expected


def test_the_workbook_heading_wins_over_title_and_name(tmp_path: Path) -> None:
    path = book(
        tmp_path / "Annex_A_2024_Mar.xlsx",
        lists(["Eastshire: contacts between 01/02/2023 and 31/01/2024"]),
        title="Annex A, 12 months to 29/02/2024",
    )
    result = AnnexAReader().read([path])
    assert result.extract_date == "2024-01-31"
    assert notes(result) == ["annex_a.date"]
    (note,) = [p for p in result.problems if p.rule == "annex_a.date"]
    assert "headings" in note.message and "31 January 2024" in note.message
    # The list's rows are still read under the heading rows.
    assert result.tables["ssd_contacts"].height == 1


def test_a_cover_sheet_states_the_date(tmp_path: Path) -> None:
    sheets = {"Cover": [["Annex A"], ["Date range", "01/02/2023 - 31/01/2024"]], **lists()}
    result = AnnexAReader().read([book(tmp_path / "annex.xlsx", sheets)])
    assert result.extract_date == "2024-01-31"


def test_title_then_file_name(tmp_path: Path) -> None:
    titled = book(tmp_path / "annex.xlsx", lists(), title="Annex A, 12 months to 30/11/2026")
    assert AnnexAReader().read([titled]).extract_date == "2026-11-30"
    named = book(tmp_path / "Annex_A_2024_Jan.xlsx", lists())
    result = AnnexAReader().read([named])
    assert result.extract_date == "2024-01-31"
    (note,) = [p for p in result.problems if p.rule == "annex_a.date"]
    assert "file name" in note.message and "31 January 2024" in note.message


def test_no_date_anywhere_says_to_give_the_extract_date(tmp_path: Path) -> None:
    result = AnnexAReader().read([book(tmp_path / "lists.xlsx", lists())])
    assert result.extract_date is None
    (note,) = [p for p in result.problems if p.rule == "annex_a.date.unknown"]
    assert "--extract-date" in note.message and note.file == str(tmp_path / "lists.xlsx")


def test_annex_a_alone_reports_to_the_workbook_date(tmp_path: Path, capsys) -> None:
    # Activity ends on 4 December 2023; the name says the lists run to the end of January.
    path = book(tmp_path / "Annex_A_2024_Jan.xlsx", lists())
    code = main(["ingest", str(path), "--store", str(tmp_path / "store")])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 0, err
    assert "Ofsted Annex A list extracted 31 January 2024" in err


def test_ingest_help_names_year_and_extract_date(capsys) -> None:
    assert main(["ingest", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--year" in text and "--extract-date" in text
    assert "collection year" in text.lower() and "YYYY-MM-DD" in text
    assert "Annex A" in text


def test_a_date_over_a_year_after_every_row_is_a_warning(tmp_path: Path) -> None:
    # The latest row is a contact of 4 December 2023.
    wrong = AnnexAReader().read([book(tmp_path / "Annex_A_2025_Jan.xlsx", lists())])
    (warned,) = [p for p in wrong.problems if p.rule == "annex_a.date.after_rows"]
    assert "31 January 2025" in warned.message and "4 December 2023" in warned.message
    assert warned.file == str(tmp_path / "Annex_A_2025_Jan.xlsx")
    assert wrong.extract_date == "2025-01-31"  # still the date stated: the warning says check
    right = AnnexAReader().read([book(tmp_path / "Annex_A_2024_Nov.xlsx", lists())])
    assert not [p for p in right.problems if p.rule == "annex_a.date.after_rows"]
