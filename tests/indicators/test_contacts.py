"""Contacts: hand-worked cases for dedupe, source groups, progression and repeats."""

from __future__ import annotations

from datetime import date

import pytest
from tests.indicators.helpers import SETTINGS, row, run

MAR = date(2024, 3, 31)
IDS = [
    "contacts.count",
    "contacts.to_referral_pct",
    "contacts.source_share_pct",
    "contacts.repeat_3m_pct",
]
FLAG_Y = '{ NEW_REFERRAL_FLAG: "Y", NFA_FLAG: "" }'


def contact(cid: str, person: str, when: str, source: str | None, outcome: str | None = None):
    return {
        "cont_contact_id": cid,
        "cont_person_id": person,
        "cont_contact_date": when,
        "cont_contact_source_code": source,
        "cont_contact_outcome_json": outcome,
    }


CONTACTS = [
    contact("c0", "C", "2023-12-15", "1A"),
    contact("c1", "A", "2024-03-01", "6", FLAG_Y),
    contact("c2", "A", "2024-03-01", "6"),  # same person, day and source as c1: one contact
    contact("c3", "A", "2024-03-01", "2A"),  # same day, other source: second contact, a repeat
    contact("c4", "B", "2024-03-31", None),  # blank source -> other; referral 3 days later
    contact("c5", "C", "2024-03-15", "99"),  # unknown source -> other; c0 exactly 3 months before
    contact("c6", "D", "2024-03-02", "6"),
    contact("c7", "D", "2024-03-04", "6"),  # the latest contact before D's referral
]
REFERRALS = [
    {"cine_referral_id": "r1", "cine_person_id": "B", "cine_referral_date": "2024-04-03"},
    {"cine_referral_id": "r2", "cine_person_id": "D", "cine_referral_date": "2024-03-05"},
]


@pytest.fixture(scope="module")
def results():
    return run({"ssd_contacts": CONTACTS, "ssd_cin_episodes": REFERRALS}, IDS, MAR, MAR)


def test_count_and_sources(results):
    assert row(results, "contacts.count", MAR)["value"] == 6
    assert row(results, "contacts.count", MAR, "source", "police")["value"] == 3
    assert row(results, "contacts.count", MAR, "source", "education")["value"] == 1
    assert row(results, "contacts.count", MAR, "source", "other")["value"] == 2
    assert row(results, "contacts.count", MAR, "source", "health")["value"] == 0


def test_progression_by_flag_or_link_to_the_latest_contact(results):
    # c1 by its flag; c4 linked to B's referral 3 days later (next month); c7, not c6.
    total = row(results, "contacts.to_referral_pct", MAR)
    assert (total["numerator"], total["denominator"]) == (3, 6)
    police = row(results, "contacts.to_referral_pct", MAR, "source", "police")
    assert (police["numerator"], police["denominator"]) == (2, 3)


def test_source_shares_sum_to_100(results):
    shares = results.filter(results["indicator_id"] == "contacts.source_share_pct")
    assert set(shares["breakdown"]) == {"source"}
    assert shares["value"].sum() == pytest.approx(100.0)
    assert row(results, "contacts.source_share_pct", MAR, "source", "police")["value"] == 50.0


def test_repeats_same_day_second_and_exactly_three_months(results):
    repeat = row(results, "contacts.repeat_3m_pct", MAR)
    assert (repeat["numerator"], repeat["denominator"]) == (3, 6)  # c3, c5, c7


def test_a_council_can_regroup_housing_from_a_date():
    from cscperf.settings import ParameterOverride

    groups = {"police": ["6"], "housing": ["4"], "other": ["blank or unrecognised"]}
    settings = SETTINGS.model_copy(
        update={
            "parameters": [
                ParameterOverride(
                    parameter="source_groups", value=groups, effective_from=date(2024, 3, 10)
                )
            ]
        }
    )
    rows = [contact("h1", "H", "2024-02-05", "4"), contact("h2", "H", "2024-03-05", "4")]
    results = run(
        {"ssd_contacts": rows}, ["contacts.count"], date(2024, 2, 29), MAR, settings=settings
    )
    feb = row(results, "contacts.count", date(2024, 2, 29), "source", "other")
    assert feb["value"] == 1 and feb["definition_version"] == "contacts.count@1"
    march = row(results, "contacts.count", MAR, "source", "housing")
    assert march["value"] == 1 and march["definition_version"] == "contacts.count@2"
