"""The SSDA903 (children looked after) return, written from SSD-shaped tables.

Owns turning the SSD tables of looked-after children (episodes, placements, legal statuses,
reviews, health, SDQ, convictions, substance misuse, missing episodes, UASC status,
permanence and adoption, care leavers, social-worker involvements) into one SSDA903 return per
collection year: the DfE CSV tables (one file each, DfE column order, dates dd/mm/yyyy) and the
same return as ``EXPSSDA903`` XML. The return of year Y holds the episodes open at any time
between 1 April Y-1 and 31 March Y and, for those children, everything else the return asks
about that year; dates after 31 March Y are not yet known and are left blank. The tables, files
and column order of each year are the reader's declaration (``sources/codesets/ssda903.yaml``);
codes are written as that year's code lists have them (``returns_codes.yaml``).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from cscperf.settings import Settings
from cscperf.synth.returns_cin import ETHNIC_CODES, UPN_PATTERN, UPN_UNKNOWN
from cscperf.synth.returns_ssd import (
    XmlText,
    accommodation_code,
    age_on,
    birthday,
    completed,
    dfe_date,
    flag,
    health_kind,
    is_uasc,
    overlaps,
    recode_for_year,
    return_codes,
    sex_code,
    ssd_table,
    year_end,
    year_start,
)

Row = dict[str, Any]
Record = dict[str, str]

ADOPTED = {"E11", "E12"}
SHORT_BREAKS = {"V3", "V4"}
TEMPORARY_PLACEMENTS = {"T0", "T1", "T2", "T3", "T4"}
NO_PROVIDER_PLACEMENTS = TEMPORARY_PLACEMENTS | {"Z1", "Z11", "Z12", "Z13", "Z14"}
UPN_NOT_YET_OBTAINED = "UN4"
# Semi-independent accommodation (H5) is registered with Ofsted, so has a URN, from 28 October
# 2023: the 2023-24 return is the first to report it
OFSTED_SUPPORTED_ACCOMMODATION = 2024


def write_903(
    tables: dict[str, pl.DataFrame],
    settings: Settings,
    out_dir: Path,
    collection_years: list[int],
) -> list[Path]:
    """Write ``out_dir/ssda903/<Y>/`` (CSV tables and ``ssda903_<Y>.xml``) for each year."""
    data = Data903(tables)
    spec = return_codes().ssda903
    written: list[Path] = []
    for year in sorted(collection_years):
        folder = out_dir / "ssda903" / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        records = return_903(data, year)
        for name, table in spec.tables_for(year).items():
            path = folder / table.file
            columns = table.dfe_columns
            path.write_text(_csv_text(columns, records.get(name, [])), encoding="utf-8")
            written.append(path)
        xml_path = folder / f"ssda903_{year}.xml"
        xml_path.write_bytes(return_xml(records))
        written.append(xml_path)
    return written


def _csv_text(columns: list[str], rows: list[Record]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return buffer.getvalue()


def _grouped(
    frame: pl.DataFrame, key: str, sort: list[str], keep: pl.Series | None = None
) -> dict[str, list[Row]]:
    """Rows grouped by ``key`` in ``sort`` order; with ``keep``, only those keys' rows.

    The whole table is sorted before the rows of other keys are dropped, so rows that tie on
    the sort keys stay in the order the full sort gives them."""
    ordered = frame.sort(sort, nulls_last=True)
    if keep is not None:
        ordered = ordered.filter(pl.col(key).is_in(keep.implode()))
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in ordered.iter_rows(named=True):
        if row[key] is not None:
            grouped[row[key]].append(row)
    return grouped


def _rows_of(frame: pl.DataFrame, key: str, keep: pl.Series) -> dict[str, Row]:
    """The row of each kept key (the last when a key repeats, as a dict built in order)."""
    kept = frame.filter(pl.col(key).is_in(keep.implode()))
    return {row[key]: row for row in kept.iter_rows(named=True)}


@dataclass
class Data903:
    """The SSD tables the 903 reads, grouped once by person (or period of care)."""

    tables: dict[str, pl.DataFrame]
    people: dict[str, Row] = field(init=False)
    episodes: pl.DataFrame = field(init=False)
    by_person: dict[str, dict[str, list[Row]]] = field(init=False)
    placements: dict[str, Row] = field(init=False)
    reviews: dict[str, list[Row]] = field(init=False)
    upn: dict[str, Row] = field(init=False)

    def __post_init__(self) -> None:
        t = self.tables
        self.episodes = ssd_table(t, "ssd_cla_episodes").sort(
            ["clae_person_id", "clae_cla_episode_start_date", "clae_cla_episode_id"]
        )
        # only children who were ever looked after appear in a 903, so only their rows are
        # turned into Python rows (most of the council's children never are)
        in_care = self.episodes["clae_person_id"].drop_nulls().unique()
        self.people = _rows_of(ssd_table(t, "ssd_person"), "pers_person_id", in_care)
        self.upn = _rows_of(ssd_table(t, "ssd_send"), "send_person_id", in_care)
        placement_ids = self.episodes["clae_cla_placement_id"].drop_nulls().unique()
        self.placements = _rows_of(
            ssd_table(t, "ssd_cla_placement"), "clap_cla_placement_id", placement_ids
        )
        self.reviews = _grouped(
            ssd_table(t, "ssd_cla_reviews"),
            "clar_cla_id",
            ["clar_cla_review_date"],
            self.episodes["clae_cla_id"].drop_nulls().unique(),
        )
        person_tables = {
            "episodes": ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date"),
            "legal": ("ssd_legal_status", "lega_person_id", "lega_legal_status_start_date"),
            "health": ("ssd_cla_health", "clah_person_id", "clah_health_check_date"),
            "immunisation": (
                "ssd_cla_immunisations",
                "clai_person_id",
                "clai_immunisations_status_date",
            ),
            "conviction": ("ssd_cla_convictions", "clac_person_id", "clac_cla_conviction_date"),
            "substance": (
                "ssd_cla_substance_misuse",
                "clas_person_id",
                "clas_substance_misuse_date",
            ),
            "sdq": ("ssd_sdq_scores", "csdq_person_id", "csdq_sdq_completed_date"),
            "previous": (
                "ssd_cla_previous_permanence",
                "lapp_person_id",
                "lapp_previous_permanence_order_date",
            ),
            "permanence": ("ssd_permanence", "perm_person_id", "perm_adm_decision_date"),
            "leaver": ("ssd_care_leavers", "clea_person_id", "clea_care_leaver_latest_contact"),
            "missing": ("ssd_missing", "miss_person_id", "miss_missing_episode_start_date"),
            "immigration": (
                "ssd_immigration_status",
                "immi_person_id",
                "immi_immigration_status_start_date",
            ),
            "mother": ("ssd_mother", "moth_person_id", "moth_childs_dob"),
            "involvement": ("ssd_involvements", "invo_person_id", "invo_involvement_start_date"),
            "address": ("ssd_address", "addr_person_id", "addr_address_start_date"),
        }
        self.by_person = {
            name: _grouped(ssd_table(t, table), key, [key, when], in_care)
            for name, (table, key, when) in person_tables.items()
        }
        self.registration = {
            r["prof_professional_id"]: (r["prof_social_worker_registration_no"] or "").strip()
            for r in ssd_table(t, "ssd_professionals").iter_rows(named=True)
        }

    def of(self, name: str, person_id: str) -> list[Row]:
        return self.by_person[name].get(person_id, [])


@cache  # a handful of codes, asked for on every row
def _recode(field_name: str, code: str | None, year: int) -> str:
    return recode_for_year(return_codes().ssda903.recodes, field_name, code, year) or ""


def return_903(data: Data903, year: int) -> dict[str, list[Record]]:
    """Every table of the year's return as rows of strings, keyed by table name."""
    first, last = year_start(year), year_end(year)
    open_in_year = data.episodes.filter(
        (pl.col("clae_cla_episode_start_date") <= last)
        & (
            pl.col("clae_cla_episode_ceased_date").is_null()
            | (pl.col("clae_cla_episode_ceased_date") >= first)
        )
    )
    records: dict[str, list[Record]] = defaultdict(list)
    children: list[str] = []
    for episode in open_in_year.iter_rows(named=True):
        child = episode["clae_person_id"]
        if not children or children[-1] != child:
            children.append(child)
        records["episodes"].append(_episode(data, episode, year))
    for child in children:
        _child_tables(data, child, year, records)
    return dict(records)


