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
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cscperf.errors import ConfigError, InputError
from cscperf.sources.base import ReaderResult, Severity
from cscperf.sources.returns_common import ProblemLog, as_date, build_frame

SOURCE = "annex_a"
_SHEET = re.compile(r"^\s*list\s*[_\-]?\s*(\d{1,2})\b", re.IGNORECASE)
_PREFIX = re.compile(r"^\s*[a-z]{1,2}\)\s*", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?::|\s-\s|\s–\s)\s*")

Kind = Literal["id", "date", "text", "code", "flag", "sex", "category"]
Row = dict[str, object]


class ColumnSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    key: bool = False
    words: list[list[str]]
    not_words: list[list[str]] = Field(default_factory=list)


class ListSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    about: str
    table: str | None
    columns: dict[str, ColumnSpec]
    categories: dict[str, list[str]] = Field(default_factory=dict)


class AnnexASpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lists: dict[int, ListSpec]
    person: dict[str, ColumnSpec]
    sex: dict[str, list[str]]


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


def flag_of(value: str) -> str | None:
    words = words_of(_PREFIX.sub("", value))
    if not words:
        return None
    return (
        {
            "yes": "Y",
            "y": "Y",
            "no": "N",
            "n": "N",
            "suitable": "Y",
            "unsuitable": "N",
            "1": "Y",
            "0": "N",
        }.get(words[0])
        if words[0] != "not"
        else "N"
    )


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
        rows: dict[str, dict[object, Row]] = {}
        for path in paths:
            read_workbook(path, log, rows)
        tables = {
            table: build_frame(table, list(by_id.values()), COLUMNS[table])
            for table, by_id in rows.items()
        }
        return ReaderResult(
            source=SOURCE,
            files=list(paths),
            tables=tables,
            problems=log.problems,
            not_supplied=dict(NOT_SUPPLIED),
            collection_year=collection_year,
        )


NOT_SUPPLIED = {
    "*": "Annex A holds only the 6 to 12 months before an inspection and the latest date of "
    "each event, so histories (every visit, review, placement or episode) are incomplete",
    "ssd_cla_reviews": "Annex A gives only the latest review date",
    "ssd_cla_visits": "Annex A gives only the latest visit date",
    "ssd_cp_visits": "Annex A gives only the latest visit date",
    "ssd_legal_status": "Annex A gives only the current legal status",
    "ssd_missing": "Annex A gives counts of missing episodes, not the episodes",
    "adopters": "list 11 (prospective adopters) has no SSD table",
}

