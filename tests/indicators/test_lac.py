"""Looked-after children indicators on hand-built episodes.

Expected values are worked out from the catalogue definitions in the comments beside them.
"""

from __future__ import annotations

from datetime import date

import pytest
from tests.indicators.care_helpers import run
from tests.indicators.helpers import row

from cscperf.indicators.testing import population_rows


def episode(
    eid: str,
    person: str,
    start: str,
    ceased: str | None = None,
    reason: str | None = None,
    *,
    rne: str = "S",
    entered: str | None = None,
    placement: str | None = None,
):
    return {
        "clae_cla_episode_id": eid,
        "clae_person_id": person,
        "clae_cla_id": f"CLA-{person}",
        "clae_cla_episode_start_date": start,
        "clae_cla_episode_start_reason": rne,
        "clae_cla_episode_ceased_date": ceased,
        "clae_cla_episode_ceased_reason": reason,
        "clae_entered_care_date": entered,
        "clae_cla_placement_id": placement,
    }


def legal(lid: str, person: str, status: str, start: str, end: str | None = None):
    return {
        "lega_legal_status_id": lid,
        "lega_person_id": person,
        "lega_legal_status": status,
        "lega_legal_status_start_date": start,
        "lega_legal_status_end_date": end,
    }


EPISODES = [
    # A: one POC of two episodes (X1 then adopted on 31 Mar: not looked after at 31 Mar).
    episode("A1", "A", "2023-06-01", "2024-02-10", "X1"),
    episode("A2", "A", "2024-02-10", "2024-03-31", "E11", rne="P"),
    # B: short breaks only: never looked after.
    episode("B1", "B", "2024-01-05", "2024-01-08", "E8"),
    # C: short break, then continuous care from the day it ended: POC starts 20 Jan.
    episode("C1", "C", "2024-01-02", "2024-01-20", "E8"),
    episode("C2", "C", "2024-01-20"),
    # D: earlier care in 2022, returns on 15 Feb 2024.
    episode("D1", "D", "2022-01-01", "2022-06-30", "E8"),
    episode("D2", "D", "2024-02-15"),
    # E: two POCs: 1-20 Mar (special guardianship), 5 Apr - 10 May (child arrangements).
    episode("E1", "E", "2024-03-01", "2024-03-20", "E45"),
    episode("E2", "E", "2024-04-05", "2024-05-10", "E41"),
    # F: extract begins part-way through care: entered care 1 May 2022.
    episode("F1", "F", "2023-09-01", entered="2022-05-01"),
]
LEGAL = [
    legal("L1", "B", "V3", "2024-01-05", "2024-01-08"),
    legal("L2", "C", "V3", "2024-01-02", "2024-01-20"),
    legal("L3", "C", "C2", "2024-01-20"),
]
IMMIGRATION = [
    {
        "immi_person_id": "C",
        "immi_immigration_status_id": "U1",
        "immi_immigration_status": "Unaccompanied Asylum Seeking Child",
        "immi_immigration_status_start_date": "2024-01-20",
        "immi_immigration_status_end_date": "2024-05-31",
    }
]


@pytest.fixture(scope="module")
def results():
    ids = [
        "lac.count",
        "lac.rate_per_10k",
        "lac.uasc_count",
        "lac.starts_count",
        "lac.starts_rate_per_10k",
        "lac.ceased_count",
        "lac.ceased_rate_per_10k",
        "lac.ceased_permanence_pct",
        "lac.ceased_adopted_pct",
        "lac.ceased_adopted_rolling_12m_pct",
        "lac.ceased_sgo_rolling_12m_pct",
        "lac.second_or_subsequent_start_pct",
    ]
    tables = {
        "ssd_cla_episodes": EPISODES,
        "ssd_legal_status": LEGAL,
        "ssd_immigration_status": IMMIGRATION,
        "population": population_rows({2023: 10_000}),
    }
    return run(tables, ids, date(2024, 1, 31), date(2024, 5, 31))


def value(results, indicator_id: str, period_end: date):
    return row(results, indicator_id, period_end)["value"]


def num_den(results, indicator_id: str, period_end: date) -> tuple[float, float]:
    got = row(results, indicator_id, period_end)
    return got["numerator"], got["denominator"]


def test_looked_after_rate_per_10k(results) -> None:
    # Feb: four looked after (A, C, D, F) / 10,000 * 10,000 = 4.0; Mar: three = 3.0.
    assert num_den(results, "lac.rate_per_10k", date(2024, 2, 29)) == (4, 10_000)
    assert value(results, "lac.rate_per_10k", date(2024, 2, 29)) == pytest.approx(4.0)
    assert value(results, "lac.rate_per_10k", date(2024, 3, 31)) == pytest.approx(3.0)


def test_looked_after_count(results) -> None:
    # Jan: A, C, F. Feb: + D. Mar: A's care ended on 31 Mar and E's on 20 Mar: C, D, F.
    # Apr: + E's second POC. May: E's ended 10 May. B (short breaks) never counts.
    expected = [3, 4, 3, 4, 3]
    ends = [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]
    assert [value(results, "lac.count", e) for e in ends] == expected


