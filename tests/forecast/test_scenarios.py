"""Scenario arithmetic worked by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from cscperf.forecast.history import StateSpace
from cscperf.forecast.scenarios import Scenario, scale_leaving, step_down

SPACE = StateSpace(("All ages",), ("fostering", "residential", "other"))
ROWS = np.array(
    [
        [0.90, 0.02, 0.03, 0.05],  # fostering
        [0.06, 0.80, 0.04, 0.10],  # residential
        [0.00, 0.00, 0.50, 0.50],  # other
    ]
)


def test_doubling_exits_takes_the_difference_from_the_other_moves_in_proportion() -> None:
    changed = scale_leaving(ROWS, 2.0)
    # Fostering: leaving 0.05 -> 0.10; the rest (0.95) shrinks to 0.90, by 0.90/0.95.
    assert changed[0].tolist() == pytest.approx(
        [0.9 * 0.9 / 0.95, 0.02 * 0.9 / 0.95, 0.03 * 0.9 / 0.95, 0.10]
    )
    # Other: leaving 0.5 -> 1.0 (at most certain); nothing stays.
    assert changed[2].tolist() == pytest.approx([0, 0, 0, 1])
    assert changed.sum(axis=1) == pytest.approx([1, 1, 1])


def test_step_down_moves_a_share_of_those_staying_in_residential_to_fostering() -> None:
    changed = step_down(ROWS, SPACE, "residential", "fostering", 0.25)
    # 0.80 staying in residential: a quarter (0.20) moves to fostering (0.06 + 0.20).
    assert changed[1].tolist() == pytest.approx([0.26, 0.60, 0.04, 0.10])
    assert (changed[[0, 2]] == ROWS[[0, 2]]).all()


def test_a_scenario_applies_from_its_month_only() -> None:
    scenario = Scenario(
        "fewer entries", SPACE, date(2027, 4, 30), entry_factor=0.5, exit_factor=1.0
    )
    entries = np.array([4.0, 2.0, 1.0])
    before = scenario(0, date(2027, 3, 31), ROWS, entries)
    after = scenario(1, date(2027, 4, 30), ROWS, entries)
    assert before[1].tolist() == [4, 2, 1] and (before[0] == ROWS).all()
    assert after[1].tolist() == [2, 1, 0.5]


@pytest.mark.parametrize(
    "changes", [{"entry_factor": -1}, {"step_down_share": 1.5}, {"step_down_from": "secure"}]
)
def test_impossible_scenarios_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Scenario("x", SPACE, date(2027, 4, 30), **changes)  # type: ignore[arg-type]
