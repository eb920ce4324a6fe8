"""Rolling-origin backtest: how far to trust the projection.

For every month end in the last ``backtest.years`` years that has ``horizon_months`` of
actuals after it, each method is given only the history up to that month and projects the
next months; its projection of children looked after by placement category (and in total) is
compared with what happened. Errors are averaged over origins and horizons:

- MAPE, the mean absolute percentage error, ``mean(|forecast − actual| / actual)``;
- bias, the mean signed percentage error, ``mean((forecast − actual) / actual)``: positive
  when the method over-forecasts;
- MAE, the mean absolute error in children.

Months where the actual is zero are left out of the percentage errors. The methods:
cscperf's model, the reference-window Markov method (constant entries), and three naive
baselines any analyst would try first: the last value, a linear trend through the last
``fit.reference_months`` months, and the seasonal naive (the same month a year before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cscperf.forecast.history import History
from cscperf.forecast.model import expected_path, fit, project
from cscperf.forecast.settings import ForecastSettings

TOTAL = "total"
METHODS = (
    "cscperf",
    "reference-window Markov",
    "last value",
    "linear trend",
    "seasonal naive",
)

COVERAGE_STEP = 3

Forecaster = Callable[[History, ForecastSettings, int], np.ndarray]


def _with_total(by_category: np.ndarray) -> np.ndarray:
    return np.column_stack([by_category, by_category.sum(axis=1)])


def cscperf_method(history: History, settings: ForecastSettings, horizon: int) -> np.ndarray:
    model = fit(history, settings, entries="trend")
    return _with_total(history.space.by_category(expected_path(model, horizon)))


def reference_window_markov(
    history: History, settings: ForecastSettings, horizon: int
) -> np.ndarray:
    model = fit(history, settings, entries="constant")
    return _with_total(history.space.by_category(expected_path(model, horizon)))


def last_value(history: History, settings: ForecastSettings, horizon: int) -> np.ndarray:
    latest = _with_total(history.space.by_category(history.stock[-1:].astype(float)))
    return np.repeat(latest, horizon, axis=0)


def linear_trend(history: History, settings: ForecastSettings, horizon: int) -> np.ndarray:
    series = _with_total(history.space.by_category(history.stock.astype(float)))
    window = series[-settings.fit.reference_months :]
    t = np.arange(len(window), dtype=float)
    slope, intercept = np.polyfit(t, window, 1)
    ahead = np.arange(len(window), len(window) + horizon, dtype=float)
    return np.maximum(intercept[None, :] + ahead[:, None] * slope[None, :], 0)


def seasonal_naive(history: History, settings: ForecastSettings, horizon: int) -> np.ndarray:
    series = _with_total(history.space.by_category(history.stock.astype(float)))
    last = len(series) - 1
    picks = [last + h - 12 * -(-h // 12) for h in range(1, horizon + 1)]
    return series[np.maximum(picks, 0)]


FORECASTERS: dict[str, Forecaster] = {
    "cscperf": cscperf_method,
    "reference-window Markov": reference_window_markov,
    "last value": last_value,
    "linear trend": linear_trend,
    "seasonal naive": seasonal_naive,
}


@dataclass(frozen=True)
class ErrorRow:
    method: str
    category: str
    mape: float
    bias: float
    mae: float
    points: int


@dataclass(frozen=True)
class Backtest:
    rows: tuple[ErrorRow, ...]
    origins: int
    horizon: int
    coverage: float | None  # share of actual totals inside cscperf's interval

    def row(self, method: str, category: str = TOTAL) -> ErrorRow:
        return next(r for r in self.rows if r.method == method and r.category == category)


def origins_for(history: History, years: int, horizon: int, minimum_history: int) -> list[int]:
    """Month indexes to project from: the last ``years`` years' with actuals to compare."""
    last = len(history.month_ends) - 1 - horizon
    first = max(last - years * 12 + 1, minimum_history)
    return list(range(first, last + 1))


def errors(forecasts: np.ndarray, actuals: np.ndarray) -> tuple[float, float, float, int]:
    """MAPE, bias, MAE and the number of points with a non-zero actual."""
    usable = actuals > 0
    diff = forecasts - actuals
    pct = diff[usable] / actuals[usable]
    if not usable.any():
        return float("nan"), float("nan"), float(np.abs(diff).mean()), 0
    return (
        float(np.abs(pct).mean()),
        float(pct.mean()),
        float(np.abs(diff).mean()),
        int(usable.sum()),
    )


def run_backtest(
    history: History, settings: ForecastSettings, *, simulations: int = 100
) -> Backtest:
    """Backtest every method over the last ``backtest.years`` years (see the module)."""
    horizon = settings.backtest.horizon_months
    origins = origins_for(history, settings.backtest.years, horizon, settings.fit.reference_months)
    if not origins:
        raise ValueError(
            f"a backtest needs at least {settings.fit.reference_months + horizon + 1} months "
            "of history"
        )
    actual_series = _with_total(history.space.by_category(history.stock.astype(float)))
    actuals = np.stack([actual_series[o + 1 : o + 1 + horizon] for o in origins])
    rows: list[ErrorRow] = []
    categories = [*history.space.categories, TOTAL]
    for method, forecaster in FORECASTERS.items():
        forecasts = np.stack([forecaster(history.upto(o), settings, horizon) for o in origins])
        for index, category in enumerate(categories):
            mape, bias, mae, points = errors(forecasts[..., index], actuals[..., index])
            rows.append(ErrorRow(method, category, mape, bias, mae, points))
    coverage = _coverage(history, settings, origins, horizon, actuals[..., -1], simulations)
    return Backtest(tuple(rows), len(origins), horizon, coverage)


def _coverage(
    history: History,
    settings: ForecastSettings,
    origins: list[int],
    horizon: int,
    totals: np.ndarray,
    simulations: int,
) -> float | None:
    if not simulations:
        return None
    inside = 0
    checked = 0
    # every third origin: the interval is simulated, so each costs a projection's worth of
    # draws, and origins a month apart share eleven of their twelve months anyway
    for index, origin in list(enumerate(origins))[::COVERAGE_STEP]:
        projection = project(fit(history.upto(origin), settings), settings, months=horizon,
                             simulations=simulations)  # fmt: skip
        low, high = projection.bounds()
        inside += int(((totals[index] >= low[:, -1]) & (totals[index] <= high[:, -1])).sum())
        checked += len(totals[index])
    return inside / checked
