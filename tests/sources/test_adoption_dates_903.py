"""Adoption dates read from SSDA903 episodes come from the period of care that holds the
adoption decision, not from the child's first period."""

from __future__ import annotations

from datetime import date

from cscperf.sources.ssda903_map import adoption_dates, period_holding, permanence_rows
from cscperf.sources.ssda903_stitch import Episode

# C1 was looked after in 2015 (a placement order, E1, then returned home) and again from
# 2018, when the adoption decision (1 May 2018), a new placement order (1 Sep 2018), an
# adoption placement (A4, 1 Mar 2019) and the adoption (ended E11, 1 Dec 2019) followed.
EPISODES = [
    Episode("C1", date(2015, 1, 1), date(2015, 6, 1), ls="C2", place="U1", period_id="P1"),
    Episode(
        "C1", date(2015, 6, 1), date(2016, 1, 1), ls="E1", place="U1", rec="E13", period_id="P1"
    ),
    Episode("C1", date(2018, 1, 1), date(2018, 9, 1), ls="C2", place="U1", period_id="P2"),
    Episode("C1", date(2018, 9, 1), date(2019, 3, 1), ls="E1", place="U1", period_id="P2"),
    Episode(
        "C1", date(2019, 3, 1), date(2019, 12, 1), ls="E1", place="A4", rec="E11", period_id="P2"
    ),
]


def test_the_period_holding_the_decision_gives_the_dates():
    own = period_holding(EPISODES, date(2018, 5, 1))
    assert {e.period_id for e in own} == {"P2"}
    assert adoption_dates(own) == {
        "perm_cla_id": "P2",
        "perm_placement_order_date": date(2018, 9, 1),
        "perm_placed_for_adoption_date": date(2019, 3, 1),
        "perm_permanence_order_date": date(2019, 12, 1),
        "perm_permanence_order_type": "Adoption",
    }


def test_a_decision_outside_every_period_falls_back_to_all_episodes():
    assert period_holding(EPISODES, date(2017, 1, 1)) == EPISODES
    assert period_holding(EPISODES, None) == EPISODES


def test_permanence_rows_use_the_decisions_period():
    ad1 = [{"CHILD": "C1", "DATE_INT": date(2018, 5, 1), "DATE_MATCH": date(2019, 2, 1)}]
    (row,) = permanence_rows(ad1, [], {"C1": EPISODES})
    assert row["perm_placement_order_date"] == date(2018, 9, 1)
    assert row["perm_cla_id"] == "P2"
