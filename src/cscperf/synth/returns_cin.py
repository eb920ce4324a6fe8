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
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from cscperf.errors import InputError
from cscperf.settings import Settings
from cscperf.synth.returns_ssd import (
    XmlText,
    abuse_code,
    assessment_factors,
    flag,
    recode_for_year,
    return_codes,
    sex_code,
    ssd_table,
    xml_escape,
    year_end,
    year_start,
)

Row = dict[str, Any]
# a child's opening identifier lines, birth date, expected birth date, sex code, death date
Identity = tuple[list[str], date | None, date | None, str, date | None]

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
        path = folder / f"cin_census_{year}.xml"
        path.write_bytes(census_xml(data, settings.council.la_code, year))
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
        parsed: dict[str | None, list[str]] = {}  # the same few factor lists recur
        for assessment_id, raw in factors.iter_rows():
            if raw not in parsed:
                parsed[raw] = assessment_factors(raw)
            self.factors[assessment_id].extend(parsed[raw])
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

        self.characteristics: dict[str, list[str]] = {}  # XML lines, filled as written
        self.identities: dict[str, Identity] = {}  # filled as written

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


@cache  # the same dates recur across thousands of children and every year
def _iso(value: date) -> str:
    return value.isoformat()


def _add(xml: XmlText, tag: str, value: object | None) -> None:
    """Append ``<tag>value</tag>`` when there is a value; optional elements are left out."""
    if value is None or value == "":
        return
    if value.__class__ is not str:
        value = _iso(value) if isinstance(value, date) else str(value)
    xml.leaf(tag, value)


@cache
def _recode(field: str, code: str | None, year: int) -> str | None:
    return recode_for_year(return_codes().cin_census.recodes, field, code, year)


def _known(value: date | None, last: date) -> date | None:
    """A date as the census of a year knows it: dates after 31 March are still in the future."""
    return value if value is not None and value <= last else None


def census_xml(data: CinData, la_code: str, year: int) -> bytes:
    """The census ``Message`` document for one collection year, as UTF-8 bytes."""
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
    xml = XmlText("Message")
    xml.open("Header")
    xml.open("CollectionDetails")
    _add(xml, "Collection", "CIN")
    _add(xml, "Year", year)
    _add(xml, "ReferenceDate", last)
    xml.close()
    xml.open("Source")
    _add(xml, "SourceLevel", "L")
    _add(xml, "LEA", la_code)
    _add(xml, "SoftwareCode", "cscperf synth")
    _add(xml, "SerialNo", "001")
    xml.close()
    xml.close()  # Header
    xml.open("Children")
    # each child is written straight into the document's lines at its fixed depth (Message >
    # Children > Child): a census holds millions of elements, so every call per element counts
    out = xml.lines
    for person_id in sorted(by_child):
        out.append(f"{PAD[2]}<Child>")
        _child_identifiers(out, data, person_id, year)
        # a child's characteristics are the same every year: written once, then copied
        lines = data.characteristics.get(person_id)
        if lines is None:
            lines = data.characteristics[person_id] = _child_characteristics(data, person_id)
        out.extend(lines)
        for episode in by_child[person_id]:
            _cin_details(out, data, episode, year, first, last)
        out.append(f"{PAD[2]}</Child>")
    return xml.to_bytes()


PAD = ["  " * depth for depth in range(8)]  # the indent of each depth, as lxml pretty-prints


def _el(out: list[str], depth: int, tag: str, value: object | None) -> None:
    """Append ``<tag>value</tag>`` when there is a value; optional elements are left out."""
    if value is None or value == "":
        return
    if value.__class__ is not str:
        value = _iso(value) if isinstance(value, date) else str(value)
    out.append(f"{PAD[depth]}<{tag}>{xml_escape(value)}</{tag}>")


def _child_identifiers(out: list[str], data: CinData, person_id: str, year: int) -> None:
    last = year_end(year)
    identity = data.identities.get(person_id)
    if identity is None:
        identity = data.identities[person_id] = _identity(data, person_id)
    fixed, dob, expected, sex, death = identity
    out.extend(fixed)
    if dob is not None and dob <= last:
        _el(out, 4, "PersonBirthDate", dob)
    else:
        # an unborn child at the reference date is recorded by its expected date of birth
        _el(out, 4, "ExpectedPersonBirthDate", expected or dob)
        sex = "U"  # unborn: sex not yet known
    tag = "Sex" if year >= SEX_ELEMENT_FIRST_YEAR else "GenderCurrent"
    _el(out, 4, tag, _recode("Sex", sex, year))
    _el(out, 4, "PersonDeathDate", _known(death, last))
    out.append(f"{PAD[3]}</ChildIdentifiers>")


