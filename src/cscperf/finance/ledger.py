"""Reading a council's budget-monitoring extract (CSV or workbook) through its column mapping.

Every row is checked; a problem raises :class:`~cscperf.errors.InputError` naming the file,
the row (as the spreadsheet numbers it, the heading being row 1), the field and what to do,
and nothing is kept from a file set with any problem. The result is one frame in the ledger's
own field names (:data:`~cscperf.finance.settings.LEDGER_FIELDS`), money in pounds.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from python_calamine import CalamineWorkbook

from cscperf.encoding import decode_bytes
from cscperf.errors import InputError
from cscperf.finance.settings import (
    FUNDING_SOURCES,
    LEDGER_FIELDS,
    MONEY_FIELDS,
    TEXT_FIELDS,
    LedgerMapping,
)
from cscperf.limits import check_workbook

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".ods"}
LEDGER_SCHEMA: dict[str, Any] = {
    "financial_year": pl.Int32,
    "period": pl.Int8,
    **{name: pl.String for name in TEXT_FIELDS if name != "reason"},
    "funding_source": pl.String,
    **{name: pl.Float64 for name in MONEY_FIELDS},
    "reason": pl.String,
    "file": pl.String,
    "row": pl.Int32,
}
_YEAR = re.compile(r"^(?:FY\s*)?(\d{4})(?:\s*[-/]\s*(\d{2}|\d{4}))?$", re.IGNORECASE)
_PERIOD = re.compile(r"^(?:P|PERIOD\s*)?(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True)
class Sheet:
    """A file's heading and rows, every cell as the reader gave it."""

    file: str
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, cells)


def read_sheet(path: Path, sheet: str | None = None) -> Sheet:
    """The first non-empty row as the heading and every later non-blank row."""
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        raw = _workbook_rows(path, sheet)
    else:
        raw = _csv_rows(path)
    numbered = [(n, cells) for n, cells in raw if any(_blank(c) is False for c in cells)]
    if not numbered:
        raise InputError("the file has no heading row and no data", file=path.name)
    head_row, head = numbered[0]
    header = [str(c).strip() if c is not None else "" for c in head]
    rows = []
    for n, cells in numbered[1:]:
        cells = list(cells)
        if len(cells) > len(header) and any(not _blank(c) for c in cells[len(header) :]):
            raise InputError(
                f"this row has {len(cells)} cells but the heading (row {head_row}) has "
                f"{len(header)}; remove the extra cells or give them a heading",
                file=path.name,
                row=n,
            )
        rows.append((n, cells + [None] * (len(header) - len(cells))))
    return Sheet(path.name, header, rows)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _csv_rows(path: Path) -> list[tuple[int, list[Any]]]:
    try:
        # The same decoding as every other input: UTF-8 (BOM or not), UTF-16, Windows-1252.
        text, _ = decode_bytes(path.read_bytes(), path.name)
        reader = csv.reader(io.StringIO(text, newline=""))
        rows: list[tuple[int, list[Any]]] = []
        for cells in reader:
            rows.append((reader.line_num, list(cells)))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read this CSV file ({exc})", file=path.name) from exc
    return rows


