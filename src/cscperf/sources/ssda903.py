"""The SSDA903 (children looked after) return, as DfE CSV tables or as XML, into canonical tables.

This module owns reading 903 files: recognising each CSV table by its header columns, reading
the XML form into the same tables, deciding each file's collection year (from its name or its
folders' names, never from the dates it holds), checking every value against the tables,
columns and code sets of that year (``codesets/ssda903.yaml``: the 2017 layout plus each
year's changes), choosing between a year's CSV tables and its XML form when both are given,
merging several years' returns (rows repeated across returns are one fact; a later return
corrects an earlier one; episodes are stitched into periods of care by
:mod:`cscperf.sources.ssda903_stitch`), and mapping the result onto the SSD-shaped canonical
tables. ``docs/statutory-returns.md`` documents every rule and mapping.

Reading and checking are column-wise (polars): every file is read once as text, and each check
is one expression over a whole column; Python runs only for the rows a check flags.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from cscperf.errors import InputError
from cscperf.sources.base import ReaderResult, Severity
from cscperf.sources.codesets import (
    YearSchema,
    YearTable,
    ssda903_latest,
    ssda903_year,
)
from cscperf.sources.csvtext import looks_like_text
from cscperf.sources.returns_common import (
    ProblemLog,
    collection_year_from_path,
    csv_rows,
    decode_text,
    parse_date,
    year_end,
)
from cscperf.sources.ssda903_clean import CleanTable, CleanText, check_clean, clean_text
from cscperf.sources.ssda903_map import RawRow, ReturnRows, to_canonical

SOURCE = "ssda903"
XML_ROOT = "EXPSSDA903"

# Tables that describe the child as at one year (kept per year, not replaced by later years).
PER_YEAR = frozenset({"oc2", "oc3"})
# Start and end columns checked for order.
DATE_ORDER: dict[str, tuple[str, str]] = {
    "episodes": ("DECOM", "DEC"),
    "missing": ("MIS_START", "MIS_END"),
    "sw_episodes": ("SW_DECOM", "SW_DEC"),
    "placed_for_adoption": ("DATE_PLACED", "DATE_PLACED_CEASED"),
    "ad1": ("DATE_INT", "DATE_MATCH"),
    "dolo": ("DOLO_START", "DOLO_END"),
}
# The column of each table whose date may not be after the return's 31 March.
AFTER_YEAR: dict[str, str] = {"episodes": "DECOM"}
# A missing episode that ended the day it started, beside another episode of the same child
# starting that day, is another episode (missing, back, missing or away again, as the DfE
# validator's rule 574 allows): its end date and type ("2024-11-26/M") join its key so the
# two are not taken for one row written twice.
SAME_DAY = "_same_day"
_POSTCODE = r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$"
_PERM_DATE = r"^(zz|ZZ|\d{1,2})/(\d{1,2})/(\d{4})$"
_DMY = r"^\d{1,2}/\d{1,2}/\d{4}$"
_ISO = r"^\d{4}-\d{2}-\d{2}$"
_MIN_SCORE = 0.6
# Signs of a value with spaces around it (a space beside a comma or a line end, or a tab).
_SPACED = (" ,", ", ", " \n", "\n ", " \r", "\t")

NOT_SUPPLIED: dict[str, str] = {
    "ssd_contacts": "the SSDA903 return holds no contacts",
    "ssd_cin_episodes": "the SSDA903 return holds no referrals (see the CIN Census)",
    "ssd_cin_assessments": "the SSDA903 return holds no assessments",
    "ssd_cin_plans": "the SSDA903 return holds no child in need plans",
    "ssd_s47_enquiry": "the SSDA903 return holds no section 47 enquiries",
    "ssd_initial_cp_conference": "the SSDA903 return holds no conferences",
    "ssd_cp_plans": "the SSDA903 return holds no child protection plans",
    "ssd_cla_visits": "the SSDA903 return holds no visits",
    "ssd_cla_care_plan": "the SSDA903 return holds no care plans",
    "ssd_early_help_episodes": "the SSDA903 return holds no early help",
    "ssd_professionals": "the SSDA903 return names social workers only by an id (2024 on)",
    "ssd_cla_episodes.clae_referral_id": "the SSDA903 return does not link episodes to referrals",
    "ssd_cla_episodes.clae_cla_last_iro_contact_date": "the SSDA903 return has no IRO contacts",
    "ssd_cla_placement.clap_cla_placement_distance": "distance needs a postcode lookup the "
    "return does not carry",
    "ssd_cla_reviews.clar_cla_review_due_date": "the SSDA903 return has review dates only",
    "ssd_care_leavers.clea_care_leaver_latest_contact": "the SSDA903 return has no contact dates",
    "ssd_care_leavers.clea_care_leaver_eligibility": "the SSDA903 return has no eligibility",
    "ssd_sdq_scores.csdq_sdq_completed_date": "the SSDA903 return gives the score, not its date",
    "ssd_cla_convictions.clac_cla_conviction_date": "the SSDA903 return says only that a child "
    "was convicted during the year",
    "ssd_person.pers_forename": "returns carry no names",
    "ssd_person.pers_surname": "returns carry no names",
}


@dataclass
class TablePart:
    """One table's rows from one file, as text: a column per 903
    column (``""`` when a value is blank), ``_file``, ``_row`` (the line each row came from),
    and for CSV files ``_blank`` (a row of blank values) and ``_width`` / ``_expected`` (the
    number of values in the row and in the header). A clean file's frame is made only when
    the table needs the full check (see :mod:`cscperf.sources.ssda903_clean`)."""

    table: str
    file: str
    source: pl.DataFrame | Callable[[], pl.DataFrame]
    xml: bool = False
    carried: bool = False  # header columns repeated on another table's rows
    trimmed: bool = False  # no value has spaces around it: nothing to strip
    clean: CleanText | None = None  # a clean file: its lines, for the one-pass check
    positions: Mapping[str, int] = field(default_factory=dict)  # of a clean file's columns

    @property
    def frame(self) -> pl.DataFrame:
        if callable(self.source):
            self.source = self.source()
        return self.source


@dataclass
class ReturnTables:
    """One collection year's return, checked: a typed frame per 903 table, each row with
    ``_source_file``, ``_source_row`` and ``_collection_year``."""

    year: int
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)

    def as_rows(self) -> ReturnRows:
        """The rows as the canonical mapping takes them, each with its ``_key``."""
        result = ReturnRows(year=self.year)
        for table, frame in self.tables.items():
            keys = row_key_columns(table, frame)
            rows = frame.to_dicts()
            for row in rows:
                row["_key"] = tuple(row[k] for k in keys)
            result.tables[table] = rows
        return result


def row_key_columns(table: str, frame: pl.DataFrame) -> list[str]:
    keys = list(ssda903_latest().tables[table].keys)
    return [*keys, SAME_DAY] if SAME_DAY in frame.columns else keys


@lru_cache(maxsize=4096)  # headers repeat from file to file and year to year
def normalise_column(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().upper().replace(" ", "_")


@cache
def _layouts() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Table -> (its DfE columns, every column a file of it may have)."""
    tables = ssda903_latest().tables
    layouts: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for name, table in tables.items():
        dfe = {c for c, column in table.columns.items() if not column.optional}
        accepted = set(table.columns)
        for carried in table.carries:
            accepted |= set(tables[carried].columns)
        layouts[name] = (frozenset(dfe), frozenset(accepted))
    return layouts


