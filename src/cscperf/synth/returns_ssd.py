"""What the statutory-return writers share: reading SSD tables and the codes of each year.

Owns the contract between the SSD-shaped tables (``dict`` of SSD table name to polars frame,
field names of the SSD object specification) and the return writers: the columns each writer
reads, how a missing table or field is treated (as empty), how SSD values spelled in words are
turned into return codes, and how a current code is mapped to the code list of an earlier or
later collection year (``returns_codes.yaml``). Which 903 tables a year has, their files and
column order are the reader's declaration (``sources/codesets/ssda903.yaml``), not repeated
here. Collection year Y is the year ending 31 March Y.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from cscperf.errors import ConfigError
from cscperf.sources.codesets import YearTable, ssda903_spec, ssda903_year

CODES_FILE = Path(__file__).with_name("returns_codes.yaml")

# The SSD fields the return writers read, by table; anything else in the tables is ignored.
# Fields ending in _date/_dob (and a few named here) are dates; everything else is text.
SSD_FIELDS: dict[str, list[str]] = {
    "ssd_person": [
        "pers_person_id",
        "pers_sex",
        "pers_gender",
        "pers_ethnicity",
        "pers_dob",
        "pers_upn_unknown",
        "pers_expected_dob",
        "pers_death_date",
        "pers_is_mother",
    ],
    "ssd_send": ["send_person_id", "send_upn", "send_upn_unknown"],
    "ssd_disability": ["disa_person_id", "disa_disability_code"],
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
        "cine_cin_primary_need_code",
        "cine_referral_source_code",
        "cine_referral_nfa",
        "cine_close_reason",
        "cine_close_date",
        "cine_referral_team",
        "cine_referral_worker_id",
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
        "cina_assessment_worker_id",
    ],
    "ssd_assessment_factors": ["cinf_assessment_id", "cinf_assessment_factors_json"],
    "ssd_cin_plans": [
        "cinp_cin_plan_id",
        "cinp_referral_id",
        "cinp_person_id",
        "cinp_cin_plan_start_date",
        "cinp_cin_plan_end_date",
        "cinp_cin_plan_team",
        "cinp_cin_plan_worker_id",
    ],
    "ssd_cin_visits": ["cinv_person_id", "cinv_cin_visit_date", "cinv_cin_visit_seen"],
    "ssd_s47_enquiry": [
        "s47e_s47_enquiry_id",
        "s47e_referral_id",
        "s47e_person_id",
        "s47e_s47_start_date",
        "s47e_s47_end_date",
        "s47e_s47_nfa",
        "s47e_s47_completed_by_team",
        "s47e_s47_completed_by_worker_id",
    ],
    "ssd_initial_cp_conference": [
        "icpc_icpc_id",
        "icpc_s47_enquiry_id",
        "icpc_person_id",
        "icpc_cp_plan_id",
        "icpc_referral_id",
        "icpc_icpc_target_date",
        "icpc_icpc_date",
        "icpc_icpc_outcome_cp_flag",
    ],
    "ssd_cp_plans": [
        "cppl_cp_plan_id",
        "cppl_referral_id",
        "cppl_icpc_id",
        "cppl_person_id",
        "cppl_cp_plan_start_date",
        "cppl_cp_plan_end_date",
        "cppl_cp_plan_initial_category",
        "cppl_cp_plan_latest_category",
    ],
    "ssd_cp_reviews": ["cppr_person_id", "cppr_cp_plan_id", "cppr_cp_review_date"],
    "ssd_cp_visits": [
        "cppv_person_id",
        "cppv_cp_plan_id",
        "cppv_cp_visit_date",
        "cppv_cp_visit_seen_alone",
    ],
    "ssd_cla_episodes": [
        "clae_cla_episode_id",
        "clae_person_id",
        "clae_cla_episode_start_date",
        "clae_cla_episode_start_reason",
        "clae_cla_primary_need_code",
        "clae_cla_episode_ceased_date",
        "clae_cla_episode_ceased_reason",
        "clae_cla_id",
        "clae_cla_placement_id",
        "clae_entered_care_date",
        "clae_cla_last_iro_contact_date",
    ],
    "ssd_cla_placement": [
        "clap_cla_placement_id",
        "clap_cla_placement_start_date",
        "clap_cla_placement_type",
        "clap_cla_placement_urn",
        "clap_cla_id",
        "clap_cla_placement_provider",
        "clap_cla_placement_postcode",
        "clap_cla_placement_end_date",
        "clap_cla_placement_change_reason",
        "clap_person_id",
    ],
    "ssd_legal_status": [
        "lega_person_id",
        "lega_legal_status",
        "lega_legal_status_start_date",
        "lega_legal_status_end_date",
    ],
    "ssd_cla_reviews": [
        "clar_cla_id",
        "clar_cla_review_date",
        "clar_cla_review_cancelled",
        "clar_cla_review_participation",
    ],
    "ssd_cla_visits": ["clav_person_id", "clav_cla_visit_date"],
    "ssd_cla_health": [
        "clah_person_id",
        "clah_health_check_type",
        "clah_health_check_date",
        "clah_health_check_status",
    ],
    "ssd_cla_immunisations": [
        "clai_person_id",
        "clai_immunisations_status",
        "clai_immunisations_status_date",
    ],
    "ssd_cla_convictions": ["clac_person_id", "clac_cla_conviction_date"],
    "ssd_cla_substance_misuse": [
        "clas_person_id",
        "clas_substance_misuse_date",
        "clas_intervention_received",
    ],
    "ssd_sdq_scores": [
        "csdq_person_id",
        "csdq_sdq_completed_date",
        "csdq_sdq_reason",
        "csdq_sdq_score",
    ],
    "ssd_cla_care_plan": [
        "lacp_person_id",
        "lacp_cla_care_plan_start_date",
        "lacp_cla_care_plan_end_date",
        "lacp_cla_care_plan_json",
    ],
    "ssd_cla_previous_permanence": [
        "lapp_person_id",
        "lapp_previous_permanence_order_date",
        "lapp_previous_permanence_option",
        "lapp_previous_permanence_la",
    ],
    "ssd_permanence": [
        "perm_person_id",
        "perm_cla_id",
        "perm_adm_decision_date",
        "perm_ffa_cp_decision_date",
        "perm_placement_order_date",
        "perm_placed_for_adoption_date",
        "perm_matched_date",
        "perm_adopted_by_carer_flag",
        "perm_placed_ffa_cp_date",
        "perm_decision_reversed_date",
        "perm_decision_reversed_reason",
        "perm_permanence_order_date",
        "perm_permanence_order_type",
        "perm_adopter_sex",
        "perm_adopter_legal_status",
        "perm_number_of_adopters",
    ],
    "ssd_care_leavers": [
        "clea_table_id",
        "clea_person_id",
        "clea_care_leaver_eligibility",
        "clea_care_leaver_in_touch",
        "clea_care_leaver_latest_contact",
        "clea_care_leaver_accommodation",
        "clea_care_leaver_accom_suitable",
        "clea_care_leaver_activity",
        "clea_pathway_plan_review_date",
        "clea_care_leaver_personal_advisor",
        "clea_care_leaver_allocated_team",
        "clea_care_leaver_worker_id",
    ],
    "ssd_missing": [
        "miss_person_id",
        "miss_missing_episode_start_date",
        "miss_missing_episode_type",
        "miss_missing_episode_end_date",
        "miss_missing_rhi_offered",
        "miss_missing_rhi_accepted",
    ],
    "ssd_immigration_status": [
        "immi_person_id",
        "immi_immigration_status",
        "immi_immigration_status_start_date",
        "immi_immigration_status_end_date",
    ],
    "ssd_mother": ["moth_person_id", "moth_childs_person_id", "moth_childs_dob"],
    "ssd_involvements": [
        "invo_professional_id",
        "invo_professional_role_id",
        "invo_professional_team",
        "invo_involvement_start_date",
        "invo_involvement_end_date",
        "invo_worker_change_reason",
        "invo_person_id",
    ],
    "ssd_professionals": [
        "prof_professional_id",
        "prof_professional_name",
        "prof_social_worker_registration_no",
    ],
    "ssd_address": [
        "addr_person_id",
        "addr_address_type",
        "addr_address_start_date",
        "addr_address_end_date",
        "addr_address_postcode",
    ],
    "ssd_department": ["dept_team_id", "dept_team_name"],
}

_DATE_FIELDS = {"clea_care_leaver_latest_contact", "perm_permanence_order_date"}


def is_date_field(field: str) -> bool:
    """SSD fields holding dates, by the SSD's naming (``*_date``, ``*_dob``, ``*_due``)."""
    return (
        field in _DATE_FIELDS
        or field.endswith(("_date", "_dob"))
        or "_date_" in field
        or field.endswith("_target_date")
    ) and field != "lapp_previous_permanence_order_date"  # kept as text: may be zz/MM/YYYY


