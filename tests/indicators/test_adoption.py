"""Adoption indicators on hand-built periods of care and permanence records.

Expected values are worked out from the catalogue definitions in the comments beside them.
"""

from __future__ import annotations

from datetime import date

import pytest
from tests.indicators.care_helpers import run
from tests.indicators.helpers import row

E = date(2024, 3, 31)  # R12: 1 Apr 2023 .. 31 Mar 2024


def episode(person: str, start: str, ceased: str | None = None, reason: str | None = None):
    return {
        "clae_cla_episode_id": f"E-{person}-{start}",
        "clae_person_id": person,
        "clae_cla_id": f"CLA-{person}",
        "clae_cla_episode_start_date": start,
        "clae_cla_episode_ceased_date": ceased,
        "clae_cla_episode_ceased_reason": reason,
        "clae_cla_episode_start_reason": "S",
    }


def perm(tid: str, person: str, **dates: str | None):
    return {"perm_table_id": tid, "perm_person_id": person, **dates}


EPISODES = [
    # AD1 adopted 10 Oct 2023; entered care 10 Jan 2021.
    episode("AD1", "2021-01-10", "2023-10-10", "E11"),
    # AD2 adopted 1 Feb 2024 by their foster carers; entered care 1 Jun 2022.
    episode("AD2", "2022-06-01", "2024-02-01", "E12"),
    # AD3 adopted 1 Dec 2023 with only a decision date recorded.
    episode("AD3", "2022-01-01", "2023-12-01", "E11"),
    # AD4 left care on a special guardianship order: not adopted.
    episode("AD4", "2022-01-01", "2024-01-15", "E45"),
]
PERMANENCE = [
    # AD1: matched (15 Feb) before the placement order (1 Mar): A2 scores 0. Placed 1 Apr 2022:
    # A1 = 446 days. Order on 10 Oct 2023 is more than 12 months after the 10 Jan 2022 decision;
    # placed within 12 months of it.
    perm(
        "1",
        "AD1",
        perm_adm_decision_date="2022-01-10",
        perm_placement_order_date="2022-03-01",
        perm_matched_date="2022-02-15",
        perm_placed_for_adoption_date="2022-04-01",
    ),
    # AD2: the first decision was reversed; the standing one is 1 Feb 2023, and the order on
    # 1 Feb 2024 = ADD_MONTHS(1 Feb 2023, 12): within 12 months (boundary). A1 = 365 days,
    # A2 = 1 Mar -> 1 May 2023 = 61 days. Adopted by the foster carers they joined on
    # 1 Aug 2022: A10 = 61 days.
    perm(
        "2a", "AD2", perm_adm_decision_date="2022-09-01", perm_decision_reversed_date="2022-10-01"
    ),
    perm(
        "2b",
        "AD2",
        perm_adm_decision_date="2023-02-01",
        perm_placement_order_date="2023-03-01",
        perm_matched_date="2023-05-01",
        perm_placed_for_adoption_date="2023-06-01",
        perm_adopted_by_carer_flag="Y",
    ),
    # AD3: decision only: in the order-within-12-months denominator (order 1 Dec 2023 is after
    # 1 Jun 2023), out of the others.
    perm("3", "AD3", perm_adm_decision_date="2022-06-01"),
]
PLACEMENTS = [
    {
        "clap_cla_placement_id": "F",
        "clap_person_id": "AD2",
        "clap_cla_placement_start_date": "2022-08-01",
        "clap_cla_placement_end_date": "2023-06-01",
        "clap_cla_placement_type": "U4",
        "clap_cla_placement_urn": "F1",
        "clap_cla_placement_postcode": "F1 1FF",
    },
    {
        "clap_cla_placement_id": "A",
        "clap_person_id": "AD2",
        "clap_cla_placement_start_date": "2023-06-01",
        "clap_cla_placement_end_date": "2024-02-01",
        "clap_cla_placement_type": "A5",
        "clap_cla_placement_urn": "AG1",
        "clap_cla_placement_postcode": "A1 1AA",
    },
]


@pytest.fixture(scope="module")
def results():
    ids = [
        "adoption.adopted_count",
        "adoption.a1_avg_days",
        "adoption.a2_avg_days",
        "adoption.a10_avg_days",
        "adoption.adopted_within_12m_of_shobpa_pct",
        "adoption.placed_within_12m_of_shobpa_pct",
    ]
    tables = {
        "ssd_cla_episodes": EPISODES,
        "ssd_permanence": PERMANENCE,
        "ssd_cla_placement": PLACEMENTS,
    }
    return run(tables, ids, date(2023, 10, 31), E)


def num_den(results, indicator_id: str, period_end: date = E) -> tuple[float, float]:
    got = row(results, indicator_id, period_end)
    return got["numerator"], got["denominator"]


