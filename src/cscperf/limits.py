"""The bounds every input is held to before a parser library sees it, declared in one place.

A council's files are trusted to be theirs, not to be well made: a cell reference far beyond
Excel's grid makes the xlsx library abort the process, a small workbook can expand to
gigabytes (a "zip bomb"), a YAML file can nest deeper than Python's stack, an XML file can
declare entities. Each limit below is named in the message of the error it raises, so a
person who meets one knows which it is; each is far above what a real council's file needs.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from cscperf.encoding import decode_bytes
from cscperf.errors import ConfigError, InputError

# CSV: Python's csv module default, so every CSV path (fast or row by row) has the same limit.
MAX_CSV_FIELD_CHARS = 131_072

# xlsx workbooks (Annex A, the targets workbook): checked on the zip before it is opened.
MAX_XLSX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024  # all members together, expanded
MAX_XLSX_MEMBER_RATIO = 200  # expanded size / stored size of one member over 1 MiB
_RATIO_CHECK_FROM_BYTES = 1024 * 1024
MAX_XLSX_MEMBERS = 10_000
# Excel's own grid: 1,048,576 rows by 16,384 columns (XFD).
MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_COLUMNS = 16_384
# The rectangle a sheet's cells span (rows x columns): the reader holds it all in memory.
MAX_SHEET_CELLS = 5_000_000

# YAML files (settings, targets, commentary, any YAML given by the user).
MAX_YAML_BYTES = 10 * 1024 * 1024
MAX_YAML_DEPTH = 64
MAX_YAML_NODES = 2_000_000  # values counted with aliases expanded (a "billion laughs" file)

_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=[\"']\$?([A-Za-z]+)\$?([0-9]+)[\"']")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\sref=[\"']([^\"']*)[\"']")
_REF_PART = re.compile(r"^\$?([A-Z]+)\$?([0-9]+)$")
_SCAN_CHUNK = 4 * 1024 * 1024
_ODS_TAG = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)\b([^>]*)>")
_CHECKED: dict[str, tuple[int, int]] = {}
_XML_PROLOG_BYTES = 4096
_ELEMENT_START = re.compile(r"<[A-Za-z_]")


def column_number(letters: str) -> int:
    """Excel column letters as a number: A is 1, Z 26, AA 27, XFD 16,384."""
    number = 0
    for letter in letters:
        number = number * 26 + (ord(letter) - ord("A") + 1)
    return number


def check_workbook(path: Path) -> None:
    """Refuse an xlsx (zip) file a spreadsheet library should not be given: not a zip, expanding
    past :data:`MAX_XLSX_UNCOMPRESSED_BYTES` or a member past :data:`MAX_XLSX_MEMBER_RATIO`,
    or a sheet whose cells lie outside Excel's grid or span more than
    :data:`MAX_SHEET_CELLS`. Raises :class:`InputError` naming the file (and sheet)."""
    file = str(path)
    if workbook_checked(path):
        return
    with open(path, "rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            return  # an old binary .xls is not a zip: the library itself tells it is unreadable
    try:
        archive = zipfile.ZipFile(path)
    except Exception as exc:  # not a zip, or a zip whose directory is damaged
        raise InputError(
            f"cannot be opened as an xlsx workbook ({exc}); save it from Excel as .xlsx",
            file=file,
        ) from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_XLSX_MEMBERS:
            raise InputError(
                f"the workbook holds {len(members):,} parts, more than the limit "
                f"MAX_XLSX_MEMBERS ({MAX_XLSX_MEMBERS:,}); it is not an ordinary workbook",
                file=file,
            )
        total = sum(m.file_size for m in members)
        if total > MAX_XLSX_UNCOMPRESSED_BYTES:
            raise InputError(
                f"the workbook expands to {total:,} bytes, more than the limit "
                f"MAX_XLSX_UNCOMPRESSED_BYTES ({MAX_XLSX_UNCOMPRESSED_BYTES:,}); remove empty "
                "formatted rows or split it",
                file=file,
            )
        for member in members:
            if (
                member.file_size > _RATIO_CHECK_FROM_BYTES
                and member.file_size > MAX_XLSX_MEMBER_RATIO * max(member.compress_size, 1)
            ):
                raise InputError(
                    f"part {member.filename} of the workbook expands {member.file_size:,} "
                    f"bytes from {member.compress_size:,}, more than the limit "
                    f"MAX_XLSX_MEMBER_RATIO ({MAX_XLSX_MEMBER_RATIO} to 1); it is not an "
                    "ordinary workbook",
                    file=file,
                )
        # Every part is expanded once here, in bounded chunks, so sizes a damaged or crafted
        # zip misstates fail their checksum here instead of inside the spreadsheet library.
        for member in members:
            name = member.filename
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                _check_sheet(archive, member, file)
            elif name == "content.xml":
                _check_ods_content(archive, member, file)
            elif not member.is_dir():
                _read_through(archive, member, file)
    _CHECKED[str(path)] = _signature(path)


def _tags(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, file: str, pattern: re.Pattern[bytes]
) -> Iterator[re.Match[bytes]]:
    """Matches of ``pattern`` (within one tag) over a zip part read in bounded chunks."""
    carry = b""
    try:
        with archive.open(member) as stream:
            while True:
                chunk = stream.read(_SCAN_CHUNK)
                if not chunk:
                    break
                data = carry + chunk
                cut = data.rfind(b"<")
                if cut < 0 or len(data) - cut > _SCAN_CHUNK:
                    cut = max(len(data) - 1024, 0)
                yield from pattern.finditer(data, 0, cut)
                carry = data[cut:]
            yield from pattern.finditer(carry)
    except Exception as exc:  # zlib, bz2, lzma and zipfile each raise their own kinds
        raise _damaged_part(member, file, exc) from exc


def _repeat(attributes: bytes, name: bytes) -> int:
    found = re.search(name + rb'="([0-9]+)"', attributes)
    if not found:
        return 1
    digits = found.group(1)
    return int(digits) if len(digits) <= 9 else 10**10


def _check_ods_content(archive: zipfile.ZipFile, member: zipfile.ZipInfo, file: str) -> None:
    """An OpenDocument sheet: the rectangle up to its last cell holding a value, counting
    repeated rows and columns (a tiny file can repeat a cell a billion times)."""
    table = "a sheet"
    row = high_row = high_col = 0
    row_repeat, col, row_has_value = 1, 0, False
    for match in _tags(archive, member, file, _ODS_TAG):
        closing, kind, attributes = match.group(1), match.group(2), match.group(3)
        if kind == b"table" and not closing:
            named = re.search(rb'table:name="([^"]*)"', attributes)
            table = named.group(1).decode("utf-8", "replace")[:60] if named else "a sheet"
            row = high_row = high_col = 0
        elif kind == b"table-row" and not closing:
            row_repeat, col, row_has_value = (
                _repeat(attributes, b"table:number-rows-repeated"),
                0,
                False,
            )
            if attributes.rstrip().endswith(b"/"):
                row += row_repeat
        elif kind == b"table-row":
            row += row_repeat
            if row_has_value:
                high_row = row
        elif not closing:  # a cell or a covered cell
            col += _repeat(attributes, b"table:number-columns-repeated")
            if b"value-type" in attributes:
                row_has_value = True
                high_col = max(high_col, col)
        rows = row + row_repeat if row_has_value else high_row
        if rows * high_col > MAX_SHEET_CELLS:
            raise InputError(
                f"the cells of {table} span at least {rows:,} rows by {high_col:,} columns "
                "(repeated rows and columns counted), more than the limit MAX_SHEET_CELLS "
                f"({MAX_SHEET_CELLS:,}); delete stray cells far below or to the right of the data",
                file=file,
            )


def workbook_checked(path: Path) -> bool:
    """True when :func:`check_workbook` passed this file unchanged (so it is not redone)."""
    return _CHECKED.get(str(path)) == _signature(path)


def _signature(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _read_through(archive: zipfile.ZipFile, member: zipfile.ZipInfo, file: str) -> None:
    try:
        with archive.open(member) as stream:
            while stream.read(_SCAN_CHUNK):
                pass
    except Exception as exc:  # zlib, bz2, lzma and zipfile each raise their own kinds
        raise _damaged_part(member, file, exc) from exc


def _damaged_part(member: zipfile.ZipInfo, file: str, exc: BaseException) -> InputError:
    return InputError(
        f"part {member.filename} of the workbook cannot be read ({exc}); the file is "
        "damaged: save it again from Excel",
        file=file,
    )


def _check_sheet(archive: zipfile.ZipFile, member: zipfile.ZipInfo, file: str) -> None:
    sheet = member.filename.rsplit("/", 1)[-1].removesuffix(".xml")
    low_row = low_col = None
    high_row = high_col = 0
    for letters, digits, is_cell in _cell_refs(archive, member, file):
        # Counted without converting absurd lengths (Python refuses ints of 4,300+ digits).
        row = int(digits) if len(digits) <= 9 else MAX_SHEET_ROWS + 1
        col = column_number(letters.decode("ascii").upper()) if len(letters) <= 4 else 0
        if not (1 <= row <= MAX_SHEET_ROWS and 1 <= col <= MAX_SHEET_COLUMNS):
            raise InputError(
                f"{sheet} has a cell at {(letters + digits).decode('ascii')[:40]}, "
                f"outside Excel's grid (limits MAX_SHEET_ROWS {MAX_SHEET_ROWS:,}, "
                f"MAX_SHEET_COLUMNS {MAX_SHEET_COLUMNS:,}); the workbook is damaged: save it "
                "again from Excel",
                file=file,
            )
        if not is_cell:
            continue  # the dimension is only a claim; the cells themselves make the span
        low_row = row if low_row is None else min(low_row, row)
        low_col = col if low_col is None else min(low_col, col)
        high_row, high_col = max(high_row, row), max(high_col, col)
    if low_row is None or low_col is None:
        return
    cells = (high_row - low_row + 1) * (high_col - low_col + 1)
    if cells > MAX_SHEET_CELLS:
        raise InputError(
            f"the cells of {sheet} span {high_row - low_row + 1:,} rows by "
            f"{high_col - low_col + 1:,} columns, more than the limit MAX_SHEET_CELLS "
            f"({MAX_SHEET_CELLS:,}); delete stray cells far below or to the right of the data",
            file=file,
        )


def _cell_refs(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, file: str
) -> Iterator[tuple[bytes, bytes, bool]]:
    """Column letters, row digits and whether it is a cell (not the ``dimension``) of every
    cell reference in a sheet, read in chunks (the sheet is never held whole)."""
    carry = b""
    first = True
    try:
        with archive.open(member) as stream:
            while True:
                chunk = stream.read(_SCAN_CHUNK)
                if not chunk:
                    break
                data = carry + chunk
                if first:
                    first = False
                    found = _DIMENSION.search(data)
                    if found:
                        ref = found.group(1).decode("ascii", "replace")
                        for letters, digits in _dimension_refs(ref):
                            yield letters, digits, False
                # Keep the last tag, which may straddle two chunks (every tag before it is whole).
                cut = data.rfind(b"<")
                if cut < 0 or len(data) - cut > _SCAN_CHUNK:
                    cut = max(len(data) - 1024, 0)
                for match in _CELL_REF.finditer(data, 0, cut):
                    yield match.group(1), match.group(2), True
                carry = data[cut:]
            for match in _CELL_REF.finditer(carry):
                yield match.group(1), match.group(2), True
    except Exception as exc:  # zlib, bz2, lzma and zipfile each raise their own kinds
        raise _damaged_part(member, file, exc) from exc


def _dimension_refs(ref: str) -> Iterator[tuple[bytes, bytes]]:
    for part in ref.split(":"):
        match = _REF_PART.match(part.strip().upper())
        if match:
            yield match.group(1).encode(), match.group(2).encode()


# ---------------------------------------------------------------------------------------------
# XML


def parse_xml(data: bytes, file: str) -> etree._Element:
    """The root of an XML document, parsed without DTDs, entities or network access.

    A DOCTYPE is refused: no return uses one, and it is how entity expansion and external
    fetches get in. Raises :class:`InputError` with the line for a document that is not
    well-formed."""
    # Refused before parsing: libxml2 would otherwise still read the declarations.
    head, _ = decode_bytes(data[:_XML_PROLOG_BYTES], partial=True)
    root_at = _ELEMENT_START.search(head)
    doctype_at = head.find("<!DOCTYPE")
    if doctype_at >= 0 and (root_at is None or doctype_at < root_at.start()):
        raise _doctype(file)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(
            f"is not well-formed XML ({exc.msg}); the file may be cut short, export it again",
            file=file,
            row=exc.lineno or None,
        ) from exc
    if root is None:
        raise InputError("holds no XML element; export it again", file=file)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _doctype(file)
    return root


def _doctype(file: str) -> InputError:
    return InputError(
        "has a DOCTYPE declaration, which statutory returns never have and cscperf does "
        "not read (it can declare entities); remove it or export the file again",
        file=file,
        row=1,
    )


# ---------------------------------------------------------------------------------------------
# YAML


def load_yaml(path: Path, what: str, error: type[Exception] = ConfigError) -> Any:
    """Parsed YAML of a file the user gives (settings, targets, commentary), bounded.

    The bytes are decoded like every text input (UTF-8, UTF-16, Windows-1252); the file may
    be at most :data:`MAX_YAML_BYTES`, nest :data:`MAX_YAML_DEPTH` deep and hold
    :data:`MAX_YAML_NODES` values with aliases expanded. Every failure raises ``error``
    (a :class:`ConfigError` by default) naming the file and, where YAML gives it, the line.
    """
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise error(
                f"{path}: the {what} is {size:,} bytes, more than the limit MAX_YAML_BYTES "
                f"({MAX_YAML_BYTES:,}); is it the right file?"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror})") from exc
    try:
        text, _ = decode_bytes(raw, str(path))
    except InputError as exc:
        raise error(f"{path}: cannot read the {what}: {exc.args[0]}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise error(
            f"{path}{line}: the {what} is not valid YAML ({exc.problem or exc.context}); "
            "correct it and run again"
        ) from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: the {what} is not valid YAML ({exc}); correct it") from exc
    except RecursionError as exc:
        raise error(
            f"{path}: the {what} nests deeper than the limit MAX_YAML_DEPTH "
            f"({MAX_YAML_DEPTH}); is it the right file?"
        ) from exc
    check_yaml_shape(data, path, what, error)
    return data


def check_yaml_shape(data: Any, path: Path | str, what: str, error: type[Exception]) -> None:
    """Raise ``error`` when parsed YAML nests deeper than MAX_YAML_DEPTH or holds more than
    MAX_YAML_NODES values (counting an alias each time it is used)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_YAML_NODES:
            raise error(
                f"{path}: the {what} holds more than the limit MAX_YAML_NODES "
                f"({MAX_YAML_NODES:,}) values once its aliases are expanded"
            )
        if depth > MAX_YAML_DEPTH:
            raise error(
                f"{path}: the {what} nests deeper than the limit MAX_YAML_DEPTH "
                f"({MAX_YAML_DEPTH}); is it the right file?"
            )
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
            stack.extend((k, depth + 1) for k in value if isinstance(k, tuple))
        elif isinstance(value, list | tuple):
            stack.extend((v, depth + 1) for v in value)
