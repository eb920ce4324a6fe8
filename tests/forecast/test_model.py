"""The model's arithmetic on tiny populations worked by hand, and recovery of planted rates."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from cscperf.forecast.history import History, StateSpace, month_ends_between
from cscperf.forecast.model import EntryModel, Model, expected_path, fit, fit_entries, project
from cscperf.forecast.settings import ForecastSettings

SPACE = StateSpace(("All ages",), ("fostering", "other"))
FLAT = EntryModel(level=float(np.log(3.0)), slope=0.0, season=np.zeros(12), observed=36)


def hand_model(start: list[float]) -> Model:
    # Fostering: of 10 children a month, 8 stay, 1 moves to other, 1 leaves care.
    # Other: of 10, 5 stay, 5 leave. Entries: 3 a month, two thirds into fostering.
    counts = np.array([[8.0, 1.0, 1.0], [0.0, 5.0, 5.0]])
    return Model(SPACE, date(2024, 3, 31), np.array(start), counts, FLAT,
                 np.array([2 / 3, 1 / 3]), np.array([24.0, 12.0]))  # fmt: skip


def test_one_and_two_steps_worked_by_hand(two_states: ForecastSettings) -> None:
    path = expected_path(hand_model([20, 0]), 2)
    # Step 1: fostering 20×0.8 + 0×0 + 2 = 18; other 20×0.1 + 0×0.5 + 1 = 3.
    # Step 2: fostering 18×0.8 + 2 = 16.4; other 18×0.1 + 3×0.5 + 1 = 4.3.
    assert path.ravel().tolist() == pytest.approx([18, 3, 16.4, 4.3])


def test_steady_state_stays_put() -> None:
    # [10, 4] is the fixed point: 10×0.8 + 2 = 10 and 10×0.1 + 4×0.5 + 1 = 4.
    assert expected_path(hand_model([10, 4]), 6)[-1].tolist() == pytest.approx([10, 4])


def test_the_simulated_mean_follows_the_expected_path(two_states: ForecastSettings) -> None:
    model = hand_model([20, 0])
    # Plenty of counts behind the rates, so parameter draws stay near them.
    model = Model(SPACE, model.origin, model.start_stock, model.counts * 1000, FLAT,
                  model.entry_mix, model.entry_mix_counts * 1000)  # fmt: skip
    projection = project(model, two_states, months=6, simulations=2000)
    simulated = projection.paths.mean(axis=0)
    assert simulated == pytest.approx(projection.expected, rel=0.03)
    low, high = projection.bounds()
    assert (low[:, -1] < projection.expected.sum(axis=1)).all()
    assert (high[:, -1] > projection.expected.sum(axis=1)).all()


def test_entry_regression_recovers_a_planted_trend_and_season() -> None:
    rng = np.random.default_rng(7)
    months = month_ends_between(date(2016, 1, 1), date(2023, 12, 31))
    t = np.arange(len(months)) - (len(months) - 1)
    season = 0.25 * np.cos(2 * np.pi * (np.array([m.month for m in months]) - 1) / 12)
    slope = np.log(1.05) / 12  # 5% a year
    counts = rng.poisson(np.exp(np.log(40) + slope * t + season))
    fitted = fit_entries(counts, months)
    assert fitted.slope * 12 == pytest.approx(np.log(1.05), abs=0.02)
    assert np.exp(fitted.level) == pytest.approx(40, rel=0.08)
    planted = 0.25 * np.cos(2 * np.pi * np.arange(12) / 12)
    assert np.abs(fitted.season - (planted - planted.mean())).max() < 0.08


def _planted_history(months: int, rng: np.random.Generator) -> History:
    """A two-state chain run with known rates: the flows a council's data would show."""
    planted = np.array([[0.93, 0.03, 0.04], [0.10, 0.80, 0.10]])
    stock = np.array([300, 60])
    stocks, flows = [stock], []
    for _ in range(months - 1):
        moved = np.vstack([rng.multinomial(stock[s], planted[s]) for s in range(2)])
        entries = rng.multinomial(rng.poisson(25), [0.8, 0.2])
        flow = np.zeros((3, 3), dtype=np.int64)
        flow[:2, :] = moved
        flow[2, :2] = entries
        stock = moved[:, :2].sum(axis=0) + entries
        stocks.append(stock)
        flows.append(flow)
    ends = tuple(
        month_ends_between(
            date(2020, 1, 1), date(2020 + (months - 1) // 12, (months - 1) % 12 + 1, 1)
        )
    )
    return History(SPACE, ends, np.array(stocks), np.array(flows))


def test_fit_recovers_planted_transition_rates(two_states: ForecastSettings) -> None:
    history = _planted_history(61, np.random.default_rng(3))
    settings = two_states.model_copy(
        update={"fit": two_states.fit.model_copy(update={"reference_months": 60})}
    )
    model = fit(history, settings, entries="constant")
    planted = np.array([[0.93, 0.03, 0.04], [0.10, 0.80, 0.10]])
    assert np.abs(model.transitions - planted).max() < 0.02
    assert np.exp(model.entry.level) == pytest.approx(25, rel=0.1)
    assert model.entry_mix == pytest.approx([0.8, 0.2], abs=0.03)