def test_uasc_status_ending_on_e_is_not_counted(results) -> None:
    assert value(results, "lac.uasc_count", date(2024, 4, 30)) == 1
    assert value(results, "lac.uasc_count", date(2024, 5, 31)) == 0


def test_starts_exclude_short_breaks(results) -> None:
    # Jan: C only (B is short breaks; C's POC starts on its first non-short-break episode).
    assert value(results, "lac.starts_count", date(2024, 1, 31)) == 1
    assert value(results, "lac.starts_count", date(2024, 2, 29)) == 1  # D
    assert value(results, "lac.starts_count", date(2024, 3, 31)) == 1  # E
    assert value(results, "lac.starts_count", date(2024, 4, 30)) == 1  # E again
    assert value(results, "lac.starts_count", date(2024, 5, 31)) == 0


def test_starts_rate_counts_children_once(results) -> None:
    # R12 to 30 Apr 2024: A (Jun 2023), C, D, E (twice, once) = 4; F entered care in 2022.
    got = row(results, "lac.starts_rate_per_10k", date(2024, 4, 30))
    assert got["numerator"] == 4
    assert got["value"] == pytest.approx(4.0)


def test_ceased_ignore_x1_and_short_breaks(results) -> None:
    # Feb: A's X1 is not a ceasing. Mar: A (adopted, 31 Mar) and E (SGO, 20 Mar).
    assert value(results, "lac.ceased_count", date(2024, 1, 31)) == 0
    assert value(results, "lac.ceased_count", date(2024, 2, 29)) == 0
    assert value(results, "lac.ceased_count", date(2024, 3, 31)) == 2
    assert value(results, "lac.ceased_count", date(2024, 5, 31)) == 1
    # R12 to May: A and E, E once.
    assert row(results, "lac.ceased_rate_per_10k", date(2024, 5, 31))["numerator"] == 2


def test_ceased_reasons(results) -> None:
    assert num_den(results, "lac.ceased_permanence_pct", date(2024, 3, 31)) == (2, 2)
    assert num_den(results, "lac.ceased_permanence_pct", date(2024, 5, 31)) == (1, 1)  # E41
    assert num_den(results, "lac.ceased_adopted_pct", date(2024, 3, 31)) == (1, 2)


def test_rolling_ceased_uses_each_childs_last_ending(results) -> None:
    # To 31 Mar: A adopted, E SGO. To 31 May: E's last ending is E41, not SGO.
    assert num_den(results, "lac.ceased_adopted_rolling_12m_pct", date(2024, 3, 31)) == (1, 2)
    assert num_den(results, "lac.ceased_sgo_rolling_12m_pct", date(2024, 3, 31)) == (1, 2)
    assert num_den(results, "lac.ceased_adopted_rolling_12m_pct", date(2024, 5, 31)) == (1, 2)
    assert num_den(results, "lac.ceased_sgo_rolling_12m_pct", date(2024, 5, 31)) == (0, 2)


def test_second_or_subsequent_start(results) -> None:
    # R12 to 30 Apr: starts A, C, D, E(Mar), E(Apr); returning D and E(Apr). C's earlier
    # short breaks are not earlier care. F's POC began in 2022 (entered care date).
    assert num_den(results, "lac.second_or_subsequent_start_pct", date(2024, 4, 30)) == (2, 5)


def test_restart_on_the_day_care_ended_is_one_poc() -> None:
    rows = [
        episode("G1", "G", "2024-01-10", "2024-02-01", "E8"),
        episode("G2", "G", "2024-02-01", rne="S"),
    ]
    results = run(
        {"ssd_cla_episodes": rows},
        ["lac.starts_count", "lac.ceased_count", "lac.count"],
        date(2024, 2, 29),
        date(2024, 2, 29),
    )
    assert value(results, "lac.starts_count", date(2024, 2, 29)) == 0
    assert value(results, "lac.ceased_count", date(2024, 2, 29)) == 0
    assert value(results, "lac.count", date(2024, 2, 29)) == 1


# ------------------------------------------------------------------ reviews


def review(rid: str, person: str, when: str, cancelled: str | None = None):
    return {
        "clar_cla_review_id": rid,
        "clar_cla_id": f"CLA-{person}",
        "clar_cla_review_date": when,
        "clar_cla_review_cancelled": cancelled,
    }