def test_adopted_count_by_month(results) -> None:
    counts = {
        date(2023, 10, 31): 1,  # AD1
        date(2023, 11, 30): 0,
        date(2023, 12, 31): 1,  # AD3
        date(2024, 1, 31): 0,  # AD4's SGO is not an adoption
        date(2024, 2, 29): 1,  # AD2
        date(2024, 3, 31): 0,
    }
    for period_end, count in counts.items():
        assert row(results, "adoption.adopted_count", period_end)["value"] == count


def test_a1_average(results) -> None:
    # (446 + 365) / 2; AD3 has no placed date and is left out.
    assert num_den(results, "adoption.a1_avg_days") == (811, 2)
    assert row(results, "adoption.a1_avg_days", E)["value"] == pytest.approx(405.5)


def test_a2_average_scores_early_match_as_zero(results) -> None:
    assert num_den(results, "adoption.a2_avg_days") == (61, 2)


def test_a10_uses_the_start_of_the_foster_placement(results) -> None:
    # AD1 as A1 (446); AD2 moved in with the adopters as foster carers on 1 Aug 2022 (61).
    assert num_den(results, "adoption.a10_avg_days") == (507, 2)


def test_within_12_months_of_the_decision(results) -> None:
    assert num_den(results, "adoption.adopted_within_12m_of_shobpa_pct") == (1, 3)
    assert num_den(results, "adoption.placed_within_12m_of_shobpa_pct") == (2, 2)


def test_awaiting_placement() -> None:
    episodes = [episode(p, "2023-01-01") for p in ("W1", "W2", "W3", "W4", "W5")]
    records = [
        perm("1", "W1", perm_adm_decision_date="2023-06-01"),  # waiting
        perm(
            "2",
            "W2",
            perm_adm_decision_date="2023-06-01",
            perm_placed_for_adoption_date="2023-09-01",
        ),  # placed
        # W3: placed in May 2023, the placement ended; a new decision in Jan 2024: waiting.
        perm(
            "3a",
            "W3",
            perm_adm_decision_date="2023-03-01",
            perm_placed_for_adoption_date="2023-05-01",
        ),
        perm("3b", "W3", perm_adm_decision_date="2024-01-10"),
        # W4: decision reversed on 31 Mar 2024: not waiting at 31 Mar, waiting at 29 Feb.
        perm(
            "4", "W4", perm_adm_decision_date="2023-06-01", perm_decision_reversed_date="2024-03-31"
        ),
        perm("5", "W5", perm_adm_decision_date="2024-04-01"),  # decision after E
    ]
    results = run(
        {"ssd_cla_episodes": episodes, "ssd_permanence": records},
        ["adoption.awaiting_placement_count"],
        date(2024, 2, 29),
        E,
    )
    assert row(results, "adoption.awaiting_placement_count", E)["value"] == 2
    assert row(results, "adoption.awaiting_placement_count", date(2024, 2, 29))["value"] == 3


def test_a2_not_available_without_match_dates() -> None:
    records = [perm("1", "AD1", perm_placed_for_adoption_date="2022-04-01")]
    results = run(
        {"ssd_cla_episodes": EPISODES, "ssd_permanence": records}, ["adoption.a2_avg_days"], E, E
    )
    got = row(results, "adoption.a2_avg_days", E)
    assert got["value"] is None and "perm_" in got["reason"]


# ------------------------------------------------------------------ 903-only fallbacks


def legal(person: str, status: str, start: str, end: str | None = None):
    return {
        "lega_legal_status_id": f"L-{person}-{start}",
        "lega_person_id": person,
        "lega_legal_status": status,
        "lega_legal_status_start_date": start,
        "lega_legal_status_end_date": end,
    }


def adoption_placement(person: str, ptype: str, start: str, end: str | None = None):
    return {
        "clap_cla_placement_id": f"P-{person}-{start}",
        "clap_person_id": person,
        "clap_cla_id": f"CLA-{person}",
        "clap_cla_placement_type": ptype,
        "clap_cla_placement_start_date": start,
        "clap_cla_placement_end_date": end,
    }


