"""The Ofsted Annex A workbook (lists 1-11) into canonical tables.

This module owns reading Annex A: finding each list's sheet, matching its columns by the
spellings councils really use (``codesets/annex_a.yaml``), reading cell values of every kind
(dates as Excel dates, serial numbers or text; codes written "q) 6: Police"), and mapping each
list to the SSD-shaped table it fits. Annex A covers only the 6 to 12 months before an
inspection and gives latest dates, so it fills the canonical tables thinly; ``not_supplied``
says so. ``docs/statutory-returns.md`` documents the mapping.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from python_calamine import CalamineWorkbook

from cscperf.errors import ConfigError, InputError
from cscperf.limits import check_workbook
from cscperf.sources.annex_a_date import date_from_cells, date_from_name, date_from_title
from cscperf.sources.base import ReaderResult, Severity
from cscperf.sources.returns_common import ProblemLog, as_date, build_frame

SOURCE = "annex_a"
_SHEET = re.compile(r"^\s*list\s*[_\-]?\s*(\d{1,2})\b", re.IGNORECASE)
# Ofsted letters a list's values "a) ", "q) "; a value added later in a list gets "p1) "
_PREFIX = re.compile(r"^\s*[a-z]{1,2}[0-9]?\)\s*", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?::|\s-\s|\s–\s)\s*")

Kind = Literal["id", "date", "text", "code", "flag", "sex"]
Row = dict[str, object]


class ColumnSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    key: bool = False
    codes: list[str] = Field(default_factory=list)  # code lists of ``codes``, in order
    words: list[list[str]]
    not_words: list[list[str]] = Field(default_factory=list)


class ListSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    about: str
    table: str | None
    columns: dict[str, ColumnSpec]


class LinkSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    icpc_plan_days: int = Field(ge=0)


class AnnexASpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lists: dict[int, ListSpec]
    person: dict[str, ColumnSpec]
    sex: dict[str, list[str]]
    links: LinkSpec
    codes: dict[str, dict[str, list[str]]]

    @field_validator("codes", mode="before")
    @classmethod
    def _codes_as_text(cls, value: object) -> object:
        # YAML reads unquoted yes/no/Y/N as booleans: refuse them rather than mis-map.
        if isinstance(value, dict):
            for name, table in value.items():
                for code, spellings in (table or {}).items():
                    if isinstance(code, bool) or any(isinstance(s, bool) for s in spellings):
                        raise ValueError(f"code list {name}: quote codes such as Y, N, YES, NO")
        return value

    @model_validator(mode="after")
    def _code_lists_exist(self) -> AnnexASpec:
        columns = [c for spec in self.lists.values() for c in spec.columns.values()]
        for column in [*columns, *self.person.values()]:
            for name in column.codes:
                if name not in self.codes:
                    raise ValueError(f"a column names the unknown code list {name}")
            if column.kind == "flag" and column.codes:
                raise ValueError("a flag column is read by the yes_no list; name no other")
        if "yes_no" not in self.codes:
            raise ValueError("the yes_no code list is missing")
        return self


@cache
def annex_a_spec() -> AnnexASpec:
    path = Path(__file__).parent / "codesets" / "annex_a.yaml"
    try:
        return AnnexASpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: the Annex A lists are not valid ({exc})") from exc


def words_of(text: str) -> list[str]:
    """Header or value as lower-case words, punctuation dropped."""
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).split()


def header_matches(header: str, spec: ColumnSpec) -> bool:
    found = set(words_of(header))
    if any(set(words) <= found for words in spec.not_words):
        return False
    return any(set(words) <= found for words in spec.words)


def list_number(sheet: str) -> int | None:
    match = _SHEET.match(sheet)
    return int(match.group(1)) if match else None


def code_of(value: str) -> str | None:
    """'q) 6: Police' -> '6'; 'N1 - Abuse or Neglect' -> 'N1'; 'a) WBRI' -> 'WBRI'."""
    text = _PREFIX.sub("", value).strip()
    if not text:
        return None
    return _SPLIT.split(text, maxsplit=1)[0].strip() or None


def description_of(value: str) -> str | None:
    """The words written after a code ('q) 6: Police' -> 'Police'), else the value without
    its letter ('g) Police' -> 'Police')."""
    text = _PREFIX.sub("", value).strip()
    parts = _SPLIT.split(text, maxsplit=1)
    return (parts[1] if len(parts) == 2 else text).strip() or None


@cache
def _code_index(names: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """The code lists ``names`` as two look-ups: upper-cased code -> code, and a spelling's
    words -> code (the code's own words count as a spelling). The first list wins a clash."""
    codes: dict[str, str] = {}
    spellings: dict[str, str] = {}
    for name in names:
        for code, written in annex_a_spec().codes[name].items():
            codes.setdefault(code.upper(), code)
            for spelling in [code, *written]:
                spellings.setdefault(" ".join(words_of(spelling)), code)
    return codes, spellings


def code_in(value: str, names: Sequence[str]) -> str | None:
    """The code of the lists ``names`` that ``value`` writes, or None when it writes none.

    'q) 6: Police' -> '6'; 'g) Police' -> '6'; 'f) Rhom' -> 'RHOM'; 'b) Former relevant
    child' -> 'Former Relevant'; 'Y: Other accommodation' -> 'Y'."""
    codes, spellings = _code_index(tuple(names))
    text = _PREFIX.sub("", value).strip()
    if not text:
        return None
    head = _SPLIT.split(text, maxsplit=1)[0].strip()
    for candidate in (text, head):
        if candidate.upper() in codes:
            return codes[candidate.upper()]
    for candidate in (text, value):
        found = spellings.get(" ".join(words_of(candidate)))
        if found is not None:
            return found
    return None


def flag_of(value: str) -> str | None:
    """Yes/no as Y/N ('a) Yes' -> 'Y', 'b) No' -> 'N'); None when it is neither ('Unknown')."""
    return code_in(value, ("yes_no",))


def lookup(value: str, table: dict[str, list[str]]) -> str | None:
    wanted = " ".join(words_of(value))
    stripped = " ".join(words_of(_PREFIX.sub("", value)))
    for code, spellings in table.items():
        for spelling in spellings:
            if " ".join(words_of(spelling)) in (wanted, stripped):
                return code
    return None


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class AnnexAReader:
    """Reads an Ofsted Annex A workbook (xlsx), lists 1-11."""

    source = SOURCE

    def recognises(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() not in {".xlsx", ".xlsm", ".xls", ".ods"}:
            return False
        try:
            names = sheet_names(path)
        except InputError:
            return False
        return sum(1 for n in names if list_number(n) is not None) >= 3

    def read(self, paths: Sequence[Path], *, collection_year: int | None = None) -> ReaderResult:
        log = ProblemLog()
        records = Records(log)
        dates: list[tuple[date, Path]] = []
        for path in paths:
            stated = read_workbook(path, log, records)
            found = workbook_date(path, stated, log)
            if found is not None:
                dates.append((found, path))
        link_conferences_to_plans(records)
        link_to_referrals(records)
        if dates:
            check_date_against_rows(*max(dates), records, log)
        tables = {
            table: build_frame(table, rows, COLUMNS[table])
            for table, rows in records.tables().items()
        }
        return ReaderResult(
            source=SOURCE,
            files=list(paths),
            tables=tables,
            problems=log.problems,
            not_supplied=dict(NOT_SUPPLIED),
            collection_year=collection_year,
            extract_date=max(dates)[0].isoformat() if dates else None,
        )


def check_date_against_rows(day: date, path: Path, records: Records, log: ProblemLog) -> None:
    """Warn when the lists' date is over a year after every date the lists hold: their 12
    months would then be empty, so the date (often a file name) is likely wrong."""
    latest = max(
        (
            value
            for table, rows in records.tables().items()
            if table != "ssd_person"
            for row in rows
            for value in row.values()
            if isinstance(value, date)
        ),
        default=None,
    )
    if latest is not None and (day - latest).days > 366:
        log.warning(
            path,
            "annex_a.date.after_rows",
            f"the lists are taken to run to {day.day} {day:%B %Y}, but their latest date is "
            f"{latest.day} {latest:%B %Y}, more than a year before, so the months reported "
            "would hold nothing; check the date the workbook states (or its file name), or "
            "give the date the lists were taken with --extract-date",
        )


def workbook_date(path: Path, stated: date | None, log: ProblemLog) -> date | None:
    """The last day a workbook's lists cover (:mod:`cscperf.sources.annex_a_date`): what the
    workbook states, else its title, else its file name; a note (info) says which, or that
    ``--extract-date`` should be given when none does."""
    for found, where in (
        (stated, "the workbook's headings"),
        (date_from_title(path), "the workbook's title"),
        (date_from_name(path), "the file name"),
    ):
        if found is not None:
            log.info(
                path,
                "annex_a.date",
                f"the lists are taken to run to {found.day} {found:%B %Y}, the date {where} "
                "states; give --extract-date if they were taken on another day",
            )
            return found
    log.info(
        path,
        "annex_a.date.unknown",
        "the workbook does not state the date its lists run to (no heading, title or file "
        "name gives it), so unless --extract-date is given the months reported end at the "
        "latest activity in the lists; give the date the lists were taken "
        "(cscperf ingest --extract-date 2024-01-31)",
    )
    return None


class Records:
    """The canonical rows read so far, and which list rows each one came from.

    Two rows are one record only when they are the same fact:

    * rows of one list of one workbook are one record only when every value is the same
      (an exact repeat, reported); two contacts of one child on one day from different
      sources, or two care-leaver rows of one young person, are two records;
    * a row of another list or another workbook with the same id (child and date) is the same
      record when no value it gives contradicts the record's (list 3 and list 6 both describe
      a referral); it fills the record's blanks;
    * a row of the same list of a later workbook that does contradict is the later picture of
      the record (a plan that has since ended): its values replace the earlier ones.

    Any other row with an id already taken is a record of its own, its id followed by /2, /3...
    People (ssd_person) are one record per child whatever the lists say.
    """

    def __init__(self, log: ProblemLog) -> None:
        self.log = log
        self._rows: dict[str, dict[str, list[_Record]]] = {}

    def add(self, table: str, row: Row, *, path: Path, number: int, sheet: str) -> None:
        key_column = COLUMNS[table][0]
        base = str(row[key_column])
        found = self._rows.setdefault(table, {}).setdefault(base, [])
        here = (str(path), number)
        if table == "ssd_person":
            if found:
                found[0].fill(row)
            else:
                found.append(_Record(dict(row), here, key_column))
            return
        values = _values(row, key_column)
        for record in found:
            if values in record.given.get(here, []):
                self.log.warning(
                    path,
                    "annex_a.row.repeated",
                    f"{sheet}: this row repeats an earlier row exactly; it is counted once",
                    row=_int(row["_source_row"]),
                    table=sheet,
                )
                return
        for record in found:
            if here not in record.given and record.agrees(values):
                record.fill(row)
                record.given.setdefault(here, []).append(values)
                return
        for record in found:
            files = {file for file, _ in record.given}
            if str(path) not in files and any(n == number for _, n in record.given):
                record.replace(row, key_column)
                record.given.setdefault(here, []).append(values)
                return
        row = dict(row)
        if found:
            row[key_column] = f"{base}/{len(found) + 1}"
        found.append(_Record(row, here, key_column))

    def rows(self, table: str) -> list[Row]:
        return [r.row for records in self._rows.get(table, {}).values() for r in records]

    def tables(self) -> dict[str, list[Row]]:
        return {table: self.rows(table) for table in self._rows}


# The team a list gives is the child's allocation when the list was made, not a fact of the
# record: it never makes two rows two records (list 3's team at referral, list 6's now).
_DESCRIPTIVE = frozenset(
    {"cine_referral_team", "cina_assessment_team", "s47e_s47_completed_by_team"}
)


def _values(row: Row, key_column: str) -> Row:
    """The values of a row that say what it records (not its id or where it was read)."""
    return {k: v for k, v in row.items() if not k.startswith("_") and k != key_column}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


class _Record:
    """One canonical row and the values each (workbook, list) gave it."""

    def __init__(self, row: Row, source: tuple[str, int], key_column: str) -> None:
        self.row = row
        self.given: dict[tuple[str, int], list[Row]] = {source: [_values(row, key_column)]}

    def agrees(self, values: Row) -> bool:
        return all(
            k in _DESCRIPTIVE or self.row.get(k) is None or v is None or self.row.get(k) == v
            for k, v in values.items()
        )

    def fill(self, row: Row) -> None:
        for k, v in row.items():
            if v is not None and self.row.get(k) is None:
                self.row[k] = v

    def replace(self, row: Row, key_column: str) -> None:
        for k, v in row.items():
            if v is not None and k != key_column:
                self.row[k] = v


# What Annex A cannot give, named for the person reading an indicator that says "not
# available". The workbook holds the lists of the months before an inspection and the latest
# date of recurring events, so measures of timeliness over every visit or review cannot be made.
NOT_SUPPLIED = {
    "*": "Annex A holds only the 6 to 12 months before an inspection and the latest date of "
    "each event, so histories (every visit, review, placement or episode) are incomplete",
    "ssd_cla_reviews": "Annex A gives only the latest review date",
    "ssd_cla_visits": "Annex A gives only the latest visit date",
    "ssd_cp_visits": "Annex A gives only the latest visit date",
    "ssd_cp_reviews": "Annex A gives only the latest review conference date",
    "ssd_cin_visits": "Annex A gives only the date a child in need was last seen",
    "ssd_cin_plans": "Annex A says a child has a child in need plan, not when it started or ended",
    "ssd_missing": "Annex A gives counts of missing episodes, not the episodes",
    "ssd_cla_care_plan": "Annex A gives the permanence plan, not care plan dates",
    "ssd_cla_immunisations": "Annex A does not say whether immunisations are up to date",
    "ssd_sdq_scores": "Annex A holds no SDQ scores",
    "ssd_cla_convictions": "Annex A holds no convictions",
    "ssd_cla_substance_misuse": "Annex A holds no substance misuse records",
    "ssd_involvements": "Annex A names the allocated team and worker now, not who held the "
    "case when",
    "ssd_professionals": "Annex A names workers, it holds no staff records or caseloads",
    "ssd_disability": "Annex A says whether a child is disabled, not the disability",
    "ssd_pre_proceedings": "Annex A holds no pre-proceedings (PLO) records",
    "ssd_s47_enquiry.s47e_s47_end_date": "Annex A gives the date an enquiry began and its "
    "conference, not the date it ended",
    "ssd_s47_enquiry.s47e_s47_outcome_json": "Annex A does not give the outcome of an enquiry",
    "adopters": "list 11 (prospective adopters) has no SSD table",
}

COLUMNS: dict[str, list[str]] = {
    "ssd_person": ["pers_person_id", "pers_sex", "pers_ethnicity", "pers_dob"],
    "ssd_contacts": [
        "cont_contact_id",
        "cont_person_id",
        "cont_contact_date",
        "cont_contact_source_code",
        "cont_contact_source_desc",
    ],
    "ssd_early_help_episodes": [
        "earl_episode_id",
        "earl_person_id",
        "earl_episode_start_date",
        "earl_episode_end_date",
        "earl_episode_organisation",
    ],
    "ssd_cin_episodes": [
        "cine_referral_id",
        "cine_person_id",
        "cine_referral_date",
        "cine_referral_source_code",
        "cine_referral_source_desc",
        "cine_referral_nfa",
        "cine_cin_primary_need_code",
        "cine_close_date",
        "cine_close_reason",
        "cine_referral_team",
    ],
    "ssd_cin_assessments": [
        "cina_assessment_id",
        "cina_person_id",
        "cina_referral_id",
        "cina_assessment_start_date",
        "cina_assessment_child_seen",
        "cina_assessment_auth_date",
        "cina_assessment_outcome_nfa",
        "cina_assessment_team",
    ],
    "ssd_s47_enquiry": [
        "s47e_s47_enquiry_id",
        "s47e_person_id",
        "s47e_referral_id",
        "s47e_s47_start_date",
        "s47e_s47_completed_by_team",
    ],
    "ssd_initial_cp_conference": [
        "icpc_icpc_id",
        "icpc_s47_enquiry_id",
        "icpc_person_id",
        "icpc_cp_plan_id",
        "icpc_referral_id",
        "icpc_icpc_date",
        "icpc_icpc_outcome_cp_flag",
    ],
    "ssd_cp_plans": [
        "cppl_cp_plan_id",
        "cppl_person_id",
        "cppl_icpc_id",
        "cppl_referral_id",
        "cppl_cp_plan_start_date",
        "cppl_cp_plan_end_date",
        "cppl_cp_plan_initial_category",
        "cppl_cp_plan_latest_category",
    ],
    "ssd_cla_episodes": [
        "clae_cla_episode_id",
        "clae_person_id",
        "clae_cla_episode_start_date",
        "clae_entered_care_date",
        "clae_cla_primary_need_code",
        "clae_cla_episode_ceased_date",
        "clae_cla_episode_ceased_reason",
        "clae_cla_last_iro_contact_date",
    ],
    "ssd_cla_placement": [
        "clap_cla_placement_id",
        "clap_person_id",
        "clap_cla_placement_start_date",
        "clap_cla_placement_type",
        "clap_cla_placement_provider",
        "clap_cla_placement_postcode",
        "clap_cla_placement_urn",
        "clap_cla_placement_location",
    ],
    "ssd_legal_status": [
        "lega_legal_status_id",
        "lega_person_id",
        "lega_legal_status",
        "lega_legal_status_start_date",
    ],
    "ssd_cla_health": [
        "clah_health_check_id",
        "clah_person_id",
        "clah_health_check_type",
        "clah_health_check_date",
        "clah_health_check_status",
    ],
    "ssd_immigration_status": [
        "immi_immigration_status_id",
        "immi_person_id",
        "immi_immigration_status",
    ],
    "ssd_care_leavers": [
        "clea_table_id",
        "clea_person_id",
        "clea_care_leaver_eligibility",
        "clea_pathway_plan_review_date",
        "clea_care_leaver_in_touch",
        "clea_care_leaver_latest_contact",
        "clea_care_leaver_accommodation",
        "clea_care_leaver_accom_suitable",
        "clea_care_leaver_activity",
        "clea_care_leaver_allocated_team",
    ],
    "ssd_permanence": [
        "perm_table_id",
        "perm_person_id",
        "perm_adm_decision_date",
        "perm_placement_order_date",
        "perm_matched_date",
        "perm_placed_for_adoption_date",
        "perm_permanence_order_date",
        "perm_decision_reversed_date",
        "perm_decision_reversed_reason",
        "perm_placed_ffa_cp_date",
    ],
}


def sheet_names(path: Path) -> list[str]:
    check_workbook(path)  # bounds first: the xlsx library can abort on a crafted file

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputError(f"cannot be opened as a workbook ({exc})", file=str(path)) from exc


def read_workbook(path: Path, log: ProblemLog, out: Records) -> date | None:
    """Read every list of one workbook into ``out``; return the date the workbook states
    for its lists (on a cover sheet or above a list's headings), if any."""
    check_workbook(path)  # bounds first: the xlsx library can abort on a crafted file

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputError(f"cannot be opened as a workbook ({exc})", file=str(path)) from exc
    spec = annex_a_spec()
    found = False
    headings: list[Sequence[object]] = []
    for sheet in workbook.sheet_names:
        number = list_number(sheet)
        if number is None or number not in spec.lists:
            headings.extend(_cover_rows(workbook, sheet))
            continue
        found = True
        try:
            cells = workbook.get_sheet_by_name(sheet).to_python()
        except Exception as exc:  # a damaged sheet: report it, read the others
            log.error(path, "annex_a.sheet.unreadable", f"sheet {sheet} cannot be read ({exc})")
            continue
        headings.extend(cells[: find_header(cells, spec.lists[number]) or 0])
        read_list(path, sheet, number, cells, log, out)
    if not found:
        log.error(
            path,
            "annex_a.no_lists",
            "no sheet is named like 'List 1' to 'List 11'; "
            "rename the sheets as in the Ofsted template",
        )
    return date_from_cells(headings)


COVER_ROWS = 30
COVER_COLUMNS = 12


def _cover_rows(workbook: Any, sheet: str) -> list[Sequence[object]]:
    """The top left of a sheet that is not a list (a cover or notes sheet), where a workbook
    states its date range; an unreadable one is passed over (it holds no records)."""
    try:
        cells = workbook.get_sheet_by_name(sheet).to_python(nrows=COVER_ROWS)
    except Exception:  # calamine's own error types; a cover sheet holds no records
        return []
    return [row[:COVER_COLUMNS] for row in cells[:COVER_ROWS]]


def find_header(cells: Sequence[Sequence[object]], spec: ListSpec) -> int | None:
    """The row (0-based) holding the headers: the first of the top ten naming a child id."""
    child = spec.columns.get("child") or annex_a_spec().lists[1].columns["child"]
    for index, row in enumerate(cells[:10]):
        if any(header_matches(cell_text(c), child) for c in row):
            return index
    return None


def read_list(
    path: Path,
    sheet: str,
    number: int,
    cells: Sequence[Sequence[object]],
    log: ProblemLog,
    out: Records,
) -> None:
    spec = annex_a_spec().lists[number]
    if spec.table is None or not cells:
        return
    header_at = find_header(cells, spec)
    if header_at is None:
        log.error(
            path,
            "annex_a.header.not_found",
            f"{sheet}: no header row naming the child identifier in the first ten rows",
            table=sheet,
        )
        return
    headers = [cell_text(c) for c in cells[header_at]]
    wanted = {**spec.columns, **annex_a_spec().person}
    where: dict[str, int] = {}
    for name, column in wanted.items():
        for index, header in enumerate(headers):
            if index not in where.values() and header_matches(header, column):
                where[name] = index
                break
    missing_keys = [
        n for n, c in spec.columns.items() if (c.key or n == "child") and n not in where
    ]
    if missing_keys:
        log.error(
            path,
            "annex_a.columns.missing_key",
            f"{sheet}: no column for {', '.join(missing_keys)}; the list cannot be read",
            row=header_at + 1,
            table=sheet,
        )
        return
    for name in spec.columns:
        if name not in where:
            log.info(
                path,
                "annex_a.columns.missing",
                f"{sheet}: no column for {name}; left blank",
                row=header_at + 1,
                table=sheet,
            )
    unread = [h for i, h in enumerate(headers) if h and i not in where.values()]
    if unread:
        log.info(
            path,
            "annex_a.columns.not_loaded",
            f"{sheet}: columns not loaded: {'; '.join(unread)} (ages, counts, latest dates "
            "and allocations the canonical tables cannot hold as Annex A gives them; see "
            "docs/statutory-returns.md, Ofsted Annex A)",
            row=header_at + 1,
            table=sheet,
        )
    for offset, raw in enumerate(cells[header_at + 1 :], start=header_at + 2):
        values = read_values(path, sheet, offset, raw, where, wanted, spec, log)
        if values is None:
            continue
        values["_source_file"] = str(path)
        values["_source_row"] = offset
        for name, row in map_list(number, values).items():
            # a list may give two rows of one table ("ssd_cla_health/dental_check")
            out.add(name.split("/")[0], row, path=path, number=number, sheet=sheet)


def read_values(
    path: Path,
    sheet: str,
    line: int,
    raw: Sequence[object],
    where: dict[str, int],
    wanted: dict[str, ColumnSpec],
    spec: ListSpec,
    log: ProblemLog,
) -> Row | None:
    values: Row = {}
    if not any(cell_text(c) for c in raw):
        return None
    for name, index in where.items():
        cell = raw[index] if index < len(raw) else None
        text = cell_text(cell)
        column = wanted[name]
        if not text:
            values[name] = None
            if column.key or name == "child":
                log.error(
                    path,
                    "annex_a.value.required",
                    f"{sheet}: the {name} column is blank; the row cannot be used",
                    row=line,
                    column=name,
                    table=sheet,
                )
                return None
            continue
        if column.kind == "date":
            day = as_date(cell if not isinstance(cell, str) else text)
            if day is None:
                severe = column.key
                log.add(
                    path,
                    "annex_a.value.date",
                    Severity.ERROR if severe else Severity.WARNING,
                    f"{sheet}: {name} is not a date",
                    row=line,
                    column=name,
                    value=text,
                    table=sheet,
                )
                if severe:
                    return None
            values[name] = day
        elif column.kind == "id":
            values[name] = text
        elif column.kind == "code":
            code = code_in(text, column.codes) if column.codes else code_of(text)
            if code is None:
                code = code_of(text)
                log.warning(
                    path,
                    "annex_a.value.code",
                    f"{sheet}: {name} '{text}' is not one of the codes cscperf knows for it; "
                    "kept as written (write the code, e.g. as in the Ofsted template)",
                    row=line,
                    column=name,
                    value=text,
                    table=sheet,
                )
            values[name] = code
            values[f"{name}_text"] = description_of(text)
        elif column.kind == "flag":
            values[name] = flag_of(text)
        elif column.kind == "sex":
            values[name] = lookup(text, annex_a_spec().sex)
            if values[name] is None:
                log.warning(
                    path,
                    "annex_a.value.spelling",
                    f"{sheet}: gender '{text}' is not a known spelling; left blank",
                    row=line,
                    column=name,
                    value=text,
                    table=sheet,
                )
        else:
            values[name] = _PREFIX.sub("", text).strip()
    return values


def _d(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def map_list(number: int, v: Row) -> dict[str, Row]:
    """One list row as canonical rows (ids as ``child/date`` so lists and years merge)."""
    child = str(v["child"])
    prov = {"_source_file": v["_source_file"], "_source_row": v["_source_row"]}
    out: dict[str, Row] = {
        "ssd_person": {
            "pers_person_id": child,
            "pers_sex": v.get("sex"),
            "pers_ethnicity": v.get("ethnicity"),
            "pers_dob": v.get("dob"),
            **prov,
        }
    }
    if number == 1:
        out["ssd_contacts"] = {
            "cont_contact_id": f"{child}/{_d(v['date'])}",
            "cont_person_id": child,
            "cont_contact_date": v["date"],
            "cont_contact_source_code": v.get("source"),
            "cont_contact_source_desc": v.get("source_text"),
            **prov,
        }
    elif number == 2:
        out["ssd_early_help_episodes"] = {
            "earl_episode_id": f"{child}/{_d(v['start'])}",
            "earl_person_id": child,
            "earl_episode_start_date": v["start"],
            "earl_episode_end_date": v.get("end"),
            "earl_episode_organisation": v.get("organisation"),
            **prov,
        }
    elif number in (3, 6):
        out["ssd_cin_episodes"] = {
            "cine_referral_id": f"{child}/{_d(v['date'])}",
            "cine_person_id": child,
            "cine_referral_date": v["date"],
            "cine_referral_source_code": v.get("source"),
            "cine_referral_source_desc": v.get("source_text"),
            "cine_referral_nfa": v.get("nfa"),
            "cine_cin_primary_need_code": v.get("need"),
            "cine_close_date": v.get("closed"),
            "cine_close_reason": v.get("close_reason"),
            "cine_referral_team": v.get("team"),
            **prov,
        }
    elif number == 4:
        out["ssd_cin_assessments"] = {
            "cina_assessment_id": f"{child}/A/{_d(v['start'])}",
            "cina_person_id": child,
            "cina_assessment_start_date": v["start"],
            "cina_assessment_child_seen": v.get("seen"),
            "cina_assessment_auth_date": v.get("authorised"),
            # "assessed as requiring LA children's social care support?": no means NFA
            "cina_assessment_outcome_nfa": {"Y": "N", "N": "Y"}.get(str(v.get("needs_support"))),
            "cina_assessment_team": v.get("team"),
            **prov,
        }
    elif number == 5:
        enquiry = f"{child}/S47/{_d(v['start'])}"
        out["ssd_s47_enquiry"] = {
            "s47e_s47_enquiry_id": enquiry,
            "s47e_person_id": child,
            "s47e_s47_start_date": v["start"],
            "s47e_s47_completed_by_team": v.get("team"),
            **prov,
        }
        if v.get("icpc_date"):
            out["ssd_initial_cp_conference"] = {
                "icpc_icpc_id": f"{enquiry}/ICPC",
                "icpc_s47_enquiry_id": enquiry,
                "icpc_person_id": child,
                "icpc_cp_plan_id": None,  # see link_conferences_to_plans
                "icpc_icpc_date": v["icpc_date"],
                "icpc_icpc_outcome_cp_flag": v.get("icpc_plan"),
                **prov,
            }
    elif number == 7:
        out["ssd_cp_plans"] = {
            "cppl_cp_plan_id": f"{child}/CPP/{_d(v['start'])}",
            "cppl_person_id": child,
            "cppl_icpc_id": None,  # see link_conferences_to_plans
            "cppl_cp_plan_start_date": v["start"],
            "cppl_cp_plan_end_date": v.get("end"),
            "cppl_cp_plan_initial_category": v.get("initial_category"),
            "cppl_cp_plan_latest_category": v.get("latest_category"),
            **prov,
        }
    elif number == 8:
        out.update(_looked_after_rows(child, v, prov))
    if number in (8, 9) and v.get("uasc") == "Y":
        out["ssd_immigration_status"] = {
            "immi_immigration_status_id": f"{child}/UASC",
            "immi_person_id": child,
            "immi_immigration_status": "UASC",
            **prov,
        }
    if number == 9:
        # DIED, REFU, NREQ or RHOM, wherever the list writes it, is the in-touch value
        status = annex_a_spec().codes["leaver_status"]
        said = [v.get(c) for c in ("in_touch", "activity", "accommodation")]
        in_touch = next((s for s in said if s in status), v.get("in_touch"))
        out["ssd_care_leavers"] = {
            "clea_table_id": child,
            "clea_person_id": child,
            "clea_care_leaver_eligibility": v.get("eligibility"),
            "clea_pathway_plan_review_date": v.get("pathway_review"),
            "clea_care_leaver_in_touch": in_touch,
            "clea_care_leaver_latest_contact": v.get("latest_contact"),
            "clea_care_leaver_accommodation": v.get("accommodation"),
            "clea_care_leaver_accom_suitable": v.get("suitable"),
            "clea_care_leaver_activity": v.get("activity"),
            "clea_care_leaver_allocated_team": v.get("team"),
            **prov,
        }
    elif number == 10:
        out["ssd_permanence"] = {
            "perm_table_id": f"{child}/{_d(v['decision'])}",
            "perm_person_id": child,
            "perm_adm_decision_date": v["decision"],
            "perm_placement_order_date": v.get("placement_order"),
            "perm_matched_date": v.get("matched"),
            "perm_placed_for_adoption_date": v.get("placed"),
            "perm_permanence_order_date": v.get("adoption_order"),
            "perm_decision_reversed_date": v.get("reversed"),
            "perm_decision_reversed_reason": v.get("reversed_reason"),
            "perm_placed_ffa_cp_date": v.get("ffa_placed"),
            **prov,
        }
    return out


def _looked_after_rows(child: str, v: Row, prov: Row) -> dict[str, Row]:
    """A list 8 row's care episode, and its placement, health checks and legal status when the
    list gives them."""
    out: dict[str, Row] = {}
    out["ssd_cla_episodes"] = {
        "clae_cla_episode_id": f"{child}/{_d(v['started'])}",
        "clae_person_id": child,
        "clae_cla_episode_start_date": v["started"],
        "clae_entered_care_date": v["started"],
        "clae_cla_primary_need_code": v.get("need"),
        "clae_cla_episode_ceased_date": v.get("ceased"),
        "clae_cla_episode_ceased_reason": v.get("ceased_reason"),
        "clae_cla_last_iro_contact_date": v.get("iro_contact"),
        **prov,
    }
    if v.get("placement_start"):
        out["ssd_cla_placement"] = {
            "clap_cla_placement_id": f"{child}/{_d(v['placement_start'])}/P",
            "clap_person_id": child,
            "clap_cla_placement_start_date": v["placement_start"],
            "clap_cla_placement_type": v.get("placement_type"),
            "clap_cla_placement_provider": v.get("placement_provider"),
            "clap_cla_placement_postcode": v.get("placement_postcode"),
            "clap_cla_placement_urn": v.get("placement_urn"),
            "clap_cla_placement_location": v.get("placement_location"),
            **prov,
        }
    # the latest health assessment and dental check: enough for "up to date" at the
    # workbook's month end (a check is recorded by Annex A only once it is done)
    for name, kind in (
        ("health_assessment", "Health assessment"),
        ("dental_check", "Dental check"),
    ):
        if isinstance(v.get(name), date):
            out[f"ssd_cla_health/{name}"] = {
                "clah_health_check_id": f"{child}/{name}/{_d(v[name])}",
                "clah_person_id": child,
                "clah_health_check_type": kind,
                "clah_health_check_date": v[name],
                "clah_health_check_status": "Completed",
                **prov,
            }
    if v.get("legal_status") or v.get("legal_status_start"):
        since = v.get("legal_status_start")
        out["ssd_legal_status"] = {
            "lega_legal_status_id": f"{child}/LS/{_d(since or v.get('legal_status'))}",
            "lega_person_id": child,
            "lega_legal_status": v.get("legal_status"),
            "lega_legal_status_start_date": since,
            **prov,
        }
    return out


def link_conferences_to_plans(records: Records) -> None:
    """Each initial conference (list 5) names the child protection plan (list 7) it started,
    and the plan the conference: the same child's plan beginning on the conference day or
    within ``links.icpc_plan_days`` days after it, not already started by another conference
    (the nearest conference wins). A conference recorded as not resulting in a plan starts
    none. Annex A has no plan id of its own, so a conference that started no plan in the
    workbook keeps a blank one."""
    days = annex_a_spec().links.icpc_plan_days
    plans: dict[object, list[Row]] = {}
    for plan in records.rows("ssd_cp_plans"):
        if isinstance(plan.get("cppl_cp_plan_start_date"), date):
            plans.setdefault(plan["cppl_person_id"], []).append(plan)
    conferences = sorted(
        (
            c
            for c in records.rows("ssd_initial_cp_conference")
            if isinstance(c.get("icpc_icpc_date"), date)
            and c.get("icpc_icpc_outcome_cp_flag") != "N"
        ),
        key=lambda c: (str(c["icpc_person_id"]), c["icpc_icpc_date"]),
        reverse=True,  # latest first, so a plan goes to the conference nearest before it
    )
    for conference in conferences:
        held: date = conference["icpc_icpc_date"]  # type: ignore[assignment]
        started = [
            p
            for p in plans.get(conference["icpc_person_id"], [])
            if p.get("cppl_icpc_id") is None
            and 0 <= (p["cppl_cp_plan_start_date"] - held).days <= days  # type: ignore[operator]
        ]
        if not started:
            continue
        plan = min(started, key=lambda p: (p["cppl_cp_plan_start_date"], str(p["cppl_cp_plan_id"])))
        plan["cppl_icpc_id"] = conference["icpc_icpc_id"]
        conference["icpc_cp_plan_id"] = plan["cppl_cp_plan_id"]


# The date on which each record of a table happened, for finding the referral it belongs to.
_UNDER_REFERRAL = {
    "ssd_cin_assessments": ("cina_person_id", "cina_assessment_start_date", "cina_referral_id"),
    "ssd_s47_enquiry": ("s47e_person_id", "s47e_s47_start_date", "s47e_referral_id"),
    "ssd_initial_cp_conference": ("icpc_person_id", "icpc_icpc_date", "icpc_referral_id"),
    "ssd_cp_plans": ("cppl_person_id", "cppl_cp_plan_start_date", "cppl_referral_id"),
}


def link_to_referrals(records: Records) -> None:
    """Assessments (list 4), enquiries and conferences (list 5) and plans (list 7) name the
    referral (lists 3 and 6) they belong to, as the case systems record it: the same child's
    latest referral on or before the record's date that had not closed before it. A record
    with no such referral among the lists keeps a blank referral id."""
    referrals: dict[object, list[tuple[date, date | None, str]]] = {}
    for r in records.rows("ssd_cin_episodes"):
        start, closed = r.get("cine_referral_date"), r.get("cine_close_date")
        if isinstance(start, date):
            ended = closed if isinstance(closed, date) else None
            referrals.setdefault(r["cine_person_id"], []).append(
                (start, ended, str(r["cine_referral_id"]))
            )
    for table, (person, when, link) in _UNDER_REFERRAL.items():
        for row in records.rows(table):
            day = row.get(when)
            if not isinstance(day, date) or row.get(link) is not None:
                continue
            open_then = [
                (start, referral_id)
                for start, closed, referral_id in referrals.get(row[person], [])
                if start <= day and (closed is None or closed >= day)
            ]
            if open_then:
                row[link] = max(open_then)[1]
