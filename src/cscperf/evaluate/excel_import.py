"""Importing the targets workbook managers keep into a targets file.

The layout (documented in ``docs/targets-and-rag.md``): a sheet named ``Targets`` (or the
first sheet) with one header row and one row per indicator, year and (optionally) locality;
an optional ``Vital signs`` sheet listing indicator ids in its first column; an optional
``Settings`` sheet of name/value pairs (council, exception_margin_pct, worsening_periods).
Threshold cells hold a number (absolute), ``10%`` (percent of target) or ``5 pts`` (points).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from cscperf.errors import ConfigError, InputError
from cscperf.evaluate.targets import ONE_SIDED, QUARTERS, TWO_SIDED, TargetsFile, parse_targets
from cscperf.limits import check_workbook

_MONTH_HEADER = re.compile(r"^(\d{4})-(\d{2})$")
_ALIASES = {
    "indicator": "indicator_id",
    "id": "indicator_id",
    "year": "financial_year",
    "fy": "financial_year",
    "annual_target": "target",
    "locality": "breakdown_value",
    "from": "effective_from",
    "to": "effective_to",
    "budget_line": "budget_lines",
    "risk": "risks",
}
_SCALARS = {"indicator_id", "financial_year", "target", "breakdown_value", "note"}
_DATES = {"effective_from", "effective_to"}
_LISTS = {"budget_lines", "risks"}


def header_key(cell: Any) -> str:
    """A header cell as a field name: lower case, spaces to underscores, aliases applied."""
    if isinstance(cell, datetime | date):
        return f"{cell.year:04d}-{cell.month:02d}"
    key = re.sub(r"[^a-z0-9%-]+", "_", str(cell or "").strip().lower()).strip("_")
    return _ALIASES.get(key, key)


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _as_date(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError as exc:
        raise ConfigError(f"{where}: {value!r} is not a date (write YYYY-MM-DD)") from exc


def row_to_entry(headers: list[str], cells: tuple[Any, ...], where: str) -> dict[str, Any] | None:
    """One worksheet row as a target entry mapping; None for a blank row."""
    entry: dict[str, Any] = {}
    quarters: dict[str, Any] = {}
    months: dict[str, Any] = {}
    padded = headers + [""] * (len(cells) - len(headers))
    for key, value in zip(padded, cells, strict=False):
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if key in _SCALARS:
            entry[key] = value if key == "target" else str(value).strip()
        elif key.upper() in QUARTERS:
            quarters[key.upper()] = value
        elif _MONTH_HEADER.match(key):
            months[key] = value
        elif key in (*ONE_SIDED, *TWO_SIDED):
            entry[key] = value if isinstance(value, int | float) else str(value)
        elif key in _DATES:
            entry[key] = _as_date(value, f"{where}, column {key}")
        elif key in _LISTS:
            entry[key] = [p.strip() for p in str(value).replace(";", ",").split(",") if p.strip()]
        elif key == "unchanged_threshold":
            entry[key] = value
        else:
            name = repr(key) if key else "without a header"
            raise ConfigError(f"{where}: unknown column {name}; see docs/targets-and-rag.md")
    if not entry and not quarters and not months:
        return None
    if quarters:
        entry["quarters"] = quarters
    if months:
        entry["months"] = months
    return entry


def _sheet_rows(sheet: Any, path: Path) -> list[tuple[Any, ...]]:
    """Every row's values; a sheet the library cannot read (a damaged part, a date number no
    calendar holds) is an InputError naming the file and sheet."""
    try:
        return list(sheet.iter_rows(values_only=True))
    except Exception as exc:  # openpyxl raises many kinds for a damaged sheet
        raise InputError(
            f"sheet {sheet.title} cannot be read ({type(exc).__name__}: {exc}); save the "
            "workbook again from Excel",
            file=str(path),
        ) from exc


def import_targets_workbook(path: Path, council: str | None = None) -> TargetsFile:
    """Read the managers' workbook and return a validated targets file."""
    check_workbook(path)  # bounds first: a crafted workbook must not exhaust the machine
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(f"cannot open the workbook ({exc})", file=str(path)) from exc
    names = {name.strip().lower(): name for name in book.sheetnames}
    if not names:
        raise InputError("the workbook has no sheets", file=str(path))
    sheet = book[names.get("targets", book.sheetnames[0])]
    rows = _sheet_rows(sheet, path)
    if not rows:
        raise InputError("the Targets sheet is empty", file=str(path))
    headers = [header_key(c) for c in rows[0]]
    if "indicator_id" not in headers or "financial_year" not in headers:
        raise InputError(
            "the Targets sheet needs header columns indicator_id and financial_year",
            file=str(path),
            row=1,
        )
    entries = []
    for number, cells in enumerate(rows[1:], start=2):
        entry = row_to_entry(headers, cells, f"{path}, sheet {sheet.title}, row {number}")
        if entry is not None:
            entries.append(entry)
    raw: dict[str, Any] = {"council": council or "unknown", "targets": entries}
    if "settings" in names:
        for cells in _sheet_rows(book[names["settings"]], path):
            if cells and _cell_text(cells[0]) and len(cells) > 1 and cells[1] is not None:
                key = header_key(cells[0])
                if key == "council" and council:
                    continue
                raw[key] = cells[1]
    if "vital signs" in names:
        raw["vital_signs"] = [
            text
            for cells in _sheet_rows(book[names["vital signs"]], path)
            if cells and (text := _cell_text(cells[0])) and header_key(text) != "indicator_id"
        ]
    book.close()
    return parse_targets(raw, str(path))
