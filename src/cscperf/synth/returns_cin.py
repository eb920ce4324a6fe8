"""The CIN Census XML return, written from SSD-shaped tables.

Owns turning the SSD tables of children in need (referrals, assessments and their factors,
CIN plans, section 47 enquiries, initial conferences, child protection plans and reviews,
disabilities) into one CIN Census XML per collection year, shaped and coded as that year's
DfE schema requires. The census of year Y holds every CIN episode open at any time between
1 April Y-1 and 31 March Y; dates after 31 March Y are not yet known and are left out.
Output is deterministic: fixed element order, children sorted by identifier, no timestamps.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from cscperf.errors import InputError
from cscperf.settings import Settings
from cscperf.synth.returns_ssd import (
    abuse_code,
    assessment_factors,
    flag,
    overlaps,
    recode_for_year,
    return_codes,
    sex_code,
    ssd_table,
    year_end,
    year_start,
)

Row = dict[str, Any]

UPN_PATTERN = re.compile(r"[A-Za-z]\d{11}(\d|[A-Za-z])")
UPN_UNKNOWN = {f"UN{n}" for n in range(1, 8)}
ETHNIC_CODES = {
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
    "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
}  # fmt: skip
CIN_PLANS_FIRST_YEAR = 2022  # CINPlanDates first collected in 2021-22
SEX_ELEMENT_FIRST_YEAR = 2025  # Sex (M/F/U) replaced GenderCurrent in 2024-25


def write_cin_census(
    tables: dict[str, pl.DataFrame],
    settings: Settings,
    out_dir: Path,
    collection_years: list[int],
) -> list[Path]:
    """Write ``out_dir/cin_census/cin_census_<Y>.xml`` for each collection year; return paths."""
    data = CinData.from_tables(tables)
    folder = out_dir / "cin_census"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for year in sorted(collection_years):
        root = census_xml(data, settings.council.la_code, year)
        path = folder / f"cin_census_{year}.xml"
        path.write_bytes(
            etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
        )
        written.append(path)
    return written


def _rows_by(frame: pl.DataFrame, key: str, sort: list[str]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in frame.sort(sort, nulls_last=True).iter_rows(named=True):
        if row[key] is not None:
            grouped[row[key]].append(row)
    return grouped


class CinData:
    """The SSD tables the census reads, grouped once by person and by referral."""

    def __init__(self, tables: dict[str, pl.DataFrame]) -> None:
        person = ssd_table(tables, "ssd_person")
        self.people: dict[str, Row] = {
            row["pers_person_id"]: row for row in person.iter_rows(named=True)
        }
        send = ssd_table(tables, "ssd_send")
        self.upn: dict[str, Row] = {r["send_person_id"]: r for r in send.iter_rows(named=True)}
        disability = ssd_table(tables, "ssd_disability")
        self.disabilities: dict[str, list[str]] = defaultdict(list)
        for row in disability.iter_rows(named=True):
            code = (row["disa_disability_code"] or "").strip().upper()
            if code and code not in self.disabilities[row["disa_person_id"]]:
                self.disabilities[row["disa_person_id"]].append(code)
        self.episodes = ssd_table(tables, "ssd_cin_episodes").sort(
            ["cine_person_id", "cine_referral_date", "cine_referral_id"]
        )
        self.assessments = _rows_by(
            ssd_table(tables, "ssd_cin_assessments"),
            "cina_referral_id",
            ["cina_assessment_start_date", "cina_assessment_id"],
        )
        factors = ssd_table(tables, "ssd_assessment_factors")
        self.factors: dict[str, list[str]] = defaultdict(list)
        for row in factors.iter_rows(named=True):
            self.factors[row["cinf_assessment_id"]].extend(
                assessment_factors(row["cinf_assessment_factors_json"])
            )
        self.cin_plans = _rows_by(
            ssd_table(tables, "ssd_cin_plans"),
            "cinp_referral_id",
            ["cinp_cin_plan_start_date", "cinp_cin_plan_id"],
        )
        self.s47 = _rows_by(
            ssd_table(tables, "ssd_s47_enquiry"),
            "s47e_referral_id",
            ["s47e_s47_start_date", "s47e_s47_enquiry_id"],
        )
        icpc = ssd_table(tables, "ssd_initial_cp_conference")
        self.icpc_by_s47 = _rows_by(icpc, "icpc_s47_enquiry_id", ["icpc_icpc_date", "icpc_icpc_id"])
        self.icpc_by_referral = _rows_by(
            icpc, "icpc_referral_id", ["icpc_icpc_date", "icpc_icpc_id"]
        )
        plans = ssd_table(tables, "ssd_cp_plans")
        self.cp_plans = _rows_by(
            plans, "cppl_referral_id", ["cppl_cp_plan_start_date", "cppl_cp_plan_id"]
        )
        self.previous_plans = _previous_plan_counts(plans)
        self.cp_reviews = _rows_by(
            ssd_table(tables, "ssd_cp_reviews"), "cppr_cp_plan_id", ["cppr_cp_review_date"]
        )

    @classmethod
    def from_tables(cls, tables: dict[str, pl.DataFrame]) -> CinData:
        return cls(tables)


def _previous_plan_counts(plans: pl.DataFrame) -> dict[str, int]:
    """CP plan id -> how many plans the same child started before it (NumberOfPreviousCPP)."""
    counts: dict[str, int] = {}
    ordered = plans.sort(["cppl_person_id", "cppl_cp_plan_start_date", "cppl_cp_plan_id"])
    seen: dict[str, int] = defaultdict(int)
    for row in ordered.iter_rows(named=True):
        counts[row["cppl_cp_plan_id"]] = seen[row["cppl_person_id"]]
        seen[row["cppl_person_id"]] += 1
    return counts


def _add(parent: etree._Element, tag: str, value: object | None) -> etree._Element | None:
    """Append ``<tag>value</tag>`` when there is a value; optional elements are left out."""
    if value is None or value == "":
        return None
    element = etree.SubElement(parent, tag)
    element.text = value.isoformat() if isinstance(value, date) else str(value)
    return element


def _known(value: date | None, last: date) -> date | None:
    """A date as the census of a year knows it: dates after 31 March are still in the future."""
    return value if value is not None and value <= last else None


def census_xml(data: CinData, la_code: str, year: int) -> etree._Element:
    """The census ``Message`` element for one collection year."""
    first, last = year_start(year), year_end(year)
    episodes = data.episodes.filter(
        (pl.col("cine_referral_date") <= last)
        & (pl.col("cine_close_date").is_null() | (pl.col("cine_close_date") >= first))
    )
    by_child: dict[str, list[Row]] = defaultdict(list)
    for row in episodes.iter_rows(named=True):
        by_child[row["cine_person_id"]].append(row)
    if not by_child:
        raise InputError(
            f"no child in need episode is open in the year ending 31 March {year}, so its CIN "
            "Census would be empty; choose collection years the tables cover",
            file="ssd_cin_episodes",
        )
    message = etree.Element("Message")
    header = etree.SubElement(message, "Header")
    details = etree.SubElement(header, "CollectionDetails")
    _add(details, "Collection", "CIN")
    _add(details, "Year", year)
    _add(details, "ReferenceDate", last)
    source = etree.SubElement(header, "Source")
    _add(source, "SourceLevel", "L")
    _add(source, "LEA", la_code)
    _add(source, "SoftwareCode", "cscperf synth")
    _add(source, "SerialNo", "001")
    children = etree.SubElement(message, "Children")
    for person_id in sorted(by_child):
        child = etree.SubElement(children, "Child")
        _child_identifiers(child, data, person_id, year)
        _child_characteristics(child, data, person_id)
        for episode in by_child[person_id]:
            _cin_details(child, data, episode, year)
    return message


def _child_identifiers(child: etree._Element, data: CinData, person_id: str, year: int) -> None:
    person = data.people.get(person_id, {})
    last = year_end(year)
    ids = etree.SubElement(child, "ChildIdentifiers")
    _add(ids, "LAchildID", person_id)
    send = data.upn.get(person_id, {})
    upn = (send.get("send_upn") or "").strip()
    if UPN_PATTERN.fullmatch(upn):
        _add(ids, "UPN", upn)
    else:
        unknown = (send.get("send_upn_unknown") or person.get("pers_upn_unknown") or "").upper()
        _add(ids, "UPNunknown", unknown if unknown in UPN_UNKNOWN else None)
    dob = person.get("pers_dob")
    if dob is not None and dob <= last:
        _add(ids, "PersonBirthDate", dob)
    else:
        # an unborn child at the reference date is recorded by its expected date of birth
        _add(ids, "ExpectedPersonBirthDate", person.get("pers_expected_dob") or dob)
    codes = return_codes().cin_census.recodes
    sex = sex_code(person.get("pers_sex"))
    if dob is None or dob > last:
        sex = "U"  # unborn: sex not yet known
    tag = "Sex" if year >= SEX_ELEMENT_FIRST_YEAR else "GenderCurrent"
    _add(ids, tag, recode_for_year(codes, "Sex", sex, year))
    _add(ids, "PersonDeathDate", _known(person.get("pers_death_date"), last))


def _child_characteristics(child: etree._Element, data: CinData, person_id: str) -> None:
    person = data.people.get(person_id, {})
    chars = etree.SubElement(child, "ChildCharacteristics")
    code = (person.get("pers_ethnicity") or "").strip().upper()
    _add(chars, "Ethnicity", code if code in ETHNIC_CODES else "NOBT")
    disabilities = etree.SubElement(chars, "Disabilities")
    # the census records NONE for a child with no disability on record
    for code in sorted(data.disabilities.get(person_id) or ["NONE"]):
        _add(disabilities, "Disability", code)


def _in_year(rows: Iterable[Row], start: str, end: str | None, year: int) -> list[Row]:
    first, last = year_start(year), year_end(year)
    return [r for r in rows if overlaps(r[start], r[end] if end else None, first, last)]


def _cin_details(child: etree._Element, data: CinData, episode: Row, year: int) -> None:
    last = year_end(year)
    codes = return_codes().cin_census.recodes
    referral_id = episode["cine_referral_id"]
    details = etree.SubElement(child, "CINdetails")
    _add(details, "CINreferralDate", episode["cine_referral_date"])
    source = (episode["cine_referral_source_code"] or "10").upper()
    _add(details, "ReferralSource", recode_for_year(codes, "ReferralSource", source, year))
    _add(details, "PrimaryNeedCode", episode["cine_cin_primary_need_code"])
    closed = _known(episode["cine_close_date"], last)
    _add(details, "CINclosureDate", closed)
    if closed is not None:
        reason = episode["cine_close_reason"]
        _add(details, "ReasonForClosure", recode_for_year(codes, "ReasonForClosure", reason, year))
    conferences = [
        c for c in data.icpc_by_referral.get(referral_id, []) if _known(c["icpc_icpc_date"], last)
    ]
    _add(details, "DateOfInitialCPC", conferences[0]["icpc_icpc_date"] if conferences else None)
    for assessment in _in_year(
        data.assessments.get(referral_id, []),
        "cina_assessment_start_date",
        "cina_assessment_auth_date",
        year,
    ):
        _assessment(details, data, assessment, year)
    if year >= CIN_PLANS_FIRST_YEAR:
        for plan in _in_year(
            data.cin_plans.get(referral_id, []),
            "cinp_cin_plan_start_date",
            "cinp_cin_plan_end_date",
            year,
        ):
            dates = etree.SubElement(details, "CINPlanDates")
            _add(dates, "CINPlanStartDate", plan["cinp_cin_plan_start_date"])
            _add(dates, "CINPlanEndDate", _known(plan["cinp_cin_plan_end_date"], last))
    for enquiry in _in_year(
        data.s47.get(referral_id, []), "s47e_s47_start_date", "s47e_s47_end_date", year
    ):
        _section47(details, data, enquiry, year)
    _add(details, "ReferralNFA", "1" if flag(episode["cine_referral_nfa"]) else "0")
    for plan in _in_year(
        data.cp_plans.get(referral_id, []), "cppl_cp_plan_start_date", "cppl_cp_plan_end_date", year
    ):
        _cp_plan(details, data, plan, year)


def _assessment(details: etree._Element, data: CinData, assessment: Row, year: int) -> None:
    last = year_end(year)
    element = etree.SubElement(details, "Assessments")
    _add(element, "AssessmentActualStartDate", assessment["cina_assessment_start_date"])
    authorised = _known(assessment["cina_assessment_auth_date"], last)
    _add(element, "AssessmentAuthorisationDate", authorised)
    if authorised is None:
        return  # factors are recorded at the end of the assessment
    codes = return_codes().cin_census.recodes
    factors: list[str] = []
    for factor in data.factors.get(assessment["cina_assessment_id"], []):
        code = recode_for_year(codes, "AssessmentFactors", factor, year)
        if code and code not in factors:
            factors.append(code)
    if factors:
        listed = etree.SubElement(element, "FactorsIdentifiedAtAssessment")
        for code in factors:
            _add(listed, "AssessmentFactors", code)


def _section47(details: etree._Element, data: CinData, enquiry: Row, year: int) -> None:
    last = year_end(year)
    conferences = data.icpc_by_s47.get(enquiry["s47e_s47_enquiry_id"], [])
    conference = conferences[0] if conferences else None
    element = etree.SubElement(details, "Section47")
    _add(element, "S47ActualStartDate", enquiry["s47e_s47_start_date"])
    _add(element, "InitialCPCtarget", conference["icpc_icpc_target_date"] if conference else None)
    held = _known(conference["icpc_icpc_date"], last) if conference else None
    _add(element, "DateOfInitialCPC", held)
    # a conference is "not required" when the enquiry ended, within the year, without one
    ended = _known(enquiry["s47e_s47_end_date"], last)
    not_required = conference is None and ended is not None
    _add(element, "ICPCnotRequired", "1" if not_required else "0")


def _cp_plan(details: etree._Element, data: CinData, plan: Row, year: int) -> None:
    first, last = year_start(year), year_end(year)
    element = etree.SubElement(details, "ChildProtectionPlans")
    _add(element, "CPPstartDate", plan["cppl_cp_plan_start_date"])
    _add(element, "CPPendDate", _known(plan["cppl_cp_plan_end_date"], last))
    initial = abuse_code(plan["cppl_cp_plan_initial_category"])
    latest = plan["cppl_cp_plan_latest_category"]
    _add(element, "InitialCategoryOfAbuse", initial)
    _add(element, "LatestCategoryOfAbuse", abuse_code(latest) if latest else initial)
    _add(element, "NumberOfPreviousCPP", data.previous_plans.get(plan["cppl_cp_plan_id"], 0))
    reviews = [
        r["cppr_cp_review_date"]
        for r in data.cp_reviews.get(plan["cppl_cp_plan_id"], [])
        if r["cppr_cp_review_date"] is not None and first <= r["cppr_cp_review_date"] <= last
    ]
    if reviews:
        listed = etree.SubElement(element, "Reviews")
        for review in reviews:
            _add(listed, "CPPreviewDate", review)