def _open_in(episode: Row, first: date, last: date) -> bool:
    start, end = episode["clae_cla_episode_start_date"], episode["clae_cla_episode_ceased_date"]
    return overlaps(start, end, first, last)


def _legal_status(data: Data903, person_id: str, on: date) -> str:
    """The legal status in force on a day (the latest to start on or before it)."""
    current = ""
    for row in data.of("legal", person_id):
        start, end = row["lega_legal_status_start_date"], row["lega_legal_status_end_date"]
        if start is not None and start <= on and (end is None or end > on):
            current = row["lega_legal_status"] or ""
    return current


def _home_postcode(data: Data903, person_id: str, on: date) -> str:
    for row in reversed(data.of("address", person_id)):
        kind = (row["addr_address_type"] or "").upper()
        start = row["addr_address_start_date"]
        if "HOME" in kind and (start is None or start <= on):
            return row["addr_address_postcode"] or ""
    return ""


def _episode(data: Data903, episode: Row, year: int) -> Record:
    last = year_end(year)
    person_id = episode["clae_person_id"]
    start = episode["clae_cla_episode_start_date"]
    placement = data.placements.get(episode["clae_cla_placement_id"] or "", {})
    place = _recode("PLACE", placement.get("clap_cla_placement_type"), year)
    ceased = episode["clae_cla_episode_ceased_date"]
    known_end = ceased if ceased is not None and ceased <= last else None
    reason = _recode("REC", episode["clae_cla_episode_ceased_reason"], year) if known_end else ""
    # the reason a placement changed is kept on the episode that ends with the change
    moved = known_end is not None and placement.get("clap_cla_placement_end_date") == known_end
    change = placement.get("clap_cla_placement_change_reason") if moved else None
    urn = placement.get("clap_cla_placement_urn") or ""
    return {
        "CHILD": person_id,
        "DECOM": dfe_date(start),
        "RNE": episode["clae_cla_episode_start_reason"] or "",
        "LS": _legal_status(data, person_id, start),
        "CIN": episode["clae_cla_primary_need_code"] or "",
        "PLACE": place,
        "PLACE_PROVIDER": ""
        if place in NO_PROVIDER_PLACEMENTS
        else placement.get("clap_cla_placement_provider") or "",
        "DEC": dfe_date(known_end),
        "REC": reason,
        "REASON_PLACE_CHANGE": _recode("REASON_PLACE_CHANGE", change, year)
        if place not in TEMPORARY_PLACEMENTS
        else "",
        "HOME_POST": _home_postcode(data, person_id, start),
        "PL_POST": placement.get("clap_cla_placement_postcode") or "",
        "URN": "" if place == "H5" and year < OFSTED_SUPPORTED_ACCOMMODATION else urn,
    }


