"""The SSDA903 (children looked after) return, as DfE CSV tables or as XML, into canonical tables.

This module owns reading 903 files: recognising each CSV table by its header columns, reading
the XML form into the same tables, checking every value against the code sets of the return's
collection year (``codesets/ssda903.yaml``), merging several years' returns (rows repeated
across returns are one fact; a later return corrects an earlier one; episodes are stitched
into periods of care by :mod:`cscperf.sources.ssda903_stitch`), and mapping the result onto
the SSD-shaped canonical tables. ``docs/statutory-returns.md`` documents every mapping.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from cscperf.errors import InputError
from cscperf.sources.base import Problem, ReaderResult, Severity
from cscperf.sources.codesets import YearColumn, YearSchema, ssda903_all_tables, ssda903_year
from cscperf.sources.returns_common import (
    ProblemLog,
    collection_year_from_path,
    collection_year_of,
    csv_rows,
    decode_text,
    parse_date,
    year_end,
)
from cscperf.sources.ssda903_map import RawRow, ReturnRows, to_canonical

SOURCE = "ssda903"
XML_ROOT = "EXPSSDA903"

# The columns that identify a row of each table: a row without them cannot be used.
KEYS: dict[str, tuple[str, ...]] = {
    "header": ("CHILD",),
    "episodes": ("CHILD", "DECOM"),
    "reviews": ("CHILD", "REVIEW"),
    "uasc": ("CHILD",),
    "oc2": ("CHILD",),
    "oc3": ("CHILD",),
    "ad1": ("CHILD", "DATE_INT"),
    "placed_for_adoption": ("CHILD", "DATE_PLACED"),
    "previous_permanence": ("CHILD",),
    "missing": ("CHILD", "MIS_START"),
    "sw_episodes": ("CHILD", "SW_ID", "SW_DECOM"),
    "dolo": ("CHILD", "DOLO_START"),
}
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
_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")
_PERM_DATE = re.compile(r"^(zz|ZZ|\d{1,2})/(\d{1,2})/(\d{4})$")
_MIN_JACCARD = 0.6

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


def normalise_column(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().upper().replace(" ", "_")


def match_table(columns: Sequence[str]) -> str | None:
    """The 903 table whose columns best match a CSV header, or None when none is close.

    Matching is by overlap of column names (Jaccard index), so a table with a missing or an
    extra column is still recognised and its difference reported.
    """
    found = {normalise_column(c) for c in columns if c.strip()}
    if "CHILD" not in found:
        return None
    best, best_score = None, 0.0
    for table, table_columns in ssda903_all_tables().items():
        wanted = set(table_columns)
        score = len(found & wanted) / len(found | wanted)
        if score > best_score:
            best, best_score = table, score
    return best if best_score >= _MIN_JACCARD else None


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
            line = first_line(head)
            return bool(line) and match_table(next(csv.reader([line]), [])) is not None
        return False

    def read(self, paths: Sequence[Path], *, collection_year: int | None = None) -> ReaderResult:
        """Read every table of one or more returns; ``collection_year`` overrides the year
        otherwise taken from folder or file names (or, failing that, from the dates)."""
        log = ProblemLog()
        groups: dict[int | None, list[RawRow]] = {}
        for path in paths:
            year = collection_year or collection_year_from_path(path)
            groups.setdefault(year, []).extend(read_file(path, log))
        returns: list[ReturnRows] = []
        for year, rows in groups.items():
            rows = one_form(rows, log)
            if not rows:
                continue
            if year is None:
                year = infer_year(rows)
                files = sorted({r.file for r in rows})
                log.warning(
                    str(Path(files[0]).parent),
                    "903.year.inferred",
                    f"the collection year is not in the folder or file name; {year} was "
                    f"taken from the latest episode start in the return ({len(files)} file(s)); "
                    "name the folder after the year (e.g. 2025 or 2024-25) or pass the year",
                )
            returns.append(check_return(year, rows, log))
        tables = to_canonical(returns, log)
        years = sorted(r.year for r in returns)
        return ReaderResult(
            source=SOURCE,
            files=list(paths),
            tables=tables,
            problems=log.problems,
            not_supplied=dict(NOT_SUPPLIED),
            collection_year=years[-1] if years else None,
        )


def one_form(rows: list[RawRow], log: ProblemLog) -> list[RawRow]:
    """The CSV tables of a return when the same year also came as XML: both forms are the
    same return, and reading both would count every row twice."""
    xml_files = {r.file for r in rows if r.file.lower().endswith(".xml")}
    if not xml_files or len(xml_files) == len({r.file for r in rows}):
        return rows
    for file in sorted(xml_files):
        log.info(
            file,
            "903.file.both_forms",
            "the same year's return is also given as CSV tables; the CSV tables are used",
        )
    return [r for r in rows if r.file not in xml_files]


def read_file(path: Path, log: ProblemLog) -> list[RawRow]:
    """Rows of one 903 file (a CSV table or a whole XML return)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", file=str(path)) from exc
    if not data.strip():
        log.error(path, "903.file.empty", "the file is empty; export the table again")
        return []
    if path.suffix.lower() == ".xml":
        from cscperf.sources.ssda903_xml import rows_from_xml

        return rows_from_xml(path, data, log)
    return rows_from_csv(path, data, log)


