"""The shared care rules on their own: periods of care and continuous CP plans."""

from __future__ import annotations

from datetime import date

import ibis

from cscperf.indicators.blocks.care_periods import (
    care_episodes,
    continuous_cp_plans,
    cp_plan_parts,
    periods_of_care,
)


def test_periods_of_care_short_breaks_and_entered_care() -> None:
    episodes = ibis.memtable(
        {
            "clae_cla_episode_id": ["a1", "a2", "a3", "b1", "b2"],
            "clae_person_id": ["A", "A", "A", "B", "B"],
            "clae_cla_id": ["CA"] * 3 + ["CB"] * 2,
            "clae_cla_episode_start_date": [
                date(2023, 1, 1),
                date(2023, 3, 1),
                date(2023, 6, 1),
                date(2023, 1, 1),
                date(2023, 2, 1),
            ],
            "clae_cla_episode_ceased_date": [
                date(2023, 3, 1),
                date(2023, 4, 1),
                None,
                date(2023, 2, 1),
                None,
            ],
            "clae_cla_episode_start_reason": ["S", "P", "S", "S", "S"],
            "clae_cla_episode_ceased_reason": ["X1", "E8", None, "E8", None],
            "clae_cla_placement_id": [None] * 5,
            "clae_entered_care_date": [date(2022, 5, 1), None, None, date(2023, 1, 1), None],
        }
    )
    legal = ibis.memtable(
        {
            "lega_person_id": ["B"],
            "lega_legal_status": ["V3"],
            "lega_legal_status_start_date": [date(2023, 1, 1)],
            "lega_legal_status_end_date": [date(2023, 2, 1)],
        }
    )
    pocs = periods_of_care(care_episodes(episodes, legal)).to_pandas()
    pocs = pocs.sort_values(["person_id", "poc_seq"]).reset_index(drop=True)
    # A: a1+a2 are one POC (a2 starts the day a1 ceased) starting on the entered-care date and
    # ending 1 Apr (E8); a3 after a gap is a second POC. B: the short break is not care; the
    # POC starts 1 Feb, straight after the short break.
    assert list(pocs.person_id) == ["A", "A", "B"]
    assert list(pocs.poc_start.dt.date) == [date(2022, 5, 1), date(2023, 6, 1), date(2023, 2, 1)]
    assert pocs.poc_end[0].date() == date(2023, 4, 1)
    assert pocs.ceased_reason[0] == "E8"
    assert list(pocs.began_after_short_break) == [False, False, True]


def test_continuous_plans_join_a_chain_and_drop_other_las() -> None:
    plans = ibis.memtable(
        {
            "cppl_cp_plan_id": ["1", "2", "3", "4", "5"],
            "cppl_person_id": ["A", "A", "A", "A", "B"],
            "cppl_cp_plan_start_date": [
                date(2023, 1, 1),
                date(2023, 3, 1),
                date(2023, 5, 1),
                date(2023, 9, 2),
                date(2023, 1, 1),
            ],
            "cppl_cp_plan_end_date": [
                date(2023, 3, 1),
                date(2023, 5, 1),
                date(2023, 9, 1),
                None,
                None,
            ],
            "cppl_cp_plan_ola": [None, "N", None, None, "Y"],
        }
    )
    merged = continuous_cp_plans(cp_plan_parts(plans)).to_pandas().sort_values("cpp_start")
    # Plans 1-3 abut: one plan 1 Jan - 1 Sep 2023. Plan 4 starts a day after: a new plan.
    # B's plan is another LA's.
    assert list(merged.person_id) == ["A", "A"]
    assert [d.date() for d in merged.cpp_start] == [date(2023, 1, 1), date(2023, 9, 2)]
    assert merged.cpp_end.iloc[0].date() == date(2023, 9, 1)
    assert merged.cpp_end.isna().iloc[1]
