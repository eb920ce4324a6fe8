"""Referrals: expected values worked out by hand from the catalogue definitions."""

from __future__ import annotations

from datetime import date

import pytest
from polars.testing import assert_frame_equal
from tests.indicators.helpers import row, run

from cscperf.indicators.testing import population_rows

JAN, FEB, MAR = date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)


def ref(rid: str, person: str, when: str, team: str | None = None, nfa: str | None = None) -> dict:
    return {
        "cine_referral_id": rid,
        "cine_person_id": person,
        "cine_referral_date": when,
        "cine_referral_team": team,
        "cine_referral_nfa": nfa,
    }


EPISODES = [
    ref("1", "A", "2023-01-15", "T1"),
    # Same child, same day: one referral, the lowest id (2, NFA) is kept.
    ref("3", "A", "2024-01-15", "T1"),
    ref("2", "A", "2024-01-15", "T1", nfa="Y"),
    # Child B referred twice in January: two referrals.
    ref("4", "B", "2024-01-02", "T2"),
    ref("5", "B", "2024-01-31", "T3"),  # last day of the month counts in January
    ref("6", "C", "2024-02-01"),  # no team: attributed through the involvement below
    ref("7", "D", "2024-02-10"),  # no team, involvement ended that day: unallocated
]
INVOLVEMENTS = [
    {
        "invo_involvements_id": "i1",
        "invo_person_id": "C",
        "invo_professional_team": "T3",
        "invo_involvement_start_date": "2024-01-20",
        "invo_involvement_end_date": None,
    },
    {
        "invo_involvements_id": "i2",
        "invo_person_id": "D",
        "invo_professional_team": "T1",
        "invo_involvement_start_date": "2023-12-01",
        "invo_involvement_end_date": "2024-02-10",
    },
]


@pytest.fixture(scope="module")
def results():
    return run(
        {
            "ssd_cin_episodes": EPISODES,
            "ssd_involvements": INVOLVEMENTS,
            "population": population_rows({2023: 20_000}, {("North", 2023): 12_000}),
        },
        [
            "referrals.count",
            "referrals.rate_per_10k",
            "referrals.rereferral_12m_pct",
            "referrals.rereferral_12m_rolling_12m_pct",
            "referrals.nfa_pct",
        ],
        JAN,
        MAR,
    )


def test_count_dedupes_same_day_and_counts_each_referral(results):
    # January: A (once), B twice = 3; February: C, D = 2; March: none = 0.
    assert row(results, "referrals.count", JAN)["value"] == 3
    assert row(results, "referrals.count", FEB)["value"] == 2
    assert row(results, "referrals.count", MAR)["value"] == 0
    assert row(results, "referrals.count", JAN)["denominator"] is None


def test_attribution_by_team_involvement_or_unallocated(results):
    assert row(results, "referrals.count", JAN, "team", "T1")["value"] == 1
    assert row(results, "referrals.count", JAN, "team", "T2")["value"] == 1
    assert row(results, "referrals.count", JAN, "locality", "North")["value"] == 2
    assert row(results, "referrals.count", JAN, "locality", "South")["value"] == 1
    # C takes T3 (South) from the open involvement; D's involvement ended on the day.
    assert row(results, "referrals.count", FEB, "team", "T3")["value"] == 1
    assert row(results, "referrals.count", FEB, "team", "unallocated")["value"] == 1
    assert row(results, "referrals.count", FEB, "locality", "South")["value"] == 1


def test_rereferral_at_exactly_twelve_months(results):
    # A on 15 Jan 2024 has an earlier referral on 15 Jan 2023 = ADD_MONTHS(r, -12): counts.
    # B's second referral (31 Jan) follows B's first (2 Jan): counts. B's first does not.
    jan = row(results, "referrals.rereferral_12m_pct", JAN)
    assert (jan["numerator"], jan["denominator"]) == (2, 3)
    assert jan["value"] == pytest.approx(200 / 3)
    feb = row(results, "referrals.rereferral_12m_pct", FEB)
    assert (feb["numerator"], feb["denominator"], feb["value"]) == (0, 2, 0)
    mar = row(results, "referrals.rereferral_12m_pct", MAR)
    assert (mar["numerator"], mar["denominator"], mar["value"]) == (0, 0, None)