def rows_from_csv(path: Path, data: bytes, log: ProblemLog) -> list[RawRow]:
    """Rows of one 903 CSV table, the table recognised from the header."""
    text, encoding = decode_text(data, path)
    if encoding != "utf-8":
        log.info(path, "903.file.encoding", f"read as {encoding}, not UTF-8")
    records = csv_rows(text, path)
    header = next(records, (1, []))[1]
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
    columns = [normalise_column(c) for c in header]
    expected = ssda903_all_tables()[table]
    optional = {
        name for name, column in ssda903_year(2100).tables[table].columns.items() if column.optional
    }
    missing = [c for c in expected if c not in columns and c not in optional]
    extra = [c for c in columns if c and c not in expected]
    if extra:
        log.warning(
            path,
            "903.columns.extra",
            f"{table} table has columns the return does not define, ignored: {', '.join(extra)}",
            row=1,
            table=table,
        )
    lost_keys = [c for c in KEYS[table] if c in missing]
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
    if missing:
        log.warning(
            path,
            "903.columns.missing",
            f"{table} table lacks columns {', '.join(missing)}; they are read as blank",
            row=1,
            table=table,
        )
    rows: list[RawRow] = []
    for line, values in records:
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(columns):
            log.error(
                path,
                "903.row.width",
                f"row has {len(values)} values but the header has {len(columns)} columns; "
                "check for an unquoted comma",
                row=line,
                table=table,
            )
            continue
        record = {c: v for c, v in zip(columns, values, strict=True) if c in expected}
        rows.append(RawRow(table, str(path), line, record))
    return rows


def _xml_root(head: bytes) -> str | None:
    text, _ = decode_text(head[:4096], partial=True)
    match = re.search(r"<([A-Za-z_][\w.\-]*)[\s>/]", re.sub(r"<[?!][^>]*>", "", text))
    return match.group(1) if match else None


def infer_year(rows: Sequence[RawRow]) -> int:
    """The collection year of the latest episode start (an episode cannot start after the
    return's 31 March); without episodes, of the latest review or missing-episode start."""
    for table, column in (("episodes", "DECOM"), ("reviews", "REVIEW"), ("missing", "MIS_START")):
        days = [
            day
            for row in rows
            if row.table == table
            for day in [parse_date(row.values.get(column, ""))[0]]
            if day is not None
        ]
        if days:
            return collection_year_of(max(days))
    return date.today().year