def match_table(columns: Sequence[str]) -> str | None:
    """The 903 table whose columns best match a CSV header, or None when none is close.

    Matching is by overlap of column names (the columns a file of the table may have, over
    the file's columns and the table's DfE columns), so a table with a missing or an extra
    column is still recognised and its difference reported, and an export that adds derived
    or carried columns (PL_LOCATION; the header's columns on each episode) is not penalised.
    """
    return _best_table(frozenset(normalise_column(c) for c in columns if c.strip()))


@lru_cache(maxsize=256)
def _best_table(found: frozenset[str]) -> str | None:
    if "CHILD" not in found:
        return None
    best, best_score = None, 0.0
    for table, (dfe, accepted) in _layouts().items():
        score = len(found & accepted) / len(found | dfe)
        if score > best_score:
            best, best_score = table, score
    return best if best_score >= _MIN_SCORE else None


def first_line(head: bytes) -> str:
    text, _ = decode_text(head[:4096], partial=True)
    return text.splitlines()[0] if text.strip() else ""


class SSDA903Reader:
    """Reads SSDA903 returns: DfE CSV tables and XML, collection years 2017-2027."""

    source = SOURCE

    def recognises(self, path: Path, head: bytes) -> bool:
        suffix = path.suffix.lower()
        if suffix == ".xml":
            return _xml_root(head) == XML_ROOT
        if suffix in {".csv", ".txt"}:
            # A file named after a 903 table, or in a 903 folder, is a 903 table even when its
            # bytes are not text: reading it then says so (an error naming the file) instead
            # of its being passed over as an unknown file.
            if not looks_like_text(head):
                return named_like_903(path)
            line = first_line(head)
            return bool(line) and match_table(next(csv.reader([line]), [])) is not None
        return False

    def read(self, paths: Sequence[Path], *, collection_year: int | None = None) -> ReaderResult:
        """Read every table of one or more returns; ``collection_year`` overrides the year
        otherwise taken from file or folder names."""
        log = ProblemLog()
        returns = read_returns(paths, log, collection_year=collection_year)
        tables = to_canonical([r.as_rows() for r in returns], log)
        years = sorted(r.year for r in returns)
        return ReaderResult(
            source=SOURCE,
            files=list(paths),
            tables=tables,
            problems=log.problems,
            not_supplied=dict(NOT_SUPPLIED),
            collection_year=years[-1] if years else None,
        )


def named_like_903(path: Path) -> bool:
    """True when a file's name is a 903 table's (``episodes.csv``, ``2025_header.csv``) or a
    folder it is in says 903 (``ssda903``, ``903_2025``)."""
    stem = path.stem.lower()
    for table in ssda903_latest().tables:
        if re.search(rf"(^|[^a-z0-9]){re.escape(table)}([^a-z0-9]|$)", stem):
            return True
    return any("903" in part for part in path.parent.parts[-2:])


def read_returns(
    paths: Sequence[Path], log: ProblemLog, *, collection_year: int | None = None
) -> list[ReturnTables]:
    """Every file read and checked against its collection year: one checked return a year.

    The year of a file is ``collection_year`` when given, else the year its own name says,
    else the nearest folder's; a file whose year cannot be known is an error and not read
    (its dates cannot say it: a return holds dates from years before its own).
    """
    by_year: dict[int, list[TablePart]] = {}
    for path in paths:
        year = collection_year or collection_year_from_path(path)
        if year is None:
            log.error(
                path,
                "903.year.unknown",
                "the collection year of this SSDA903 file cannot be known: neither its name "
                "nor its folders' names say it, and the return carries no reference date; "
                "name the file or its folder after the year (e.g. 2025 or 2024-25) or give "
                "the year with --year (cscperf ingest --year 2025); the file was not read",
            )
            continue
        by_year.setdefault(year, []).extend(read_file(path, log))
    clean = check_clean_tables(by_year)
    return [
        check_return(year, parts, log, clean.get(year, {}))
        for year, parts in sorted(by_year.items())
    ]


def check_clean_tables(
    by_year: Mapping[int, Sequence[TablePart]],
) -> dict[int, dict[str, pl.DataFrame]]:
    """Year -> table -> typed frame, for every table of every year read from one clean file
    and found clean (:func:`cscperf.sources.ssda903_clean.check_clean`): all in one pass."""
    found: list[tuple[int, TablePart]] = []
    tables: list[CleanTable] = []
    for year, parts in by_year.items():
        schema = ssda903_year(year)
        for table, (own, _) in choose_parts(parts).items():
            part = own[0]
            if len(own) == 1 and part.clean is not None:
                layout = schema.tables.get(table) or ssda903_latest().tables[table]
                found.append((year, part))
                tables.append(
                    CleanTable(year, table, layout, part.file, part.clean, part.positions)
                )
    checked = check_clean(
        tables,
        order=DATE_ORDER,
        after_year=AFTER_YEAR,
        postcode=_POSTCODE,
        permanence_date=_PERM_DATE,
    )
    result: dict[int, dict[str, pl.DataFrame]] = {}
    for (year, part), typed in zip(found, checked, strict=True):
        if typed is not None:
            if part.table == "missing":  # the full check's column for same-day episodes
                typed = typed.with_columns(pl.lit(None, pl.String).alias(SAME_DAY))
            result.setdefault(year, {})[part.table] = typed
    return result


