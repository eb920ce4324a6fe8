"""Backtest errors, the naive baselines and the cost arithmetic, worked by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

import cscperf.app.forecast as forecast_app
from cscperf.forecast.backtest import errors, last_value, origins_for, seasonal_naive
from cscperf.forecast.cost import financial_year, monthly_cost, weighted_rates
from cscperf.forecast.history import History, StateSpace, month_ends_between
from cscperf.forecast.settings import load_settings

SPACE = StateSpace(("All ages",), ("fostering", "other"))


def _history(fostering: list[int]) -> History:
    n = len(fostering)
    ends = tuple(
        month_ends_between(date(2020, 1, 1), date(2020 + (n - 1) // 12, (n - 1) % 12 + 1, 1))
    )
    stock = np.column_stack([fostering, np.zeros(n, dtype=int)])
    return History(SPACE, ends, stock, np.zeros((n - 1, 3, 3), dtype=int))


def test_errors_worked_by_hand() -> None:
    forecasts = np.array([110.0, 90.0, 5.0])
    actuals = np.array([100.0, 100.0, 0.0])
    mape, bias, mae, points = errors(forecasts, actuals)
    # The zero actual is left out of the percentages, not of the MAE.
    assert (mape, bias, points) == (pytest.approx(0.10), pytest.approx(0.0), 2)
    assert mae == pytest.approx((10 + 10 + 5) / 3)


def test_last_value_and_seasonal_naive_use_only_the_history_given() -> None:
    history = _history(list(range(100, 124)))  # 24 months: 100..123
    settings = load_settings()
    assert last_value(history, settings, 3)[:, 0].tolist() == [123, 123, 123]
    # Seasonal naive: month h ahead takes the same month a year before (index 23 + h - 12):
    # 112, 113, ... 123; 13 months ahead (index 36) takes the same month two years before
    # (index 12, 112), as a year before (index 24) is not yet known.
    ahead = seasonal_naive(history, settings, 13)[:, 0].tolist()
    assert ahead[:2] == [112, 113] and ahead[11] == 123 and ahead[12] == 112


def test_origins_leave_room_for_the_horizon_and_the_reference_window() -> None:
    history = _history([100] * 60)
    # 60 month ends (index 0..59); with a 12-month horizon the last origin is 47; three years
    # back from it is 12, but the 24-month reference window needs origin >= 24.
    assert origins_for(history, 3, 12, 24) == list(range(24, 48))


def test_placement_cost_is_nights_times_the_weekly_rate_over_seven() -> None:
    # 3 fostered and 1 in a children's home at the end of a 30-day month (June) and a
    # 31-day month (July): 3 × 30 × 700/7 = 9,000 and 1 × 30 × 6,300/7 = 27,000.
    children = np.array([[3.0, 1.0], [3.0, 1.0]])
    cost = monthly_cost(children, [date(2026, 6, 30), date(2026, 7, 31)], np.array([700.0, 6300.0]))
    assert cost.tolist() == [[9000, 27000], [9300, 27900]]


def test_financial_years_start_in_april() -> None:
    assert [financial_year(d) for d in (date(2026, 3, 31), date(2026, 4, 1))] == [2025, 2026]


def test_a_category_costs_what_its_kinds_nights_cost() -> None:
    # In-house fostering 300 nights at £500 a week, agency 100 nights at £1,100: the category
    # costs (300 × 500 + 100 × 1,100) / 400 = £650 a week. A kind without nights adds nothing.
    rates = weighted_rates(
        [("fostering", 500, 300), ("fostering", 1100, 100), ("residential", 5000, 0)]
    )
    assert rates == {"fostering": pytest.approx(650)}


def test_a_short_history_gets_no_backtest_and_says_why() -> None:
    # 36 month ends (three collection years of returns): a 24-month window and 12 months of
    # actuals after it need 37.
    backtest, why = forecast_app._backtest(_history([100] * 36), load_settings())
    assert backtest is None
    assert "needs 37 months" in why and "holds 36" in why
    backtest, why = forecast_app._backtest(_history(list(range(100, 137))), load_settings())
    assert backtest is not None and why == ""