def ssd_table(tables: dict[str, pl.DataFrame], name: str) -> pl.DataFrame:
    """The SSD table with the fields the writers read, typed; a table the council did not
    supply is empty and a field it lacks is null, so a return is written from what exists."""
    fields = SSD_FIELDS[name]
    frame = tables.get(name)
    if frame is None:
        frame = pl.DataFrame()
    columns: list[pl.Expr] = []
    for field in fields:
        wanted: pl.DataType = pl.Date() if is_date_field(field) else pl.String()
        if field not in frame.columns:
            columns.append(pl.lit(None, dtype=wanted).alias(field))
        elif wanted == pl.Date():
            columns.append(_as_date(frame, field))
        else:
            columns.append(pl.col(field).cast(pl.String).str.strip_chars().alias(field))
    if frame.width == 0:
        return pl.DataFrame(schema={f: pl.Date if is_date_field(f) else pl.String for f in fields})
    return frame.select(columns)


def _as_date(frame: pl.DataFrame, field: str) -> pl.Expr:
    dtype = frame.schema[field]
    if dtype == pl.Date:
        return pl.col(field)
    if isinstance(dtype, pl.Datetime):
        return pl.col(field).dt.date().alias(field)
    return pl.col(field).cast(pl.String).str.to_date(strict=False).alias(field)