def choose_parts(parts: Sequence[TablePart]) -> dict[str, tuple[list[TablePart], list[TablePart]]]:
    """Table -> (the parts it is read from, its XML parts compared with them): the CSV parts
    when the year gives the table both as CSV and as XML; the header columns repeated on
    episode rows only when the return has no header table."""
    by_table: dict[str, list[TablePart]] = {}
    for part in parts:
        by_table.setdefault(part.table, []).append(part)
    chosen = {}
    for table, own in by_table.items():
        if table == "header" and any(not p.carried for p in own):
            own = [p for p in own if not p.carried]
        csv_parts = [p for p in own if not p.xml]
        xml_parts = [p for p in own if p.xml]
        chosen[table] = (csv_parts or xml_parts, xml_parts if csv_parts else [])
    return chosen


def read_file(path: Path, log: ProblemLog) -> list[TablePart]:
    """The tables of one 903 file (a CSV table, or every table of an XML return)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", file=str(path)) from exc
    if not data.strip():
        log.error(path, "903.file.empty", "the file is empty; export the table again")
        return []
    if path.suffix.lower() == ".xml":
        from cscperf.sources.ssda903_xml import rows_from_xml

        return parts_from_rows(rows_from_xml(path, data, log), xml=True)
    return parts_from_csv(path, data, log)


def parts_from_rows(rows: Iterable[RawRow], *, xml: bool = False) -> list[TablePart]:
    """Rows read one by one (the XML form) as one text table part per table."""
    grouped: dict[tuple[str, str], list[RawRow]] = {}
    for row in rows:
        grouped.setdefault((row.table, row.file), []).append(row)
    parts = []
    for (table, file), own in grouped.items():
        names = list(dict.fromkeys(name for row in own for name in row.values))
        data: dict[str, list[Any]] = {
            name: [row.values.get(name, "") or "" for row in own] for name in names
        }
        data["_row"] = [row.row for row in own]
        data["_file"] = [file] * len(own)
        schema = {**dict.fromkeys(names, pl.String), "_row": pl.Int64, "_file": pl.String}
        parts.append(TablePart(table, file, pl.DataFrame(data, schema=schema), xml=xml))
    return parts


def _split_simple(text: str, trimmed: bool) -> tuple[list[str], pl.DataFrame] | None:
    """Header and body of CSV text without quote characters, split at commas by polars; the
    body has ``_row`` (line number) and ``_0``, ``_1``, ... (one per header column), and
    ``_blank``, ``_width`` (values in the row) unless no value has spaces around it
    (``trimmed``): then every row is known to be whole and not blank.

    None, for the exact reading of :func:`_split_quoted`, unless every row is on a line of its
    own with as many values as the header (as many commas; so no line is empty).
    """
    simple = _simple_text(text, trimmed)
    if simple is None:
        return None
    text = simple
    end = text.find("\n")
    header = (text if end < 0 else text[:end]).split(",")
    width = len(header)
    rows = text.count("\n")
    schema = {f"_{i}": pl.String for i in range(width)}
    if rows == 0:
        frame = pl.DataFrame(schema=schema)
    else:
        # Each line split at its commas (cheaper than polars' CSV reader for files this size),
        # into one field more than the header has: it is blank on every row when no row has
        # too many values, and the header's last field on none when none has too few.
        lines = pl.DataFrame({"_line": text[end + 1 :].split("\n")}, schema={"_line": pl.String})
        frame = lines.select(pl.col("_line").str.split_exact(",", width).struct.unnest())
        beyond = frame.to_series(width)
        if beyond.null_count() != rows or frame.to_series(width - 1).null_count():
            return None
        frame.drop_in_place(beyond.name)
        frame.columns = list(schema)
    frame = frame.hstack([pl.Series("_row", range(2, rows + 2), pl.Int64)])
    if trimmed:
        return header, frame
    blank = pl.all_horizontal([pl.col(c).str.strip_chars() == "" for c in schema])
    return header, frame.with_columns(
        pl.lit(width, pl.Int64).alias("_width"), blank.alias("_blank")
    )


def _simple_text(text: str, trimmed: bool) -> str | None:
    """The text with LF line ends when it may be split at commas (see :func:`_split_simple`:
    as many commas as every line having the header's width takes, and, when ``trimmed``, no
    row of blank values); else None."""
    text = text.replace("\r\n", "\n")
    if "\r" in text:
        return None
    end = text.find("\n")
    width = (text if end < 0 else text[:end]).count(",") + 1
    rows = text.count("\n")
    if text.count(",") != (width - 1) * (rows + 1):
        return None
    commas = "," * (width - 1)
    if trimmed and (f"\n{commas}\n" in text or text.endswith(f"\n{commas}")):
        return None  # a row of blank values: the exact reading skips it
    return text


def _split_quoted(text: str, path: Path) -> tuple[list[str], pl.DataFrame]:
    """As :func:`_split_simple`, for text with quoted values (which may hold commas and line
    ends): the csv module reads it, and each row keeps the line it ends on."""
    records = csv_rows(text, path)
    header = next(records, (1, []))[1]
    width = len(header)
    lines: list[int] = []
    widths: list[int] = []
    blanks: list[bool] = []
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for line, values in records:
        lines.append(line)
        widths.append(len(values))
        blanks.append(not any(v.strip() for v in values))
        for i in range(width):
            columns[i].append(values[i] if i < len(values) else None)
    data: dict[str, Any] = {"_row": lines, "_width": widths, "_blank": blanks}
    data.update({f"_{i}": column for i, column in enumerate(columns)})
    schema = {"_row": pl.Int64, "_width": pl.Int64, "_blank": pl.Boolean}
    schema.update({f"_{i}": pl.String for i in range(width)})
    return header, pl.DataFrame(data, schema=schema)


def parts_from_csv(path: Path, data: bytes, log: ProblemLog) -> list[TablePart]:
    """One 903 CSV table (the table recognised from the header), and the header table too
    when the file repeats the child's header columns on every row."""
    if not looks_like_text(data[:4096]):
        log.error(
            path,
            "903.file.not_text",
            "the file is not text (it holds NUL bytes or is a zip), so it is not an SSDA903 CSV "
            "table or it is damaged; export the table again as CSV",
        )
        return []
    text, encoding = decode_text(data, path)
    if "\x00" in text:
        log.error(
            path,
            "903.file.not_text",
            "the file holds NUL characters, so it is not a text (CSV) file or it is damaged; "
            "export the table again as CSV",
        )
        return []
    if encoding != "utf-8":
        log.info(path, "903.file.encoding", f"read as {encoding}, not UTF-8")
    text = text.rstrip("\r\n")
    trimmed = (
        '"' not in text
        and "\t" not in text
        and (
            " " not in text  # no space anywhere: nothing more to look for
            or (text[:1] != " " and text[-1:] != " " and not any(sign in text for sign in _SPACED))
        )
    )
    clean, header, body = _clean_or_split(text, trimmed, path)
    trimmed = trimmed and (body is None or "_width" not in body.columns)
    table = match_table(header)
    if table is None:
        log.error(
            path,
            "903.file.unknown_table",
            "the header does not match any SSDA903 table; check the first line holds the "
            "DfE column names (CHILD, DOB, ...)",
            row=1,
        )
        return []
    names = [normalise_column(c) for c in header]
    tables = ssda903_latest().tables
    own = tables[table]
    carried_columns = {name: carried for carried in own.carries for name in tables[carried].columns}
    positions: dict[str, int] = {}
    extra: list[str] = []
    for i, name in enumerate(names):
        if name in positions or not name:
            continue
        if name in own.columns or name in carried_columns:
            positions[name] = i
        else:
            extra.append(name)
    if extra:
        log.warning(
            path,
            "903.columns.extra",
            f"{table} table has columns the return does not define, ignored: {', '.join(extra)}",
            row=1,
            table=table,
        )
    missing = [c for c, column in own.columns.items() if c not in positions and not column.optional]
    lost_keys = [c for c in own.keys if c in missing]
    if lost_keys:
        log.error(
            path,
            "903.columns.missing_key",
            f"{table} table lacks {', '.join(lost_keys)}, without which no row can be used; "
            "export the table with all its DfE columns",
            row=1,
            table=table,
        )
        return []
    required = [c for c in missing if not own.columns[c].blank]
    if missing:
        log.add(
            path,
            "903.columns.missing",
            Severity.WARNING if required else Severity.INFO,
            f"{table} table lacks columns {', '.join(missing)}; they are read as blank"
            + ("" if required else " (every value of them may be blank)"),
            row=1,
            table=table,
        )
    if "\n" not in text and "\r" not in text:
        # The rule the SSD reader gives (csvtext's no-rows): supplied, but empty.
        log.warning(
            path,
            "no-rows",
            f"{table}: the file has a header but no rows, so the table is loaded empty for "
            "this year and indicators that use it show no activity; if the case system holds "
            "records for it, export it again",
            row=1,
            table=table,
        )
    file = str(path)
    carries = [
        carried
        for carried in own.carries
        if any(c in positions and c not in own.columns for c in tables[carried].columns)
    ]
    if clean is not None and not carries:
        # Read as text only if the table needs the full check.
        def text_frame() -> pl.DataFrame:
            split = _split_simple(text, True)
            assert split is not None  # every line was found to have the header's width
            return _part_frame(split[1], positions, own.columns, file, None)

        own_positions = {c: i for c, i in positions.items() if c in own.columns}
        return [
            TablePart(table, file, text_frame, trimmed=True, clean=clean, positions=own_positions)
        ]
    if body is None:
        split = _split_simple(text, True)
        assert split is not None
        body = split[1]
    expected = None if trimmed else len(header)
    own_frame = _part_frame(body, positions, own.columns, file, expected)
    parts = [TablePart(table, file, own_frame, trimmed=trimmed)]
    for carried in carries:
        frame = _part_frame(body, positions, tables[carried].columns, file, expected)
        parts.append(TablePart(carried, file, frame, carried=True))
    return parts