def _child_tables(data: Data903, child: str, year: int, records: dict[str, list[Record]]) -> None:
    first, last = year_start(year), year_end(year)
    person = data.people.get(child, {})
    dob = person.get("pers_dob")
    dob_text = dfe_date(dob)
    sex = _recode("SEX", sex_code(person.get("pers_sex")), year)
    # a child only on short breaks in the year is not asked whether she is a mother
    short_breaks_only = all(
        _legal_status(data, child, e["clae_cla_episode_start_date"]) in SHORT_BREAKS
        for e in data.of("episodes", child)
        if _open_in(e, first, last)
    )
    records["header"].append(
        {
            "CHILD": child,
            "SEX": sex,
            "DOB": dob_text,
            "ETHNIC": ethnicity(person.get("pers_ethnicity")),
            "UPN": _upn(data, child, person),
            **(
                {"MOTHER": "", "MC_DOB": ""}
                if short_breaks_only
                else _mother(data, child, person, last)
            ),
        }
    )
    uasc = [
        r
        for r in data.of("immigration", child)
        if is_uasc(r["immi_immigration_status"])
        and overlaps(
            r["immi_immigration_status_start_date"],
            r["immi_immigration_status_end_date"],
            first,
            last,
        )
    ]
    if uasc:
        # UASC status ends at 18 when the council has not recorded an earlier end
        ceased = uasc[-1]["immi_immigration_status_end_date"] or (
            birthday(dob, 18) if dob else None
        )
        records["uasc"].append(
            {"CHILD": child, "SEX": sex, "DOB": dob_text, "DUC": dfe_date(ceased)}
        )
    periods = {e["clae_cla_id"] for e in data.of("episodes", child) if e["clae_cla_id"]}
    for period in sorted(periods):
        for review in data.reviews.get(period, []):
            when = review["clar_cla_review_date"]
            if (
                when is None
                or not first <= when <= last
                or flag(review["clar_cla_review_cancelled"])
            ):
                continue
            records["reviews"].append(
                {
                    "CHILD": child,
                    "DOB": dob_text,
                    "REVIEW": dfe_date(when),
                    "REVIEW_CODE": review["clar_cla_review_participation"] or "",
                }
            )
    for missing in data.of("missing", child):
        start = missing["miss_missing_episode_start_date"]
        end = missing["miss_missing_episode_end_date"]
        # the year's missing periods, and one still open when it began (last year's return
        # left its end blank)
        if start is None or not overlaps(start, end, first, last):
            continue
        records["missing"].append(
            {
                "CHILD": child,
                "DOB": dob_text,
                "MISSING": _missing_type(missing["miss_missing_episode_type"]),
                "MIS_START": dfe_date(start),
                "MIS_END": dfe_date(end if end is not None and end <= last else None),
            }
        )
    oc2 = _oc2(data, child, dob, year)
    if oc2:
        records["oc2"].append({"CHILD": child, "DOB": dob_text, **oc2})
    oc3 = _oc3(data, child, dob, year)
    if oc3:
        records["oc3"].append({"CHILD": child, "DOB": dob_text, **oc3})
    for ad1 in _ad1(data, child, year):
        records["ad1"].append({"CHILD": child, "DOB": dob_text, **ad1})
    for placed in _placed_for_adoption(data, child, year):
        records["placed_for_adoption"].append({"CHILD": child, "DOB": dob_text, **placed})
    if _started_care_in(data.of("episodes", child), first, last):
        records["previous_permanence"].append(
            {"CHILD": child, "DOB": dob_text, **_previous_permanence(data, child)}
        )
    if _has_sw_episodes(year):
        for sw in _social_workers(data, child, year):
            records["sw_episodes"].append({"CHILD": child, "DOB": dob_text, **sw})


