"""Reading delimited text files as councils really produce them.

Owns turning the bytes of a CSV extract into a table of text values with the data row number
of each row: the character encoding (UTF-8, UTF-8 with a byte-order mark, UTF-16 with a mark,
otherwise Windows-1252 as Excel writes on Windows), the delimiter (comma, semicolon or tab),
header names tidied for matching, and rows with too many or too few fields (a cut-off last
line means the file was truncated). Types are not decided here: see
:func:`cscperf.sources.canonical.conform`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import polars as pl

from cscperf.encoding import (
    UTF16_BOMS,
    decode_bytes,
    normalise_newlines,
    utf16_without_bom,
)
from cscperf.errors import InputError
from cscperf.limits import MAX_CSV_FIELD_CHARS
from cscperf.sources.base import Problem, Severity
from cscperf.sources.canonical import SOURCE_FILE, SOURCE_ROW


@dataclass
class TextTable:
    """A delimited file read as text: columns as the header names them (tidied)."""

    frame: pl.DataFrame
    encoding: str
    problems: list[Problem] = field(default_factory=list)


def decode(raw: bytes, file: str | None = None, *, partial: bool = False) -> tuple[str, str]:
    """The text of a file and the encoding it was read with: see
    :func:`cscperf.encoding.decode_bytes` (UTF-8 with or without a byte-order mark,
    UTF-16 either way round, otherwise Windows-1252, the encoding Excel on Windows writes)."""
    return decode_bytes(raw, file, partial=partial)


def looks_like_text(head: bytes) -> bool:
    """True when the first bytes could be a delimited text file (no NUL bytes, no zip)."""
    if head.startswith(UTF16_BOMS) or utf16_without_bom(head) is not None:
        return True
    return bool(head.strip()) and b"\x00" not in head and not head.startswith(b"PK\x03\x04")


def tidy_header(name: str) -> str:
    """Header names compared without case, surrounding spaces, quotes or a stray BOM."""
    return name.strip().strip('"').strip("\ufeff").strip().lower()


def header_fields(head: bytes) -> list[str]:
    """The tidied names on the first line of a delimited file (empty when unreadable)."""
    text, _ = decode(head, partial=True)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = sniff_delimiter(first)
    try:
        row = next(csv.reader([first], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []
    return [tidy_header(cell) for cell in row]


def sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_text_table(raw: bytes, file: str) -> TextTable:
    """Parse a delimited file into text columns plus ``_source_file``/``_source_row``.

    Raises :class:`InputError` when the file is empty, has no header, is not text (NUL
    characters, damaged UTF-16) or has a field longer than
    :data:`~cscperf.limits.MAX_CSV_FIELD_CHARS`; rows that do not fit the header
    become problems (error) and are left out or padded as described in each. A header with
    no rows is a warning (``no-rows``): the table is supplied but empty.
    """
    text, encoding = decode(raw, file)
    if "\x00" in text:
        raise InputError(
            "the file holds NUL characters, so it is not a text (CSV) file or it is damaged; "
            "export it again as CSV",
            file=file,
        )
    text = normalise_newlines(text)
    if not text.strip():
        raise InputError("the file is empty; export it again from the case system", file=file)
    first_line = text.splitlines()[0]
    delimiter = sniff_delimiter(first_line)
    problems: list[Problem] = []
    if encoding == "cp1252":
        problems.append(
            Problem(
                file=file,
                rule="encoding-not-utf8",
                severity=Severity.INFO,
                message="the file is not UTF-8; it was read as Windows-1252 (Excel's "
                "encoding); check that names with accents look right",
            )
        )
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            separator=delimiter,
            infer_schema=False,
            raise_if_empty=False,
        )
        frame = _numbered(frame, 2)
        problems.extend(_truncated_last_row(text, delimiter, frame, file))
    except pl.exceptions.PolarsError:
        frame, shape_problems = _read_row_by_row(text, delimiter, file)
        problems.extend(shape_problems)
    _check_field_sizes(frame, file)
    columns = [tidy_header(c) for c in frame.columns]
    problems.extend(_duplicate_columns(columns, file))
    frame.columns = _unique(columns)
    if frame.height == 0:
        problems.append(
            Problem(
                file=file,
                rule="no-rows",
                severity=Severity.WARNING,
                message="the file has a header but no rows, so its table is loaded empty and "
                "indicators that use it show no activity; if the case system holds records "
                "for it, export it again",
                row=1,
            )
        )
    return TextTable(
        frame=frame.with_columns(pl.lit(file).alias(SOURCE_FILE)),
        encoding=encoding,
        problems=problems,
    )


def _check_field_sizes(frame: pl.DataFrame, file: str) -> None:
    """InputError naming row and column for the first field over the limit (usually a quote
    that is never closed, which swallows the rest of the file into one field)."""
    for name in frame.columns:
        if name == SOURCE_ROW:
            continue
        if len(name) > MAX_CSV_FIELD_CHARS:
            raise _field_too_long(file, 1, None)
        lengths = frame.get_column(name).str.len_chars()
        longest = lengths.max()
        if isinstance(longest, int) and longest > MAX_CSV_FIELD_CHARS:
            index = int(lengths.arg_max() or 0)
            row = frame.get_column(SOURCE_ROW)[index] if SOURCE_ROW in frame.columns else None
            raise _field_too_long(file, row, tidy_header(name))


def _field_too_long(file: str, row: int | None, column: str | None) -> InputError:
    return InputError(
        f"a field is longer than {MAX_CSV_FIELD_CHARS:,} characters (limit "
        "MAX_CSV_FIELD_CHARS); usually a quote mark that is never closed; fix the quoting "
        "or export the file again",
        file=file,
        row=row,
        field=column,
    )


def _numbered(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    return frame.with_row_index(SOURCE_ROW, offset=first_row).with_columns(
        pl.col(SOURCE_ROW).cast(pl.Int64)
    )


def _unique(columns: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in columns:
        if name in seen:
            seen[name] += 1
            out.append(f"{name}__{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out


def _duplicate_columns(columns: list[str], file: str) -> list[Problem]:
    duplicated = sorted({c for c in columns if columns.count(c) > 1 and c != SOURCE_ROW})
    return [
        Problem(
            file=file,
            rule="duplicate-column",
            severity=Severity.ERROR,
            message=f"the header names column {name} more than once; only the first is read; "
            "remove the extra column",
            row=1,
            field=name,
        )
        for name in duplicated
    ]


def _truncated_last_row(text: str, delimiter: str, frame: pl.DataFrame, file: str) -> list[Problem]:
    """A last line with fewer fields than the header and no line end: the file was cut off."""
    if frame.height == 0 or text.endswith(("\n", "\r")):
        return []
    last_line = text.splitlines()[-1]
    try:
        fields = next(csv.reader([last_line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []
    if len(fields) >= len(frame.columns) - 1:
        return []
    return [
        Problem(
            file=file,
            rule="truncated-file",
            severity=Severity.ERROR,
            message=f"the file ends part-way through row {frame.height + 1} ({len(fields)} of "
            f"{len(frame.columns) - 1} fields): it looks truncated; copy or export it again",
            row=frame.height + 1,
        )
    ]


def _read_row_by_row(text: str, delimiter: str, file: str) -> tuple[pl.DataFrame, list[Problem]]:
    """Slow path for files the fast parser rejects: keep the rows that fit, report the rest."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _field_too_long(file, 1, None) from exc
        raise InputError(f"the header line cannot be read ({exc})", file=file) from exc
    except StopIteration as exc:
        raise InputError(f"the header line cannot be read ({exc})", file=file) from exc
    width = len(header)
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    row_number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row_number += 1
            if "field larger than field limit" in str(exc):
                raise _field_too_long(file, row_number, None) from exc
            problems.append(
                Problem(
                    file=file,
                    rule="malformed-row",
                    severity=Severity.ERROR,
                    message=f"row cannot be read ({exc}); fix the quoting",
                    row=row_number,
                )
            )
            continue
        row_number += 1
        if not cells:
            continue
        if len(cells) != width:
            problems.append(
                Problem(
                    file=file,
                    rule="malformed-row",
                    severity=Severity.ERROR,
                    message=f"row has {len(cells)} fields but the header has {width}; the row "
                    "was left out: check for an unquoted comma or a cut-off line",
                    row=row_number,
                )
            )
            continue
        rows.append([c if c != "" else None for c in cells])
        numbers.append(row_number)
    frame = pl.DataFrame(
        {name: [r[i] for r in rows] for i, name in enumerate(_unique(header))},
        schema={name: pl.String for name in _unique(header)},
    )
    frame = frame.with_columns(pl.Series(SOURCE_ROW, numbers, dtype=pl.Int64))
    return frame, problems
