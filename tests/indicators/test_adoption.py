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