def _clean_or_split(
    text: str, trimmed: bool, path: Path
) -> tuple[CleanText | None, list[str], pl.DataFrame | None]:
    """(its lines, header, nothing) for a clean file: no quote marks, no spaces to trim,
    every line as wide as the header; else (None, header, body) as :func:`_split_simple`
    or :func:`_split_quoted` reads it."""
    if trimmed and '"' not in text:
        normal = text.replace("\r\n", "\n") if "\r" in text else text
        if "\r" not in normal:  # clean_text checks the rest of what _simple_text does
            end = normal.find("\n")
            header = (normal if end < 0 else normal[:end]).split(",")
            clean = clean_text("" if end < 0 else normal[end + 1 :], len(header))
            if clean is not None:
                return clean, header, None
    simple = None if '"' in text else _split_simple(text, trimmed)
    header, body = simple or _split_quoted(text, path)
    return None, header, body


def _part_frame(
    body: pl.DataFrame,
    positions: dict[str, int],
    columns: Iterable[str],
    file: str,
    expected: int | None,
) -> pl.DataFrame:
    """The table's columns of a file's body, with ``_file``, ``_row``, and ``_blank``,
    ``_width`` and ``_expected`` (the header's width) unless the file is trimmed."""
    shape: list[str | pl.Expr] = [c for c in ("_blank", "_width") if c in body.columns]
    if expected is not None:
        shape.append(pl.lit(expected, pl.Int64).alias("_expected"))
    return body.select(
        *[pl.col(f"_{positions[c]}").alias(c) for c in columns if c in positions],
        pl.lit(file, pl.String).alias("_file"),
        "_row",
        *shape,
    )


def _xml_root(head: bytes) -> str | None:
    text, _ = decode_text(head[:4096], partial=True)
    match = re.search(r"<([A-Za-z_][\w.\-]*)[\s>/]", re.sub(r"<[?!][^>]*>", "", text))
    return match.group(1) if match else None


# ---------------------------------------------------------------------------------------
# One year's return: choosing between forms, checking every table.


def check_return(
    year: int,
    parts: Sequence[TablePart],
    log: ProblemLog,
    clean: Mapping[str, pl.DataFrame] | None = None,
) -> ReturnTables:
    """Check every table of one collection year's return against that year's layout (see
    :class:`ReturnCheck`); ``clean`` gives the tables already found clean, typed."""
    check = ReturnCheck(year, parts, log, clean)
    return check.finish(
        [c if isinstance(c, pl.DataFrame) else c.compute() for c in check.checks.values()]
    )


