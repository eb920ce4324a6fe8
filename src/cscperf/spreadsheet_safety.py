"""Text that leaves cscperf in a spreadsheet or a CSV file is never a formula.

A team, locality, comment or data value that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is run as a formula by Excel and LibreOffice when the file is opened, which lets
whoever typed it into the case system reach the reader's machine ("CSV injection"). Following
OWASP's advice, such text is written to CSV with a leading apostrophe, which spreadsheets show as
text and hide; the xlsx pack instead writes every string as a string cell (see
:data:`XLSX_OPTIONS`), so there the text keeps its first character unchanged. Only text is touched:
numbers, including negative ones, stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = r"^[=+\-@\t\r]"

#: xlsxwriter options: strings stay strings (never formulas, never hyperlinks).
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}


def defuse(value: object) -> object:
    """``value`` with an apostrophe before text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def defuse_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column of ``frame`` defused; other columns as they are."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA_PATTERN))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text_columns
    )


def csv_rows_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text of ``rows`` (None as blank) with every text cell defused. Lines end in CRLF as
    RFC 4180 has it, which also makes the writer quote a field holding a lone carriage return."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([defuse(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else defuse(v) for v in row])
    return out.getvalue()
