"""Assessments: hand-worked working days across Easter and May bank holidays 2024.

Start Thu 28 Mar 2024; Good Friday 29 Mar and Easter Monday 1 Apr are bank holidays, as are
6 May and 27 May. Working days after the start: 2 Apr is day 1 ... 5 Jun is day 45, 6 Jun 46.
From Wed 27 Mar (a working day) everything is one more: 5 Jun is 46, 12 Jun is 51.
"""

from __future__ import annotations

from datetime import date

import pytest
from tests.indicators.helpers import row, run

from cscperf.indicators.testing import population_rows

JUN = date(2024, 6, 30)
IDS = [
    "assess.completed_count",
    "assess.within_45wd_pct",
    "assess.within_45wd_of_referral_pct",
    "assess.outcome_nfa_pct",
    "assess.outcome_step_down_eh_pct",
]


def assessment(aid, referral, start, auth, nfa=None, outcome=None, team="T1"):
    return {
        "cina_assessment_id": aid,
        "cina_person_id": "P" + aid,
        "cina_referral_id": referral,
        "cina_assessment_start_date": start,
        "cina_assessment_auth_date": auth,
        "cina_assessment_outcome_nfa": nfa,
        "cina_assessment_outcome_json": outcome,
        "cina_assessment_team": team,
    }


ASSESSMENTS = [
    assessment("a1", "r1", "2024-03-28", "2024-06-05", nfa="Y"),  # 45 WD: in time
    assessment(
        "a2", "rX", "2024-03-28", "2024-06-06", outcome='{NFA_FLAG: "Y", LEGAL_ACTION_FLAG: ""}'
    ),
    assessment(
        "a3",
        "r3",
        "2024-06-10",
        "2024-06-10",
        outcome='{NFA_FLAG: "Y", PROV_OF_SERVICES_FLAG: "Y"}',
    ),  # same day: 0 WD
    assessment("a4", "r1", None, "2024-06-12", nfa="N", outcome='{NFA_FLAG: "Y"}'),
    assessment("a5", "r1", "2024-06-20", "2024-06-19"),  # authorised before start: left out
]
EPISODES = [
    {
        "cine_referral_id": "r1",
        "cine_person_id": "Pa1",
        "cine_referral_date": "2024-03-27",
        "cine_close_date": "2024-06-20",
        "cine_close_reason": "RC9",
    },
    {
        "cine_referral_id": "r3",
        "cine_person_id": "Pa3",
        "cine_referral_date": "2024-06-10",
        "cine_close_date": "2024-06-30",
        "cine_close_reason": "RC8",
    },
]


@pytest.fixture(scope="module")
def results():
    return run({"ssd_cin_assessments": ASSESSMENTS, "ssd_cin_episodes": EPISODES}, IDS, JUN, JUN)


def test_completed(results):
    assert row(results, "assess.completed_count", JUN)["value"] == 4


def test_within_45_working_days_of_start_with_bank_holidays(results):
    r = row(results, "assess.within_45wd_pct", JUN)
    assert (r["numerator"], r["denominator"]) == (2, 3)  # a1 (45), a3 (0); a2 is 46


def test_within_45_working_days_of_referral(results):
    r = row(results, "assess.within_45wd_of_referral_pct", JUN)
    assert (r["numerator"], r["denominator"]) == (1, 3)  # a3 only; a1 46, a4 51; a2 unlinked


def test_nfa_outcome_field_then_json(results):
    r = row(results, "assess.outcome_nfa_pct", JUN)
    assert (r["numerator"], r["denominator"]) == (2, 4)  # a1 field, a2 json; a4 field says N


def test_step_down_to_early_help(results):
    r = row(results, "assess.outcome_step_down_eh_pct", JUN)
    assert (r["numerator"], r["denominator"]) == (2, 4)  # a1, a4 on r1 closed RC9 after auth


def test_rate_per_10k_over_rolling_12_months():
    tables = {
        "ssd_cin_assessments": ASSESSMENTS,
        "ssd_cin_episodes": EPISODES,
        "population": population_rows({2024: 8_000}),
    }
    results = run(tables, ["assess.rate_per_10k"], JUN, JUN)
    got = row(results, "assess.rate_per_10k", JUN)
    # Authorised July 2023 - June 2024: a1-a4 (a5 left out) = 4; 4 / 8,000 * 10,000 = 5.0.
    assert (got["numerator"], got["denominator"]) == (4, 8_000)
    assert got["value"] == pytest.approx(5.0)