def test_rolling_rereferral_and_history_flag(results):
    # R12 at 29 Feb 2024 = Mar 2023..Feb 2024: 5 referrals, 2 re-referrals. History loaded
    # from Jan 2023 but R12's look-back needs Mar 2022: flagged.
    feb = row(results, "referrals.rereferral_12m_rolling_12m_pct", FEB)
    assert (feb["numerator"], feb["denominator"]) == (2, 5)
    assert "history_incomplete" in feb["flags"]
    # The in-month look-back for January 2024 reaches January 2023: complete.
    assert "history_incomplete" not in row(results, "referrals.rereferral_12m_pct", JAN)["flags"]


def test_nfa_uses_the_kept_row(results):
    jan = row(results, "referrals.nfa_pct", JAN)
    assert (jan["numerator"], jan["denominator"]) == (1, 3)


def test_rate_uses_population_of_the_financial_year(results):
    # R12 at 31 Mar 2024 holds the 5 referrals of Jan-Feb 2024; FY 2023-24 uses mid-2023.
    mar = row(results, "referrals.rate_per_10k", MAR)
    assert (mar["numerator"], mar["denominator"]) == (5, 20_000)
    assert mar["value"] == pytest.approx(2.5)
    north = row(results, "referrals.rate_per_10k", MAR, "locality", "North")
    assert north["value"] == pytest.approx(2 / 12_000 * 10_000)
    assert "population_provisional" not in mar["flags"]


def test_rate_with_a_later_year_is_provisional():
    results = run(
        {
            "ssd_cin_episodes": [ref("1", "A", "2024-04-02", "T1")],
            "population": population_rows({2023: 10_000}),
        },
        ["referrals.rate_per_10k"],
        date(2024, 4, 30),
        date(2024, 4, 30),
    )
    april = row(results, "referrals.rate_per_10k", date(2024, 4, 30))
    assert april["denominator"] == 10_000 and "population_provisional" in april["flags"]
    # No locality populations loaded: no locality rate rows at all.
    assert results.filter(results["breakdown"] == "locality").height == 0


def test_missing_table_is_not_available_not_zero():
    results = run(
        {
            "ssd_contacts": [
                {"cont_contact_id": "c", "cont_person_id": "A", "cont_contact_date": "2024-01-03"}
            ]
        },
        ["referrals.count"],
        JAN,
        FEB,
    )
    jan = row(results, "referrals.count", JAN)
    assert jan["value"] is None and jan["numerator"] is None
    assert jan["flags"] == ["not_available"] and "ssd_cin_episodes" in jan["reason"]


def _involvement(team: str | None, start: str | None) -> dict:
    return {
        "invo_involvements_id": "i1",
        "invo_person_id": "C",
        "invo_professional_team": team,
        "invo_involvement_start_date": start,
        "invo_involvement_end_date": None,
    }


@pytest.mark.parametrize(
    ("involvements", "not_supplied"),
    [
        ([], None),  # the table empty (an SSDA903 without social worker episodes)
        ([_involvement(None, "2024-01-20")], None),  # no team (the returns' involvements)
        ([_involvement("T3", None)], None),  # no start date
        ([], {"ssd_involvements": "Annex A names the allocated team now"}),  # not supplied
    ],
)
def test_involvements_that_name_no_team_leave_each_referral_its_own(involvements, not_supplied):
    """The involvements are read whenever the build has the table (their SQL is the full
    SSD's), and when none has a team, a person and a start date every item keeps its own
    team, by event date (referrals) and at month ends (children in need): exactly the rows of
    a build without the table."""
    tables = {
        "ssd_cin_episodes": EPISODES,
        "population": population_rows({2023: 20_000}, {("North", 2023): 12_000}),
    }
    without = run(tables, ["referrals.count", "cin.count"], JAN, MAR)
    read = run(
        {**tables, "ssd_involvements": involvements},
        ["referrals.count", "cin.count"],
        JAN,
        MAR,
        not_supplied=not_supplied,
    )
    assert_frame_equal(read, without, check_exact=True)
    # C and D have no team of their own and none from an involvement.
    assert row(read, "referrals.count", FEB, "team", "unallocated")["value"] == 2
    # At a month end too (the teams at each month end, made once per run): C and D again;
    # C's involvement, had it a team and a start, would give C T3 and leave 1.
    assert row(read, "cin.count", FEB, "team", "unallocated")["value"] == 2