def _workbook_rows(path: Path, sheet: str | None) -> list[tuple[int, list[Any]]]:
    check_workbook(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputError(f"cannot open this workbook ({exc})", file=path.name) from exc
    names = book.sheet_names
    if sheet is not None and sheet not in names:
        raise InputError(
            f"the workbook has no sheet {sheet!r} (it has {', '.join(names)}); correct "
            "ledger.sheet in the finance settings",
            file=path.name,
        )
    chosen = sheet or names[0]
    try:
        values = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine's own error types
        raise InputError(f"cannot read sheet {chosen!r} ({exc})", file=path.name) from exc
    return [(n, list(cells)) for n, cells in enumerate(values, start=1)]


# ------------------------------------------------------------------ one cell


def parse_money(value: Any, file: str, row: int, field: str, *, required: bool) -> float | None:
    """Pounds from a number or text such as ``£1,234.50``, ``-200`` or ``(200.00)``."""
    if isinstance(value, bool):
        raise InputError(f"{value!r} is not an amount", file=file, row=row, field=field)
    if isinstance(value, int | float):
        number = float(value)
    elif _blank(value):
        if required:
            raise InputError(
                "an amount is required here; write 0 when there is none",
                file=file,
                row=row,
                field=field,
            )
        return None
    else:
        text = str(value).strip().replace(",", "").replace("£", "").replace(" ", "")
        negative = text.startswith("(") and text.endswith(")")
        text = text.strip("()")
        try:
            number = float(text)
        except ValueError:
            raise InputError(
                f"{value!r} is not an amount; write pounds such as 1234.56 or -200",
                file=file,
                row=row,
                field=field,
            ) from None
        number = -number if negative else number
    if math.isnan(number) or math.isinf(number):
        raise InputError(f"{value!r} is not an amount", file=file, row=row, field=field)
    return number


def parse_year(value: Any, file: str, row: int) -> int:
    """The starting calendar year of a financial year written 2025-26, 2025/26 or 2025."""
    text = str(int(value)) if isinstance(value, int | float) and not _blank(value) else ""
    text = text or ("" if value is None else str(value).strip())
    match = _YEAR.match(text)
    if match:
        start = int(match.group(1))
        end = match.group(2)
        if end is None or int(end[-2:]) == (start + 1) % 100:
            return start
    raise InputError(
        f"{value!r} is not a financial year; write it as 2025-26 (or 2025/26, or 2025)",
        file=file,
        row=row,
        field="financial_year",
    )


def parse_period(value: Any, file: str, row: int) -> int:
    """The accounting period 1 (April) to 12 (March); P1 and Period 1 are read too."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    match = _PERIOD.match(str(value).strip()) if not _blank(value) else None
    if match and 1 <= int(match.group(1)) <= 12:
        return int(match.group(1))
    raise InputError(
        f"{value!r} is not a period; write 1 (April) to 12 (March) (periods 13 onwards, the "
        "year-end adjustments, belong in the outturn, not in monthly monitoring)",
        file=file,
        row=row,
        field="period",
    )


def _text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


# ------------------------------------------------------------------ a whole file


def _positions(sheet: Sheet, mapping: LedgerMapping) -> dict[str, int]:
    wanted = {h.strip().lower(): n for n, h in enumerate(sheet.header)}
    positions: dict[str, int] = {}
    missing = []
    for field, heading in mapping.columns.items():
        position = wanted.get(heading.strip().lower())
        if position is None:
            missing.append(f"{heading!r} (for {field})")
        else:
            positions[field] = position
    if missing:
        raise InputError(
            f"the heading has no column {', '.join(missing)}; the file's columns are "
            f"{', '.join(repr(h) for h in sheet.header if h)}; correct ledger.columns in the "
            "finance settings or the extract",
            file=sheet.file,
            row=1,
        )
    return positions


def _funding(value: Any, mapping: LedgerMapping, file: str, row: int) -> str:
    key = "" if _blank(value) else str(value).strip().lower()
    code = mapping.funding_sources.get(key)
    if code is None and key in FUNDING_SOURCES:
        code = key
    if code is None:
        known = ", ".join(repr(k) for k in mapping.funding_sources) or "none"
        raise InputError(
            f"{value!r} is not a funding source the finance settings know ({known}); add it to "
            "ledger.funding_sources, mapped to " + ", ".join(FUNDING_SOURCES),
            file=file,
            row=row,
            field="funding_source",
        )
    return code


def parse_ledger(sheet: Sheet, mapping: LedgerMapping) -> pl.DataFrame:
    """Every row of one extract, checked, in the ledger's field names."""
    positions = _positions(sheet, mapping)
    required = {name for name, needed, _ in LEDGER_FIELDS if needed}
    out: dict[str, list[Any]] = {name: [] for name in LEDGER_SCHEMA}
    for n, cells in sheet.rows:
        got = {field: cells[p] for field, p in positions.items()}
        out["financial_year"].append(parse_year(got["financial_year"], sheet.file, n))
        out["period"].append(parse_period(got["period"], sheet.file, n))
        for field in TEXT_FIELDS:
            out[field].append(_text(got.get(field)))
        if out["division"][-1] is None:
            raise InputError(
                "the division of service is blank; every line must name the division the "
                "committee sees it under",
                file=sheet.file,
                row=n,
                field="division",
            )
        out["funding_source"].append(_funding(got["funding_source"], mapping, sheet.file, n))
        for field in MONEY_FIELDS:
            value = parse_money(got.get(field), sheet.file, n, field, required=field in required)
            out[field].append(value)
        out["file"].append(sheet.file)
        out["row"].append(n)
    frame = pl.DataFrame(out, schema=LEDGER_SCHEMA)
    return frame.with_columns(pl.col("approved_budget").fill_null(pl.col("current_budget")))