@cache
def _has_sw_episodes(year: int) -> bool:
    return "sw_episodes" in return_codes().ssda903.tables_for(year)


def ethnicity(value: str | None) -> str:
    """The DfE ethnicity code; anything else is 'information not yet obtained'."""
    code = (value or "").strip().upper()
    return code if code in ETHNIC_CODES else "NOBT"


def _upn(data: Data903, child: str, person: Row) -> str:
    send = data.upn.get(child, {})
    upn = (send.get("send_upn") or "").strip()
    if UPN_PATTERN.fullmatch(upn):
        return upn
    unknown = (send.get("send_upn_unknown") or person.get("pers_upn_unknown") or "").upper()
    return unknown if unknown in UPN_UNKNOWN else UPN_NOT_YET_OBTAINED


def _mother(data: Data903, child: str, person: Row, last: date) -> Record:
    """MOTHER (1/0) for girls; MC_DOB the birth date of her first child born by the year's end.

    Without a recorded birth, the SSD flag alone says she is a mother."""
    if sex_code(person.get("pers_sex")) != "F":
        return {"MOTHER": "", "MC_DOB": ""}
    recorded = [r["moth_childs_dob"] for r in data.of("mother", child) if r["moth_childs_dob"]]
    births = [born for born in recorded if born <= last]
    is_mother = bool(births) or (not recorded and bool(flag(person.get("pers_is_mother"))))
    return {
        "MOTHER": "1" if is_mother else "0",
        "MC_DOB": dfe_date(min(births)) if births and is_mother else "",
    }


