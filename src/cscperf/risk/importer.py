"""Reading a council's risk register file (xlsx or CSV) into checked risk versions.

The columns are found by their headings, as the council's settings name them
(``risk.columns``; Norfolk's committee layout by default). The heading row may sit below a
title block (Norfolk's starts with "Risk Register Name", "Prepared by"...); a heading row
repeated further down (a register printed over pages) is skipped. One row is one review of one
risk: a file may hold only the current register (one row per risk) or its history (a row per
risk per review). Every row is checked (risk number, name, owner and review date present,
likelihood and impact whole numbers from 1 to the scale, dates real, a typed score equal to
likelihood x impact, linked indicators in the catalogue); every problem found is reported
at once with its file, row and column, and nothing is loaded unless every row is right.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cscperf.encoding import decode_bytes
from cscperf.errors import InputError
from cscperf.limits import check_workbook
from cscperf.risk.register import CLOSED, OPEN, RiskVersion, finance_label, risk_id_problem
from cscperf.settings import RiskSettings

REQUIRED = (
    "risk_id",
    "name",
    "likelihood",
    "impact",
    "target_likelihood",
    "target_impact",
    "target_date",
    "owner",
    "reviewed_on",
)
SCORES = ("likelihood", "impact", "target_likelihood", "target_impact")
DATES = ("entered", "target_date", "reviewed_on")
TEXTS = (
    "name",
    "description",
    "area",
    "category",
    "tasks",
    "progress",
    "owner",
    "reviewed_by",
    "stated_direction",
    "stated_prospects",
)
HEADER_SEARCH_ROWS = 30
MAX_PROBLEMS_SHOWN = 25
CLOSED_WORDS = {"closed", "close", "retired", "archived"}
OPEN_WORDS = {"open", "active", "live", ""}
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def heading_key(text: object) -> str:
    """A heading as compared: lower case, runs of spaces and punctuation as one space."""
    return re.sub(r"[^a-z0-9]+", " ", str(text or "").lower()).strip()


def read_cells(path: Path, sheet: str | None = None) -> list[list[Any]]:
    """Every row of the file as a list of cell values (CSV cells as text)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _workbook_rows(path, sheet)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", file=str(path)) from exc
    text, _ = decode_bytes(raw, str(path))
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise InputError(f"the file is not readable CSV ({exc})", file=str(path)) from exc


def _workbook_rows(path: Path, sheet: str | None) -> list[list[Any]]:
    # openpyxl is about as slow to import as Polars; only reading a register file needs it,
    # not the pack and dashboard that reach this module through the application layer.
    from openpyxl import load_workbook

    check_workbook(path)  # bounds first: a crafted workbook must not exhaust the machine
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(f"cannot open the workbook ({exc})", file=str(path)) from exc
    if sheet is not None and sheet not in book.sheetnames:
        raise InputError(
            f"the workbook has no sheet {sheet!r} (it has {', '.join(book.sheetnames)}); "
            "correct risk.sheet in the council settings",
            file=str(path),
        )
    ws = book[sheet or book.sheetnames[0]]
    try:
        return [list(row) for row in ws.iter_rows(values_only=True)]
    except Exception as exc:  # a damaged sheet
        raise InputError(
            f"sheet {ws.title} cannot be read ({type(exc).__name__}: {exc}); save the workbook "
            "again from Excel",
            file=str(path),
        ) from exc


