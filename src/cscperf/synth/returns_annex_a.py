"""The Ofsted Annex A workbook (lists 1-11), written from SSD-shaped tables.

Owns turning the SSD tables into the child-level lists Ofsted asks for before an inspection of
local authority children's services, for the 12 months to a period end: contacts, early help,
referrals, assessments, section 47 enquiries and conferences, children in need, child
protection, children in care, care leavers, adoption and adopters. Sheet names, column headers
and the lettered Ofsted categories are in ``returns_codes.yaml``; dates are real Excel dates.
The workbook is deterministic (fixed document properties, rows sorted).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from cscperf.settings import Settings
from cscperf.synth.returns_903 import ethnicity
from cscperf.synth.returns_ssd import (
    abuse_code,
    age_on,
    completed,
    flag,
    health_kind,
    is_uasc,
    overlaps,
    return_codes,
    sex_code,
    ssd_table,
)

Row = dict[str, Any]
Cell = str | int | date | None
FIXED_CREATED = datetime(2000, 1, 1)
# Excel's 1900 date system: day n is n days after 30/12/1899 from 1 March 1900 on (before that
# Excel counts a 29 February 1900 that never was, so those dates take xlsxwriter's own path)
EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_LEAP_BUG_ENDS = date(1900, 3, 1)


def window_start(period_end: date) -> date:
    """The first day of the 12 months ending on ``period_end``."""
    try:
        start = period_end.replace(year=period_end.year - 1)
    except ValueError:  # 29 February
        start = date(period_end.year - 1, 2, 28)
    return date.fromordinal(start.toordinal() + 1)


def write_annex_a(
    tables: dict[str, pl.DataFrame], settings: Settings, out_dir: Path, period_end: date
) -> Path:
    """Write ``out_dir/annex_a/annex_a_<period_end>.xlsx`` and return its path."""
    lists = annex_a_lists(tables, settings, period_end)
    folder = out_dir / "annex_a"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"annex_a_{period_end.isoformat()}.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"default_date_format": "dd/mm/yyyy"})
    workbook.set_properties(
        {
            "title": f"Annex A, {settings.council.name}, 12 months to {period_end:%d/%m/%Y}",
            "author": "cscperf synth",
            "created": FIXED_CREATED,
        }
    )
    bold = workbook.add_format({"bold": True, "text_wrap": True})
    dates = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for sheet_name, headers in return_codes().annex_a.lists.items():
        sheet = workbook.add_worksheet(sheet_name)
        sheet.write_row(0, 0, headers, bold)
        sheet.set_column(0, len(headers) - 1, 18)
        _write_rows(sheet, lists.get(sheet_name, []), dates)
        sheet.freeze_panes(1, 0)
    workbook.close()
    return path


def _write_rows(sheet: Worksheet, rows: list[list[Cell]], dates: Format) -> None:
    """Write the rows below the header; blanks are left empty and dates are Excel dates.

    Each value goes straight to the writer of its type: a date as its Excel serial number in
    the date format (the cell ``write_datetime`` would make), plain text as a string. Only
    text ``write`` could read as a formula or a link takes the general path."""
    # the undecorated writers xlsxwriter's own ``write`` calls (the public ones first convert
    # "A1" cell names, which is most of their cost on 750,000 cells); public ones as fallback
    write_string = getattr(sheet, "_write_string", sheet.write_string)
    write_number = getattr(sheet, "_write_number", sheet.write_number)
    write = getattr(sheet, "_write", sheet.write)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if value.__class__ is str:
                text: str = value
                if text[0] in "={" or ":" in text:
                    write(r, c, text)
                else:
                    write_string(r, c, text)
            elif isinstance(value, date):
                day = date(value.year, value.month, value.day)
                if day < EXCEL_LEAP_BUG_ENDS:
                    sheet.write_datetime(r, c, datetime(day.year, day.month, day.day), dates)
                else:
                    write_number(r, c, (day - EXCEL_EPOCH).days, dates)
            else:
                write(r, c, value)


class AnnexAData:
    """The SSD tables grouped by person, with the labels of the lists."""

    def __init__(self, tables: dict[str, pl.DataFrame], settings: Settings, period_end: date):
        self.end = period_end
        self.first = window_start(period_end)
        self.labels = return_codes().annex_a.labels
        self.team_names = settings.team_names()
        person = ssd_table(tables, "ssd_person")
        # only these three facts are shown; a child's cells are made once (see ``child``)
        self.people: dict[str, tuple[str | None, str | None, date | None]] = dict(
            zip(
                person["pers_person_id"].to_list(),
                zip(
                    person["pers_sex"].to_list(),
                    person["pers_ethnicity"].to_list(),
                    person["pers_dob"].to_list(),
                    strict=True,
                ),
                strict=True,
            )
        )
        self._children: dict[str, tuple[Cell, ...]] = {}
        self.workers = {
            r["prof_professional_id"]: r["prof_professional_name"]
            for r in ssd_table(tables, "ssd_professionals").iter_rows(named=True)
        }
        self.disabled = {
            r["disa_person_id"]
            for r in ssd_table(tables, "ssd_disability").iter_rows(named=True)
            if (r["disa_disability_code"] or "NONE").upper() != "NONE"
        }
        self.tables = tables
        self._tables: dict[str, pl.DataFrame] = {}
        self._groups: dict[tuple[str, str, str], dict[str, list[Row]]] = {}

    def table(self, name: str) -> pl.DataFrame:
        if name not in self._tables:
            self._tables[name] = ssd_table(self.tables, name)
        return self._tables[name]

    def by_person(
        self, name: str, key: str, when: str, keep: pl.Series | None = None
    ) -> dict[str, list[Row]]:
        """Rows grouped by ``key`` in ``when`` order; with ``keep``, only the groups of those
        keys (and of a missing key), so big tables are not turned into Python rows whole.

        The whole table is sorted before other keys are dropped, so rows that tie on the sort
        keys keep the order the full sort gives them."""
        if keep is None and (name, key, when) in self._groups:
            return self._groups[(name, key, when)]
        ordered = self.table(name).sort([key, when], nulls_last=True)
        if keep is not None:
            ordered = ordered.filter(pl.col(key).is_in(keep.implode()) | pl.col(key).is_null())
        grouped: dict[str, list[Row]] = defaultdict(list)
        for row in ordered.iter_rows(named=True):
            grouped[row[key]].append(row)
        if keep is None:
            self._groups[(name, key, when)] = grouped
        return grouped

    def window(self, day: str) -> pl.Expr:
        """The rows whose ``day`` falls in the 12 months (as ``in_window``)."""
        return pl.col(day).is_between(self.first, self.end)

    def open_window(self, start: str, end: str) -> pl.Expr:
        """The rows open at some time in the 12 months (as ``open_in_window``)."""
        return (
            pl.col(start).is_not_null()
            & (pl.col(start) <= self.end)
            & (pl.col(end).is_null() | (pl.col(end) >= self.first))
        ).fill_null(False)

    def label(self, kind: str, code: str | None) -> str:
        if code is None or code == "":
            return ""
        return self.labels[kind].get(code, code)

    def yes_no(self, value: bool | None) -> str:
        return "" if value is None else self.labels["yes_no"]["Y" if value else "N"]

    def child(self, person_id: str) -> tuple[Cell, ...]:
        """Identifier, sex, ethnicity, birth date and age at the period end."""
        cells = self._children.get(person_id)
        if cells is None:
            sex, ethnic, dob = self.people.get(person_id, (None, None, None))
            cells = (
                person_id,
                self.label("sex", sex_code(sex)),
                self.label("ethnicity", ethnicity(ethnic)),
                dob,
                age_on(dob, self.end) if dob is not None and dob <= self.end else None,
            )
            self._children[person_id] = cells
        return cells

    def disability(self, person_id: str) -> str:
        return self.yes_no(person_id in self.disabled)

    def team(self, team_id: str | None) -> str:
        return self.team_names.get(team_id or "", team_id or "")

    def worker(self, worker_id: str | None) -> str:
        return self.workers.get(worker_id or "", "") or ""

    def in_window(self, day: date | None) -> bool:
        return day is not None and self.first <= day <= self.end

    def open_in_window(self, start: date | None, end: date | None) -> bool:
        return overlaps(start, end, self.first, self.end)

    def known(self, day: date | None) -> date | None:
        return day if day is not None and day <= self.end else None


def annex_a_lists(
    tables: dict[str, pl.DataFrame], settings: Settings, period_end: date
) -> dict[str, list[list[Cell]]]:
    """Rows of every list, keyed by sheet name, in the column order of the headers."""
    a = AnnexAData(tables, settings, period_end)
    return {
        "List 1": _contacts(a),
        "List 2": _early_help(a),
        "List 3": _referrals(a),
        "List 4": _assessments(a),
        "List 5": _enquiries(a),
        "List 6": _children_in_need(a),
        "List 7": _protection(a),
        "List 8": _in_care(a),
        "List 9": _care_leavers(a),
        "List 10": _adoption(a),
        "List 11": [],  # the SSD holds no adopter records
    }


def _sorted(rows: list[list[Cell]], *keys: int) -> list[list[Cell]]:
    return sorted(rows, key=lambda r: tuple(str(r[k] or "") for k in keys))


def _contacts(a: AnnexAData) -> list[list[Cell]]:
    rows = [
        [*a.child(r["cont_person_id"]), r["cont_contact_date"],
         a.label("source", r["cont_contact_source_code"])]
        for r in a.table("ssd_contacts").filter(a.window("cont_contact_date")).iter_rows(named=True)
    ]  # fmt: skip
    return _sorted(rows, 5, 0)


def _early_help(a: AnnexAData) -> list[list[Cell]]:
    rows = [
        [*a.child(r["earl_person_id"]), r["earl_episode_start_date"],
         a.known(r["earl_episode_end_date"]), r["earl_episode_organisation"]]
        for r in a.table("ssd_early_help_episodes")
        .filter(a.open_window("earl_episode_start_date", "earl_episode_end_date"))
        .iter_rows(named=True)
    ]  # fmt: skip
    return _sorted(rows, 5, 0)


def _referrals(a: AnnexAData) -> list[list[Cell]]:
    referred = a.table("ssd_cin_episodes").filter(a.window("cine_referral_date"))
    referrals = a.by_person(
        "ssd_cin_episodes", "cine_person_id", "cine_referral_date", referred["cine_person_id"]
    )
    rows = []
    for person_id, episodes in referrals.items():
        for r in episodes:
            day = r["cine_referral_date"]
            if not a.in_window(day):
                continue
            # referrals in the 12 months before this one (re-referral count)
            before = [
                e for e in episodes
                if e["cine_referral_date"] is not None and e["cine_referral_date"] < day
                and (day - e["cine_referral_date"]).days <= 365
            ]  # fmt: skip
            rows.append(
                [*a.child(person_id), day, a.label("source", r["cine_referral_source_code"]),
                 a.yes_no(flag(r["cine_referral_nfa"])), len(before),
                 a.team(r["cine_referral_team"]), a.worker(r["cine_referral_worker_id"])]
            )  # fmt: skip
    return _sorted(rows, 5, 0)


def _assessments(a: AnnexAData) -> list[list[Cell]]:
    rows = []
    open_ = a.open_window("cina_assessment_start_date", "cina_assessment_auth_date")
    for r in a.table("ssd_cin_assessments").filter(open_).iter_rows(named=True):
        start, done = r["cina_assessment_start_date"], r["cina_assessment_auth_date"]
        authorised = a.known(done)
        nfa = flag(r["cina_assessment_outcome_nfa"])
        rows.append(
            [*a.child(r["cina_person_id"]), a.disability(r["cina_person_id"]), start,
             a.yes_no(flag(r["cina_assessment_child_seen"])), authorised,
             a.yes_no(None if authorised is None or nfa is None else not nfa),
             a.team(r["cina_assessment_team"]), a.worker(r["cina_assessment_worker_id"])]
        )  # fmt: skip
    return _sorted(rows, 6, 0)


def _enquiries(a: AnnexAData) -> list[list[Cell]]:
    conferences: dict[str, Row] = {}
    icpcs = a.by_person("ssd_initial_cp_conference", "icpc_person_id", "icpc_icpc_date")
    for rows_ in icpcs.values():
        for c in rows_:
            if c["icpc_s47_enquiry_id"]:
                conferences.setdefault(c["icpc_s47_enquiry_id"], c)
    started = a.table("ssd_s47_enquiry").filter(a.window("s47e_s47_start_date"))
    enquiries = a.by_person(
        "ssd_s47_enquiry", "s47e_person_id", "s47e_s47_start_date", started["s47e_person_id"]
    )
    rows = []
    for person_id, items in enquiries.items():
        for r in items:
            start = r["s47e_s47_start_date"]
            if not a.in_window(start):
                continue
            conference = conferences.get(r["s47e_s47_enquiry_id"])
            held = a.known(conference["icpc_icpc_date"]) if conference else None
            ended = a.known(r["s47e_s47_end_date"])
            year_before = [
                e for e in items
                if e["s47e_s47_start_date"] is not None and e["s47e_s47_start_date"] < start
                and (start - e["s47e_s47_start_date"]).days <= 365
            ]  # fmt: skip
            icpc_before = [
                c for c in icpcs.get(person_id, [])
                if c["icpc_icpc_date"] is not None and c["icpc_icpc_date"] < start
                and (start - c["icpc_icpc_date"]).days <= 365
            ]  # fmt: skip
            rows.append(
                [*a.child(person_id), a.disability(person_id), start,
                 a.yes_no(conference is None and ended is not None), held,
                 a.yes_no(flag(conference["icpc_icpc_outcome_cp_flag"])
                          if conference and held else None),
                 len(year_before), len(icpc_before),
                 a.team(r["s47e_s47_completed_by_team"]),
                 a.worker(r["s47e_s47_completed_by_worker_id"])]
            )  # fmt: skip
    return _sorted(rows, 6, 0)


def _open_on(rows: list[Row], start: str, end: str, day: date) -> bool:
    return any(
        r[start] is not None and r[start] <= day and (r[end] is None or r[end] > day) for r in rows
    )


def _children_in_need(a: AnnexAData) -> list[list[Cell]]:
    episodes = a.table("ssd_cin_episodes").filter(
        a.open_window("cine_referral_date", "cine_close_date")
    )
    kept = episodes["cine_person_id"]
    care = a.by_person("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date", kept)
    plans = a.by_person("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", kept)
    cin_plans = a.by_person("ssd_cin_plans", "cinp_person_id", "cinp_cin_plan_start_date", kept)
    assessments = a.by_person(
        "ssd_cin_assessments", "cina_person_id", "cina_assessment_start_date", kept
    )
    last_seen = _latest_by(
        a.table("ssd_cin_visits").filter(_is_yes("cinv_cin_visit_seen")),
        "cinv_person_id",
        "cinv_cin_visit_date",
        a.end,
    )
    rows = []
    for r in episodes.iter_rows(named=True):
        person_id, start, end = r["cine_person_id"], r["cine_referral_date"], r["cine_close_date"]
        closed = a.known(end)
        day = a.end
        if closed is not None:
            status = "closed"
        elif _open_on(care.get(person_id, []), "clae_cla_episode_start_date",
                      "clae_cla_episode_ceased_date", day):  # fmt: skip
            status = "cla"
        elif _open_on(plans.get(person_id, []), "cppl_cp_plan_start_date",
                      "cppl_cp_plan_end_date", day):  # fmt: skip
            status = "cp"
        elif _open_on(cin_plans.get(person_id, []), "cinp_cin_plan_start_date",
                      "cinp_cin_plan_end_date", day):  # fmt: skip
            status = "cin_plan"
        elif _open_on(assessments.get(person_id, []), "cina_assessment_start_date",
                      "cina_assessment_auth_date", day):  # fmt: skip
            status = "assessment"
        else:
            status = "cin_plan"
        rows.append(
            [*a.child(person_id), a.disability(person_id), start,
             a.label("need", r["cine_cin_primary_need_code"]), last_seen.get(person_id),
             closed, a.label("closure", r["cine_close_reason"]) if closed else "",
             a.label("case_status", status), a.team(r["cine_referral_team"]),
             a.worker(r["cine_referral_worker_id"])]
        )  # fmt: skip
    return _sorted(rows, 6, 0)


def _protection(a: AnnexAData) -> list[list[Cell]]:
    open_plans = a.table("ssd_cp_plans").filter(
        a.open_window("cppl_cp_plan_start_date", "cppl_cp_plan_end_date")
    )
    # the last visit known by the period end, of each plan open in the 12 months
    visits = a.by_person(
        "ssd_cp_visits", "cppv_cp_plan_id", "cppv_cp_visit_date", open_plans["cppl_cp_plan_id"]
    )
    held_by_plan = _latest_by(
        a.table("ssd_cp_reviews"), "cppr_cp_plan_id", "cppr_cp_review_date", a.end
    )
    kept = open_plans["cppl_person_id"]
    legal = a.by_person("ssd_legal_status", "lega_person_id", "lega_legal_status_start_date", kept)
    plans = a.by_person("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", kept)
    six_months_ago = date.fromordinal(a.end.toordinal() - 182)
    rows = []
    for person_id, items in plans.items():
        for n, r in enumerate(items):
            start, end = r["cppl_cp_plan_start_date"], r["cppl_cp_plan_end_date"]
            if not a.open_in_window(start, end):
                continue
            plan_visits = [
                v for v in visits.get(r["cppl_cp_plan_id"], []) if a.known(v["cppv_cp_visit_date"])
            ]
            last_visit = plan_visits[-1] if plan_visits else None
            emergency = any(
                (s["lega_legal_status"] or "") in {"L1", "L2"}
                and overlaps(s["lega_legal_status_start_date"], s["lega_legal_status_end_date"],
                             six_months_ago, a.end)
                for s in legal.get(person_id, [])
            )  # fmt: skip
            latest = r["cppl_cp_plan_latest_category"] or r["cppl_cp_plan_initial_category"]
            rows.append(
                [*a.child(person_id), a.disability(person_id), start,
                 a.label("abuse", abuse_code(r["cppl_cp_plan_initial_category"])),
                 a.label("abuse", abuse_code(latest)),
                 last_visit["cppv_cp_visit_date"] if last_visit else None,
                 a.yes_no(flag(last_visit["cppv_cp_visit_seen_alone"])) if last_visit else "",
                 held_by_plan.get(r["cppl_cp_plan_id"]), a.known(end), a.yes_no(emergency), n,
                 "", ""]
            )  # fmt: skip
    return _sorted(rows, 6, 0)


def _latest(rows: list[Row], when: str, end: date, keep: Any = None) -> date | None:
    days = [
        r[when]
        for r in rows
        if r[when] is not None and r[when] <= end and (keep is None or keep(r))
    ]
    return max(days) if days else None


def _in_care(a: AnnexAData) -> list[list[Cell]]:
    kept = a.table("ssd_cla_episodes").filter(
        a.open_window("clae_cla_episode_start_date", "clae_cla_episode_ceased_date")
    )["clae_person_id"]
    episodes = a.by_person(
        "ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date", kept
    )
    kept_periods = pl.Series(
        [e["clae_cla_id"] for items in episodes.values() for e in items], dtype=pl.String
    )
    kept_places = pl.Series(
        [e["clae_cla_placement_id"] for items in episodes.values() for e in items],
        dtype=pl.String,
    )
    placements = {
        r["clap_cla_placement_id"]: r
        for r in a.table("ssd_cla_placement")
        .filter(pl.col("clap_cla_placement_id").is_in(kept_places.implode()))
        .iter_rows(named=True)
    }
    legal = a.by_person("ssd_legal_status", "lega_person_id", "lega_legal_status_start_date", kept)
    reviews = a.by_person("ssd_cla_reviews", "clar_cla_id", "clar_cla_review_date", kept_periods)
    visited = _latest_by(a.table("ssd_cla_visits"), "clav_person_id", "clav_cla_visit_date", a.end)
    health = a.by_person("ssd_cla_health", "clah_person_id", "clah_health_check_date", kept)
    missing = a.by_person("ssd_missing", "miss_person_id", "miss_missing_episode_start_date", kept)
    immigration = a.by_person(
        "ssd_immigration_status", "immi_person_id", "immi_immigration_status_start_date"
    )
    rows = []
    for person_id, all_items in episodes.items():
        # what happened after the period end is not yet known
        items = [
            e
            for e in all_items
            if e["clae_cla_episode_start_date"] is not None
            and e["clae_cla_episode_start_date"] <= a.end
        ]
        in_window = [
            e for e in items
            if a.open_in_window(e["clae_cla_episode_start_date"], e["clae_cla_episode_ceased_date"])
        ]  # fmt: skip
        if not in_window:
            continue
        current = in_window[-1]
        period = [e for e in items if e["clae_cla_id"] == current["clae_cla_id"]]
        started = current["clae_entered_care_date"] or period[0]["clae_cla_episode_start_date"]
        earlier_periods = {
            e["clae_cla_id"] for e in in_window if e["clae_cla_id"] != current["clae_cla_id"]
        }
        status = [
            s for s in legal.get(person_id, [])
            if s["lega_legal_status_start_date"] is not None
            and s["lega_legal_status_start_date"] <= a.end
        ]  # fmt: skip
        ceased = a.known(period[-1]["clae_cla_episode_ceased_date"])
        placement_ids = []
        for e in period:
            pid = e["clae_cla_placement_id"]
            if pid and pid not in placement_ids:
                placement_ids.append(pid)
        placement = placements.get(placement_ids[-1] if placement_ids else "", {})
        moves = {
            pid for pid in placement_ids
            if a.open_in_window(placements.get(pid, {}).get("clap_cla_placement_start_date"),
                                placements.get(pid, {}).get("clap_cla_placement_end_date"))
        }  # fmt: skip
        child_missing = [
            m
            for m in missing.get(person_id, [])
            if a.in_window(m["miss_missing_episode_start_date"])
        ]
        counted = {"M": 0, "A": 0}
        for m in child_missing:
            counted[
                "A" if (m["miss_missing_episode_type"] or "M").upper().startswith("A") else "M"
            ] += 1
        last_missing = child_missing[-1] if child_missing else None
        checks = health.get(person_id, [])
        rows.append(
            [*a.child(person_id),
             a.yes_no(any(is_uasc(s["immi_immigration_status"])
                          and a.open_in_window(s["immi_immigration_status_start_date"],
                                               s["immi_immigration_status_end_date"])
                          for s in immigration.get(person_id, []))),
             a.disability(person_id), started,
             a.label("need", current["clae_cla_primary_need_code"]),
             a.yes_no(bool(earlier_periods)),
             status[-1]["lega_legal_status_start_date"] if status else None,
             a.label("legal_status", status[-1]["lega_legal_status"]) if status else "",
             _latest(reviews.get(current["clae_cla_id"] or "", []), "clar_cla_review_date", a.end,
                     lambda r: not flag(r["clar_cla_review_cancelled"])),
             visited.get(person_id),
             "",
             a.known(current["clae_cla_last_iro_contact_date"]),
             _latest(checks, "clah_health_check_date", a.end,
                     lambda r: health_kind(r["clah_health_check_type"]) == "health"
                     and completed(r["clah_health_check_status"])),
             _latest(checks, "clah_health_check_date", a.end,
                     lambda r: health_kind(r["clah_health_check_type"]) == "dental"
                     and completed(r["clah_health_check_status"])),
             len(moves), ceased,
             current["clae_cla_episode_ceased_reason"] if ceased else "",
             placement.get("clap_cla_placement_start_date"),
             placement.get("clap_cla_placement_type") or "",
             a.label("provider", placement.get("clap_cla_placement_provider")),
             placement.get("clap_cla_placement_postcode") or "",
             placement.get("clap_cla_placement_urn") or "", "", "",
             counted["M"], counted["A"],
             a.yes_no(flag(last_missing["miss_missing_rhi_offered"])) if last_missing else "",
             a.yes_no(flag(last_missing["miss_missing_rhi_accepted"])) if last_missing else "",
             "", ""]
        )  # fmt: skip
    return _sorted(rows, 7, 0)


def _care_leavers(a: AnnexAData) -> list[list[Cell]]:
    immigration = a.by_person(
        "ssd_immigration_status", "immi_person_id", "immi_immigration_status_start_date"
    )
    rows = []
    for r in _current_statuses(a):
        person_id = r["clea_person_id"]
        in_touch = (r["clea_care_leaver_in_touch"] or "").upper()
        letter = (r["clea_care_leaver_accommodation"] or "").upper()[:1]
        suitable = (r["clea_care_leaver_accom_suitable"] or "").strip()
        rows.append(
            [*a.child(person_id),
             a.yes_no(any(is_uasc(s["immi_immigration_status"])
                          for s in immigration.get(person_id, []))),
             a.disability(person_id), a.team(r["clea_care_leaver_allocated_team"]),
             a.worker(r["clea_care_leaver_worker_id"]),
             r["clea_care_leaver_personal_advisor"] or "",
             a.label("eligibility", r["clea_care_leaver_eligibility"]),
             a.known(r["clea_pathway_plan_review_date"]),
             a.label("in_touch", in_touch),
             a.known(r["clea_care_leaver_latest_contact"]), letter,
             a.label("suitability", suitable), r["clea_care_leaver_activity"] or ""]
        )  # fmt: skip
    return _sorted(rows, 0)


def _current_statuses(a: AnnexAData) -> list[Row]:
    """One row per care leaver, as Ofsted asks: the young person's status of the latest
    collection year up to the period end's (ids ending /YYYY; untagged rows count as current),
    ties to the highest id; young people over 25 at the period end are no longer care leavers."""
    last_year = a.end.year + 1 if a.end.month >= 4 else a.end.year
    chosen: dict[str, tuple[tuple[int, str], Row]] = {}
    for r in a.table("ssd_care_leavers").iter_rows(named=True):
        row_id = str(r.get("clea_table_id") or "")
        tail = row_id.rsplit("/", 1)[-1] if "/" in row_id else ""
        year = int(tail) if tail.isdigit() and len(tail) == 4 else last_year
        if year > last_year:
            continue
        dob = a.people.get(r["clea_person_id"], (None, None, None))[2]
        if dob is not None and age_on(dob, a.end) > 25:
            continue
        rank = (year, row_id)
        held = chosen.get(r["clea_person_id"])
        if held is None or rank >= held[0]:
            chosen[r["clea_person_id"]] = (rank, r)
    return [row for _, row in chosen.values()]


def _adoption(a: AnnexAData) -> list[list[Cell]]:
    permanence = a.table("ssd_permanence")
    episodes = a.by_person(
        "ssd_cla_episodes", "clae_cla_id", "clae_cla_episode_start_date", permanence["perm_cla_id"]
    )
    rows = []
    for r in permanence.iter_rows(named=True):
        decided = r["perm_adm_decision_date"]
        if decided is None or decided > a.end:
            continue
        order = a.known(r["perm_permanence_order_date"])
        if order is not None and order < a.first:
            continue  # adopted before the 12 months
        if (r["perm_permanence_order_type"] or "Adoption").upper() != "ADOPTION":
            continue
        period = episodes.get(r["perm_cla_id"] or "", [])
        entered = (
            period[0]["clae_entered_care_date"] or period[0]["clae_cla_episode_start_date"]
            if period
            else None
        )
        reversed_on = a.known(r["perm_decision_reversed_date"])
        person_id = r["perm_person_id"]
        child = a.child(person_id)
        rows.append(
            [child[0], "", *child[1:], a.disability(person_id), entered, decided,
             a.known(r["perm_placement_order_date"]), a.known(r["perm_matched_date"]),
             a.known(r["perm_placed_for_adoption_date"]), order, reversed_on,
             a.label("reversed_reason", r["perm_decision_reversed_reason"]) if reversed_on else "",
             a.known(r["perm_placed_ffa_cp_date"])]
        )  # fmt: skip
    return _sorted(rows, 0)


def _is_yes(column: str) -> pl.Expr:
    """Rows whose flag reads yes, as :func:`flag` reads it."""
    return (
        pl.col(column).str.strip_chars().str.to_uppercase().is_in(["Y", "YES", "1", "TRUE", "T"])
    ).fill_null(False)


def _latest_by(frame: pl.DataFrame, key: str, when: str, end: date) -> dict[str, date]:
    """The latest ``when`` on or before ``end`` for each ``key``."""
    latest = frame.filter(pl.col(when) <= end).group_by(key).agg(pl.col(when).max())
    return dict(zip(latest[key].to_list(), latest[when].to_list(), strict=True))