def check_return(year: int, rows: Sequence[RawRow], log: ProblemLog) -> ReturnRows:
    """Type and check every row of one return against that year's tables and codes."""
    schema = ssda903_year(year)
    result = ReturnRows(year=year)
    notes: set[tuple[str, str, str]] = set()  # once-per-file notes (file, column, rule)
    seen: dict[tuple[str, tuple[object, ...]], RawRow] = {}
    first_problem = len(log.problems)
    for row in rows:
        table = schema.tables.get(row.table)
        if table is None and (row.file, row.table, "year") not in notes:
            notes.add((row.file, row.table, "year"))
            log.warning(
                row.file,
                "903.table.not_in_year",
                f"the {row.table} table is not part of the {year} return; its rows are read "
                "but check the collection year (noted once per file)",
                row=row.row,
                table=row.table,
            )
        if table is None:
            table = ssda903_year(2100).tables[row.table]
        typed = check_row(row, table.columns, schema, log, notes)
        if typed is None:
            continue
        key = (row.table, tuple(typed[c] for c in KEYS[row.table]))
        if key in seen:
            earlier = seen[key]
            same = earlier.values == row.values
            log.add(
                row.file,
                "903.row.duplicate" if same else "903.row.conflict",
                Severity.WARNING if same else Severity.ERROR,
                f"{row.table}: this row repeats the row on line {earlier.row}"
                + ("; it is counted once" if same else " with different values; keep one"),
                row=row.row,
                table=row.table,
            )
            if same:
                continue
            result.tables[row.table] = [r for r in result.tables[row.table] if r["_key"] != key]
        seen[key] = row
        typed["_key"] = key
        result.tables.setdefault(row.table, []).append(typed)
    log.problems[first_problem:] = settle_date_formats(log.problems[first_problem:], notes)
    return result


def settle_date_formats(problems: list[Problem], notes: set[tuple[str, str, str]]) -> list[Problem]:
    """yyyy-mm-dd dates: one note per file and column when the whole column is written that
    way; a "mixed date formats" warning on each when the column also has dd/mm/yyyy dates."""
    settled: list[Problem] = []
    noted: set[tuple[str, str | None]] = set()
    for problem in problems:
        if problem.rule != "903.value.date_format":
            settled.append(problem)
            continue
        where = (problem.file, problem.field)
        if (problem.file, problem.field or "", "dmy") in notes:
            settled.append(
                replace(
                    problem,
                    rule="mixed-date-formats",
                    severity=Severity.WARNING,
                    message=f"{problem.table}: mixed date formats in one column: "
                    f"{problem.field} is written as yyyy-mm-dd here but as dd/mm/yyyy on other "
                    "rows; it was read, but check day and month and write every date dd/mm/yyyy",
                )
            )
        elif where not in noted:
            noted.add(where)
            settled.append(problem)
    return settled


def check_row(
    row: RawRow,
    columns: dict[str, YearColumn],
    schema: YearSchema,
    log: ProblemLog,
    notes: set[tuple[str, str, str]],
) -> dict[str, object] | None:
    """One row's values typed; problems logged; None when the row cannot be used."""
    typed: dict[str, object] = {
        "_source_file": row.file,
        "_source_row": row.row,
        "_collection_year": schema.year,
    }
    usable = True
    for name, column in columns.items():
        raw = row.values.get(name, "").strip()
        is_key = name in KEYS[row.table]
        where: dict[str, Any] = {"row": row.row, "column": name, "table": row.table}
        if not raw:
            typed[name] = None
            if not column.blank:
                if is_key:
                    usable = False
                log.add(
                    row.file,
                    "903.value.required",
                    Severity.ERROR if is_key else Severity.WARNING,
                    f"{row.table}: {name} is required"
                    + ("; the row cannot be used" if is_key else ""),
                    **where,
                )
            continue
        value, ok = check_value(raw, column, schema.year, row, log, notes)
        typed[name] = value
        if not ok and is_key:
            usable = False
    if usable:
        check_order(row, typed, schema.year, log)
    return typed if usable else None