def _missing_type(value: str | None) -> str:
    text = (value or "").strip().upper()
    return "A" if text.startswith("A") else "M"


def _in_care_on(episodes: list[Row], day: date) -> Row | None:
    """The episode a child was in on a day (an episode's last day belongs to the next one)."""
    for episode in episodes:
        start, end = episode["clae_cla_episode_start_date"], episode["clae_cla_episode_ceased_date"]
        if start is not None and start <= day and (end is None or end > day):
            return episode
    return None


def _period_start(episodes: list[Row], current: Row) -> date:
    """When the period of care holding ``current`` began."""
    if current["clae_entered_care_date"] is not None:
        return current["clae_entered_care_date"]
    same = [e for e in episodes if e["clae_cla_id"] == current["clae_cla_id"]]
    return min(e["clae_cla_episode_start_date"] for e in same)


def _oc2(data: Data903, child: str, dob: date | None, year: int) -> Record | None:
    """Outcomes of a child looked after continuously for 12 months or more at 31 March."""
    first, last = year_start(year), year_end(year)
    episodes = data.of("episodes", child)
    # looked after on 31 March, counting a period of care that ends that day
    current = _in_care_on(episodes, last) or next(
        (e for e in episodes if e["clae_cla_episode_ceased_date"] == last), None
    )
    if current is None or dob is None:
        return None
    if _legal_status(data, child, current["clae_cla_episode_start_date"]) in SHORT_BREAKS:
        return None
    if _period_start(episodes, current) > date(year - 1, 4, 1):  # 12 months by 31 March
        return None
    age = age_on(dob, last)

    def in_year(rows: list[Row], when: str) -> list[Row]:
        return [r for r in rows if r[when] is not None and first <= r[when] <= last]

    checks = [r for r in in_year(data.of("health", child), "clah_health_check_date")]
    done = {
        health_kind(r["clah_health_check_type"])
        for r in checks
        if completed(r["clah_health_check_status"])
    }
    sdq_score, sdq_reason = "", ""
    # asked of children aged 4 by the year's end and not yet 17 at its start
    if birthday(dob, 4) <= last and birthday(dob, 17) >= first:
        sdqs = in_year(data.of("sdq", child), "csdq_sdq_completed_date")
        score = (sdqs[-1]["csdq_sdq_score"] or "").strip() if sdqs else ""
        if score.isdigit():
            sdq_score = score
        elif sdqs and sdqs[-1]["csdq_sdq_reason"]:
            sdq_reason = sdqs[-1]["csdq_sdq_reason"]
        else:
            # none in the year: a child who turned 4 or 17 in it was outside the ages the
            # questionnaire is for (SDQ1), anyone else gets "other" (SDQ4)
            outside = (age == 4 and birthday(dob, 4) > first) or age >= 17
            sdq_reason = "SDQ1" if outside else "SDQ4"
    immunised = data.of("immunisation", child)
    misuse = in_year(data.of("substance", child), "clas_substance_misuse_date")
    received = any(flag(r["clas_intervention_received"]) for r in misuse)
    return {
        "SDQ_SCORE": sdq_score,
        "SDQ_REASON": sdq_reason,
        "CONVICTED": ""
        if age < 10
        else "1"
        if in_year(data.of("conviction", child), "clac_cla_conviction_date")
        else "0",
        "HEALTH_CHECK": ("1" if "health" in done else "0") if age < 5 else "",
        "IMMUNISATIONS": "1"
        if immunised and flag(immunised[-1]["clai_immunisations_status"])
        else "0",
        "TEETH_CHECK": "1" if "dental" in done else "0",
        "HEALTH_ASSESSMENT": "1" if "health" in done else "0",
        "SUBSTANCE_MISUSE": "1" if misuse else "0",
        "INTERVENTION_RECEIVED": ("1" if received else "0") if misuse else "",
        "INTERVENTION_OFFERED": ("1" if received else "0") if misuse else "",
    }