class ReturnCheck:
    """The check of one collection year's return, in two steps so that the polars queries of
    every table of every year can run side by side: :meth:`queries`, then :meth:`finish`.

    When the year is given both as CSV tables and as XML, each table the CSV files hold is
    taken from them and the XML's version of it is compared with them (a warning says how
    many rows differ); tables only the XML holds are taken from the XML. Header columns
    repeated on episode rows are used only when the return has no header table. A table in
    ``clean`` was found clean and typed already (:func:`check_clean_tables`): it has no
    problems to report but the year's.
    """

    def __init__(
        self,
        year: int,
        parts: Sequence[TablePart],
        log: ProblemLog,
        clean: Mapping[str, pl.DataFrame] | None = None,
    ) -> None:
        self.year = year
        self.log = log
        self.schema = ssda903_year(year)
        self.xml_files = sorted({p.file for p in parts if p.xml})
        self.from_csv: dict[str, list[TablePart]] = {}
        self.checks: dict[str, TableCheck | pl.DataFrame] = {}
        for table, (own, xml_parts) in choose_parts(parts).items():
            if xml_parts:
                self.from_csv[table] = xml_parts
            typed = (clean or {}).get(table)
            if typed is None:
                self.checks[table] = table_check(table, own, self.schema, log)
            else:
                table_layout(table, own, self.schema, log)  # says when it is not in the year
                self.checks[table] = typed

    def finish(self, outs: Sequence[pl.DataFrame]) -> ReturnTables:
        """The checked return from each table check's :meth:`TableCheck.compute` (a clean
        table's typed frame as it is), in the order of :attr:`checks`."""
        result = ReturnTables(year=self.year)
        for (table, check), out in zip(self.checks.items(), outs, strict=True):
            result.tables[table] = out if isinstance(check, pl.DataFrame) else check.finish(out)
            if table in self.from_csv:
                compare_forms(
                    table, self.from_csv[table], result.tables[table], self.schema, self.log
                )
        tables = sorted(self.from_csv)
        for file in self.xml_files if tables else ():
            self.log.info(
                file,
                "903.file.both_forms",
                f"the {self.year} return is also given as CSV tables: the CSV tables are used "
                f"for {', '.join(tables)}; this XML for the tables the CSV files do not hold",
            )
        return result


def compare_forms(
    table: str,
    xml_parts: list[TablePart],
    checked_csv: pl.DataFrame,
    schema: YearSchema,
    log: ProblemLog,
) -> None:
    """Warn when a year's XML holds a table differently from its CSV table."""
    scratch = ProblemLog()
    checked_xml = check_table(table, xml_parts, schema, scratch)
    layout = ssda903_latest().tables[table]
    columns = [
        c
        for c, column in layout.columns.items()
        if not column.optional and c in checked_xml.columns and c in checked_csv.columns
    ]
    xml_only = checked_xml.join(checked_csv, on=columns, how="anti", nulls_equal=True)
    csv_only = checked_csv.join(checked_xml, on=columns, how="anti", nulls_equal=True)
    if xml_only.height == 0 and csv_only.height == 0:
        return
    first = xml_only.sort("_source_row").row(0, named=True) if xml_only.height else None
    log.warning(
        first["_source_file"] if first else xml_parts[0].file,
        "903.file.forms_differ",
        f"{table}: this XML return and the CSV table of the same year differ: "
        f"{xml_only.height} row(s) of the XML are not in the CSV table and {csv_only.height} "
        "row(s) of the CSV table are not in the XML; the CSV table is used"
        + ("; the first difference is on this line" if first else ""),
        row=first["_source_row"] if first else None,
        table=table,
    )


def check_table(
    table: str, parts: Sequence[TablePart], schema: YearSchema, log: ProblemLog
) -> pl.DataFrame:
    """The checked, typed rows of one table of one return (from one or more files)."""
    return table_check(table, parts, schema, log).run()


def table_check(
    table: str, parts: Sequence[TablePart], schema: YearSchema, log: ProblemLog
) -> TableCheck:
    """The check of one table of one return (from one or more files), not yet run."""
    year = schema.year
    layout = table_layout(table, parts, schema, log)
    frames = [carried_header(part, log) if part.carried else part.frame for part in parts]
    raw = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal")
    trimmed = all(part.trimmed for part in parts)
    return TableCheck(table, layout, year, raw, log, trimmed=trimmed)


def table_layout(
    table: str, parts: Sequence[TablePart], schema: YearSchema, log: ProblemLog
) -> YearTable:
    """The table's columns in the year; a table the year does not have is read with its
    latest columns, and a warning says so for each of its files."""
    layout: YearTable | None = schema.tables.get(table)
    if layout is None:
        for part in parts:
            log.warning(
                part.file,
                "903.table.not_in_year",
                f"the {table} table is not part of the {schema.year} return; its rows are read "
                "but check the collection year (noted once per file)",
                table=table,
            )
        layout = ssda903_latest().tables[table]
    return layout


def carried_header(part: TablePart, log: ProblemLog) -> pl.DataFrame:
    """The header columns an episodes file repeats on every row, one row per child; a child
    whose rows disagree is warned about and the first row is used."""
    frame = part.frame
    if "_width" in frame.columns:
        frame = frame.filter(~pl.col("_blank") & (pl.col("_width") == pl.col("_expected"))).drop(
            "_blank", "_width", "_expected"
        )
    columns = [c for c in frame.columns if not c.startswith("_")]
    distinct = frame.unique(subset=columns, keep="first", maintain_order=True)
    repeated = distinct.filter(pl.col("CHILD").is_duplicated())
    if repeated.height:
        later = repeated.filter(pl.col("CHILD").is_first_distinct().not_())
        for line in later["_row"].to_list():
            log.warning(
                part.file,
                "903.header.carried_differs",
                "header: the child's details on this row differ from those on an earlier row "
                "of the same child; the first row's are used",
                row=line,
                table="header",
            )
    return distinct.unique(subset=["CHILD"], keep="first", maintain_order=True)


@dataclass(frozen=True)
class ColumnPlan:
    """How one column is typed and checked, as polars expressions in three steps over named
    columns (so each costly step, e.g. reading a date, runs once): ``steps`` add helper
    columns from the text ``r|NAME``, ``value`` gives ``v|NAME``, ``flags`` one boolean per
    kind of problem."""

    steps: tuple[pl.Expr, ...]
    value: pl.Expr
    flags: tuple[tuple[str, pl.Expr], ...]