def check_value(
    raw: str,
    column: YearColumn,
    year: int,
    row: RawRow,
    log: ProblemLog,
    notes: set[tuple[str, str, str]],
) -> tuple[object, bool]:
    """A value typed by its column kind; (value, ok). Bad values are logged and set to None,
    except codes, which are kept (the value is still a fact) with a warning."""
    where: dict[str, Any] = {"row": row.row, "column": column.name, "table": row.table}
    is_key = column.name in KEYS[row.table]
    severity = Severity.ERROR if is_key else Severity.WARNING
    if column.kind in {"date"}:
        day, style = parse_date(raw)
        if day is None:
            log.add(
                row.file,
                "903.value.date",
                severity,
                f"{row.table}: {column.name} is not a date; write it as dd/mm/yyyy",
                value=raw,
                **where,
            )
            return None, False
        if style == "dmy":
            notes.add((str(row.file), column.name, "dmy"))
        else:
            # Every one is noted; settle_date_formats keeps one note per file, or a warning
            # on each when the same column also holds dd/mm/yyyy dates.
            log.info(
                row.file,
                "903.value.date_format",
                f"{row.table}: {column.name} is written as yyyy-mm-dd, not dd/mm/yyyy; read "
                "correctly (noted once per file)",
                value=raw,
                **where,
            )
        return day, True
    if column.kind == "permanence_date":
        if not _PERM_DATE.match(raw) and parse_date(raw)[0] is None:
            log.warning(
                row.file,
                "903.value.date",
                f"{row.table}: {column.name} should be dd/mm/yyyy, or zz/mm/yyyy when the day "
                "is not known",
                value=raw,
                **where,
            )
        return raw, True
    if column.kind == "integer":
        try:
            number = int(float(raw))
        except ValueError:
            log.warning(
                row.file,
                "903.value.integer",
                f"{row.table}: {column.name} is not a number",
                value=raw,
                **where,
            )
            return None, False
        if (column.min is not None and number < column.min) or (
            column.max is not None and number > column.max
        ):
            log.warning(
                row.file,
                "903.value.range",
                f"{row.table}: {column.name} must be between {column.min} and {column.max}",
                value=raw,
                **where,
            )
            return None, False
        return number, True
    if column.kind == "code":
        code = raw.upper()
        if code in column.codes:
            return code, True
        if code in column.aliases:
            if (row.file, column.name, "alias") not in notes:
                notes.add((row.file, column.name, "alias"))
                log.warning(
                    row.file,
                    "903.code.old_spelling",
                    f"{row.table}: {column.name} code {code} is the old spelling of "
                    f"{column.aliases[code]} in the {year} return; read as "
                    f"{column.aliases[code]} (noted once per file)",
                    value=raw,
                    **where,
                )
            return column.aliases[code], True
        log.warning(
            row.file,
            "903.code.invalid_for_year",
            f"{row.table}: {column.name} code {code} is not valid in the {year} return"
            + valid_years_note(row.table, column.name, code),
            value=raw,
            **where,
        )
        return code, True
    if column.kind == "postcode":
        postcode = " ".join(raw.upper().split())
        if not _POSTCODE.match(postcode):
            log.warning(
                row.file,
                "903.value.postcode",
                f"{row.table}: {column.name} is not a postcode",
                value=raw,
                **where,
            )
        return postcode, True
    return raw, True


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


def check_order(row: RawRow, typed: dict[str, object], year: int, log: ProblemLog) -> None:
    """Start before end, and nothing starting after the return's 31 March."""
    order = DATE_ORDER.get(row.table)
    if order is None:
        return
    start, end = typed.get(order[0]), typed.get(order[1])
    if isinstance(start, date) and isinstance(end, date) and end < start:
        log.error(
            row.file,
            "903.dates.order",
            f"{row.table}: {order[1]} is before {order[0]}; correct one of the dates",
            row=row.row,
            column=order[1],
            value=end.strftime("%d/%m/%Y"),
            table=row.table,
        )
    if row.table == "episodes" and isinstance(start, date) and start > year_end(year):
        log.error(
            row.file,
            "903.dates.after_year",
            f"episodes: DECOM is after 31 March {year}, the end of the return's year; check "
            "the date or the collection year",
            row=row.row,
            column="DECOM",
            value=start.strftime("%d/%m/%Y"),
            table=row.table,
        )
