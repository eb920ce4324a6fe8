"""The Annex A writer's fast cell path makes the same workbook, byte for byte, as writing each
cell with xlsxwriter's general ``write`` and ``write_datetime``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from cscperf.synth.returns_annex_a import Cell, _write_rows

ROWS: list[list[Cell]] = [
    ["P0000001", "Female", date(2012, 2, 29), 11, None, "", "Team: North"],
    ["=SUM(A1)", "http://example.org", date(1900, 1, 15), 0, "Worker 00012", date(2026, 3, 31)],
    ["{=A1}", "Yes", date(1900, 3, 1), 7, "mailto:someone", "a & b <c>"],
]


def _book(path: Path, fast: bool) -> bytes:
    workbook = xlsxwriter.Workbook(str(path), {"default_date_format": "dd/mm/yyyy"})
    workbook.set_properties({"created": datetime(2000, 1, 1)})
    dates = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet = workbook.add_worksheet("List 1")
    if fast:
        _write_rows(sheet, ROWS, dates)
    else:
        for r, row in enumerate(ROWS, start=1):
            for c, value in enumerate(row):
                if isinstance(value, date):
                    sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), dates)
                elif value is not None and value != "":
                    sheet.write(r, c, value)
    workbook.close()
    return path.read_bytes()


def test_fast_cells_make_the_same_workbook(tmp_path: Path) -> None:
    assert _book(tmp_path / "fast.xlsx", True) == _book(tmp_path / "plain.xlsx", False)