@cache
def column_plan(table: str, year: int, name: str) -> ColumnPlan:
    """The plan for one column of one year's table. Built once per year, table and column."""
    layout = ssda903_year(year).tables.get(table) or ssda903_latest().tables[table]
    column = layout.columns[name]
    s = pl.col(f"r|{name}")
    present = s != ""
    helper = f"h|{name}"
    flags: list[tuple[str, pl.Expr]] = []
    if not column.blank:
        flags.append(("required", s == ""))
    kind = column.kind
    if kind == "date":
        # dd/mm/yyyy is read for every value; yyyy-mm-dd only where the fifth character is
        # a dash (reading fails slowly); anything else is left to the exact, slower reading,
        # as is a year written with fewer than four digits.
        iso_text = pl.when(s.str.slice(4, 1) == "-").then(s)
        steps: tuple[pl.Expr, ...] = (
            s.str.strptime(pl.Date, "%d/%m/%Y", strict=False, cache=False).alias(helper),
            iso_text.str.strptime(pl.Date, "%Y-%m-%d", strict=False, cache=False).alias(
                f"i|{name}"
            ),
        )
        day = pl.coalesce(pl.col(helper), pl.col(f"i|{name}"))
        value = pl.when(day.dt.year() >= 1000).then(day)
        v = pl.col(f"v|{name}")
        flags.append(("other_date", present & v.is_null()))
        flags.append(("iso", pl.col(helper).is_null() & v.is_not_null()))
        return ColumnPlan(steps, value, tuple(flags))
    if kind == "permanence_date":
        flags.append(("perm", present & ~s.str.contains(_PERM_DATE)))
        return ColumnPlan((), pl.when(present).then(s), tuple(flags))
    if kind == "integer":
        number = pl.col(helper)
        steps = (s.cast(pl.Float64, strict=False).cast(pl.Int64, strict=False).alias(helper),)
        outside = pl.lit(False)
        if column.min is not None:
            outside = outside | (number < column.min)
        if column.max is not None:
            outside = outside | (number > column.max)
        flags.append(("not_number", present & number.is_null()))
        flags.append(("range", number.is_not_null() & outside))
        return ColumnPlan(steps, pl.when(~outside).then(number), tuple(flags))
    if kind == "code":
        code = pl.col(helper)
        steps = (s.str.to_uppercase().alias(helper),)
        valid = code.is_in(sorted(column.codes))
        if column.aliases:
            alias = code.is_in(sorted(column.aliases)) & ~valid
            flags.append(("alias", present & alias))
            flags.append(("code", present & ~valid & ~alias))
            value = pl.when(present).then(code.replace(column.aliases))
            return ColumnPlan(steps, value, tuple(flags))
        flags.append(("code", present & ~valid))
        return ColumnPlan(steps, pl.when(present).then(code), tuple(flags))
    if kind == "postcode":
        postcode = pl.col(helper)
        steps = (s.str.to_uppercase().str.replace_all(r"\s+", " ").alias(helper),)
        flags.append(("postcode", present & ~postcode.str.contains(_POSTCODE)))
        return ColumnPlan(steps, pl.when(present).then(postcode), tuple(flags))
    return ColumnPlan((), pl.when(present).then(s), tuple(flags))


@cache
def check_expressions(
    table: str, year: int, present: frozenset[str], trimmed: bool
) -> tuple[tuple[pl.Expr, ...], ...]:
    """The four steps of the query that types and checks one table (texts, helpers, values,
    outputs), for a file with the ``present`` columns (``trimmed`` when no value has spaces
    around it). Built once per table, year and layout of file."""
    layout = ssda903_year(year).tables.get(table) or ssda903_latest().tables[table]
    names = list(layout.columns)
    texts: list[pl.Expr] = []
    steps: list[pl.Expr] = []
    values: list[pl.Expr] = []
    flags: list[pl.Expr] = []
    for name in names:
        plan = column_plan(table, year, name)
        if name not in present:
            texts.append(pl.lit(None, pl.String).alias(f"r|{name}"))
        elif not trimmed:  # trimmed: the query renames the column instead
            texts.append(pl.col(name).str.strip_chars().alias(f"r|{name}"))
        steps.extend(plan.steps)
        values.append(plan.value.alias(f"v|{name}"))
        flags.extend(flag.alias(f"f|{name}|{kind}") for kind, flag in plan.flags)
    if "_width" in present:
        ok = ~pl.col("_blank") & (pl.col("_width") == pl.col("_expected"))
        shape = [pl.col("_ok"), pl.col("_blank"), pl.col("_width"), pl.col("_expected")]
    else:
        ok, shape = pl.lit(True), [pl.col("_ok")]
    values.append(ok.alias("_ok"))
    usable = pl.all_horizontal(
        pl.col("_ok"), *[pl.col(f"v|{k}").is_not_null() for k in layout.keys]
    )
    outputs = [
        pl.col("_file"),
        pl.col("_row"),
        pl.lit(year, pl.Int64).alias("_collection_year"),
        *shape,
        usable.alias("_usable"),
        *[pl.col(f"v|{n}") for n in names],
        *[pl.col(f"r|{n}") for n in names],
        *flags,
        *repeat_expressions(table, layout.keys),
        *order_expressions(table, year),
    ]
    return tuple(texts), tuple(steps), tuple(values), tuple(outputs)


