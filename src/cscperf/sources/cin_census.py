"""The CIN Census XML return (schemas 2017-2026) into canonical tables.

This module owns reading CIN Census files: the collection year and council (LEA) from the
header, validation against that year's XSD (each schema error a problem with its line; the
file is still read as far as it can be), and the mapping of children, referrals,
assessments, plans, section 47 enquiries, conferences, child protection plans, reviews and
disabilities onto SSD-shaped tables. Several years' returns merge as the SSDA903 ones do: a
later return's version of a referral replaces an earlier one. ``docs/statutory-returns.md``
documents the mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from cscperf.errors import InputError
from cscperf.limits import parse_xml
from cscperf.paths import shared_dir
from cscperf.sources.base import ReaderResult, Severity
from cscperf.sources.returns_common import (
    ProblemLog,
    build_frame,
    decode_text,
    parse_date,
)

SOURCE = "cin_census"
FIRST_SCHEMA, LAST_SCHEMA = 2017, 2026
SEX = {"1": "M", "2": "F", "0": "U", "9": "U", "M": "M", "F": "F", "U": "U"}
YES = {"true", "1", "y", "yes"}
NO = {"false", "0", "n", "no"}

Row = dict[str, object]

COLUMNS: dict[str, tuple[str, ...]] = {
    "ssd_person": (
        "pers_person_id",
        "pers_sex",
        "pers_ethnicity",
        "pers_dob",
        "pers_expected_dob",
        "pers_death_date",
        "pers_upn_unknown",
    ),
    "ssd_disability": ("disa_person_id", "disa_table_id", "disa_disability_code"),
    "ssd_cin_episodes": (
        "cine_referral_id",
        "cine_person_id",
        "cine_referral_date",
        "cine_cin_primary_need_code",
        "cine_referral_source_code",
        "cine_referral_nfa",
        "cine_close_reason",
        "cine_close_date",
    ),
    "ssd_cin_assessments": (
        "cina_assessment_id",
        "cina_person_id",
        "cina_referral_id",
        "cina_assessment_start_date",
        "cina_assessment_auth_date",
    ),
    "ssd_assessment_factors": (
        "cinf_table_id",
        "cinf_assessment_id",
        "cinf_assessment_factors_json",
    ),
    "ssd_cin_plans": (
        "cinp_cin_plan_id",
        "cinp_referral_id",
        "cinp_person_id",
        "cinp_cin_plan_start_date",
        "cinp_cin_plan_end_date",
    ),
    "ssd_s47_enquiry": (
        "s47e_s47_enquiry_id",
        "s47e_referral_id",
        "s47e_person_id",
        "s47e_s47_start_date",
    ),
    "ssd_initial_cp_conference": (
        "icpc_icpc_id",
        "icpc_s47_enquiry_id",
        "icpc_person_id",
        "icpc_cp_plan_id",
        "icpc_referral_id",
        "icpc_icpc_target_date",
        "icpc_icpc_date",
        "icpc_icpc_outcome_cp_flag",
    ),
    "ssd_cp_plans": (
        "cppl_cp_plan_id",
        "cppl_referral_id",
        "cppl_icpc_id",
        "cppl_person_id",
        "cppl_cp_plan_start_date",
        "cppl_cp_plan_end_date",
        "cppl_cp_plan_initial_category",
        "cppl_cp_plan_latest_category",
    ),
    "ssd_cp_reviews": (
        "cppr_cp_review_id",
        "cppr_person_id",
        "cppr_cp_plan_id",
        "cppr_cp_review_date",
    ),
}

NOT_SUPPLIED: dict[str, str] = {
    "ssd_contacts": "the CIN Census holds no contacts",
    "ssd_early_help_episodes": "the CIN Census holds no early help",
    "ssd_cla_episodes": "the CIN Census holds no looked-after episodes (see SSDA903)",
    "ssd_cin_visits": "the CIN Census holds no visits",
    "ssd_cp_visits": "the CIN Census holds no visits",
    "ssd_s47_enquiry.s47e_s47_end_date": "the CIN Census gives the enquiry start date only",
    "ssd_cin_assessments.cina_assessment_child_seen": "the CIN Census does not say",
    "ssd_cin_episodes.cine_referral_team": "the CIN Census holds no teams or workers",
    "ssd_cin_plans.cinp_cin_plan_start_date": "CIN plan dates are collected from 2019-20 on",
    "ssd_cp_reviews.cppr_cp_review_due": "the CIN Census gives review dates only",
    "ssd_person.pers_forename": "returns carry no names",
}


@cache
def schema_for(year: int) -> etree.XMLSchema | None:
    """The XSD of a collection year (nearest known year outside 2017-2026), if available."""
    found = shared_dir()
    if found is None:
        return None
    year = min(max(year, FIRST_SCHEMA), LAST_SCHEMA)
    path = found / "data" / "specs" / "cin_census" / f"CIN_schema_{year}.xsd"
    if not path.exists():
        return None
    return etree.XMLSchema(etree.parse(str(path)))


def parse_document(path: Path) -> etree._Element:
    """The root of a CIN file; InputError (with line) when it is empty or not XML."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", file=str(path)) from exc
    if not data.strip():
        raise InputError("is empty; export the CIN Census file again", file=str(path))
    root = parse_xml(data, str(path))
    if root.tag != "Message":
        raise InputError(
            f"is not a CIN Census file: its root element is {root.tag}, not Message",
            file=str(path),
            row=root.sourceline,
        )
    return root


