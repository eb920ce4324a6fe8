"""SSDA903 rows (typed, one or more years) onto the SSD-shaped canonical tables.

This module owns the mapping from 903 tables and columns to SSD tables and fields, as
``docs/statutory-returns.md`` documents it: merging the years (a later return replaces an
earlier one's row with the same key; OC2 and OC3 are kept per year), stitching episodes
(:mod:`cscperf.sources.ssda903_stitch`), and building one polars frame per canonical table,
each row carrying ``_source_file`` and ``_source_row`` (and ``_collection_year``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from cscperf.sources.returns_common import ProblemLog, build_frame, year_end
from cscperf.sources.ssda903_stitch import (
    Episode,
    by_child,
    legal_statuses,
    merge_returns,
    missing_closed_by,
    period_on,
    periods_of_care,
    placements,
)

Row = dict[str, object]


@dataclass
class RawRow:
    """One row of one 903 table as text, with where it came from."""

    table: str
    file: str
    row: int
    values: dict[str, str]


@dataclass
class ReturnRows:
    """The typed rows of one collection year's return, by table (what the mapping takes)."""

    year: int
    tables: dict[str, list[Row]] = field(default_factory=dict)


SEX = {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U"}
YES_NO = {"1": "Y", "0": "N"}
ADOPTED_REASONS = frozenset({"E11", "E12"})
PLACEMENT_ORDER_STATUSES = frozenset({"E1", "D1"})
ADOPTION_PLACEMENTS = frozenset({"A3", "A4", "A5", "A6"})
PROVENANCE = ("_source_file", "_source_row", "_collection_year")


def merge_years(returns: Sequence[ReturnRows], table: str, per_year: bool) -> list[Row]:
    """Rows of one table across returns: later years replace earlier rows with the same key;
    tables that describe a year (OC2, OC3) keep one row per key and year."""
    merged: dict[object, Row] = {}
    for ret in sorted(returns, key=lambda r: r.year):
        for row in ret.tables.get(table, []):
            key = (row["_key"], ret.year) if per_year else row["_key"]
            merged[key] = row
    return list(merged.values())


def _s(value: object) -> str:
    return "" if value is None else str(value)


def _prov(row: Row) -> Row:
    return {name: row.get(name) for name in PROVENANCE}


def episodes_from(returns: Sequence[ReturnRows], log: ProblemLog) -> list[Episode]:
    """Every return's episodes merged and stitched into periods and placements."""
    by_year: dict[int, list[Episode]] = {}
    for ret in returns:
        year = ret.year
        for row in ret.tables.get("episodes", []):
            decom = row["DECOM"]
            assert isinstance(decom, date)
            dec = row.get("DEC")
            by_year.setdefault(year, []).append(
                Episode(
                    child=_s(row["CHILD"]),
                    decom=decom,
                    dec=dec if isinstance(dec, date) else None,
                    rne=_s(row.get("RNE")),
                    ls=_s(row.get("LS")),
                    cin=_s(row.get("CIN")),
                    place=_s(row.get("PLACE")),
                    provider=_s(row.get("PLACE_PROVIDER")),
                    rec=_s(row.get("REC")),
                    reason_place_change=_s(row.get("REASON_PLACE_CHANGE")),
                    home_post=_s(row.get("HOME_POST")),
                    pl_post=_s(row.get("PL_POST")),
                    urn=_s(row.get("URN")),
                    pl_location=_s(row.get("PL_LOCATION")),
                    year=year,
                    file=_s(row["_source_file"]),
                    row=int(str(row["_source_row"])),
                )
            )

    def withdrawn(episode: Episode, later_year: int) -> None:
        log.warning(
            episode.file,
            "903.episode.withdrawn",
            f"episodes: this episode ran into the {later_year} return's year but that return "
            f"does not contain it; the {later_year} return is taken as the correction",
            row=episode.row,
            table="episodes",
        )

    episodes = merge_returns(by_year, withdrawn)
    periods_of_care(episodes)
    return episodes


def to_canonical(returns: Sequence[ReturnRows], log: ProblemLog) -> dict[str, pl.DataFrame]:
    """All canonical tables the 903 returns can fill."""
    episodes = episodes_from(returns, log)
    child_episodes = by_child(episodes)
    tables: dict[str, pl.DataFrame] = {}
    header = merge_years(returns, "header", per_year=False)
    uasc = merge_years(returns, "uasc", per_year=False)
    tables["ssd_person"] = _frame("ssd_person", person_rows(header, uasc))
    tables["ssd_mother"] = _frame("ssd_mother", mother_rows(header))
    runs = placements(episodes)
    tables["ssd_cla_episodes"] = _frame("ssd_cla_episodes", episode_rows(episodes))
    tables["ssd_cla_placement"] = _frame("ssd_cla_placement", placement_rows(runs))
    tables["ssd_legal_status"] = _frame("ssd_legal_status", legal_status_rows(episodes))
    tables["ssd_cla_reviews"] = _frame(
        "ssd_cla_reviews",
        review_rows(merge_years(returns, "reviews", per_year=False), child_episodes, log),
    )
    tables["ssd_immigration_status"] = _frame("ssd_immigration_status", uasc_rows(uasc))
    tables["ssd_missing"] = _frame("ssd_missing", missing_rows(merged_missing(returns, log)))
    tables["ssd_care_leavers"] = _frame(
        "ssd_care_leavers", care_leaver_rows(merge_years(returns, "oc3", per_year=True))
    )
    tables["ssd_permanence"] = _frame(
        "ssd_permanence",
        permanence_rows(
            merge_years(returns, "ad1", per_year=False),
            merge_years(returns, "placed_for_adoption", per_year=False),
            child_episodes,
        ),
    )
    tables["ssd_cla_previous_permanence"] = _frame(
        "ssd_cla_previous_permanence",
        previous_permanence_rows(merge_years(returns, "previous_permanence", per_year=False)),
    )
    oc2 = merge_years(returns, "oc2", per_year=True)
    for name, rows in oc2_rows(oc2).items():
        tables[name] = _frame(name, rows)
    tables["ssd_involvements"] = _frame(
        "ssd_involvements", social_worker_rows(merge_years(returns, "sw_episodes", False))
    )
    return tables


COLUMNS: dict[str, tuple[str, ...]] = {
    "ssd_person": (
        "pers_person_id",
        "pers_sex",
        "pers_ethnicity",
        "pers_dob",
        "pers_is_mother",
        "pers_upn_unknown",
    ),
    "ssd_mother": ("moth_table_id", "moth_person_id", "moth_childs_person_id", "moth_childs_dob"),
    "ssd_cla_episodes": (
        "clae_cla_episode_id",
        "clae_person_id",
        "clae_cla_episode_start_date",
        "clae_cla_episode_start_reason",
        "clae_cla_primary_need_code",
        "clae_cla_episode_ceased_date",
        "clae_cla_episode_ceased_reason",
        "clae_cla_id",
        "clae_referral_id",
        "clae_cla_placement_id",
        "clae_entered_care_date",
        "clae_cla_last_iro_contact_date",
    ),
    "ssd_cla_placement": (
        "clap_cla_placement_id",
        "clap_cla_placement_start_date",
        "clap_cla_placement_type",
        "clap_cla_placement_urn",
        "clap_cla_placement_distance",
        "clap_cla_id",
        "clap_cla_placement_provider",
        "clap_cla_placement_postcode",
        "clap_cla_placement_end_date",
        "clap_cla_placement_change_reason",
        "clap_person_id",
        "clap_cla_placement_location",
    ),
    "ssd_legal_status": (
        "lega_legal_status_id",
        "lega_person_id",
        "lega_legal_status",
        "lega_legal_status_start_date",
        "lega_legal_status_end_date",
    ),
    "ssd_cla_reviews": (
        "clar_cla_review_id",
        "clar_cla_id",
        "clar_cla_review_due_date",
        "clar_cla_review_date",
        "clar_cla_review_cancelled",
        "clar_cla_review_participation",
    ),
    "ssd_immigration_status": (
        "immi_person_id",
        "immi_immigration_status_id",
        "immi_immigration_status",
        "immi_immigration_status_start_date",
        "immi_immigration_status_end_date",
    ),
    "ssd_missing": (
        "miss_table_id",
        "miss_person_id",
        "miss_missing_episode_start_date",
        "miss_missing_episode_type",
        "miss_missing_episode_end_date",
        "miss_missing_rhi_offered",
        "miss_missing_rhi_accepted",
    ),
    "ssd_care_leavers": (
        "clea_table_id",
        "clea_person_id",
        "clea_care_leaver_eligibility",
        "clea_care_leaver_in_touch",
        "clea_care_leaver_latest_contact",
        "clea_care_leaver_accommodation",
        "clea_care_leaver_accom_suitable",
        "clea_care_leaver_activity",
    ),
    "ssd_permanence": (
        "perm_table_id",
        "perm_person_id",
        "perm_cla_id",
        "perm_adm_decision_date",
        "perm_placement_order_date",
        "perm_placed_for_adoption_date",
        "perm_matched_date",
        "perm_adopted_by_carer_flag",
        "perm_decision_reversed_date",
        "perm_decision_reversed_reason",
        "perm_permanence_order_date",
        "perm_permanence_order_type",
        "perm_adopter_sex",
        "perm_adopter_legal_status",
        "perm_number_of_adopters",
    ),
    "ssd_cla_previous_permanence": (
        "lapp_table_id",
        "lapp_person_id",
        "lapp_previous_permanence_order_date",
        "lapp_previous_permanence_option",
        "lapp_previous_permanence_la",
    ),
    "ssd_cla_health": (
        "clah_health_check_id",
        "clah_person_id",
        "clah_health_check_type",
        "clah_health_check_date",
        "clah_health_check_status",
    ),
    "ssd_cla_immunisations": (
        "clai_person_id",
        "clai_immunisations_status",
        "clai_immunisations_status_date",
    ),
    "ssd_cla_convictions": (
        "clac_cla_conviction_id",
        "clac_person_id",
        "clac_cla_conviction_date",
        "clac_cla_conviction_offence",
    ),
    "ssd_sdq_scores": (
        "csdq_table_id",
        "csdq_person_id",
        "csdq_sdq_completed_date",
        "csdq_sdq_reason",
        "csdq_sdq_score",
    ),
    "ssd_cla_substance_misuse": (
        "clas_substance_misuse_id",
        "clas_person_id",
        "clas_substance_misuse_date",
        "clas_substance_misused",
        "clas_intervention_received",
    ),
    "ssd_involvements": (
        "invo_involvements_id",
        "invo_professional_id",
        "invo_professional_role_id",
        "invo_professional_team",
        "invo_involvement_start_date",
        "invo_involvement_end_date",
        "invo_worker_change_reason",
        "invo_person_id",
        "invo_referral_id",
    ),
}


def _frame(table: str, rows: list[Row]) -> pl.DataFrame:
    return build_frame(table, rows, [*COLUMNS[table], "_collection_year"])


def person_rows(header: list[Row], uasc: list[Row]) -> list[Row]:
    """One person per child: the latest return's header; a UASC-only child from uasc."""
    people: dict[str, Row] = {}
    for row in uasc:
        child = _s(row["CHILD"])
        people[child] = {
            "pers_person_id": child,
            "pers_sex": SEX.get(_s(row.get("SEX")), row.get("SEX")),
            "pers_dob": row.get("DOB"),
            **_prov(row),
        }
    for row in header:
        child = _s(row["CHILD"])
        people[child] = {
            "pers_person_id": child,
            "pers_sex": SEX.get(_s(row.get("SEX")), row.get("SEX")),
            "pers_ethnicity": row.get("ETHNIC"),
            "pers_dob": row.get("DOB"),
            "pers_is_mother": YES_NO.get(_s(row.get("MOTHER"))),
            **_prov(row),
        }
    return list(people.values())


def mother_rows(header: list[Row]) -> list[Row]:
    """A mother's child's date of birth (the return does not identify the child)."""
    return [
        {
            "moth_table_id": f"{row['CHILD']}/mother",
            "moth_person_id": _s(row["CHILD"]),
            "moth_childs_dob": row["MC_DOB"],
            **_prov(row),
        }
        for row in header
        if row.get("MC_DOB") is not None
    ]


def _episode_prov(episode: Episode) -> Row:
    return {
        "_source_file": episode.file,
        "_source_row": episode.row,
        "_collection_year": episode.year,
    }


def episode_rows(episodes: list[Episode]) -> list[Row]:
    return [
        {
            "clae_cla_episode_id": f"{e.child}/{e.decom.isoformat()}",
            "clae_person_id": e.child,
            "clae_cla_episode_start_date": e.decom,
            "clae_cla_episode_start_reason": e.rne or None,
            "clae_cla_primary_need_code": e.cin or None,
            "clae_cla_episode_ceased_date": e.dec,
            "clae_cla_episode_ceased_reason": e.rec or None,
            "clae_cla_id": e.period_id,
            "clae_cla_placement_id": e.placement_id,
            "clae_entered_care_date": e.period_start,
            **_episode_prov(e),
        }
        for e in episodes
    ]


def placement_rows(runs: list[list[Episode]]) -> list[Row]:
    """One placement per run; its end and change reason come from the run's last episode."""
    rows: list[Row] = []
    for run in runs:
        first, last = run[0], run[-1]
        rows.append(
            {
                "clap_cla_placement_id": first.placement_id,
                "clap_cla_placement_start_date": first.decom,
                "clap_cla_placement_type": first.place or None,
                "clap_cla_placement_urn": first.urn or None,
                "clap_cla_id": first.period_id,
                "clap_cla_placement_provider": first.provider or None,
                "clap_cla_placement_postcode": first.pl_post or None,
                "clap_cla_placement_end_date": last.dec,
                "clap_cla_placement_change_reason": last.reason_place_change or None,
                "clap_person_id": first.child,
                "clap_cla_placement_location": first.pl_location or None,
                **_episode_prov(first),
            }
        )
    return rows


def legal_status_rows(episodes: list[Episode]) -> list[Row]:
    return [
        {
            "lega_legal_status_id": f"{run[0].child}/{run[0].decom.isoformat()}/{run[0].ls}",
            "lega_person_id": run[0].child,
            "lega_legal_status": run[0].ls or None,
            "lega_legal_status_start_date": run[0].decom,
            "lega_legal_status_end_date": run[-1].dec,
            **_episode_prov(run[0]),
        }
        for run in legal_statuses(episodes)
    ]


def review_rows(
    reviews: list[Row], child_episodes: dict[str, list[Episode]], log: ProblemLog
) -> list[Row]:
    """Reviews linked to the period of care they fall in (the SSD keys reviews by period)."""
    rows: list[Row] = []
    for row in reviews:
        child = _s(row["CHILD"])
        review = row["REVIEW"]
        assert isinstance(review, date)
        episode = period_on(child_episodes.get(child, []), review)
        if episode is None:
            log.warning(
                _s(row["_source_file"]),
                "903.review.no_episode",
                "reviews: the child has no episode of care starting on or before this review, "
                "so the review cannot be placed in a period of care",
                row=int(str(row["_source_row"])),
                table="reviews",
            )
        rows.append(
            {
                "clar_cla_review_id": f"{child}/{review.isoformat()}",
                "clar_cla_id": episode.period_id if episode else None,
                "clar_cla_review_date": review,
                "clar_cla_review_participation": row.get("REVIEW_CODE"),
                **_prov(row),
            }
        )
    return rows


def uasc_rows(uasc: list[Row]) -> list[Row]:
    return [
        {
            "immi_person_id": _s(row["CHILD"]),
            "immi_immigration_status_id": f"{row['CHILD']}/UASC",
            "immi_immigration_status": "UASC",
            "immi_immigration_status_end_date": row.get("DUC"),
            **_prov(row),
        }
        for row in uasc
    ]


def merged_missing(returns: Sequence[ReturnRows], log: ProblemLog) -> list[Row]:
    """The missing table across returns, a period left open by one return and not repeated by
    a later one closed at the end of the day before that return's year (a warning says so,
    the end date being the latest the returns allow, not one the council recorded).

    A later return counts when it holds the missing table (a CSV file, even one with no rows)
    or is an XML return (which lists missing periods inside each child, so none is none)."""
    years = {
        ret.year
        for ret in returns
        if "missing" in ret.tables
        or any(
            _s(rows[0].get("_source_file")).lower().endswith(".xml")
            for rows in ret.tables.values()
            if rows
        )
    }
    return [
        _closed_if_not_continued(row, years, log)
        for row in merge_years(returns, "missing", per_year=False)
    ]


def _closed_if_not_continued(row: Row, years: set[int], log: ProblemLog) -> Row:
    """The row, closed (with a warning) when it is left open and a later return that holds
    the missing table does not repeat it (``docs/stitching-903.md``, rule 11)."""
    if row.get("MIS_END") is not None or row.get("_collection_year") is None:
        return row
    year = int(str(row["_collection_year"]))
    later = missing_closed_by(year, years)
    start = row.get("MIS_START")
    if later is None or not isinstance(start, date) or start > year_end(later - 1):
        return row
    end = year_end(later - 1)
    log.warning(
        _s(row.get("_source_file")),
        "903.missing.not_continued",
        f"missing: this period was still open at 31 March {year} in the {year} return, but "
        f"the {later} return, which should repeat a period still running on 1 April "
        f"{later - 1}, does not; it is taken as ended on {end.isoformat()} (the latest day "
        f"the returns allow, not a recorded date): give it its end date in the {later} "
        "return's missing table, or correct the earlier return if the child was never "
        "missing then",
        row=int(str(row["_source_row"])) if row.get("_source_row") else None,
        column="MIS_END",
        table="missing",
    )
    return {**row, "MIS_END": end}


def missing_rows(missing: list[Row]) -> list[Row]:
    """One row per missing episode; an episode that ended the day it started, beside another
    starting that day, has its end date and type in its id (the reader keys it so)."""
    return [
        {
            "miss_table_id": f"{row['CHILD']}/{_iso(row['MIS_START'])}"
            + (f"/{row['_same_day']}" if row.get("_same_day") else ""),
            "miss_person_id": _s(row["CHILD"]),
            "miss_missing_episode_start_date": row["MIS_START"],
            "miss_missing_episode_type": row.get("MISSING"),
            "miss_missing_episode_end_date": row.get("MIS_END"),
            **_prov(row),
        }
        for row in missing
    ]


def care_leaver_rows(oc3: list[Row]) -> list[Row]:
    """OC3: accommodation code split into its kind (letter) and suitability (1 yes, 2 no)."""
    rows: list[Row] = []
    for row in oc3:
        accom = _s(row.get("ACCOM"))
        kind, suitable = split_accommodation(accom)
        rows.append(
            {
                "clea_table_id": f"{row['CHILD']}/{row['_collection_year']}",
                "clea_person_id": _s(row["CHILD"]),
                "clea_care_leaver_in_touch": row.get("IN_TOUCH"),
                "clea_care_leaver_accommodation": kind,
                "clea_care_leaver_accom_suitable": suitable,
                "clea_care_leaver_activity": row.get("ACTIV"),
                **_prov(row),
            }
        )
    return rows


def split_accommodation(code: str) -> tuple[str | None, str | None]:
    """'B1' -> ('B', 'Y'); 'B2' -> ('B', 'N'); '0' or blank -> (code or None, None)."""
    if len(code) == 2 and code[1] in "12":
        return code[0], "Y" if code[1] == "1" else "N"
    return (code or None), None


def permanence_rows(
    ad1: list[Row], placed: list[Row], child_episodes: dict[str, list[Episode]]
) -> list[Row]:
    """One row per child and adoption decision (AD1 and placed-for-adoption joined on the
    decision date); order and placement dates taken from the child's episodes."""
    rows: dict[tuple[str, object], Row] = {}
    for row in placed:
        child = _s(row["CHILD"])
        rows[(child, row["DATE_PLACED"])] = {
            "perm_adm_decision_date": row["DATE_PLACED"],
            "perm_decision_reversed_date": row.get("DATE_PLACED_CEASED"),
            "perm_decision_reversed_reason": row.get("REASON_PLACED_CEASED"),
            **_prov(row),
        }
    for row in ad1:
        child = _s(row["CHILD"])
        entry = rows.setdefault((child, row["DATE_INT"]), {})
        entry.update(
            {
                "perm_adm_decision_date": row["DATE_INT"],
                "perm_matched_date": row.get("DATE_MATCH"),
                "perm_adopted_by_carer_flag": YES_NO.get(_s(row.get("FOSTER_CARE"))),
                "perm_adopter_sex": row.get("SEX_ADOPTR"),
                "perm_adopter_legal_status": row.get("LS_ADOPTR"),
                "perm_number_of_adopters": _s(row.get("NB_ADOPTR")) or None,
                **_prov(row),
            }
        )
    result: list[Row] = []
    for (child, decision), entry in rows.items():
        own = child_episodes.get(child, [])
        entry.update(
            {
                "perm_table_id": f"{child}/{_iso(decision)}",
                "perm_person_id": child,
                **adoption_dates(period_holding(own, decision)),
            }
        )
        result.append(entry)
    return result


def period_holding(episodes: list[Episode], day: object) -> list[Episode]:
    """The episodes of the period of care open on ``day`` (the adoption decision), so that a
    child adopted after a later period of care does not take an earlier period's placement
    order; every episode when no period holds the day (or the day is unknown)."""
    if not isinstance(day, date):
        return episodes
    periods: dict[str, list[Episode]] = {}
    for episode in episodes:
        periods.setdefault(episode.period_id, []).append(episode)
    for own in periods.values():
        start = min(e.decom for e in own)
        ends = [e.dec for e in own]
        end = None if any(d is None for d in ends) else max(d for d in ends if d is not None)
        if start <= day and (end is None or day <= end):
            return own
    return episodes


def adoption_dates(episodes: list[Episode]) -> Row:
    """Dates the episodes show: first placement order (LS E1/D1), first adoption placement
    (PLACE A3-A6) and the adoption order (an episode ceased with REC E11/E12)."""
    order = next((e.decom for e in episodes if e.ls in PLACEMENT_ORDER_STATUSES), None)
    placed = next((e.decom for e in episodes if e.place in ADOPTION_PLACEMENTS), None)
    adopted = next((e for e in episodes if e.rec in ADOPTED_REASONS), None)
    return {
        "perm_cla_id": episodes[-1].period_id if episodes else None,
        "perm_placement_order_date": order,
        "perm_placed_for_adoption_date": placed,
        "perm_permanence_order_date": adopted.dec if adopted else None,
        "perm_permanence_order_type": "Adoption" if adopted else None,
    }


def previous_permanence_rows(rows: list[Row]) -> list[Row]:
    return [
        {
            "lapp_table_id": _s(row["CHILD"]),
            "lapp_person_id": _s(row["CHILD"]),
            "lapp_previous_permanence_order_date": row.get("DATE_PERM"),
            "lapp_previous_permanence_option": row.get("PREV_PERM"),
            "lapp_previous_permanence_la": row.get("LA_PERM"),
            **_prov(row),
        }
        for row in rows
    ]


HEALTH_CHECKS = {
    "HEALTH_ASSESSMENT": "Health assessment",
    "TEETH_CHECK": "Dental check",
    "HEALTH_CHECK": "Health surveillance check",
}


def oc2_rows(oc2: list[Row]) -> dict[str, list[Row]]:
    """OC2 facts are 'up to date at 31 March' or 'during the year': checks that were up to
    date become completed checks dated 31 March of the return's year."""
    out: dict[str, list[Row]] = {
        "ssd_cla_health": [],
        "ssd_cla_immunisations": [],
        "ssd_cla_convictions": [],
        "ssd_sdq_scores": [],
        "ssd_cla_substance_misuse": [],
    }
    for row in oc2:
        child = _s(row["CHILD"])
        year = int(str(row["_collection_year"]))
        as_at = year_end(year)
        prov = _prov(row)
        for column, kind in HEALTH_CHECKS.items():
            if row.get(column) == "1":
                out["ssd_cla_health"].append(
                    {
                        "clah_health_check_id": f"{child}/{year}/{column.lower()}",
                        "clah_person_id": child,
                        "clah_health_check_type": kind,
                        "clah_health_check_date": as_at,
                        "clah_health_check_status": "Completed",
                        **prov,
                    }
                )
        if row.get("IMMUNISATIONS") in YES_NO:
            out["ssd_cla_immunisations"].append(
                {
                    "clai_person_id": child,
                    "clai_immunisations_status": YES_NO[_s(row["IMMUNISATIONS"])],
                    "clai_immunisations_status_date": as_at,
                    **prov,
                }
            )
        if row.get("CONVICTED") == "1":
            out["ssd_cla_convictions"].append(
                {"clac_cla_conviction_id": f"{child}/{year}", "clac_person_id": child, **prov}
            )
        if row.get("SDQ_SCORE") is not None or row.get("SDQ_REASON") is not None:
            out["ssd_sdq_scores"].append(
                {
                    "csdq_table_id": f"{child}/{year}",
                    "csdq_person_id": child,
                    "csdq_sdq_reason": row.get("SDQ_REASON"),
                    "csdq_sdq_score": _s(row.get("SDQ_SCORE")) or None,
                    **prov,
                }
            )
        if row.get("SUBSTANCE_MISUSE") == "1":
            out["ssd_cla_substance_misuse"].append(
                {
                    "clas_substance_misuse_id": f"{child}/{year}",
                    "clas_person_id": child,
                    "clas_intervention_received": YES_NO.get(_s(row.get("INTERVENTION_RECEIVED"))),
                    **prov,
                }
            )
    return out


def social_worker_rows(rows: list[Row]) -> list[Row]:
    return [
        {
            "invo_involvements_id": f"{row['CHILD']}/{row['SW_ID']}/{_iso(row['SW_DECOM'])}",
            "invo_professional_id": _s(row["SW_ID"]),
            "invo_professional_role_id": "SW",
            "invo_involvement_start_date": row["SW_DECOM"],
            "invo_involvement_end_date": row.get("SW_DEC"),
            "invo_worker_change_reason": row.get("SW_REASON"),
            "invo_person_id": _s(row["CHILD"]),
            **_prov(row),
        }
        for row in rows
    ]


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else _s(value)
