"""Scoring, banding, direction of travel, overdue reviews and prospects on hand-built
registers; every expected value is worked by hand in the comments."""

from __future__ import annotations

from datetime import date

import pytest

from cscperf.risk.register import (
    AMBER,
    GREEN,
    IMPROVING,
    MET,
    NEW,
    NO_HISTORY,
    RED,
    UNCHANGED,
    WORSENING,
    RiskVersion,
    band_of,
    changed,
    prospects,
    register_as_at,
    review_due,
    review_overdue,
)
from cscperf.settings import RiskBand, RiskSettings

DEFAULT = RiskSettings()


def risk(risk_id: str = "R1", l: int = 3, i: int = 4, **kw: object) -> RiskVersion:  # noqa: E741
    values: dict = {
        "risk_id": risk_id,
        "name": f"Risk {risk_id}",
        "likelihood": l,
        "impact": i,
        "target_likelihood": 1,
        "target_impact": 3,
        "target_date": date(2026, 3, 31),
        "owner": "Director",
        "reviewed_on": date(2025, 4, 10),
        "entered": date(2025, 4, 10),
    }
    values.update(kw)
    return RiskVersion(**values)


def test_score_is_likelihood_times_impact() -> None:
    r = risk(l=3, i=4, target_likelihood=2, target_impact=2)
    assert (r.score, r.target_score) == (12, 4)


@pytest.mark.parametrize(
    ("score", "band"),
    [(1, "low"), (5, "low"), (6, "medium"), (12, "medium"), (15, "high"), (25, "high")],
)
def test_default_bands(score: int, band: str) -> None:
    assert band_of(score, DEFAULT).name == band


def test_bands_from_settings_must_cover_every_score() -> None:
    # 1..4 low, 5..9 medium, 10..25 high: every product of 1..5 x 1..5 falls in one band
    custom = RiskSettings(
        bands=[
            RiskBand(name="low", label="Low", min=1, max=4),
            RiskBand(name="medium", label="Medium", min=5, max=9),
            RiskBand(name="high", label="High", min=10, max=25),
        ]
    )
    assert band_of(5, custom).name == "medium"
    assert band_of(10, custom).name == "high"
    # 13 and 14 are no product, but 12 and 15 are: a gap between 12 and 15 is fine, a gap at
    # 10 (2 x 5) is not
    with pytest.raises(ValueError, match="score 10 falls in no band"):
        RiskSettings(
            bands=[
                RiskBand(name="low", label="Low", min=1, max=9),
                RiskBand(name="high", label="High", min=12, max=25),
            ]
        )
    with pytest.raises(ValueError, match="score 5 falls in bands low and medium"):
        RiskSettings(
            bands=[
                RiskBand(name="low", label="Low", min=1, max=5),
                RiskBand(name="medium", label="Medium", min=5, max=12),
                RiskBand(name="high", label="High", min=15, max=25),
            ]
        )


def test_review_due_and_overdue() -> None:
    # reviewed 10 April 2025, every 3 months: due 10 July 2025, overdue from 11 July
    r = risk(reviewed_on=date(2025, 4, 10))
    assert review_due(r, DEFAULT) == date(2025, 7, 10)
    assert not review_overdue(r, date(2025, 7, 10), DEFAULT)
    assert review_overdue(r, date(2025, 7, 11), DEFAULT)
    monthly = RiskSettings(review_cycle_months=1)
    # 31 January + 1 month = 28 February (the last day of the shorter month)
    assert review_due(risk(reviewed_on=date(2025, 1, 31)), monthly) == date(2025, 2, 28)


def test_prospects() -> None:
    day = date(2025, 6, 30)  # near = target date on or before 30 September 2025; far = 6+
    # 3 x 4 = 12 against 1 x 3 = 3: 9 points above (far); target 31 March 2026 (not near)
    assert prospects(risk(l=3, i=4), day, DEFAULT) == AMBER
    # 2 x 4 = 8 against 3: 5 points (not far), not near: green
    assert prospects(risk(l=2, i=4), day, DEFAULT) == GREEN
    # 8 against 3, target 30 September 2025 (near), not far: amber
    assert prospects(risk(l=2, i=4, target_date=date(2025, 9, 30)), day, DEFAULT) == AMBER
    # 12 against 3, near and far: red
    assert prospects(risk(l=3, i=4, target_date=date(2025, 9, 30)), day, DEFAULT) == RED
    # 12 against 3, target 1 October 2025: one day past "near", far only: amber
    assert prospects(risk(l=3, i=4, target_date=date(2025, 10, 1)), day, DEFAULT) == AMBER
    # the target date has passed with 4 against 3: red however close
    assert prospects(risk(l=2, i=2, target_date=date(2025, 6, 29)), day, DEFAULT) == RED
    # 1 x 3 = 3 against 3: met, even after the target date
    assert prospects(risk(l=1, i=3, target_date=date(2025, 1, 1)), day, DEFAULT) == MET


