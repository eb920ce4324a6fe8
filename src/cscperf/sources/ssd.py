"""Reader for Standard Safeguarding Dataset tables extracted as CSV or Parquet files.

Owns recognising which SSD table a file holds (from its file name, e.g. ``ssd_person.csv`` or
``ssd_person_2025-03.csv``, or failing that from the field names in its header), checking its
column set against the canonical table (missing required fields: error, naming them; other
missing fields: warning, read as blank; unknown columns: warning) and casting the values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from cscperf.errors import InputError
from cscperf.sources.base import Problem, ReaderResult, Severity
from cscperf.sources.canonical import (
    PROVENANCE,
    SOURCE_FILE,
    SOURCE_ROW,
    TableSpec,
    canonical_tables,
    conform,
)
from cscperf.sources.csvtext import header_fields, looks_like_text, read_text_table, tidy_header
from cscperf.sources.returns_common import ProblemLog

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
PARQUET_MAGIC = b"PAR1"
# A header is taken to be a table's when at least this share of its names are that table's.
HEADER_MATCH_SHARE = 0.6


def ssd_tables() -> dict[str, TableSpec]:
    return {name: spec for name, spec in canonical_tables().items() if not spec.extension}


def table_from_file_name(path: Path) -> str | None:
    """The SSD table a file name names: the longest table name the stem starts with."""
    stem = path.stem.lower()
    named = [
        name
        for name in ssd_tables()
        if stem == name or re.match(re.escape(name) + r"([^a-z0-9]|$)", stem)
    ]
    return max(named, key=len) if named else None


def table_from_header(columns: Sequence[str]) -> str | None:
    """The SSD table whose field names make up most of a header (None when no table fits)."""
    names = {tidy_header(c) for c in columns} - set(PROVENANCE) - {""}
    if not names:
        return None
    best, best_share = None, 0.0
    for name, spec in ssd_tables().items():
        share = len(names & set(spec.field_names)) / len(names)
        if share > best_share:
            best, best_share = name, share
    return best if best_share >= HEADER_MATCH_SHARE else None


def identify_table(path: Path, columns: Sequence[str]) -> str | None:
    return table_from_file_name(path) or table_from_header(columns)


def _parquet_columns(path: Path) -> list[str]:
    try:
        return list(pq.read_schema(path).names)
    except Exception:
        return []


def check_columns(spec: TableSpec, columns: Sequence[str], file: str) -> list[Problem]:
    """Missing required fields (error), other missing fields (warning), unknown columns."""
    present = set(columns)
    log = ProblemLog()
    missing_required = [f for f in spec.required_fields if f not in present]
    # cscperf's extension fields are optional additions: an SSD extract normally lacks them.
    missing_other = [
        f.name
        for f in spec.fields
        if f.name not in present and f.name not in missing_required and not f.extension
    ]
    extra = [c for c in columns if c not in spec.field_names and c not in PROVENANCE]
    header = {"row": 1, "table": spec.name}
    if missing_required:
        log.error(
            file,
            "missing-columns",
            f"{spec.name} needs the column(s) {', '.join(missing_required)}, which the header "
            "does not have; the table was not read: add them to the extract",
            column=",".join(missing_required),
            **header,
        )
    if missing_other:
        log.warning(
            file,
            "missing-columns",
            f"{spec.name} has no column(s) {', '.join(missing_other)}; they are read as blank, "
            "so indicators that use them will have no data",
            column=",".join(missing_other),
            **header,
        )
    if extra:
        log.warning(
            file,
            "extra-columns",
            f"column(s) {', '.join(extra)} are not fields of {spec.name} and were ignored; "
            "check the header spelling if they should be",
            column=",".join(extra),
            **header,
        )
    return log.problems


class SSDReader:
    """SSD tables as CSV or Parquet files (one table per file)."""

    source = "ssd"

    def table_of(self, path: Path, head: bytes) -> str | None:
        suffix = path.suffix.lower()
        if suffix in PARQUET_SUFFIXES or head.startswith(PARQUET_MAGIC):
            if not head.startswith(PARQUET_MAGIC):
                return None
            return table_from_file_name(path) or table_from_header(_parquet_columns(path))
        if suffix in TEXT_SUFFIXES:
            # A file named after its table is that table even when it is damaged (binary
            # bytes, a broken encoding): reading it then reports what is wrong, instead of
            # the table being passed over as an unknown file.
            named = table_from_file_name(path)
            if named is not None or not looks_like_text(head):
                return named
            return table_from_header(header_fields(head))
        return None

    def recognises(self, path: Path, head: bytes) -> bool:
        return self.table_of(path, head) is not None

    def describe(self, path: Path, head: bytes) -> str:
        return f"SSD table {self.table_of(path, head)}"

    def read(self, paths: Sequence[Path]) -> ReaderResult:
        result = ReaderResult(source=self.source, files=list(paths))
        frames: dict[str, list[pl.DataFrame]] = {}
        for path in paths:
            table, frame, problems = self.read_file(path)
            result.problems.extend(problems)
            if table is not None and frame is not None:
                frames.setdefault(table, []).append(frame)
        for table, parts in frames.items():
            result.tables[table] = pl.concat(parts, how="vertical")
        return result

    def read_file(self, path: Path) -> tuple[str | None, pl.DataFrame | None, list[Problem]]:
        """One file: its table, the conformed rows (None when unusable) and the problems."""
        file = str(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(f"the file cannot be opened ({exc.strerror})", file=file) from exc
        if raw.startswith(PARQUET_MAGIC):
            frame = _read_parquet(path)
            problems: list[Problem] = []
        else:
            text_table = read_text_table(raw, file)
            frame, problems = text_table.frame, text_table.problems
        table = identify_table(path, frame.columns)
        if table is None:
            raise InputError(
                "the header matches no SSD table; name the file after its table "
                "(e.g. ssd_person.csv) or fix the header",
                file=file,
            )
        spec = ssd_tables()[table]
        if not set(frame.columns) & set(spec.field_names):
            raise InputError(
                f"none of the header's names is a field of {table}, so the file cannot be "
                "split into the table's columns; check it is one header line of field names "
                "separated by commas (or semicolons or tabs), then export it again",
                file=file,
                row=1,
            )
        column_problems = check_columns(spec, frame.columns, file)
        problems.extend(column_problems)
        if any(p.severity == Severity.ERROR for p in column_problems):
            return table, None, problems
        conformed, value_problems = conform(table, frame, file=file)
        problems.extend(value_problems)
        return table, conformed, problems


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
        raise InputError(
            f"the Parquet file cannot be read ({type(exc).__name__}); export it again",
            file=str(path),
        ) from exc
    frame.columns = [tidy_header(c) for c in frame.columns]
    return frame.with_row_index(SOURCE_ROW, offset=1).with_columns(
        pl.col(SOURCE_ROW).cast(pl.Int64), pl.lit(str(path)).alias(SOURCE_FILE)
    )