COLUMNS: dict[str, list[str]] = {
    "ssd_person": ["pers_person_id", "pers_sex", "pers_ethnicity", "pers_dob"],
    "ssd_contacts": [
        "cont_contact_id",
        "cont_person_id",
        "cont_contact_date",
        "cont_contact_source_code",
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
        "cine_referral_nfa",
        "cine_cin_primary_need_code",
        "cine_close_date",
        "cine_close_reason",
        "cine_referral_team",
    ],
    "ssd_cin_assessments": [
        "cina_assessment_id",
        "cina_person_id",
        "cina_assessment_start_date",
        "cina_assessment_child_seen",
        "cina_assessment_auth_date",
        "cina_assessment_team",
    ],
    "ssd_s47_enquiry": [
        "s47e_s47_enquiry_id",
        "s47e_person_id",
        "s47e_s47_start_date",
        "s47e_s47_completed_by_team",
    ],
    "ssd_initial_cp_conference": [
        "icpc_icpc_id",
        "icpc_s47_enquiry_id",
        "icpc_person_id",
        "icpc_icpc_date",
        "icpc_icpc_outcome_cp_flag",
    ],
    "ssd_cp_plans": [
        "cppl_cp_plan_id",
        "cppl_person_id",
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
    ],
    "ssd_cla_placement": [
        "clap_cla_placement_id",
        "clap_person_id",
        "clap_cla_placement_start_date",
        "clap_cla_placement_type",
        "clap_cla_placement_provider",
        "clap_cla_placement_postcode",
        "clap_cla_placement_urn",
    ],
    "ssd_legal_status": ["lega_legal_status_id", "lega_person_id", "lega_legal_status"],
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
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputError(f"cannot be opened as a workbook ({exc})", file=str(path)) from exc


def read_workbook(path: Path, log: ProblemLog, out: dict[str, dict[object, Row]]) -> None:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputError(f"cannot be opened as a workbook ({exc})", file=str(path)) from exc
    spec = annex_a_spec()
    found = False
    for sheet in workbook.sheet_names:
        number = list_number(sheet)
        if number is None or number not in spec.lists:
            continue
        found = True
        try:
            cells = workbook.get_sheet_by_name(sheet).to_python()
        except Exception as exc:  # a damaged sheet: report it, read the others
            log.error(path, "annex_a.sheet.unreadable", f"sheet {sheet} cannot be read ({exc})")
            continue
        read_list(path, sheet, number, cells, log, out)
    if not found:
        log.error(
            path,
            "annex_a.no_lists",
            "no sheet is named like 'List 1' to 'List 11'; "
            "rename the sheets as in the Ofsted template",
        )


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
    out: dict[str, dict[object, Row]],
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
    for offset, raw in enumerate(cells[header_at + 1 :], start=header_at + 2):
        values = read_values(path, sheet, offset, raw, where, wanted, spec, log)
        if values is None:
            continue
        values["_source_file"] = str(path)
        values["_source_row"] = offset
        for table, row in map_list(number, values).items():
            key = row[COLUMNS[table][0]]
            out.setdefault(table, {}).setdefault(key, {}).update(
                {k: v for k, v in row.items() if v is not None}
            )


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
            values[name] = code_of(text)
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
        elif column.kind == "category":
            values[name] = lookup(text, spec.categories) or code_of(text)
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
                "icpc_icpc_date": v["icpc_date"],
                "icpc_icpc_outcome_cp_flag": v.get("icpc_plan"),
                **prov,
            }
    elif number == 7:
        out["ssd_cp_plans"] = {
            "cppl_cp_plan_id": f"{child}/CPP/{_d(v['start'])}",
            "cppl_person_id": child,
            "cppl_cp_plan_start_date": v["start"],
            "cppl_cp_plan_end_date": v.get("end"),
            "cppl_cp_plan_initial_category": v.get("initial_category"),
            "cppl_cp_plan_latest_category": v.get("latest_category"),
            **prov,
        }
    elif number == 8:
        out["ssd_cla_episodes"] = {
            "clae_cla_episode_id": f"{child}/{_d(v['started'])}",
            "clae_person_id": child,
            "clae_cla_episode_start_date": v["started"],
            "clae_entered_care_date": v["started"],
            "clae_cla_primary_need_code": v.get("need"),
            "clae_cla_episode_ceased_date": v.get("ceased"),
            "clae_cla_episode_ceased_reason": v.get("ceased_reason"),
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
                **prov,
            }
        if v.get("legal_status"):
            out["ssd_legal_status"] = {
                "lega_legal_status_id": f"{child}/{v['legal_status']}",
                "lega_person_id": child,
                "lega_legal_status": v["legal_status"],
                **prov,
            }
        if v.get("uasc") == "Y":
            out["ssd_immigration_status"] = {
                "immi_immigration_status_id": f"{child}/UASC",
                "immi_person_id": child,
                "immi_immigration_status": "UASC",
                **prov,
            }
    elif number == 9:
        out["ssd_care_leavers"] = {
            "clea_table_id": child,
            "clea_person_id": child,
            "clea_care_leaver_eligibility": v.get("eligibility"),
            "clea_pathway_plan_review_date": v.get("pathway_review"),
            "clea_care_leaver_in_touch": {"Y": "YES", "N": "NO"}.get(str(v.get("in_touch"))),
            "clea_care_leaver_latest_contact": v.get("latest_contact"),
            "clea_care_leaver_accommodation": v.get("accommodation"),
            "clea_care_leaver_accom_suitable": v.get("suitable"),
            "clea_care_leaver_activity": v.get("activity"),
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