# ---------------------------------------------------------------------------------------------
# Year code lists


class Recode(BaseModel):
    """Codes to replace in one field for the collection years from first_year to last_year."""

    model_config = ConfigDict(extra="forbid")

    field: str
    first_year: int | None = None
    last_year: int | None = None
    map: dict[str, str]
    why: str

    def applies(self, year: int) -> bool:
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )


class Ssda903Codes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Tables of the return the writer leaves out (table -> why); the tables themselves, their
    # files and columns are the reader's declaration (sources/codesets/ssda903.yaml).
    not_written: dict[str, str]
    recodes: list[Recode]

    @field_validator("not_written")
    @classmethod
    def _tables_exist(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(ssda903_spec().all_tables()))
        if unknown:
            raise ValueError(f"not_written names tables the 903 does not have: {unknown}")
        return value

    def tables_for(self, year: int) -> dict[str, YearTable]:
        """The tables the writer writes for a collection year: those the year collects
        (sw_episodes only from 2023-24), with their files and DfE column order."""
        return {
            name: table
            for name, table in ssda903_year(year).tables.items()
            if name not in self.not_written
        }


class CinCodes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recodes: list[Recode]


class AnnexACodes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: dict[str, dict[str, str]]
    lists: dict[str, list[str]]


class ReturnCodes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ssda903: Ssda903Codes
    cin_census: CinCodes
    annex_a: AnnexACodes


@cache
def return_codes() -> ReturnCodes:
    """The packaged description of the returns (read once)."""
    try:
        raw = yaml.safe_load(CODES_FILE.read_text(encoding="utf-8"))
        return ReturnCodes.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{CODES_FILE}: the return code file is not valid ({exc})") from exc


def recode_for_year(recodes: list[Recode], field: str, code: str | None, year: int) -> str | None:
    """The code a collection year's list uses for ``code`` (unchanged when no rule applies)."""
    if code is None:
        return None
    for rule in recodes:
        if rule.field == field and rule.applies(year) and code in rule.map:
            return rule.map[code]
    return code


# ---------------------------------------------------------------------------------------------
# SSD values in words -> return codes


def sex_code(value: str | None) -> str:
    """M, F or U from an SSD sex (the SSD holds M/F/U; older extracts hold 1/2 or words)."""
    text = (value or "").strip().upper()
    if text in {"M", "1", "MALE", "01"}:
        return "M"
    if text in {"F", "2", "FEMALE", "02"}:
        return "F"
    return "U"


_ABUSE_WORDS = {"NEG": "NEG", "PHY": "PHY", "SEX": "SAB", "SAB": "SAB", "EMO": "EMO", "MUL": "MUL"}


def abuse_code(value: str | None) -> str:
    """NEG/PHY/SAB/EMO/MUL from a CP category code or the SSD's words ('Physical abuse')."""
    text = (value or "").strip().upper()
    for start, code in _ABUSE_WORDS.items():
        if text.startswith(start):
            return code
    return "MUL"


def flag(value: str | None) -> bool | None:
    """An SSD Y/N flag (also 1/0, true/false) as a boolean; None when not recorded."""
    text = (value or "").strip().upper()
    if text in {"Y", "YES", "1", "TRUE", "T"}:
        return True
    if text in {"N", "NO", "0", "FALSE", "F"}:
        return False
    return None


def is_uasc(status: str | None) -> bool:
    """An immigration status that means unaccompanied asylum-seeking child."""
    text = (status or "").upper()
    return "UASC" in text or "UNACCOMPANIED" in text


