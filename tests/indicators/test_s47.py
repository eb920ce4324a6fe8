"""Section 47: hand-worked completions, outcome classes and rates."""

from __future__ import annotations

from datetime import date

import pytest
from tests.indicators.helpers import row, run

from cscperf.indicators.testing import population_rows

MAR = date(2024, 3, 31)
IDS = [
    "s47.completed_count",
    "s47.rate_per_10k",
    "s47.annualised_month_rate_per_10k",
    "s47.substantiated_continuing_risk_pct",
    "s47.not_substantiated_pct",
    "s47.substantiated_no_continuing_risk_pct",
]


def s47(sid, start, end, nfa=None, outcome=None, team=None):
    return {
        "s47e_s47_enquiry_id": sid,
        "s47e_person_id": "P" + sid,
        "s47e_s47_start_date": start,
        "s47e_s47_end_date": end,
        "s47e_s47_nfa": nfa,
        "s47e_s47_outcome_json": outcome,
        "s47e_s47_completed_by_team": team,
    }


ENQUIRIES = [
    s47("s1", "2024-03-01", "2024-03-05", outcome='{CP_CONFERENCE_FLAG: "Y"}', team="T1"),
    s47("s2", "2024-03-02", "2024-03-10", nfa="Y", team="T3"),
    s47("s3", "2024-03-03", "2024-03-20", outcome='{NFA_FLAG: "Y"}'),  # conference held: class 1
    s47("s4", "2024-03-04", "2024-03-31", outcome='{PROV_OF_SERVICES_FLAG: "Y"}'),
    s47("s5", "2024-03-15", None),  # still open
    s47("s6", "2024-03-10", "2024-03-09"),  # ends before it starts: left out
]
CONFERENCES = [{"icpc_icpc_id": "k1", "icpc_s47_enquiry_id": "s3", "icpc_person_id": "Ps3"}]


@pytest.fixture(scope="module")
def results():
    return run(
        {
            "ssd_s47_enquiry": ENQUIRIES,
            "ssd_initial_cp_conference": CONFERENCES,
            "population": population_rows({2023: 24_000}),
        },
        IDS,
        MAR,
        MAR,
    )


def test_completed_by_end_date(results):
    assert row(results, "s47.completed_count", MAR)["value"] == 4
    assert row(results, "s47.completed_count", MAR, "locality", "South")["value"] == 1


def test_outcome_classes_in_order_and_sum_to_100(results):
    values = [row(results, i, MAR)["value"] for i in IDS[3:]]
    assert values == [50.0, 25.0, 25.0]


def test_annualised_and_started_rates(results):
    assert row(results, "s47.annualised_month_rate_per_10k", MAR)["value"] == pytest.approx(20.0)
    started = row(results, "s47.rate_per_10k", MAR)
    assert started["numerator"] == 5
    assert started["value"] == pytest.approx(5 / 24_000 * 10_000)
