"""Shared parsing rules for the statutory-return readers (SSDA903, CIN Census, Annex A).

This module owns the small decisions every return reader makes the same way: how bytes become
text (UTF-8, UTF-8 with BOM, Windows-1252), which date spellings are accepted, how a collection
year is read from a folder or file name, how problems are collected with their file, and how
rows become canonical polars frames typed as ``canonical.yaml`` says.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from cscperf.encoding import decode_bytes
from cscperf.errors import InputError
from cscperf.sources.base import Problem, Severity

PROVENANCE = ("_source_file", "_source_row")

_DMY = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$")
_SERIAL = re.compile(r"^\d{4,5}(?:\.0+)?$")
# Excel's day zero (it counts 1900-02-29, which never existed, so day 1 is 1899-12-31 + 1).
_EXCEL_EPOCH = date(1899, 12, 30)


_ENCODING_NAMES = {"utf-8-sig": "utf-8", "cp1252": "windows-1252"}


def decode_text(
    data: bytes, file: Path | str | None = None, *, partial: bool = False
) -> tuple[str, str]:
    """Bytes to text and the encoding used ("utf-8" with or without BOM, "utf-16-le",
    "utf-16-be", "windows-1252"), by the one decoding path every reader shares
    (:func:`cscperf.encoding.decode_bytes`); ``partial`` for the first bytes only."""
    text, encoding = decode_bytes(data, None if file is None else str(file), partial=partial)
    return text, _ENCODING_NAMES.get(encoding, encoding)


def csv_rows(text: str, file: Path | str) -> Iterator[tuple[int, list[str]]]:
    """(line number, values) of each record of CSV text (CR, LF or CRLF line ends); a record
    that cannot be read (a field over the CSV field limit, usually an unclosed quote) raises
    :class:`InputError` with its line, instead of the csv module's own error."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(
                f"line {reader.line_num} cannot be read as CSV ({exc}); usually a quote mark "
                "that is never closed: fix the quoting or export the file again",
                file=str(file),
                row=reader.line_num,
            ) from exc
        yield reader.line_num, values


def parse_date(text: str, *, excel_serial: bool = False) -> tuple[date | None, str]:
    """Read a date written as dd/mm/yyyy (also - or .), ISO yyyy-mm-dd, or an Excel serial.

    Returns the date and the spelling recognised ("dmy", "iso", "serial"), or ``None`` and
    "invalid". Times after the date are dropped, as the canonical model keeps dates only.
    """
    value = text.strip()
    match = _DMY.match(value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day), "dmy"
        match = _ISO.match(value)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day), "iso"
    except ValueError:
        return None, "invalid"
    if excel_serial and _SERIAL.match(value):
        serial = int(float(value))
        if 1 <= serial <= 80000:
            return _EXCEL_EPOCH + timedelta(days=serial), "serial"
    return None, "invalid"


def as_date(value: object, *, excel_serial: bool = True) -> date | None:
    """A spreadsheet cell (datetime, date, number or text) as a date, or None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or abs(value) > 1e9:
            return None  # 1E+400 reads as infinity: no date
        return parse_date(str(int(value)), excel_serial=excel_serial)[0]
    return parse_date(str(value), excel_serial=excel_serial)[0]


_YEAR_RANGE = re.compile(r"(?<!\d)(20\d\d)\s*[-_/]\s*(\d\d)(?!\d)")
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def year_in_name(name: str) -> int | None:
    """The collection year written in a name: '2024-25' and '2024_25' give 2025, '2025' 2025.

    A collection year is the year in which the return's 31 March falls, so a span gives its
    second year. Only 2010-2039 counts, so other numbers in a name are not mistaken for it.
    """
    span = _YEAR_RANGE.search(name)
    if span:
        first, second = int(span.group(1)), int(span.group(2))
        if second == (first + 1) % 100:
            return first + 1
    years = [int(y) for y in _YEAR.findall(name) if 2010 <= int(y) <= 2039]
    return years[-1] if years else None


def collection_year_from_path(path: Path, levels: int = 3) -> int | None:
    """The collection year from the file name, else from the nearest folders above it."""
    # The name, then the names of the folders above it (the parts, read from the end).
    for part in path.parts[::-1][: levels + 1]:
        found = year_in_name(part)
        if found is not None:
            return found
    return None


def year_end(collection_year: int) -> date:
    """31 March of the collection year: the return's reference date."""
    return date(collection_year, 3, 31)


def year_start(collection_year: int) -> date:
    """1 April before the collection year's 31 March: the first day the return covers."""
    return date(collection_year - 1, 4, 1)


def collection_year_of(day: date) -> int:
    """The collection year (ending 31 March) a date falls in."""
    return day.year + 1 if day.month >= 4 else day.year


@dataclass
class ProblemLog:
    """Problems found while reading one source, each tagged with its file."""

    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        file: Path | str,
        rule: str,
        severity: Severity,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
        table: str | None = None,
    ) -> None:
        self.problems.append(
            Problem(
                file=str(file),
                rule=rule,
                severity=severity,
                message=message,
                row=row,
                field=column,
                value=value,
                table=table,
            )
        )

    def error(self, file: Path | str, rule: str, message: str, **where: Any) -> None:
        self.add(file, rule, Severity.ERROR, message, **where)

    def warning(self, file: Path | str, rule: str, message: str, **where: Any) -> None:
        self.add(file, rule, Severity.WARNING, message, **where)

    def info(self, file: Path | str, rule: str, message: str, **where: Any) -> None:
        self.add(file, rule, Severity.INFO, message, **where)


_POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "date": pl.Date(),
    "int": pl.Int64(),
    "float": pl.Float64(),
}


@cache
def canonical_fields() -> dict[str, dict[str, str]]:
    """Table -> field -> type name ("string", "date", "int", "float") from canonical.yaml."""
    path = Path(__file__).with_name("canonical.yaml")
    if not path.exists():
        return {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when built
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    return {
        table["name"]: {f["name"]: f.get("type", "string") for f in table.get("fields", [])}
        for table in raw.get("tables", [])
    }


def build_frame(
    table: str, rows: Sequence[Mapping[str, object]], columns: Iterable[str]
) -> pl.DataFrame:
    """Rows (dicts) to a frame with the given columns plus provenance, typed canonically.

    Columns the canonical description lists get its type; the others (provenance and any
    column the description does not know) are strings, except ``_source_row`` (integer).
    """
    known = canonical_fields().get(table, {})
    names = [*dict.fromkeys([*columns, *PROVENANCE])]
    schema: dict[str, pl.DataType] = {}
    for name in names:
        if name == "_source_row":
            schema[name] = pl.Int64()
        elif name in known:
            schema[name] = _POLARS_TYPES.get(known[name], pl.String())
        else:
            schema[name] = _guess_type(name, rows)
    data = {name: [row.get(name) for row in rows] for name in names}
    return pl.DataFrame(data, schema=schema, strict=False)


def _guess_type(name: str, rows: Sequence[Mapping[str, object]]) -> pl.DataType:
    for row in rows:
        value = row.get(name)
        if isinstance(value, date):
            return pl.Date()
        if isinstance(value, bool):
            return pl.String()
        if isinstance(value, int):
            return pl.Int64()
        if value is not None:
            return pl.String()
    return pl.String()
