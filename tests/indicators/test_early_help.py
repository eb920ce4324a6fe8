"""Early help: hand-worked cases for starts, repeats at exactly 12 months and step-downs."""

from __future__ import annotations

from datetime import date

import pytest
from tests.indicators.helpers import row, run

FEB, MAR = date(2024, 2, 29), date(2024, 3, 31)
IDS = ["eh.episodes_started_count", "eh.rereferral_12m_pct", "eh.step_down_from_social_care_pct"]


def eh(eid: str, person: str, start: str, end: str | None = None) -> dict:
    return {
        "earl_episode_id": eid,
        "earl_person_id": person,
        "earl_episode_start_date": start,
        "earl_episode_end_date": end,
    }


def cin(rid: str, person: str, referred: str, closed: str | None) -> dict:
    return {
        "cine_referral_id": rid,
        "cine_person_id": person,
        "cine_referral_date": referred,
        "cine_close_date": closed,
        "cine_close_reason": "RC9" if closed else None,
    }


@pytest.fixture(scope="module")
def results():
    episodes = [
        eh("1", "A", "2023-03-10", "2023-05-01"),
        eh("3", "A", "2024-03-10"),  # exactly 12 months after A's first: a repeat
        eh("2", "A", "2024-03-10"),  # same-day duplicate: one episode, never its own repeat
        eh("4", "B", "2024-03-05"),  # CIN closed 28 days before: a step-down
        eh("5", "C", "2024-03-20"),  # CIN closed 29 days before: not a step-down
        eh("6", "D", "2024-03-15", "2024-03-01"),  # ends before it starts: left out
        eh("7", "E", "2024-03-25"),  # CIN episode still open: not a step-down
    ]
    social_care = [
        cin("r1", "B", "2024-01-02", "2024-02-06"),
        cin("r2", "C", "2024-01-02", "2024-02-20"),
        cin("r3", "E", "2024-01-02", None),
    ]
    return run(
        {"ssd_early_help_episodes": episodes, "ssd_cin_episodes": social_care}, IDS, FEB, MAR
    )


def test_started_counts_distinct_valid_episodes(results):
    assert row(results, "eh.episodes_started_count", MAR)["value"] == 4  # A, B, C, E
    assert row(results, "eh.episodes_started_count", FEB)["value"] == 0


def test_repeat_at_exactly_twelve_months(results):
    march = row(results, "eh.rereferral_12m_pct", MAR)
    assert (march["numerator"], march["denominator"]) == (1, 4)
    assert march["value"] == pytest.approx(25.0)


def test_history_flag_follows_the_first_loaded_month(results):
    # History starts March 2023: March 2024 has its 12 months, February 2024 does not.
    assert "history_incomplete" not in row(results, "eh.rereferral_12m_pct", MAR)["flags"]
    assert "history_incomplete" in row(results, "eh.rereferral_12m_pct", FEB)["flags"]


def test_step_down_window_is_28_days_inclusive(results):
    march = row(results, "eh.step_down_from_social_care_pct", MAR)
    assert (march["numerator"], march["denominator"]) == (1, 4)
