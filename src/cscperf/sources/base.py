"""What every reader hands back: canonical tables, problems found, and what it could not supply.

A reader recognises its files by content, parses them, and returns a :class:`ReaderResult`. It
never raises for bad data: every problem becomes a :class:`Problem` row for the data-quality
report, and problems of severity ``error`` stop the build from being published. It raises
:class:`cscperf.errors.InputError` only when a file cannot be read at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import polars as pl


class Severity(StrEnum):
    ERROR = "error"  # blocks the build
    WARNING = "warning"  # reported, the build goes ahead
    INFO = "info"  # worth knowing (e.g. a table a source cannot supply)


@dataclass(frozen=True)
class Problem:
    """One data-quality finding: where it is, what rule it broke, and what to do about it.

    ``row`` is the 1-based data row (CSV: the line number in the file including the header;
    XML: the source line; Excel: the sheet row). ``value`` is the offending value as text; it
    must never be a child identifier or name (say "child on row 12" instead).
    """

    file: str
    rule: str
    severity: Severity
    message: str
    row: int | None = None
    field: str | None = None
    value: str | None = None
    table: str | None = None


@dataclass
class ReaderResult:
    """Canonical (SSD-shaped) tables read from one input, with findings and provenance."""

    source: str  # "ssd", "ssda903", "cin_census", "annex_a", "population", "settings"
    files: list[Path]
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Canonical tables/fields this source cannot supply, with a reason for the person reading.
    not_supplied: dict[str, str] = field(default_factory=dict)
    collection_year: int | None = None
    la_code: str | None = None
    extract_date: str | None = None  # ISO date when the source states one


class Reader(Protocol):
    """A reader for one kind of input."""

    source: str

    def recognises(self, path: Path, head: bytes) -> bool:
        """True when the file (first bytes given) is this reader's kind of input."""
        ...

    def read(self, paths: Sequence[Path]) -> ReaderResult:
        """Read the files recognised as this kind (e.g. every table of one 903 return)."""
        ...