def _oc3(data: Data903, child: str, dob: date | None, year: int) -> Record | None:
    """A care leaver whose 17th-21st birthday falls in the year, out of care on that day."""
    first, last = year_start(year), year_end(year)
    leaver = data.of("leaver", child)
    episodes = data.of("episodes", child)
    if dob is None or not leaver or not episodes:
        return None
    days = [birthday(dob, age) for age in range(17, 22) if first <= birthday(dob, age) <= last]
    if not days or _in_care_on(episodes, days[0]) is not None:
        return None
    # a young person who leaves care on (or after) their 17th or 18th birthday is not a care
    # leaver of that birthday: they are first asked about at the next one
    if age_on(dob, days[0]) <= 18 and any(
        e["clae_cla_episode_ceased_date"] is not None
        and days[0] <= e["clae_cla_episode_ceased_date"] <= last
        for e in episodes
    ):
        return None
    if min(e["clae_cla_episode_start_date"] for e in episodes) > days[0]:
        return None
    # the status row of this collection year (ids end /YYYY), else the latest
    row = next(
        (r for r in reversed(leaver) if str(r["clea_table_id"]).endswith(f"/{year}")), leaver[-1]
    )
    in_touch = (row["clea_care_leaver_in_touch"] or "NO").strip().upper()
    if in_touch in {"Y", "N"}:
        in_touch = "YES" if in_touch == "Y" else "NO"
    activity = _recode("ACTIV", (row["clea_care_leaver_activity"] or "").upper() or None, year)
    accommodation = accommodation_code(
        row["clea_care_leaver_accommodation"], row["clea_care_leaver_accom_suitable"]
    )
    if in_touch == "DIED":
        activity, accommodation = "0", "0"
    return {"IN_TOUCH": in_touch, "ACTIV": activity or "0", "ACCOM": accommodation or "0"}


def _permanence_for(data: Data903, child: str) -> list[Row]:
    return data.of("permanence", child)


def _ad1(data: Data903, child: str, year: int) -> list[Record]:
    """Children adopted in the year (an episode ending E11/E12) with their adoption facts."""
    first, last = year_start(year), year_end(year)
    adopted = [
        e
        for e in data.of("episodes", child)
        if (e["clae_cla_episode_ceased_reason"] or "") in ADOPTED
        and e["clae_cla_episode_ceased_date"] is not None
        and first <= e["clae_cla_episode_ceased_date"] <= last
    ]
    rows = []
    for episode in adopted:
        perm = next(
            (p for p in _permanence_for(data, child) if p["perm_cla_id"] == episode["clae_cla_id"]),
            _permanence_for(data, child)[-1] if _permanence_for(data, child) else {},
        )
        carer = flag(perm.get("perm_adopted_by_carer_flag"))
        rows.append(
            {
                "DATE_INT": dfe_date(perm.get("perm_adm_decision_date")),
                "DATE_MATCH": dfe_date(perm.get("perm_matched_date")),
                "FOSTER_CARE": "1" if carer else "0",
                "NB_ADOPTR": perm.get("perm_number_of_adopters") or "",
                "SEX_ADOPTR": perm.get("perm_adopter_sex") or "",
                "LS_ADOPTR": perm.get("perm_adopter_legal_status") or "",
            }
        )
    return rows


def _placed_for_adoption(data: Data903, child: str, year: int) -> list[Record]:
    """Decisions that the child should be placed for adoption, made by the year's end in a
    period of care the year's return holds (an earlier period's decision is not reported)."""
    first, last = year_start(year), year_end(year)
    periods = {e["clae_cla_id"] for e in data.of("episodes", child) if _open_in(e, first, last)}
    rows = []
    for perm in _permanence_for(data, child):
        decided = perm["perm_adm_decision_date"]
        if decided is None or decided > last or perm["perm_cla_id"] not in periods:
            continue
        reversed_on = perm["perm_decision_reversed_date"]
        known = reversed_on if reversed_on is not None and reversed_on <= last else None
        rows.append(
            {
                "DATE_PLACED": dfe_date(decided),
                "DATE_PLACED_CEASED": dfe_date(known),
                "REASON_PLACED_CEASED": (perm["perm_decision_reversed_reason"] or "")
                if known
                else "",
            }
        )
    return rows