class TableCheck:
    """Every column of one table typed and checked with one polars expression each, all in
    one query; Python runs only over the rows a check flags."""

    def __init__(
        self,
        table: str,
        layout: YearTable,
        year: int,
        raw: pl.DataFrame,
        log: ProblemLog,
        *,
        trimmed: bool = False,
    ) -> None:
        self.trimmed = trimmed
        self.table = table
        self.layout = layout
        self.year = year
        self.log = log
        self.keys = set(layout.keys)
        self.present = frozenset(raw.columns)
        self.raw = raw
        self.out = pl.DataFrame()
        self.reread_keys = False  # a key date was read one by one: usable rows recounted
        self.reread_dates = False  # a date was read one by one: order flags worked out again

    def run(self) -> pl.DataFrame:
        """The typed rows with a usable key, one row per key; every problem logged."""
        return self.finish(self.compute())

    def compute(self) -> pl.DataFrame:
        """Every value of the table typed and flagged: the steps run one after another on the
        rows read (polars' eager API: for tables of a few thousand rows, planning one lazy
        query of a hundred expressions costs more than running them)."""
        texts, steps, values, outputs = check_expressions(
            self.table, self.year, self.present, self.trimmed
        )
        raw = self.raw
        if self.trimmed:  # the values as they are: renamed, not copied
            raw = raw.rename({n: f"r|{n}" for n in self.layout.columns if n in self.present})
        return raw.with_columns(texts).with_columns(steps).with_columns(values).select(outputs)

    def finish(self, out: pl.DataFrame) -> pl.DataFrame:
        """Report what the query flagged; the usable rows, typed, one row per key."""
        self.out = out
        names = list(self.layout.columns)
        csv_rows = "_width" in self.present
        ok = self.out.get_column("_ok")
        if csv_rows and not ok.all():
            self.report_width(ok)
        for flag in [c for c in self.out.columns if c.startswith("f|")]:
            _, name, kind = flag.split("|")
            column = self.out.get_column(flag) & ok
            if not column.any():
                continue
            if kind == "iso":
                if self.out.get_column(f"v|{name}").filter(column).is_not_null().any():
                    self.iso_dates(name, ok)
            else:
                self.report(name, kind, column)
        usable = self.out.get_column("_usable")
        if self.reread_keys:
            usable = ok
            for key in self.layout.keys:
                usable = usable & self.out.get_column(f"v|{key}").is_not_null()
        out = self.out if usable.all() else self.out.filter(usable)
        typed = pl.DataFrame(
            [
                *[out.get_column(f"v|{name}").alias(name) for name in names],
                out.get_column("_file").alias("_source_file"),
                out.get_column("_row").alias("_source_row"),
                out.get_column("_collection_year"),
                *[out.get_column(c) for c in (SAME_DAY,) if c in out.columns],
            ]
        )
        if self.reread_dates:  # dates read one by one since the query: flags worked out again
            self.check_order(typed, *order_flags(typed, self.table, self.year))
        else:
            self.check_order(typed, out.get_column("_backwards"), out.get_column("_late"))
        return drop_repeats(self.table, self.layout, typed, out.get_column("_repeated"), self.log)

    def report_width(self, ok: pl.Series) -> None:
        wrong = ~ok & ~self.out.get_column("_blank")
        rows = self.out.filter(wrong).select("_file", "_row", "_width", "_expected").rows()
        for file, line, found, expected in rows:
            self.log.error(
                file,
                "903.row.width",
                f"row has {found} values but the header has {expected} columns; "
                "check for an unquoted comma",
                row=line,
                table=self.table,
            )

    def where(self, name: str, line: int) -> dict[str, Any]:
        return {"row": line, "column": name, "table": self.table}

    def rows(self, flag: pl.Series, name: str) -> list[tuple[str, int, str]]:
        """(file, line, value as written) of the rows a check flagged."""
        return self.out.filter(flag).select("_file", "_row", f"r|{name}").rows()

    def report(self, name: str, kind: str, flag: pl.Series) -> None:
        """Log the rows one check flagged; dates in other spellings are read one by one and
        their values set (see :meth:`other_dates`)."""
        table, log = self.table, self.log
        is_key = name in self.keys
        severity = Severity.ERROR if is_key else Severity.WARNING
        column = self.layout.columns[name]
        if kind == "required":
            for file, line, _ in self.rows(flag, name):
                log.add(
                    file,
                    "903.value.required",
                    severity,
                    f"{table}: {name} is required" + ("; the row cannot be used" if is_key else ""),
                    **self.where(name, line),
                )
        elif kind == "other_date":
            self.other_dates(name, flag, severity)
        elif kind == "perm":
            for file, line, raw in self.rows(flag, name):
                if parse_date(raw)[0] is None:
                    log.warning(
                        file,
                        "903.value.date",
                        f"{table}: {name} should be dd/mm/yyyy, or zz/mm/yyyy when the day "
                        "is not known",
                        value=raw,
                        **self.where(name, line),
                    )
        elif kind == "not_number":
            for file, line, raw in self.rows(flag, name):
                log.warning(
                    file,
                    "903.value.integer",
                    f"{table}: {name} is not a number",
                    value=raw,
                    **self.where(name, line),
                )
        elif kind == "range":
            for file, line, raw in self.rows(flag, name):
                log.warning(
                    file,
                    "903.value.range",
                    f"{table}: {name} must be between {column.min} and {column.max}",
                    value=raw,
                    **self.where(name, line),
                )
        elif kind == "alias":
            noted: set[str] = set()
            for file, line, raw in self.rows(flag, name):
                if file in noted:
                    continue
                noted.add(file)
                code = raw.upper()
                log.warning(
                    file,
                    "903.code.old_spelling",
                    f"{table}: {name} code {code} is the old spelling of "
                    f"{column.aliases[code]} in the {self.year} return; read as "
                    f"{column.aliases[code]} (noted once per file)",
                    value=raw,
                    **self.where(name, line),
                )
        elif kind == "code":
            for file, line, raw in self.rows(flag, name):
                code = raw.upper()
                log.warning(
                    file,
                    "903.code.invalid_for_year",
                    f"{table}: {name} code {code} is not valid in the {self.year} return"
                    + valid_years_note(table, name, code),
                    value=raw,
                    **self.where(name, line),
                )
        elif kind == "postcode":
            for file, line, raw in self.rows(flag, name):
                log.warning(
                    file,
                    "903.value.postcode",
                    f"{table}: {name} is not a postcode",
                    value=raw,
                    **self.where(name, line),
                )

    def other_dates(self, name: str, flag: pl.Series, severity: Severity) -> None:
        """Dates in a spelling the column-wise reading does not take (5.4.2024, a time after
        the date), read one by one; those that are no date at all are reported."""
        indices = flag.arg_true().to_list()
        values = self.out.get_column(f"v|{name}").clone()
        iso_flag = self.out.get_column(f"f|{name}|iso").clone()
        found: list[tuple[int, Any]] = []
        for index, (file, line, raw) in zip(indices, self.rows(flag, name), strict=True):
            day, style = parse_date(raw)
            if day is None:
                self.log.add(
                    file,
                    "903.value.date",
                    severity,
                    f"{self.table}: {name} is not a date; write it as dd/mm/yyyy",
                    value=raw,
                    **self.where(name, line),
                )
                continue
            found.append((index, day))
            if style == "iso":
                iso_flag[index] = True
        if found:
            values = values.scatter([i for i, _ in found], [d for _, d in found])
            self.reread_keys = self.reread_keys or name in self.keys
            self.reread_dates = True
        self.out = self.out.with_columns(values, iso_flag)

    def iso_dates(self, name: str, ok: pl.Series) -> None:
        """yyyy-mm-dd dates: one note per file when a file writes the whole column that way;
        a "mixed date formats" warning on each when the same file also has dd/mm/yyyy."""
        out = self.out
        dated = out.get_column(f"v|{name}").is_not_null() & ok
        iso = out.get_column(f"f|{name}|iso") & dated
        dmy_files = set(out.filter(dated & ~iso).get_column("_file").unique().to_list())
        noted: set[str] = set()
        for file, line, raw in self.rows(iso, name):
            if file in dmy_files:
                self.log.warning(
                    file,
                    "mixed-date-formats",
                    f"{self.table}: mixed date formats in one column: {name} is written as "
                    "yyyy-mm-dd here but as dd/mm/yyyy on other rows; it was read, but check "
                    "day and month and write every date dd/mm/yyyy",
                    value=raw,
                    **self.where(name, line),
                )
            elif file not in noted:
                noted.add(file)
                self.log.info(
                    file,
                    "903.value.date_format",
                    f"{self.table}: {name} is written as yyyy-mm-dd, not dd/mm/yyyy; read "
                    "correctly (noted once per file)",
                    value=raw,
                    **self.where(name, line),
                )

    def check_order(self, typed: pl.DataFrame, backwards: pl.Series, late: pl.Series) -> None:
        """Start before end, and no episode starting after the return's 31 March (the rows
        ``backwards`` and ``late`` flag)."""
        order = DATE_ORDER.get(self.table)
        if order is not None:
            start, end = order
            if backwards.any():
                for file, line, day in (
                    typed.filter(backwards).select("_source_file", "_source_row", end).rows()
                ):
                    self.log.error(
                        file,
                        "903.dates.order",
                        f"{self.table}: {end} is before {start}; correct one of the dates",
                        row=line,
                        column=end,
                        value=day.strftime("%d/%m/%Y"),
                        table=self.table,
                    )
        if self.table == "episodes" and late.any():
            rows = typed.filter(late).select("_source_file", "_source_row", "DECOM").rows()
            for file, line, day in rows:
                self.log.error(
                    file,
                    "903.dates.after_year",
                    f"episodes: DECOM is after 31 March {self.year}, the end of the "
                    "return's year; check the date or the collection year",
                    row=line,
                    column="DECOM",
                    value=day.strftime("%d/%m/%Y"),
                    table=self.table,
                )


