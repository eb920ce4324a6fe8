"""A forecast's results, and the tables the command line, the pack and the dashboard show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from cscperf.forecast.backtest import Backtest
from cscperf.forecast.history import History
from cscperf.forecast.model import Projection
from cscperf.forecast.settings import ForecastSettings


@dataclass(frozen=True)
class ScenarioRequest:
    """A scenario as a user states it, before there is a model to apply it to."""

    name: str
    start: date
    entry_factor: float = 1.0
    exit_factor: float = 1.0
    step_down_share: float = 0.0


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    by_category: np.ndarray  # (months, categories) expected children
    cost: np.ndarray  # (months, categories) expected cost


@dataclass
class Forecast:
    """Everything the forecast pages and tables show, all of it aggregate."""

    settings: ForecastSettings
    history: History
    projection: Projection
    cost: np.ndarray  # (months, categories)
    cost_low: np.ndarray  # (months,)
    cost_high: np.ndarray  # (months,)
    backtest: Backtest | None
    scenarios: list[ScenarioResult] = field(default_factory=list)
    # where each category's weekly unit cost came from: "ledger" (finance monitoring's rates
    # for the month) or "settings"
    cost_sources: dict[str, str] = field(default_factory=dict)
    backtest_missing: str = ""  # why there is no backtest, when it was asked for

    @property
    def categories(self) -> tuple[str, ...]:
        return self.history.space.categories


def projection_frame(result: Forecast) -> pl.DataFrame:
    """One row per month and placement category (and "total"): expected children, the
    interval, and the expected cost."""
    projection = result.projection
    low, high = projection.bounds()
    middle = projection.by_category()
    names = [*result.categories, "total"]
    rows = []
    for m, month_end in enumerate(projection.month_ends):
        expected = [*middle[m], middle[m].sum()]
        cost = [*result.cost[m], result.cost[m].sum()]
        for c, name in enumerate(names):
            rows.append(
                {
                    "month_end": month_end,
                    "placement_category": name,
                    "expected_children": round(float(expected[c]), 1),
                    "low": round(float(low[m, c]), 1),
                    "high": round(float(high[m, c]), 1),
                    "expected_cost": round(float(cost[c])),
                }
            )
    return pl.DataFrame(rows)


def backtest_frame(backtest: Backtest) -> pl.DataFrame:
    """The backtest's errors: one row per method and placement category."""
    return pl.DataFrame(
        [
            {
                "method": row.method,
                "placement_category": row.category,
                "mape_pct": round(row.mape * 100, 1),
                "bias_pct": round(row.bias * 100, 1),
                "mae_children": round(row.mae, 1),
                "points": row.points,
            }
            for row in backtest.rows
        ]
    )


def scenarios_frame(result: Forecast) -> pl.DataFrame:
    """Each scenario's expected children and cost by month and category, beside the baseline."""
    baseline = result.projection.by_category()
    rows = []
    for scenario in result.scenarios:
        for m, month_end in enumerate(result.projection.month_ends):
            for c, name in enumerate(result.categories):
                rows.append(
                    {
                        "scenario": scenario.name,
                        "month_end": month_end,
                        "placement_category": name,
                        "baseline_children": round(float(baseline[m, c]), 1),
                        "scenario_children": round(float(scenario.by_category[m, c]), 1),
                        "baseline_cost": round(float(result.cost[m, c])),
                        "scenario_cost": round(float(scenario.cost[m, c])),
                    }
                )
    return pl.DataFrame(rows)