FALLBACK_TABLES = {
    "ssd_cla_episodes": [
        # AF1 entered care 10 Jan 2021, adopted 10 Oct 2023.
        episode("AF1", "2021-01-10", "2023-10-10", "E11"),
        # AF2 entered care 1 Jan 2022, adopted 15 Jan 2024.
        episode("AF2", "2022-01-01", "2024-01-15", "E12"),
        # AF3: an earlier period of care in 2018 (ended E13), then 1 Feb 2022 to the adoption
        # order on 1 Dec 2023.
        episode("AF3", "2018-01-01", "2019-01-01", "E13"),
        episode("AF3", "2022-02-01", "2023-12-01", "E11"),
    ],
    "ssd_legal_status": [
        legal("AF1", "C2", "2021-01-10", "2021-09-01"),
        legal("AF1", "E1", "2021-09-01", "2023-10-10"),  # placement order 1 Sep 2021
        legal("AF2", "D1", "2022-02-01", "2024-01-15"),  # the permanence record wins
        legal("AF3", "E1", "2018-06-01", "2019-01-01"),  # another period of care: not used
        legal("AF3", "C2", "2022-02-01", "2023-12-01"),
    ],
    "ssd_cla_placement": [
        adoption_placement("AF1", "U4", "2021-01-10", "2022-05-01"),
        adoption_placement("AF1", "A5", "2022-05-01", "2023-10-10"),  # placed 1 May 2022
        adoption_placement("AF2", "U6", "2022-01-01", "2022-07-01"),
        adoption_placement("AF2", "A4", "2022-07-01", "2024-01-15"),
        adoption_placement("AF3", "U6", "2022-02-01", "2023-01-01"),
        adoption_placement("AF3", "A6", "2023-01-01", "2023-12-01"),  # placed 1 Jan 2023
    ],
}
FALLBACK_PERMANENCE = [
    # AF1: decision and match only (match 1 Dec 2021).
    perm("F1", "AF1", perm_adm_decision_date="2021-07-01", perm_matched_date="2021-12-01"),
    # AF2: every date recorded; the record's dates are used, not the care record's.
    perm(
        "F2",
        "AF2",
        perm_adm_decision_date="2022-02-01",
        perm_placement_order_date="2022-03-01",
        perm_matched_date="2022-04-01",
        perm_placed_for_adoption_date="2022-06-01",
    ),
    # AF3: no placement order anywhere in this period of care.
    perm("F3", "AF3", perm_adm_decision_date="2022-06-01", perm_matched_date="2022-11-01"),
]


def test_placed_and_placement_order_dates_fall_back_to_the_care_record() -> None:
    tables = {**FALLBACK_TABLES, "ssd_permanence": FALLBACK_PERMANENCE}
    results = run(tables, ["adoption.a1_avg_days", "adoption.a2_avg_days"], E, E)
    # A1 (entered care -> placed), all three adopted in R12:
    #   AF1 10 Jan 2021 -> 1 May 2022 (first A3-A6 placement) = 365 + 111 = 476
    #   AF2 1 Jan 2022 -> 1 Jun 2022 (permanence record, not the A4 start) = 151
    #   AF3 1 Feb 2022 -> 1 Jan 2023 (A6 placement) = 334
    a1 = row(results, "adoption.a1_avg_days", E)
    assert (a1["numerator"], a1["denominator"]) == (476 + 151 + 334, 3)
    # A2 (placement order -> match):
    #   AF1 1 Sep 2021 (first E1 in the POC) -> 1 Dec 2021 = 91
    #   AF2 1 Mar 2022 (record, not the D1 start of 1 Feb) -> 1 Apr 2022 = 31
    #   AF3 has no placement order in its POC (the 2018 E1 is another POC): left out.
    a2 = row(results, "adoption.a2_avg_days", E)
    assert (a2["numerator"], a2["denominator"]) == (91 + 31, 2)


def test_without_a_permanence_table_placements_still_give_a1() -> None:
    results = run(FALLBACK_TABLES, ["adoption.a1_avg_days", "adoption.a2_avg_days"], E, E)
    # AF2 now falls back to its A4 start: 1 Jan -> 1 Jul 2022 = 181.
    a1 = row(results, "adoption.a1_avg_days", E)
    assert (a1["numerator"], a1["denominator"]) == (476 + 181 + 334, 3)
    # Match dates exist only in the permanence record.
    a2 = row(results, "adoption.a2_avg_days", E)
    assert a2["value"] is None and "ssd_permanence" in a2["reason"]


def test_an_adoption_placement_ends_the_wait_without_a_recorded_date() -> None:
    tables = {
        "ssd_cla_episodes": [episode("W1", "2022-01-01"), episode("W2", "2022-01-01")],
        "ssd_cla_placement": [
            adoption_placement("W1", "U6", "2022-01-01", "2023-09-01"),
            adoption_placement("W1", "A6", "2023-09-01"),  # placed after the decision
            adoption_placement("W2", "U6", "2022-01-01"),
        ],
        "ssd_permanence": [
            perm("D1", "W1", perm_adm_decision_date="2023-06-01"),
            perm("D2", "W2", perm_adm_decision_date="2023-06-01"),
        ],
    }
    results = run(tables, ["adoption.awaiting_placement_count"], E, E)
    # Both have a standing decision; W1 has been placed (A6 from 1 Sep 2023): only W2 waits.
    assert row(results, "adoption.awaiting_placement_count", E)["numerator"] == 1
    # At 31 Aug 2023 neither had been placed.
    aug = date(2023, 8, 31)
    results = run(tables, ["adoption.awaiting_placement_count"], aug, aug)
    assert row(results, "adoption.awaiting_placement_count", aug)["numerator"] == 2
