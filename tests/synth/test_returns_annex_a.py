"""Ofsted Annex A workbook written from the hand-made SSD fixture: sheets and headers as the
Annex A schema has them, dates as real Excel dates, the expected rows, deterministic bytes."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import yaml
from tests.synth import returns_fixture as fx

from cscperf.synth.returns_annex_a import window_start, write_annex_a

PERIOD_END = date(2022, 3, 31)


@pytest.fixture(scope="module")
def workbook_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_annex_a(
        fx.ssd_tables(), fx.settings(), tmp_path_factory.mktemp("annex"), PERIOD_END
    )


@pytest.fixture(scope="module")
def book(workbook_path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(workbook_path)


def rows(book: openpyxl.Workbook, sheet: str) -> list[dict[str, object]]:
    values = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def test_sheets_and_headers_follow_the_schema(book: openpyxl.Workbook, shared: Path) -> None:
    schema = yaml.safe_load((shared / "data/specs/annex_a/Annex_A_schema.yml").read_text())
    expected = {
        f"List {name.split('_')[1]}": list(columns)
        for name, columns in schema["column_map"].items()
    }
    assert book.sheetnames == [f"List {n}" for n in range(1, 12)]
    for sheet, headers in expected.items():
        found = [cell.value for cell in book[sheet][1]]
        # the schema spells the apostrophes of list 8 straight; so do we
        assert found == headers, sheet


def test_dates_are_excel_dates(book: openpyxl.Workbook) -> None:
    cell = book["List 1"]["F2"]
    assert cell.is_date
    assert cell.value == datetime(2021, 5, 9)
    assert book["List 1"]["D2"].is_date


def test_window_is_the_twelve_months_to_period_end() -> None:
    assert window_start(date(2022, 3, 31)) == date(2021, 4, 1)
    assert window_start(date(2024, 2, 29)) == date(2023, 3, 1)


def test_lists_hold_the_expected_children(book: openpyxl.Workbook) -> None:
    (contact,) = rows(book, "List 1")
    assert contact["Child Unique ID"] == "C4"
    assert contact["Contact Source"] == "q) 6: Police"
    (referral,) = rows(book, "List 3")
    assert (referral["Referral NFA?"], referral["Allocated Worker"]) == ("b) No", "Worker Two")
    (enquiry,) = rows(book, "List 5")
    assert enquiry["Date of Initial Child Protection Conference"] == datetime(2021, 6, 1)
    cin = {r["Child Unique ID"]: r["Case Status"] for r in rows(book, "List 6")}
    assert cin == {"C1": "c) Child in need plan", "C3": "e) Closed episode",
                   "C4": "b) Child Protection plan"}  # fmt: skip
    (plan,) = rows(book, "List 7")
    assert plan["Initial Category of Abuse"] == "a) Neglect"
    assert plan["Number of Previous Child Protection Plans"] == 1
    assert plan["Child Protection Plan End Date"] is None  # ends after the period
    in_care = {r["Child Unique ID"]: r for r in rows(book, "List 8")}
    assert set(in_care) == {"C1", "C3", "C6"}
    assert in_care["C6"]["Placement Type"] == "U4"  # the Z13 move is after the period end
    assert in_care["C1"]["Date Ceased to be Looked After"] == datetime(2021, 6, 30)
    assert (
        in_care["C3"]["Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)"]
        == "a) Yes"
    )
    (leaver,) = rows(book, "List 9")
    assert (leaver["Type of Accommodation"], leaver["Activity Status"]) == ("U", "F5")
    assert rows(book, "List 10") == []  # C2 adopted 30/11/2020, before the 12 months


def test_adoption_list_in_the_adoption_year(tmp_path: Path) -> None:
    path = write_annex_a(fx.ssd_tables(), fx.settings(), tmp_path, date(2021, 3, 31))
    (child,) = rows(openpyxl.load_workbook(path), "List 10")
    assert child["Date of Decision that Child Should be Placed for Adoption"] == datetime(
        2018, 1, 20
    )
    assert child["Date of Adoption Order"] == datetime(2020, 11, 30)
    assert child["Date the Child Entered Care"] == datetime(2017, 5, 1)


def test_output_is_byte_identical(workbook_path: Path, tmp_path: Path) -> None:
    again = write_annex_a(fx.ssd_tables(), fx.settings(), tmp_path, PERIOD_END)
    assert again.read_bytes() == workbook_path.read_bytes()