def _text(element: etree._Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


@dataclass
class CINReturn:
    """Canonical rows of one CIN file, with the referral each row belongs to."""

    year: int
    file: str
    la_code: str | None
    rows: dict[str, list[Row]] = field(default_factory=dict)
    open_referrals: set[str] = field(default_factory=set)
    referrals: set[str] = field(default_factory=set)

    def add(self, table: str, row: Row) -> None:
        self.rows.setdefault(table, []).append(row)


class CINCensusReader:
    """Reads CIN Census XML returns of the 2017-2026 schemas."""

    source = SOURCE

    def recognises(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".xml":
            return False
        text, _ = decode_text(head[:4096], partial=True)
        return "<Message" in text and ("<Collection>CIN" in text or "<Children" in text)

    def read(self, paths: Sequence[Path], *, collection_year: int | None = None) -> ReaderResult:
        """Read one or more CIN files; ``collection_year`` overrides the header's year."""
        log = ProblemLog()
        returns = [read_return(path, log, collection_year) for path in paths]
        returns.sort(key=lambda r: r.year)
        tables = merge(returns, log)
        years = [r.year for r in returns]
        la_codes = sorted({r.la_code for r in returns if r.la_code})
        if len(la_codes) > 1:
            log.error(
                returns[-1].file,
                "cin.header.several_councils",
                f"the CIN files come from different councils (LEA {', '.join(la_codes)}); "
                "load one council's returns at a time",
            )
        return ReaderResult(
            source=SOURCE,
            files=list(paths),
            tables=tables,
            problems=log.problems,
            not_supplied=dict(NOT_SUPPLIED),
            collection_year=years[-1] if years else None,
            la_code=la_codes[-1] if la_codes else None,
        )


def read_return(path: Path, log: ProblemLog, year_option: int | None) -> CINReturn:
    """One CIN file: header, schema check, and every child's canonical rows."""
    root = parse_document(path)
    file = str(path)
    header_year = _text(root, "Header/CollectionDetails/Year")
    # Only a plain four-digit year counts ("²" and "٣" are digits to Python, 0001 is no year).
    plausible = re.fullmatch(r"20\d\d", header_year) is not None
    year = year_option or (int(header_year) if plausible else None)
    if year is None:
        reference = parse_date(_text(root, "Header/CollectionDetails/ReferenceDate"))[0]
        year = reference.year if reference else date.today().year
        log.warning(
            file,
            "cin.header.year",
            f"the header gives no collection year; {year} was assumed, pass the year if wrong",
            row=root.sourceline,
        )
    la_code = _text(root, "Header/Source/LEA") or None
    ret = CINReturn(year=year, file=file, la_code=la_code)
    check_schema(root, year, file, log)
    for child in root.iterfind("Children/Child"):
        read_child(child, ret, log)
    return ret


def check_schema(root: etree._Element, year: int, file: str, log: ProblemLog) -> None:
    """Each XSD error a warning with its line: the reader still uses what it can read."""
    schema = schema_for(year)
    if schema is None:
        log.info(
            file,
            "cin.schema.unavailable",
            f"the {year} CIN schema was not found; "
            "the file was read without checking it against the schema",
        )
        return
    if schema.validate(root):
        return
    shown = min(year, LAST_SCHEMA) if year >= FIRST_SCHEMA else FIRST_SCHEMA
    for error in schema.error_log:
        log.warning(
            file,
            "cin.schema",
            f"does not follow the {shown} CIN Census schema: {error.message}",
            row=error.line,
        )


def _check_order(
    element: etree._Element,
    start: tuple[str, date],
    end: tuple[str, date | None],
    ret: CINReturn,
    log: ProblemLog,
) -> None:
    """An error when ``element``'s end date (name, value) is before its start date."""
    (start_name, start_day), (end_name, end_day) = start, end
    if end_day is not None and end_day < start_day:
        log.error(
            ret.file,
            "cin.dates.order",
            f"{end_name} is before {start_name}; correct one of the dates",
            row=element.sourceline,
            column=end_name,
            value=end_day.isoformat(),
        )


def _date(
    element: etree._Element, name: str, ret: CINReturn, log: ProblemLog, *, key: bool = False
) -> date | None:
    """A date child element; a bad value is logged (an error when the row needs it)."""
    found = element.find(name)
    text = (found.text or "").strip() if found is not None and found.text else ""
    if not text:
        if key:
            log.error(
                ret.file,
                "cin.value.required",
                f"{name} is missing; the record cannot be used",
                row=element.sourceline,
                column=name,
            )
        return None
    day, _ = parse_date(text)
    if day is None:
        log.add(
            ret.file,
            "cin.value.date",
            Severity.ERROR if key else Severity.WARNING,
            f"{name} is not a date (write yyyy-mm-dd)"
            + ("; the record cannot be used" if key else ""),
            row=found.sourceline if found is not None else element.sourceline,
            column=name,
            value=text,
        )
    return day


def _flag(text: str) -> str | None:
    value = text.strip().lower()
    return "Y" if value in YES else "N" if value in NO else None


def read_child(child: etree._Element, ret: CINReturn, log: ProblemLog) -> None:
    ids = child.find("ChildIdentifiers")
    person = _text(ids, "LAchildID")
    if not person:
        log.error(
            ret.file,
            "cin.value.required",
            "a child has no LAchildID; the child's records cannot be used",
            row=child.sourceline,
            column="LAchildID",
        )
        return
    prov = {"_source_file": ret.file, "_source_row": child.sourceline, "_collection_year": ret.year}
    assert ids is not None
    sex = _text(ids, "Sex") or _text(ids, "GenderCurrent")
    ret.add(
        "ssd_person",
        {
            "pers_person_id": person,
            "pers_sex": SEX.get(sex.upper(), sex or None),
            "pers_ethnicity": _text(child, "ChildCharacteristics/Ethnicity") or None,
            "pers_dob": _date(ids, "PersonBirthDate", ret, log),
            "pers_expected_dob": _date(ids, "ExpectedPersonBirthDate", ret, log),
            "pers_death_date": _date(ids, "PersonDeathDate", ret, log),
            "pers_upn_unknown": _text(ids, "UPNunknown") or None,
            **prov,
        },
    )
    for disability in child.iterfind("ChildCharacteristics/Disabilities/Disability"):
        code = (disability.text or "").strip()
        if code:
            ret.add(
                "ssd_disability",
                {
                    "disa_person_id": person,
                    "disa_table_id": f"{person}/{code}",
                    "disa_disability_code": code,
                    **{**prov, "_source_row": disability.sourceline},
                },
            )
    for details in child.iterfind("CINdetails"):
        read_referral(details, person, ret, log)


def read_referral(details: etree._Element, person: str, ret: CINReturn, log: ProblemLog) -> None:
    referral_date = _date(details, "CINreferralDate", ret, log, key=True)
    if referral_date is None:
        return
    referral = f"{person}/{referral_date.isoformat()}"
    close = _date(details, "CINclosureDate", ret, log)
    ret.referrals.add(referral)
    if close is None:
        ret.open_referrals.add(referral)

    def prov(element: etree._Element) -> Row:
        return {
            "_source_file": ret.file,
            "_source_row": element.sourceline,
            "_collection_year": ret.year,
            "_referral": referral,
        }

    _check_order(details, ("CINreferralDate", referral_date), ("CINclosureDate", close), ret, log)
    ret.add(
        "ssd_cin_episodes",
        {
            "cine_referral_id": referral,
            "cine_person_id": person,
            "cine_referral_date": referral_date,
            "cine_cin_primary_need_code": _text(details, "PrimaryNeedCode") or None,
            "cine_referral_source_code": _text(details, "ReferralSource") or None,
            "cine_referral_nfa": _flag(_text(details, "ReferralNFA")),
            "cine_close_reason": _text(details, "ReasonForClosure") or None,
            "cine_close_date": close,
            **prov(details),
        },
    )
    for assessment in details.iterfind("Assessments"):
        start = _date(assessment, "AssessmentActualStartDate", ret, log, key=True)
        if start is None:
            continue
        assessment_id = f"{referral}/A/{start.isoformat()}"
        ret.add(
            "ssd_cin_assessments",
            {
                "cina_assessment_id": assessment_id,
                "cina_person_id": person,
                "cina_referral_id": referral,
                "cina_assessment_start_date": start,
                "cina_assessment_auth_date": _date(
                    assessment, "AssessmentAuthorisationDate", ret, log
                ),
                **prov(assessment),
            },
        )
        factors = [
            (f.text or "").strip()
            for f in assessment.iterfind("FactorsIdentifiedAtAssessment/AssessmentFactors")
            if (f.text or "").strip()
        ]
        if factors:
            ret.add(
                "ssd_assessment_factors",
                {
                    "cinf_table_id": f"{assessment_id}/F",
                    "cinf_assessment_id": assessment_id,
                    "cinf_assessment_factors_json": json.dumps(factors),
                    **prov(assessment),
                },
            )
    for plan in details.iterfind("CINPlanDates"):
        start = _date(plan, "CINPlanStartDate", ret, log, key=True)
        if start is None:
            continue
        ret.add(
            "ssd_cin_plans",
            {
                "cinp_cin_plan_id": f"{referral}/CINP/{start.isoformat()}",
                "cinp_referral_id": referral,
                "cinp_person_id": person,
                "cinp_cin_plan_start_date": start,
                "cinp_cin_plan_end_date": _date(plan, "CINPlanEndDate", ret, log),
                **prov(plan),
            },
        )
    plans = read_cp_plans(details, person, referral, ret, log, prov)
    read_enquiries(details, person, referral, plans, ret, log, prov)


def read_cp_plans(
    details: etree._Element,
    person: str,
    referral: str,
    ret: CINReturn,
    log: ProblemLog,
    prov: Any,
) -> dict[date, str]:
    """CP plans and their reviews; returns plan start date -> plan id (to link conferences)."""
    plans: dict[date, str] = {}
    for plan in details.iterfind("ChildProtectionPlans"):
        start = _date(plan, "CPPstartDate", ret, log, key=True)
        if start is None:
            continue
        plan_id = f"{person}/CPP/{start.isoformat()}"
        plans[start] = plan_id
        end = _date(plan, "CPPendDate", ret, log)
        _check_order(plan, ("CPPstartDate", start), ("CPPendDate", end), ret, log)
        ret.add(
            "ssd_cp_plans",
            {
                "cppl_cp_plan_id": plan_id,
                "cppl_referral_id": referral,
                "cppl_person_id": person,
                "cppl_cp_plan_start_date": start,
                "cppl_cp_plan_end_date": end,
                "cppl_cp_plan_initial_category": _text(plan, "InitialCategoryOfAbuse") or None,
                "cppl_cp_plan_latest_category": _text(plan, "LatestCategoryOfAbuse") or None,
                **prov(plan),
            },
        )
        for review in plan.iterfind("Reviews/CPPreviewDate"):
            day, _ = parse_date((review.text or "").strip())
            if day is None:
                log.warning(
                    ret.file,
                    "cin.value.date",
                    "CPPreviewDate is not a date (write yyyy-mm-dd)",
                    row=review.sourceline,
                    column="CPPreviewDate",
                    value=(review.text or "").strip(),
                )
                continue
            ret.add(
                "ssd_cp_reviews",
                {
                    "cppr_cp_review_id": f"{plan_id}/R/{day.isoformat()}",
                    "cppr_person_id": person,
                    "cppr_cp_plan_id": plan_id,
                    "cppr_cp_review_date": day,
                    **prov(review),
                },
            )
    return plans


def read_enquiries(
    details: etree._Element,
    person: str,
    referral: str,
    plans: dict[date, str],
    ret: CINReturn,
    log: ProblemLog,
    prov: Any,
) -> None:
    """Section 47 enquiries and initial conferences (a conference recorded only on the
    referral, without its enquiry, becomes a conference of its own)."""
    conference_days: set[date] = set()
    for enquiry in details.iterfind("Section47"):
        start = _date(enquiry, "S47ActualStartDate", ret, log, key=True)
        if start is None:
            continue
        enquiry_id = f"{referral}/S47/{start.isoformat()}"
        ret.add(
            "ssd_s47_enquiry",
            {
                "s47e_s47_enquiry_id": enquiry_id,
                "s47e_referral_id": referral,
                "s47e_person_id": person,
                "s47e_s47_start_date": start,
                **prov(enquiry),
            },
        )
        held = _date(enquiry, "DateOfInitialCPC", ret, log)
        target = _date(enquiry, "InitialCPCtarget", ret, log)
        if held is None and target is None:
            continue
        if held is not None:
            conference_days.add(held)
        add_conference(ret, person, referral, enquiry_id, held, target, plans, prov(enquiry))
    held = _date(details, "DateOfInitialCPC", ret, log)
    if held is not None and held not in conference_days:
        add_conference(ret, person, referral, None, held, None, plans, prov(details))


def add_conference(
    ret: CINReturn,
    person: str,
    referral: str,
    enquiry_id: str | None,
    held: date | None,
    target: date | None,
    plans: dict[date, str],
    prov: Row,
) -> None:
    day = held or target
    assert day is not None
    plan_id = plans.get(held) if held else None
    ret.add(
        "ssd_initial_cp_conference",
        {
            "icpc_icpc_id": f"{referral}/ICPC/{day.isoformat()}",
            "icpc_s47_enquiry_id": enquiry_id,
            "icpc_person_id": person,
            "icpc_cp_plan_id": plan_id,
            "icpc_referral_id": referral,
            "icpc_icpc_target_date": target,
            "icpc_icpc_date": held,
            "icpc_icpc_outcome_cp_flag": None if held is None else ("Y" if plan_id else "N"),
            **prov,
        },
    )


KEY_COLUMN = {table: columns[0] for table, columns in COLUMNS.items()}
KEY_COLUMN["ssd_cla_immunisations"] = "clai_person_id"


def merge(returns: Sequence[CINReturn], log: ProblemLog) -> dict[str, pl.DataFrame]:
    """Several years' rows as one: later returns replace rows with the same id; a referral
    open into a later return's year but missing from it is withdrawn, with its records."""
    merged: dict[str, dict[object, Row]] = {table: {} for table in COLUMNS}
    open_referrals: dict[str, CINReturn] = {}
    withdrawn: set[str] = set()
    for ret in returns:
        for referral, earlier in list(open_referrals.items()):
            if earlier.year < ret.year and referral not in ret.referrals:
                withdrawn.add(referral)
                log.warning(
                    earlier.file,
                    "cin.referral.withdrawn",
                    f"a referral open at the end of the {earlier.year} return is not in the "
                    f"{ret.year} return; the later return is taken as the correction",
                )
                del open_referrals[referral]
        for referral in ret.referrals:
            if referral in ret.open_referrals:
                open_referrals[referral] = ret
            else:
                open_referrals.pop(referral, None)
            withdrawn.discard(referral)
        for table, rows in ret.rows.items():
            for row in rows:
                merged[table][row[KEY_COLUMN[table]]] = row
    tables: dict[str, pl.DataFrame] = {}
    for table, rows_by_id in merged.items():
        rows = [r for r in rows_by_id.values() if r.get("_referral") not in withdrawn]
        tables[table] = build_frame(table, rows, [*COLUMNS[table], "_collection_year"])
    return tables
