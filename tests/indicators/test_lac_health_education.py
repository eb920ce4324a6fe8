"""LAC health and education indicators on hand-built episodes, health records and PEPs.

Expected values are worked out from the catalogue definitions in the comments beside them.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

import polars as pl
import pytest
from tests.indicators.helpers import SETTINGS, row
from tests.indicators.helpers import run as run_areas

from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.engine import compute
from cscperf.indicators.testing import build_from_rows
from cscperf.settings import ParameterOverride

AREAS = ["lac_health_education", "lac"]


run = partial(run_areas, areas=AREAS)


def episode(person: str, n: int, start: str, end: str | None = None) -> dict[str, Any]:
    return {
        "clae_cla_episode_id": f"{person}-{n}",
        "clae_person_id": person,
        "clae_cla_id": f"CLA-{person}",
        "clae_cla_episode_start_date": start,
        "clae_cla_episode_ceased_date": end,
        "clae_cla_episode_start_reason": "S",
        "clae_cla_episode_ceased_reason": "E13" if end else None,
    }


def person(pid: str, dob: str) -> dict[str, Any]:
    return {"pers_person_id": pid, "pers_dob": dob}


def check(pid: str, n: int, kind: str, when: str, status: str = "Completed") -> dict[str, Any]:
    return {
        "clah_health_check_id": f"{pid}-{n}",
        "clah_person_id": pid,
        "clah_health_check_type": kind,
        "clah_health_check_date": when,
        "clah_health_check_status": status,
    }


def involvement(pid: str, team: str) -> dict[str, Any]:
    return {
        "invo_person_id": pid,
        "invo_professional_team": team,
        "invo_involvement_start_date": "2015-01-01",
    }


# ------------------------------------------------------------------ initial health assessments
# Calendar: Mon 1 Jan 2024 is a bank holiday. A POC starting Tue 2 Jan 2024 reaches its
# 20th working day on Tue 30 Jan 2024 (3-5, 8-12, 15-19, 22-26, 29, 30 Jan).
# A POC starting Mon 15 Jan 2024: 20th working day Mon 12 Feb 2024.

IHA = {
    "ssd_cla_episodes": [
        episode("A", 1, "2024-01-02"),  # IHA on day 20 (30 Jan): in time
        episode("B", 1, "2024-01-02"),  # IHA on 31 Jan: 21 working days, late
        episode("C", 1, "2024-01-02", "2024-01-29"),  # ended before day 20: out
        episode("D", 1, "2024-01-02", "2024-01-30"),  # ended on day 20: stays in, no IHA
        episode("E", 1, "2024-01-02"),  # IHA before the POC start: does not count
        episode("F", 1, "2024-01-15"),  # day 20 in February
        episode("G", 1, "2024-01-02"),  # refused IHA only
    ],
    "ssd_cla_health": [
        check("A", 1, "Health Assessment", "2024-01-30"),
        check("B", 1, "Initial health assessment", "2024-01-31"),
        check("E", 1, "Health Assessment", "2023-12-20"),
        check("F", 1, "health assessment", "2024-01-16"),
        check("G", 1, "Health Assessment", "2024-01-10", status="Refused"),
    ],
    "ssd_involvements": [involvement("A", "T1"), involvement("B", "T3")],
}


@pytest.fixture(scope="module")
def iha():
    return run(IHA, ["lac_health.iha_within_20wd_pct"], date(2024, 1, 31), date(2024, 2, 29))


def test_iha_counts_children_in_the_month_of_their_twentieth_working_day(iha):
    jan = row(iha, "lac_health.iha_within_20wd_pct", date(2024, 1, 31))
    # A, B, D, E, G reach day 20 (30 Jan) in care; only A's IHA is within 20 working days.
    assert (jan["numerator"], jan["denominator"]) == (1, 5)
    feb = row(iha, "lac_health.iha_within_20wd_pct", date(2024, 2, 29))
    assert (feb["numerator"], feb["denominator"]) == (1, 1)
    assert feb["value"] == 100.0


def test_iha_breakdowns_follow_the_allocated_team(iha):
    t1 = row(iha, "lac_health.iha_within_20wd_pct", date(2024, 1, 31), "team", "T1")
    t3 = row(iha, "lac_health.iha_within_20wd_pct", date(2024, 1, 31), "team", "T3")
    un = row(iha, "lac_health.iha_within_20wd_pct", date(2024, 1, 31), "team", "unallocated")
    assert (t1["numerator"], t1["denominator"]) == (1, 1)
    assert (t3["numerator"], t3["denominator"]) == (0, 1)
    assert (un["numerator"], un["denominator"]) == (0, 3)


# ------------------------------------------------------------------ twelve-month cohort
# E = 31 Mar 2024: ADD_MONTHS(E, -12) = 31 Mar 2023, R12 = 1 Apr 2023 .. 31 Mar 2024.

COHORT = {
    "ssd_person": [
        person("P1", "2015-06-01"),  # 8: one HA in R12 -> up to date
        person("P2", "2021-02-10"),  # 3: one HA only -> not up to date
        person("P3", "2020-02-29"),  # 4 at E -> needs two; has two
        person("P4", "2010-01-01"),  # in care from 1 Apr 2023: under 12 months -> out
        person("P5", "2012-05-05"),  # HA dated 31 Mar 2023, outside R12 -> not up to date
        person("P6", "2008-04-01"),  # care ended on E: not looked after at E -> out
    ],
    "ssd_cla_episodes": [
        episode("P1", 1, "2023-03-31"),  # exactly 12 months: in
        episode("P2", 1, "2020-01-01"),
        episode("P3", 1, "2021-01-01"),
        episode("P4", 1, "2023-04-01"),
        episode("P5", 1, "2019-01-01"),
        episode("P6", 1, "2019-01-01", "2024-03-31"),
    ],
    "ssd_cla_health": [
        check("P1", 1, "Health Assessment", "2023-04-01"),
        check("P1", 2, "Dental Check", "2024-03-31"),
        check("P2", 1, "Health Assessment", "2023-09-01"),
        check("P2", 2, "Dental Check", "2023-09-01", status="Declined"),
        check("P3", 1, "Health Assessment", "2023-06-01"),
        check("P3", 2, "Review Health Assessment", "2023-12-01"),
        check("P5", 1, "Health Assessment", "2023-03-31"),
        check("P5", 2, "Dental Check", "2023-05-01"),
    ],
    "ssd_cla_immunisations": [
        {
            "clai_person_id": "P1",
            "clai_immunisations_status": "Y",
            "clai_immunisations_status_date": "2023-01-01",
        },
        {
            "clai_person_id": "P2",
            "clai_immunisations_status": "Y",
            "clai_immunisations_status_date": "2023-01-01",
        },
        {
            "clai_person_id": "P2",
            "clai_immunisations_status": "N",
            "clai_immunisations_status_date": "2024-02-01",
        },  # latest says no
        {
            "clai_person_id": "P3",
            "clai_immunisations_status": "N",
            "clai_immunisations_status_date": "2023-01-01",
        },
        {
            "clai_person_id": "P3",
            "clai_immunisations_status": "Y",
            "clai_immunisations_status_date": "2024-04-02",
        },  # after E: ignored
    ],
    "ssd_sdq_scores": [
        {
            "csdq_table_id": "S1",
            "csdq_person_id": "P1",
            "csdq_sdq_completed_date": "2023-05-01",
            "csdq_sdq_score": "10",
        },
        {
            "csdq_table_id": "S2",
            "csdq_person_id": "P1",
            "csdq_sdq_completed_date": "2024-01-01",
            "csdq_sdq_score": "14",
        },  # latest in window: 14
        {
            "csdq_table_id": "S3",
            "csdq_person_id": "P5",
            "csdq_sdq_completed_date": "2023-06-01",
            "csdq_sdq_score": "SDQ1",
        },  # reason code, not a score
        {
            "csdq_table_id": "S4",
            "csdq_person_id": "P5",
            "csdq_sdq_completed_date": "2023-07-01",
            "csdq_sdq_score": "22",
        },
        {
            "csdq_table_id": "S5",
            "csdq_person_id": "P2",
            "csdq_sdq_completed_date": "2023-07-01",
            "csdq_sdq_score": "30",
        },  # aged 3: out of the 5-16 band
        {
            "csdq_table_id": "S6",
            "csdq_person_id": "P3",
            "csdq_sdq_completed_date": "2023-07-01",
            "csdq_sdq_score": "41",
        },  # out of range
    ],
}

HEALTH_IDS = [
    "lac_health.health_assessment_up_to_date_pct",
    "lac_health.dental_check_up_to_date_pct",
    "lac_health.immunisations_up_to_date_pct",
    "lac_health.sdq_score_avg",
]


@pytest.fixture(scope="module")
def cohort():
    return run(COHORT, HEALTH_IDS, date(2024, 3, 31), date(2024, 3, 31))


def test_health_assessments_apply_the_under_five_rule(cohort):
    r = row(cohort, "lac_health.health_assessment_up_to_date_pct", date(2024, 3, 31))
    # Cohort P1, P2, P3, P5 (P4 too new, P6 left on E). Up to date: P1 (1, aged 8), P3 (2,
    # aged 4: born 29 Feb 2020 and 4 on 29 Feb 2024). P2 aged 3 has only one; P5's is outside R12.
    assert (r["numerator"], r["denominator"]) == (2, 4)
    assert r["value"] == 50.0
    assert "small_number" in r["flags"]


def test_dental_checks_count_completed_checks_in_the_window(cohort):
    r = row(cohort, "lac_health.dental_check_up_to_date_pct", date(2024, 3, 31))
    # P1 (31 Mar 2024, the last day of R12) and P5; P2's was declined.
    assert (r["numerator"], r["denominator"]) == (2, 4)


def test_immunisations_use_the_latest_status_on_or_before_the_month_end(cohort):
    r = row(cohort, "lac_health.immunisations_up_to_date_pct", date(2024, 3, 31))
    # P1 yes; P2 latest no; P3 latest on or before E is no; P5 has no record.
    assert (r["numerator"], r["denominator"]) == (1, 4)


def test_sdq_average_uses_latest_valid_score_of_children_aged_5_to_16(cohort):
    r = row(cohort, "lac_health.sdq_score_avg", date(2024, 3, 31))
    # P1 latest 14, P5 22 (the reason code ignored); P2 too young; P3's 41 is not a score.
    assert (r["numerator"], r["denominator"]) == (36, 2)
    assert r["value"] == 18.0


def test_health_is_not_available_without_health_records():
    tables = {k: v for k, v in COHORT.items() if k != "ssd_cla_health"}
    results = run(tables, HEALTH_IDS[:1], date(2024, 3, 31), date(2024, 3, 31))
    r = row(results, "lac_health.health_assessment_up_to_date_pct", date(2024, 3, 31))
    assert r["value"] is None and r["numerator"] is None
    assert "not_available" in r["flags"] and "ssd_cla_health" in r["reason"]


# ------------------------------------------------------------------ personal education plans
# E = 31 Jan 2024 (spring term from 1 Jan; academic age taken on 31 Aug 2023).
# E = 30 Sep 2023 (autumn term from 1 Sep; academic age on 31 Aug 2023).


def pep_frame(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "person_id": [r[0] for r in rows],
            "pep_date": [date.fromisoformat(r[1]) for r in rows],
            "pep_status": [r[2] for r in rows],
        },
        schema={"person_id": pl.String, "pep_date": pl.Date, "pep_status": pl.String},
    )


PEP_TABLES: dict[str, Any] = {
    "ssd_person": [
        person("Q1", "2013-05-01"),  # 10 on 31 Aug 2023: in
        person("Q2", "2018-09-01"),  # 4 on 31 Aug 2023 (5 the next day): out
        person("Q3", "2007-09-01"),  # 15 on 31 Aug 2023 (Year 11): in
        person("Q4", "2007-08-31"),  # 16 on 31 Aug 2023: out
        person("Q5", "2012-01-01"),  # in, PEP only in the autumn term
    ],
    "ssd_cla_episodes": [episode(p, 1, "2022-01-01") for p in ("Q1", "Q2", "Q3", "Q4", "Q5")],
    "imported_pep": pep_frame(
        [
            ("Q1", "2024-01-15", "Completed"),
            ("Q2", "2024-01-15", "completed"),
            ("Q3", "2024-01-01", "completed"),  # first day of the spring term
            ("Q5", "2023-12-20", "completed"),  # autumn term
            ("Q5", "2024-01-20", "draft"),  # not completed
        ]
    ),
}


def test_pep_counts_completed_plans_in_the_current_term():
    results = run(
        PEP_TABLES, ["lac_health.pep_up_to_date_pct"], date(2023, 12, 31), date(2024, 1, 31)
    )
    jan = row(results, "lac_health.pep_up_to_date_pct", date(2024, 1, 31))
    assert (jan["numerator"], jan["denominator"]) == (2, 3)  # Q1, Q3 of Q1, Q3, Q5
    dec = row(results, "lac_health.pep_up_to_date_pct", date(2023, 12, 31))
    assert (dec["numerator"], dec["denominator"]) == (1, 3)  # Q5 (20 Dec, autumn term)


def test_pep_is_not_available_without_an_imported_extract():
    tables = {k: v for k, v in PEP_TABLES.items() if k != "imported_pep"}
    results = run(tables, ["lac_health.pep_up_to_date_pct"], date(2024, 1, 31), date(2024, 1, 31))
    r = row(results, "lac_health.pep_up_to_date_pct", date(2024, 1, 31))
    assert r["value"] is None and "imported_pep" in r["reason"]


def test_term_start_and_academic_age_date():
    from cscperf.indicators.areas.lac_health_education import academic_age_date, term_start

    terms = {"autumn": "1 Sep - 31 Dec", "spring": "1 Jan - 31 Mar", "summer": "1 Apr - 31 Aug"}
    assert term_start(terms, date(2024, 8, 31)) == date(2024, 4, 1)
    assert term_start(terms, date(2024, 3, 31)) == date(2024, 1, 1)
    assert term_start({"winter": "1 Nov - 28 Feb"}, date(2024, 1, 31)) == date(2023, 11, 1)
    assert academic_age_date(date(2024, 9, 30)) == date(2024, 8, 31)
    assert academic_age_date(date(2024, 8, 31)) == date(2023, 8, 31)


# Terms leaving August out: 31 July lies in the summer term, 31 August in none.
TERMS_WITHOUT_AUGUST = ParameterOverride(
    indicator_id="lac_health.pep_up_to_date_pct",
    parameter="terms",
    value={"autumn": "1 Sep - 31 Dec", "spring": "1 Jan - 31 Mar", "summer": "1 Apr - 31 Jul"},
    effective_from=date(2015, 1, 1),
)


def test_pep_outside_every_term_is_not_available_even_from_cached_sql():
    # July's run compiles and caches the SQL under the run key that August's run of the same
    # build reuses ("months #0"): the term check must still refuse August.
    build = build_from_rows(PEP_TABLES)
    catalogue = load_catalogue(areas=AREAS)
    settings = SETTINGS.model_copy(update={"parameters": [TERMS_WITHOUT_AUGUST]})
    ids = ["lac_health.pep_up_to_date_pct"]
    july = compute(
        build, date(2024, 7, 31), date(2024, 7, 31), settings=settings, ids=ids, catalogue=catalogue
    )
    assert row(july, ids[0], date(2024, 7, 31))["value"] is not None
    august = compute(
        build, date(2024, 8, 31), date(2024, 8, 31), settings=settings, ids=ids, catalogue=catalogue
    )
    r = row(august, ids[0], date(2024, 8, 31))
    assert r["value"] is None and "no school term" in r["reason"]