def find_columns(
    rows: list[list[Any]], settings: RiskSettings, file: str
) -> tuple[int, dict[str, int]]:
    """The index of the heading row and field -> column index for the fields present."""
    wanted = {field: heading_key(head) for field, head in settings.columns.items()}
    for n, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        keys = [heading_key(cell) for cell in row]
        if wanted["risk_id"] not in keys:
            continue
        found = {field: keys.index(key) for field, key in wanted.items() if key in keys}
        missing = [settings.columns[f] for f in REQUIRED if f not in found]
        if missing:
            raise InputError(
                f"the heading row (row {n + 1}) has no column "
                + ", ".join(repr(m) for m in missing)
                + "; add it, or name the council's heading in risk.columns in the settings",
                file=file,
            )
        return n, found
    raise InputError(
        f"no heading row with {settings.columns['risk_id']!r} in the first "
        f"{HEADER_SEARCH_ROWS} rows; is this the risk register? If the council's headings "
        "differ, name them in risk.columns in the settings (docs/risk-register.md)",
        file=file,
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()


def parse_date(value: Any) -> date | None:
    """A date cell: an Excel date, ``YYYY-MM-DD`` or ``DD/MM/YYYY``; None when blank;
    ValueError when it is not a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = _DMY.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return date(year, month, day)
    return date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "T " else text)


def parse_score(value: Any, scale: int) -> int:
    """A likelihood or impact: a whole number from 1 to ``scale``; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError
    number = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    if not number.is_integer() or not 1 <= number <= scale:
        raise ValueError
    return int(number)


class _RowReader:
    """Reads one data row into a RiskVersion, collecting every problem of the row."""

    def __init__(
        self,
        file: str,
        columns: dict[str, int],
        settings: RiskSettings,
        known_links: Collection[str] | None,
    ) -> None:
        self.file = file
        self.columns = columns
        self.settings = settings
        self.known_links = known_links
        self.problems: list[str] = []

    def _where(self, row: int, field: str) -> str:
        return f"row {row}, column {self.settings.columns[field]!r}"

    def _problem(self, row: int, field: str, message: str) -> None:
        self.problems.append(f"{self._where(row, field)}: {message}")

    def cell(self, cells: list[Any], field: str) -> Any:
        index = self.columns.get(field)
        return cells[index] if index is not None and index < len(cells) else None

    def read(self, cells: list[Any], row: int) -> RiskVersion | None:
        before = len(self.problems)
        values: dict[str, Any] = {f: _text(self.cell(cells, f)) for f in TEXTS}
        values["risk_id"] = _text(self.cell(cells, "risk_id"))
        for field in ("risk_id", "name", "owner"):
            if not values[field]:
                self._problem(row, field, "is blank; every risk needs one")
        why = risk_id_problem(values["risk_id"])
        if why:
            self._problem(row, "risk_id", f"{values['risk_id']!r} {why}")
        for field in SCORES:
            raw = self.cell(cells, field)
            try:
                values[field] = parse_score(raw, self.settings.scale)
            except ValueError:
                shown = "blank" if _text(raw) == "" else repr(_text(raw))
                self._problem(
                    row, field, f"{shown} is not a whole number from 1 to {self.settings.scale}"
                )
        for field in DATES:
            raw = self.cell(cells, field)
            try:
                values[field] = parse_date(raw)
            except ValueError:
                self._problem(row, field, f"{_text(raw)!r} is not a date (write DD/MM/YYYY)")
                continue
            if values[field] is None and field in REQUIRED:
                self._problem(row, field, "is blank; write the date as DD/MM/YYYY")
        self._check_typed_scores(cells, row, values)
        values["links"] = self._links(cells, row)
        values["status"] = self._status(cells, row)
        if len(self.problems) > before:
            return None
        if values["entered"] is not None and values["entered"] > values["reviewed_on"]:
            self._problem(row, "entered", "is after the date of review; correct one of them")
            return None
        return RiskVersion(**values)

    def _check_typed_scores(self, cells: list[Any], row: int, values: dict[str, Any]) -> None:
        """A score the file types must be likelihood x impact (a blank one is worked out)."""
        for field, parts in (
            ("score", ("likelihood", "impact")),
            ("target_score", ("target_likelihood", "target_impact")),
        ):
            typed = _text(self.cell(cells, field))
            if not typed or not all(isinstance(values.get(p), int) for p in parts):
                continue
            worked = values[parts[0]] * values[parts[1]]
            if typed != str(worked):
                self._problem(
                    row,
                    field,
                    f"{typed!r} is not {parts[0].replace('_', ' ')} {values[parts[0]]} x "
                    f"{parts[1].replace('_', ' ')} {values[parts[1]]} = {worked}; correct the "
                    "score or the likelihood and impact",
                )

    def _links(self, cells: list[Any], row: int) -> tuple[str, ...]:
        text = _text(self.cell(cells, "links"))
        links = tuple(p.strip() for p in re.split(r"[,;\s]+", text) if p.strip())
        if self.known_links is not None:
            unknown = [
                link
                for link in links
                if link not in self.known_links and finance_label(link) is None
            ]
            if unknown:
                self._problem(
                    row,
                    "links",
                    f"{', '.join(unknown)} is not an indicator id of the catalogue "
                    "(cscperf indicators list shows them) nor a finance line "
                    "(finance:3.1.1, finance:Agency_residential)",
                )
        return links

    def _status(self, cells: list[Any], row: int) -> str:
        word = _text(self.cell(cells, "status")).lower()
        if word in CLOSED_WORDS:
            return CLOSED
        if word not in OPEN_WORDS:
            self._problem(row, "status", f"{word!r} is neither open nor closed")
        return OPEN


def read_register(
    path: Path, settings: RiskSettings, known_links: Collection[str] | None = None
) -> list[RiskVersion]:
    """Every row of a register file as a checked risk version; InputError listing every
    problem (file, row, column, what is wrong) when any row is wrong."""
    file = str(path)
    rows = read_cells(path, settings.sheet)
    start, columns = find_columns(rows, settings, file)
    heading = [heading_key(c) for c in rows[start]]
    reader = _RowReader(file, columns, settings, known_links)
    versions: list[RiskVersion] = []
    seen: dict[tuple[str, date], int] = {}
    for index in range(start + 1, len(rows)):
        cells = rows[index]
        if all(_text(c) == "" for c in cells) or [heading_key(c) for c in cells] == heading:
            continue
        version = reader.read(cells, index + 1)
        if version is None:
            continue
        key = (version.risk_id, version.reviewed_on)
        if key in seen:
            reader.problems.append(
                f"row {index + 1}: risk {version.risk_id} has a second row for the review of "
                f"{version.reviewed_on:%d/%m/%Y} (the first is row {seen[key]}); keep one"
            )
            continue
        seen[key] = index + 1
        versions.append(version)
    if reader.problems:
        shown = reader.problems[:MAX_PROBLEMS_SHOWN]
        more = len(reader.problems) - len(shown)
        tail = f"; and {more} more" if more > 0 else ""
        raise InputError(
            f"{len(reader.problems)} problem(s), so nothing was loaded: " + "; ".join(shown) + tail,
            file=file,
        )
    if not versions:
        raise InputError("the register has a heading row but no risks", file=file)
    return versions