def history() -> list[RiskVersion]:
    """Three risks reviewed monthly, versions numbered in the order recorded.

    R1: 12 (April) -> 12 (May) -> 8 (June): June improving, May unchanged.
    R2: entered 3 June at 3 x 5 = 15: June new.
    R3: 2 x 2 = 4 (April) -> 4 x 2 = 8 (reviewed 30 June): June worsening; reviewed again
        on 5 July at 3 x 2 = 6, which the June register must not see.
    R4: entered in April, closed 20 June: in no June row, listed as closed in June.
    """
    r1 = risk("R1", 3, 4, reviewed_on=date(2025, 4, 10), version=1)
    r3 = risk("R3", 2, 2, reviewed_on=date(2025, 4, 12), version=2)
    r4 = risk("R4", 2, 3, reviewed_on=date(2025, 4, 15), version=3)
    return [
        r1,
        r3,
        r4,
        _v(changed(r1, reviewed_on=date(2025, 5, 9)), 4),
        _v(changed(r1, likelihood=2, reviewed_on=date(2025, 6, 11)), 5),
        risk("R2", 3, 5, entered=date(2025, 6, 3), reviewed_on=date(2025, 6, 3), version=6),
        _v(changed(r3, likelihood=4, reviewed_on=date(2025, 6, 30)), 7),
        _v(changed(r4, status="closed", reviewed_on=date(2025, 6, 20)), 8),
        _v(changed(r3, likelihood=3, reviewed_on=date(2025, 7, 5)), 9),
    ]


def _v(v: RiskVersion, number: int) -> RiskVersion:
    return RiskVersion(**{**v.__dict__, "version": number})


def test_register_of_june_rebuilt_from_history() -> None:
    june = register_as_at(history(), date(2025, 6, 30), DEFAULT)
    by_id = {row.risk.risk_id: row for row in june.rows}
    assert set(by_id) == {"R1", "R2", "R3"}
    assert [v.risk_id for v in june.closed] == ["R4"]
    assert (by_id["R1"].risk.score, by_id["R1"].previous_score, by_id["R1"].direction) == (
        8,
        12,
        IMPROVING,
    )
    assert (by_id["R3"].risk.score, by_id["R3"].previous_score, by_id["R3"].direction) == (
        8,
        4,
        WORSENING,
    )
    assert (by_id["R2"].risk.score, by_id["R2"].previous_score, by_id["R2"].direction) == (
        15,
        None,
        NEW,
    )
    # moved first (all three moved), then by score: R2 15, then R1 8 and R3 8 by id
    assert [row.risk.risk_id for row in june.rows] == ["R2", "R1", "R3"]
    assert by_id["R2"].band.name == "high" and by_id["R1"].band.name == "medium"
    # heat map: current positions (likelihood, impact) and target positions (1, 3) for all
    assert june.heat_map() == {(3, 5): ["R2"], (2, 4): ["R1"], (4, 2): ["R3"]}
    assert june.heat_map("target") == {(1, 3): ["R2", "R1", "R3"]}


def test_register_of_may_and_unchanged_direction() -> None:
    may = register_as_at(history(), date(2025, 5, 31), DEFAULT)
    by_id = {row.risk.risk_id: row for row in may.rows}
    assert set(by_id) == {"R1", "R3", "R4"}  # R2 not yet entered, R4 not yet closed
    assert by_id["R1"].direction == UNCHANGED and not by_id["R1"].moved
    # R3 last reviewed 12 April: due 12 July, not overdue at 31 May
    assert not by_id["R3"].overdue
    # unmoved risks come after moved ones; none moved in May, so by score: R1 12, R4 6, R3 4
    assert [row.risk.risk_id for row in may.rows] == ["R1", "R4", "R3"]
    assert may.closed == []


def test_overdue_in_the_register() -> None:
    # R1 reviewed 11 June: due 11 September; at 31 October R1 is overdue, R3 (reviewed 5 July,
    # due 5 October) too, R2 (3 June, due 3 September) too
    october = register_as_at(history(), date(2025, 10, 31), DEFAULT)
    assert {row.risk.risk_id: row.overdue for row in october.rows} == {
        "R1": True,
        "R2": True,
        "R3": True,
    }
    august = register_as_at(history(), date(2025, 8, 31), DEFAULT)
    assert not any(row.overdue for row in august.rows)


def test_history_starting_this_month_is_not_new() -> None:
    # entered long ago, first held version this month: direction not known, not "moved"
    old = risk("R9", entered=date(2013, 12, 1), reviewed_on=date(2025, 6, 5), version=1)
    row = register_as_at([old], date(2025, 6, 30), DEFAULT).rows[0]
    assert row.direction == NO_HISTORY and not row.moved