def _started_care_in(episodes: list[Row], first: date, last: date) -> bool:
    """Whether a period of care began in the year (previous permanence is asked only then)."""
    return any(
        e["clae_cla_episode_start_reason"] == "S"
        and e["clae_cla_episode_start_date"] is not None
        and first <= e["clae_cla_episode_start_date"] <= last
        for e in episodes
    )


def _previous_permanence(data: Data903, child: str) -> Record:
    """Previous permanence; no SSD row means the child had no previous permanence order."""
    rows = data.of("previous", child)
    if not rows:
        return {"PREV_PERM": "Z1", "LA_PERM": "", "DATE_PERM": ""}
    row = rows[-1]
    when = (row["lapp_previous_permanence_order_date"] or "").strip()
    if len(when) == 10 and when[4] == "-":
        when = f"{when[8:10]}/{when[5:7]}/{when[0:4]}"
    return {
        "PREV_PERM": row["lapp_previous_permanence_option"] or "P4",
        "LA_PERM": row["lapp_previous_permanence_la"] or "",
        "DATE_PERM": when,
    }


def _social_workers(data: Data903, child: str, year: int) -> list[Record]:
    """Social-worker episodes in the year: one registered social worker at a time.

    The SSD lists every involvement (duty, assessment, care, adoption...), which overlap; the
    return wants the child's social worker on each day. That is the registered social worker
    whose involvement started last among those running; a worker who holds the child for
    under three days is not an episode of their own (the one before runs on). A new episode
    that follows straight on from another has the involvement's reason, except that "first
    contact" (FCONTA) starts an episode only after a gap."""
    first, last = year_start(year), year_end(year)
    spans: list[tuple[date, date | None, str, str]] = []
    for involvement in data.of("involvement", child):
        number = data.registration.get(involvement["invo_professional_id"] or "", "")
        start, end = (
            involvement["invo_involvement_start_date"],
            involvement["invo_involvement_end_date"],
        )
        if not number.upper().startswith("SW") or start is None or (end and end <= start):
            continue
        if overlaps(start, end, first, last):
            spans.append((start, end, number, involvement["invo_worker_change_reason"] or ""))
    days = sorted({d for s, e, _n, _r in spans for d in (s, e) if d is not None})
    # (start, end or None, worker, reason) in date order, one worker at a time
    chain: list[list[Any]] = []
    for i, day in enumerate(days):
        running = [x for x in spans if x[0] <= day and (x[1] is None or x[1] > day)]
        if not running:
            continue
        start, _end, number, reason = max(running, key=lambda x: x[0])
        upto = days[i + 1] if i + 1 < len(days) else None
        if chain and chain[-1][2] == number and chain[-1][1] == day:
            chain[-1][1] = upto
        else:
            chain.append([day, upto, number, reason])
    merged: list[list[Any]] = []
    for episode in chain:
        if merged and merged[-1][1] == episode[0]:
            before = merged[-1]
            short = episode[1] is not None and (episode[1] - episode[0]).days < 3
            if before[2] == episode[2] or short:
                before[1] = episode[1]  # the same worker, or too short: the one before runs on
                continue
            if (before[1] - before[0]).days < 3:
                before[1:3] = episode[1:3]  # too short: the next worker takes over from its start
                continue
        merged.append(list(episode))
    # a child who came into care in the year: workers whose involvement had ended by then are
    # not reported; one who left care: workers allocated after that are not reported
    in_year = [e for e in data.of("episodes", child) if _open_in(e, first, last)]
    starts = [
        e["clae_cla_episode_start_date"]
        for e in in_year
        if e["clae_cla_episode_start_reason"] == "S" and e["clae_cla_episode_start_date"] >= first
    ]
    if starts:
        began = min(starts)
        merged = [episode for episode in merged if episode[1] is None or episode[1] > began]
    ended = [e["clae_cla_episode_ceased_date"] for e in in_year]
    if ended and all(end is not None and end <= last for end in ended):
        left = max(end for end in ended if end is not None)
        merged = [episode for episode in merged if episode[0] <= left]
    merged = [episode for episode in merged if episode[0] <= last]
    rows = []
    for i, (start, end, number, reason) in enumerate(merged):
        follows = i > 0 and merged[i - 1][1] == start
        if follows and reason == "FCONTA":
            reason = "TSPROC"
        if end is not None and end < first:
            continue
        rows.append(
            {
                "SW_ID": number,
                "SW_DECOM": dfe_date(start),
                "SW_DEC": dfe_date(end if end is not None and end <= last else None),
                "SW_REASON": reason,
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# XML

_HEADER_FIELDS = ["UPN", "SEX", "DOB", "ETHNIC"]
_AD1_FIELDS = ["DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"]
_OC3_FIELDS = ["IN_TOUCH", "ACTIV", "ACCOM"]
_OC2_FIELDS = [
    "SDQ_SCORE",
    "SDQ_REASON",
    "CONVICTED",
    "HEALTH_CHECK",
    "IMMUNISATIONS",
    "TEETH_CHECK",
    "HEALTH_ASSESSMENT",
    "SUBSTANCE_MISUSE",
    "INTERVENTION_RECEIVED",
    "INTERVENTION_OFFERED",
]
# XML element name for each episodes column, in the order the XML return lists them
_EPISODE_XML = [
    ("DECOM", "DECOM"),
    ("RNE", "RNE"),
    ("LS", "LS"),
    ("CIN", "CIN"),
    ("PL", "PLACE"),
    ("PL_POST", "PL_POST"),
    ("HOME_POST", "HOME_POST"),
    ("URN", "URN"),
    ("PLACE_PROVIDER", "PLACE_PROVIDER"),
    ("DEC", "DEC"),
    ("REC", "REC"),
    ("REASON_PLACE_CHANGE", "REASON_PLACE_CHANGE"),
]


def return_xml(records: dict[str, list[Record]]) -> bytes:
    """The ``EXPSSDA903`` document holding the same facts as the CSV tables, as UTF-8 bytes."""
    by_child: dict[str, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
    for name, rows in records.items():
        for row in rows:
            by_child[row["CHILD"]][name].append(row)
    xml = XmlText("EXPSSDA903")
    leaf = xml.leaf
    for header in records.get("header", []):
        tables = by_child[header["CHILD"]]
        xml.open("CHILD")
        xml.open("HEADER")
        leaf("CHILDID", header["CHILD"])
        for name in _HEADER_FIELDS:
            leaf(name, header[name])
        uasc = tables["uasc"][0] if tables["uasc"] else None
        leaf("UASC", "1" if uasc else "0")
        if uasc:
            leaf("DUC", uasc["DUC"])
        for ad1 in tables["ad1"][:1]:
            for name in _AD1_FIELDS:
                leaf(name, ad1[name])
        for oc3 in tables["oc3"][:1]:
            for name in _OC3_FIELDS:
                leaf(name, oc3[name])
        for missing in tables["missing"]:
            xml.open("AMISSING")
            for name in ("MISSING", "MIS_START", "MIS_END"):
                leaf(name, missing[name])
            xml.close()
        for review in tables["reviews"]:
            xml.open("AREVIEW")
            leaf("REVIEW", review["REVIEW"])
            leaf("REVIEW_CODE", review["REVIEW_CODE"])
            xml.close()
        leaf("MOTHER", header["MOTHER"])
        leaf("MC_DOB", header["MC_DOB"])
        for previous in tables["previous_permanence"][:1]:
            xml.open("PERMANENCE")
            for name in ("PREV_PERM", "LA_PERM", "DATE_PERM"):
                if previous[name]:
                    leaf(name, previous[name])
            xml.close()
        for oc2 in tables["oc2"][:1]:
            xml.open("OC2")
            for name in _OC2_FIELDS:
                if oc2[name]:
                    leaf(name, oc2[name])
            xml.close()
        for placed in tables["placed_for_adoption"]:
            xml.open("AD_PLACED")
            for name in ("DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"):
                leaf(name, placed[name])
            xml.close()
        xml.close()  # HEADER
        for episode in tables["episodes"]:
            xml.open("EPISODE")
            for tag, column in _EPISODE_XML:
                leaf(tag, episode[column])
            xml.close()
        xml.close()  # CHILD
    return xml.to_bytes()