def _identity(data: CinData, person_id: str) -> Identity:
    """What a child's identifiers hold whatever the year: the opening lines (identifier and
    UPN, or why it is unknown), birth date, expected birth date, sex code, death date."""
    person = data.people.get(person_id, {})
    fixed = [f"{PAD[3]}<ChildIdentifiers>"]
    _el(fixed, 4, "LAchildID", person_id)
    send = data.upn.get(person_id, {})
    upn = (send.get("send_upn") or "").strip()
    if UPN_PATTERN.fullmatch(upn):
        _el(fixed, 4, "UPN", upn)
    else:
        unknown = (send.get("send_upn_unknown") or person.get("pers_upn_unknown") or "").upper()
        _el(fixed, 4, "UPNunknown", unknown if unknown in UPN_UNKNOWN else None)
    return (
        fixed,
        person.get("pers_dob"),
        person.get("pers_expected_dob"),
        sex_code(person.get("pers_sex")),
        person.get("pers_death_date"),
    )


def _child_characteristics(data: CinData, person_id: str) -> list[str]:
    person = data.people.get(person_id, {})
    out = [f"{PAD[3]}<ChildCharacteristics>"]
    code = (person.get("pers_ethnicity") or "").strip().upper()
    _el(out, 4, "Ethnicity", code if code in ETHNIC_CODES else "NOBT")
    out.append(f"{PAD[4]}<Disabilities>")
    # the census records NONE for a child with no disability on record
    for code in sorted(data.disabilities.get(person_id) or ["NONE"]):
        _el(out, 5, "Disability", code)
    out.append(f"{PAD[4]}</Disabilities>")
    out.append(f"{PAD[3]}</ChildCharacteristics>")
    return out


def _in_year(rows: list[Row], start: str, end: str | None, first: date, last: date) -> list[Row]:
    """The rows open at some time in the year (as :func:`overlaps`)."""
    if end is None:
        return [r for r in rows if r[start] is not None and r[start] <= last]
    return [
        r
        for r in rows
        if r[start] is not None and r[start] <= last and (r[end] is None or r[end] >= first)
    ]


def _cin_details(
    out: list[str], data: CinData, episode: Row, year: int, first: date, last: date
) -> None:
    referral_id = episode["cine_referral_id"]
    out.append(f"{PAD[3]}<CINdetails>")
    _el(out, 4, "CINreferralDate", episode["cine_referral_date"])
    source = (episode["cine_referral_source_code"] or "10").upper()
    _el(out, 4, "ReferralSource", _recode("ReferralSource", source, year))
    _el(out, 4, "PrimaryNeedCode", episode["cine_cin_primary_need_code"])
    closed = _known(episode["cine_close_date"], last)
    _el(out, 4, "CINclosureDate", closed)
    if closed is not None:
        reason = episode["cine_close_reason"]
        _el(out, 4, "ReasonForClosure", _recode("ReasonForClosure", reason, year))
    enquiries = _enquiries_in_year(data, data.s47.get(referral_id, []), first, last)
    # A conference is recorded once, in the census of the year it was held: on its enquiry
    # when the enquiry is in this census, otherwise (no enquiry, or an enquiry of an earlier
    # year) on the episode (DfE rules 2884, 2883).
    recorded = {e["s47e_s47_enquiry_id"] for e in enquiries}
    conferences = [
        c
        for c in data.icpc_by_referral.get(referral_id, [])
        if c["icpc_icpc_date"] is not None
        and first <= c["icpc_icpc_date"] <= last
        and c["icpc_s47_enquiry_id"] not in recorded
    ]
    _el(out, 4, "DateOfInitialCPC", conferences[0]["icpc_icpc_date"] if conferences else None)
    assessments = data.assessments.get(referral_id)
    if assessments:
        for assessment in _in_year(
            assessments, "cina_assessment_start_date", "cina_assessment_auth_date", first, last
        ):
            _assessment(out, data, assessment, year, last)
    plans = data.cin_plans.get(referral_id)
    if year >= CIN_PLANS_FIRST_YEAR and plans:
        for plan in _in_year(
            plans, "cinp_cin_plan_start_date", "cinp_cin_plan_end_date", first, last
        ):
            out.append(f"{PAD[4]}<CINPlanDates>")
            _el(out, 5, "CINPlanStartDate", plan["cinp_cin_plan_start_date"])
            _el(out, 5, "CINPlanEndDate", _known(plan["cinp_cin_plan_end_date"], last))
            out.append(f"{PAD[4]}</CINPlanDates>")
    for enquiry in enquiries:
        _section47(out, data, enquiry, last)
    _el(out, 4, "ReferralNFA", "1" if flag(episode["cine_referral_nfa"]) else "0")
    cp_plans = data.cp_plans.get(referral_id)
    if cp_plans:
        for plan in _in_year(
            cp_plans, "cppl_cp_plan_start_date", "cppl_cp_plan_end_date", first, last
        ):
            _cp_plan(out, data, plan, first, last)
    out.append(f"{PAD[3]}</CINdetails>")