def health_kind(check_type: str | None) -> str | None:
    """'dental' or 'health' for the two health checks the returns count."""
    text = (check_type or "").upper()
    if "DENT" in text:
        return "dental"
    if "HEALTH" in text or text == "HA":
        return "health"
    return None


def completed(status: str | None) -> bool:
    """A health check that took place (status Completed, or no status recorded)."""
    return status is None or status.strip().upper() in {"", "COMPLETED", "COMPLETE", "Y"}


def assessment_factors(raw: str | None) -> list[str]:
    """Factor codes from the SSD's factors JSON: a list ["1A", ...] or a map {"1A": "Yes"}."""
    if not raw:
        return []
    try:
        parsed: Any = json.loads(raw)
    except json.JSONDecodeError:
        parsed = [part.strip() for part in raw.replace(";", ",").split(",")]
    if isinstance(parsed, dict):
        codes = [str(k) for k, v in parsed.items() if str(v).strip().upper() in {"YES", "Y", "1"}]
    elif isinstance(parsed, list):
        codes = [str(item) for item in parsed]
    else:
        codes = [str(parsed)]
    return [code.strip().upper() for code in codes if code and code.strip()]


def accommodation_code(letter: str | None, suitable: str | None) -> str | None:
    """The 903 ACCOM code: accommodation letter plus 1 suitable / 2 unsuitable, or 0."""
    text = (letter or "").strip().upper()
    if not text:
        return None
    if text == "0" or len(text) == 2:
        return text
    suit = (suitable or "").strip().upper()
    digit = "1" if suit in {"1", "Y", "YES", "SUITABLE"} else "2" if suit else "1"
    return f"{text}{digit}"


# ---------------------------------------------------------------------------------------------
# Dates


def year_start(year: int) -> date:
    """1 April that opens collection year ``year`` (the year ending 31 March ``year``)."""
    return date(year - 1, 4, 1)


def year_end(year: int) -> date:
    return date(year, 3, 31)


@cache  # the same few thousand dates recur across every table and year
def dfe_date(value: date | datetime | None) -> str:
    """A date as the DfE CSV and 903 XML write it: dd/mm/yyyy (blank when missing)."""
    return "" if value is None else value.strftime("%d/%m/%Y")


def birthday(dob: date, age: int) -> date:
    """The date a child born on ``dob`` reaches ``age`` (29 February birthdays on 1 March)."""
    try:
        return dob.replace(year=dob.year + age)
    except ValueError:
        return date(dob.year + age, 3, 1)


def age_on(dob: date, when: date) -> int:
    """Age in whole years on a date."""
    return when.year - dob.year - ((when.month, when.day) < (dob.month, dob.day))


def overlaps(start: date | None, end: date | None, first: date, last: date) -> bool:
    """True when [start, end] (end None = still open) touches [first, last]."""
    return start is not None and start <= last and (end is None or end >= first)


# ---------------------------------------------------------------------------------------------
# XML as text


def xml_escape(text: str) -> str:
    """Text content escaped as lxml writes it (``&``, ``<``, ``>`` and carriage returns)."""
    if "&" not in text and "<" not in text and ">" not in text and "\r" not in text:
        return text
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


class XmlText:
    """An XML document built line by line, byte for byte as lxml's ``tostring`` with
    ``pretty_print`` and a UTF-8 declaration writes the same tree (two-space indent, empty
    elements self-closed). Returns run to hundreds of thousands of elements; building text
    directly is several times faster than building and serialising an element tree."""

    def __init__(self, root: str) -> None:
        self.lines: list[str] = ["<?xml version='1.0' encoding='UTF-8'?>"]
        self.stack: list[tuple[str, int]] = []
        self.pad = ""  # the indent of the next line
        self.open(root)

    def open(self, tag: str) -> None:
        self.lines.append(f"{self.pad}<{tag}>")
        self.stack.append((tag, len(self.lines) - 1))
        self.pad = "  " * len(self.stack)

    def close(self) -> None:
        tag, at = self.stack.pop()
        self.pad = pad = "  " * len(self.stack)
        if at == len(self.lines) - 1:  # nothing inside: self-closed
            self.lines[at] = f"{pad}<{tag}/>"
        else:
            self.lines.append(f"{pad}</{tag}>")

    def leaf(self, tag: str, text: str | None) -> None:
        """``<tag>text</tag>``, or ``<tag/>`` when the text is empty."""
        if text:
            self.lines.append(f"{self.pad}<{tag}>{xml_escape(text)}</{tag}>")
        else:
            self.lines.append(f"{self.pad}<{tag}/>")

    def to_bytes(self) -> bytes:
        while self.stack:
            self.close()
        return ("\n".join(self.lines) + "\n").encode("utf-8")