def test_reviews_in_timescale() -> None:
    rows = [
        # H: POC from Sat 20 Jan 2024: first review due ADD_WD(20 Jan, 20) = 16 Feb.
        episode("H1", "H", "2024-01-20"),
        # J: POC from Wed 20 Mar 2024: due 19 Apr (Good Friday and Easter Monday skipped).
        episode("J1", "J", "2024-03-20"),
        # K: POC from Thu 15 Feb 2024: first due 14 Mar, second ADD_MONTHS(14 Mar, 3) = 14 Jun.
        episode("K1", "K", "2024-02-15"),
    ]
    reviews = [
        review("R1", "H", "2024-01-10"),  # before the POC: ignored
        review("R2", "H", "2024-02-19"),  # late
        review("R3", "J", "2024-04-19"),  # on the due day
        review("R4", "K", "2024-03-14"),  # on time
        review("R5", "K", "2024-06-14"),  # on time (second review, 3 months)
        review("R6", "K", "2024-04-02", cancelled="Y"),  # cancelled: not a review
    ]
    results = run(
        {"ssd_cla_episodes": rows, "ssd_cla_reviews": reviews},
        ["lac.reviews_in_timescale_pct"],
        date(2024, 1, 31),
        date(2024, 6, 30),
    )
    pct = "lac.reviews_in_timescale_pct"
    assert num_den(results, pct, date(2024, 1, 31)) == (0, 0)
    assert num_den(results, pct, date(2024, 2, 29)) == (0, 1)
    assert num_den(results, pct, date(2024, 3, 31)) == (1, 1)
    assert num_den(results, pct, date(2024, 4, 30)) == (1, 1)
    assert num_den(results, pct, date(2024, 6, 30)) == (1, 1)


# ------------------------------------------------------------------ care plans


def test_care_plan_up_to_date() -> None:
    rows = [
        episode("M1", "M", "2023-01-01"),
        episode("N1", "N", "2023-01-01"),
        episode("P1", "P", "2023-01-01"),
    ]
    plans = [
        # M: plan from 30 Nov 2023 = ADD_MONTHS(31 May 2024, -6): up to date at 31 May.
        {
            "lacp_table_id": "1",
            "lacp_person_id": "M",
            "lacp_cla_care_plan_start_date": "2023-11-30",
        },
        # N: older plan ended, newer open plan of 29 Nov 2023: one day too old.
        {
            "lacp_table_id": "2",
            "lacp_person_id": "N",
            "lacp_cla_care_plan_start_date": "2023-01-01",
            "lacp_cla_care_plan_end_date": "2023-11-29",
        },
        {
            "lacp_table_id": "3",
            "lacp_person_id": "N",
            "lacp_cla_care_plan_start_date": "2023-11-29",
        },
        # P: no plan.
    ]
    results = run(
        {"ssd_cla_episodes": rows, "ssd_cla_care_plan": plans},
        ["lac.care_plan_up_to_date_pct"],
        date(2024, 5, 31),
        date(2024, 5, 31),
    )
    assert num_den(results, "lac.care_plan_up_to_date_pct", date(2024, 5, 31)) == (1, 3)


def test_care_plan_not_available_from_episodes_only() -> None:
    results = run(
        {"ssd_cla_episodes": [episode("M1", "M", "2023-01-01")]},
        ["lac.care_plan_up_to_date_pct"],
        date(2024, 5, 31),
        date(2024, 5, 31),
    )
    got = row(results, "lac.care_plan_up_to_date_pct", date(2024, 5, 31))
    assert got["value"] is None and "ssd_cla_care_plan" in got["reason"]


# ------------------------------------------------------------------ visits


def placement(pid: str, person: str, start: str, ptype: str, end: str | None = None, **extra):
    return {
        "clap_cla_placement_id": pid,
        "clap_person_id": person,
        "clap_cla_id": f"CLA-{person}",
        "clap_cla_placement_start_date": start,
        "clap_cla_placement_end_date": end,
        "clap_cla_placement_type": ptype,
        **extra,
    }


def cla_visit(vid: str, person: str, when: str, seen: str = "Y"):
    return {
        "clav_cla_visit_id": vid,
        "clav_person_id": person,
        "clav_cla_visit_date": when,
        "clav_cla_visit_seen": seen,
    }


def test_visits_in_timescale() -> None:
    e = date(2024, 5, 31)
    rows = [episode(f"{p}1", p, "2022-01-01") for p in "QRSTU"]
    placements = [
        # Q: seen 19 Apr = 42 days before 31 May: in time.
        placement("PQ", "Q", "2024-01-01", "U6"),
        # R: seen 18 Apr = 43 days: late.
        placement("PR", "R", "2024-01-01", "U6"),
        # S: long-term foster placement since 1 May 2023 (= ADD_MONTHS(E, -12)): seen
        # 29 Feb 2024 = ADD_MONTHS(E, -3): in time.
        placement("PS", "S", "2023-05-01", "U4"),
        # T: placed 25 May (6 days): not yet due.
        placement("PT", "T", "2024-05-25", "U6"),
        # U: placed 10 May; the only seen visit was before this placement: late.
        placement("PU0", "U", "2023-01-01", "K2", "2024-05-10"),
        placement("PU", "U", "2024-05-10", "U6"),
    ]
    visits = [
        cla_visit("V1", "Q", "2024-04-19"),
        cla_visit("V2", "R", "2024-04-18"),
        cla_visit("V3", "R", "2024-05-30", seen="N"),
        cla_visit("V4", "S", "2024-02-29"),
        cla_visit("V5", "U", "2024-05-09"),
    ]
    tables = {"ssd_cla_episodes": rows, "ssd_cla_placement": placements, "ssd_cla_visits": visits}
    results = run(tables, ["lac.visits_in_timescale_pct"], e, e)
    assert num_den(results, "lac.visits_in_timescale_pct", e) == (2, 4)