def order_flags(typed: pl.DataFrame, table: str, year: int) -> tuple[pl.Series, pl.Series]:
    """(end before start, episode starting after the year's 31 March) for each typed row."""
    flags = typed.select(*order_expressions(table, year, prefix=""))
    return flags.get_column("_backwards"), flags.get_column("_late")


@cache
def order_expressions(table: str, year: int, prefix: str = "v|") -> tuple[pl.Expr, pl.Expr]:
    """Flags ``_backwards`` (end before start) and ``_late`` (an episode starting after the
    return's 31 March) over the typed values (columns named ``prefix`` + column)."""
    order = DATE_ORDER.get(table)
    backwards = pl.lit(False)
    if order is not None:
        start, end = (pl.col(f"{prefix}{c}") for c in order)
        backwards = (end < start).fill_null(False)
    late = pl.lit(False)
    if table in AFTER_YEAR:
        late = (pl.col(f"{prefix}{AFTER_YEAR[table]}") > year_end(year)).fill_null(False)
    return backwards.alias("_backwards"), late.alias("_late")


@cache
def repeat_expressions(table: str, keys: tuple[str, ...]) -> tuple[pl.Expr, ...]:
    """Flags for rows whose key another row shares (``_repeated``), and for missing episodes
    the end date of a same-day episode beside another starting that day (``SAME_DAY``)."""
    parts = [pl.col(f"v|{k}") for k in keys]
    extra: list[pl.Expr] = []
    if table == "missing":
        child, start, end, kind = (
            pl.col(f"v|{c}") for c in ("CHILD", "MIS_START", "MIS_END", "MISSING")
        )
        same_day = pl.when((pl.len().over(child, start) > 1) & (end == start)).then(
            pl.concat_str(end.dt.to_string("%Y-%m-%d"), pl.lit("/"), kind.fill_null(""))
        )
        extra.append(same_day.alias(SAME_DAY))
        parts.append(same_day)
    return (*extra, pl.struct(parts).is_duplicated().alias("_repeated"))


def drop_repeats(
    table: str, layout: YearTable, typed: pl.DataFrame, repeated: pl.Series, log: ProblemLog
) -> pl.DataFrame:
    """One row per key: a row written twice is counted once (warning); two rows with the same
    key and different values are an error, and the later is used. Two missing episodes of a
    child starting the same day are two episodes when the first ended that day."""
    if not repeated.any():
        return typed
    keys = row_key_columns(table, typed)
    columns = [c for c in layout.columns if not layout.columns[c].optional]
    indexed = typed.with_row_index("_i")
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    drop: set[int] = set()
    for row in indexed.filter(repeated).iter_rows(named=True):
        key = tuple(row[k] for k in keys)
        earlier = seen.get(key)
        if earlier is None:
            seen[key] = row
            continue
        same = all(earlier[c] == row[c] for c in columns)
        where = f"line {earlier['_source_row']}"
        if earlier["_source_file"] != row["_source_file"]:
            where += f" of {Path(earlier['_source_file']).name}"
        if same:
            message = f"{table}: this row repeats the row on {where}; it is counted once"
        elif table == "missing":
            message = (
                f"missing: this missing episode starts the same day as the one on {where} "
                "and they overlap (a child can be missing only once at a time); correct the "
                "dates or remove one; this row is used"
            )
        else:
            message = (
                f"{table}: this row repeats the row on {where} with different values; keep one"
            )
        log.add(
            row["_source_file"],
            "903.row.duplicate" if same else "903.row.conflict",
            Severity.WARNING if same else Severity.ERROR,
            message,
            row=row["_source_row"],
            table=table,
        )
        if same:
            drop.add(row["_i"])
        else:
            drop.add(earlier["_i"])
            seen[key] = row
    return indexed.filter(~pl.col("_i").is_in(sorted(drop))).drop("_i")


@cache
def valid_years_note(table: str, column: str, code: str) -> str:
    """'; it is valid in 2017-2024' when the code belongs to other years, else a hint."""
    years = []
    for year in range(2017, 2028):
        year_table = ssda903_year(year).tables.get(table)
        if year_table and code in year_table.columns[column].codes:
            years.append(year)
    if not years:
        return "; use a code from the DfE guidance for the year"
    span = f"{years[0]}" if len(years) == 1 else f"{years[0]}-{years[-1]}"
    return f"; it is valid in {span}: check the collection year or recode"