def _assessment(out: list[str], data: CinData, assessment: Row, year: int, last: date) -> None:
    out.append(f"{PAD[4]}<Assessments>")
    _el(out, 5, "AssessmentActualStartDate", assessment["cina_assessment_start_date"])
    authorised = _known(assessment["cina_assessment_auth_date"], last)
    _el(out, 5, "AssessmentAuthorisationDate", authorised)
    if authorised is not None:  # factors are recorded at the end of the assessment
        factors: list[str] = []
        for factor in data.factors.get(assessment["cina_assessment_id"], []):
            code = _recode("AssessmentFactors", factor, year)
            if code and code not in factors:
                factors.append(code)
        if factors:
            out.append(f"{PAD[5]}<FactorsIdentifiedAtAssessment>")
            for code in factors:
                _el(out, 6, "AssessmentFactors", code)
            out.append(f"{PAD[5]}</FactorsIdentifiedAtAssessment>")
    out.append(f"{PAD[4]}</Assessments>")


def _enquiries_in_year(data: CinData, enquiries: list[Row], first: date, last: date) -> list[Row]:
    """The section 47 enquiries open at some time in the year. An enquiry followed by a
    conference lasts, for the census, until the conference (whose date it carries), so an
    enquiry whose conference was held before the year is not in it."""
    chosen = []
    for enquiry in enquiries:
        start = enquiry["s47e_s47_start_date"]
        if start is None or start > last:
            continue
        conferences = data.icpc_by_s47.get(enquiry["s47e_s47_enquiry_id"], [])
        held = conferences[0]["icpc_icpc_date"] if conferences else None
        end = held if held is not None else enquiry["s47e_s47_end_date"]
        if end is None or end >= first:
            chosen.append(enquiry)
    return chosen


def _section47(out: list[str], data: CinData, enquiry: Row, last: date) -> None:
    conferences = data.icpc_by_s47.get(enquiry["s47e_s47_enquiry_id"], [])
    conference = conferences[0] if conferences else None
    out.append(f"{PAD[4]}<Section47>")
    _el(out, 5, "S47ActualStartDate", enquiry["s47e_s47_start_date"])
    _el(out, 5, "InitialCPCtarget", conference["icpc_icpc_target_date"] if conference else None)
    held = _known(conference["icpc_icpc_date"], last) if conference else None
    _el(out, 5, "DateOfInitialCPC", held)
    # a conference is "not required" when the enquiry ended, within the year, without one
    ended = _known(enquiry["s47e_s47_end_date"], last)
    not_required = conference is None and ended is not None
    _el(out, 5, "ICPCnotRequired", "1" if not_required else "0")
    out.append(f"{PAD[4]}</Section47>")


def _cp_plan(out: list[str], data: CinData, plan: Row, first: date, last: date) -> None:
    out.append(f"{PAD[4]}<ChildProtectionPlans>")
    _el(out, 5, "CPPstartDate", plan["cppl_cp_plan_start_date"])
    _el(out, 5, "CPPendDate", _known(plan["cppl_cp_plan_end_date"], last))
    initial = abuse_code(plan["cppl_cp_plan_initial_category"])
    latest = plan["cppl_cp_plan_latest_category"]
    _el(out, 5, "InitialCategoryOfAbuse", initial)
    _el(out, 5, "LatestCategoryOfAbuse", abuse_code(latest) if latest else initial)
    _el(out, 5, "NumberOfPreviousCPP", data.previous_plans.get(plan["cppl_cp_plan_id"], 0))
    reviews = [
        r["cppr_cp_review_date"]
        for r in data.cp_reviews.get(plan["cppl_cp_plan_id"], [])
        if r["cppr_cp_review_date"] is not None and first <= r["cppr_cp_review_date"] <= last
    ]
    if reviews:
        out.append(f"{PAD[5]}<Reviews>")
        for review in reviews:
            _el(out, 6, "CPPreviewDate", review)
        out.append(f"{PAD[5]}</Reviews>")
    out.append(f"{PAD[4]}</ChildProtectionPlans>")
