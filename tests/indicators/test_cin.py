"""Children in need: hand-worked month-end snapshots, section 17, plans and a dated override."""

from __future__ import annotations

from datetime import date

import pytest
from tests.indicators.helpers import SETTINGS, row, run

from cscperf.indicators.testing import population_rows
from cscperf.settings import ParameterOverride

JAN, FEB = date(2024, 1, 31), date(2024, 2, 29)
IDS = ["cin.count", "cin.s17_count", "cin.rate_per_10k", "cin.plan_up_to_date_pct"]


def ep(rid, person, referred, closed=None, team=None, nfa=None):
    return {
        "cine_referral_id": rid,
        "cine_person_id": person,
        "cine_referral_date": referred,
        "cine_close_date": closed,
        "cine_referral_team": team,
        "cine_referral_nfa": nfa,
    }


TABLES = {
    "ssd_cin_episodes": [
        ep("1", "A", "2024-01-10"),
        ep("2", "B", "2024-01-05", closed="2024-02-29"),  # ends on E: not open at 29 Feb
        ep("3", "C", "2023-11-01", team="T1"),
        ep("4", "C", "2024-02-01", team="T3"),  # two open episodes: C counts once, team T3
        ep("5", "D", "2024-01-03", nfa="Y"),  # NFA: left out
        ep("6", "E", "2024-01-04"),  # on a CP plan from 15 Jan
        ep("7", "F", "2024-01-06"),  # looked after from 10 Feb
        ep("8", "G", "2023-12-01"),  # short breaks only: still section 17
    ],
    "ssd_cp_plans": [
        {"cppl_cp_plan_id": "p1", "cppl_person_id": "E", "cppl_cp_plan_start_date": "2024-01-15"}
    ],
    "ssd_cla_episodes": [
        {
            "clae_cla_episode_id": "x1",
            "clae_person_id": "F",
            "clae_cla_id": "F1",
            "clae_cla_episode_start_date": "2024-02-10",
        },
        {
            "clae_cla_episode_id": "x2",
            "clae_person_id": "G",
            "clae_cla_id": "G1",
            "clae_cla_episode_start_date": "2024-01-08",
        },
    ],
    "ssd_legal_status": [
        {
            "lega_legal_status_id": "l1",
            "lega_person_id": "G",
            "lega_legal_status": "V3",
            "lega_legal_status_start_date": "2024-01-08",
        }
    ],
    "ssd_cin_plans": [
        {"cinp_cin_plan_id": "c1", "cinp_person_id": "C", "cinp_cin_plan_start_date": "2024-01-01"}
    ],
    "population": population_rows({2023: 10_000}),
}


@pytest.fixture(scope="module")
def results():
    return run(TABLES, IDS, JAN, FEB)


def test_children_in_need_at_month_end(results):
    assert row(results, "cin.count", JAN)["value"] == 6  # A B C E F G, C once
    assert row(results, "cin.count", FEB)["value"] == 5  # B ended on E
    assert row(results, "cin.count", FEB, "team", "T3")["value"] == 1


def test_section_17_excludes_cp_and_looked_after_not_short_breaks(results):
    assert row(results, "cin.s17_count", JAN)["value"] == 5  # A B C F G
    assert row(results, "cin.s17_count", FEB)["value"] == 3  # A C G


def test_rate(results):
    assert row(results, "cin.rate_per_10k", FEB)["value"] == pytest.approx(5.0)


def test_plan_up_to_date_with_45_working_days(results):
    # At 29 Feb: A has 36 WD open (not due), C and G are due; only C has a plan.
    r = row(results, "cin.plan_up_to_date_pct", FEB)
    assert (r["numerator"], r["denominator"]) == (1, 2)
    assert r["definition_version"] == "cin.plan_up_to_date_pct@1"


def test_a_dated_override_changes_later_months_only():
    settings = SETTINGS.model_copy(
        update={
            "parameters": [
                ParameterOverride(
                    indicator_id="cin.plan_up_to_date_pct",
                    parameter="cin_plan_due_wd",
                    value=20,
                    effective_from=date(2024, 2, 1),
                )
            ]
        }
    )
    results = run(TABLES, ["cin.plan_up_to_date_pct"], JAN, FEB, settings=settings)
    jan, feb = (row(results, "cin.plan_up_to_date_pct", e) for e in (JAN, FEB))
    assert jan["definition_version"].endswith("@1") and feb["definition_version"].endswith("@2")
    assert (feb["numerator"], feb["denominator"]) == (1, 3)  # A (36 WD) is now due too
