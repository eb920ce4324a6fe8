"""Forecasting a build's children looked after: history, projection, costs, scenarios, backtest.

One function, :func:`forecast_build`, used alike by ``cscperf forecast``, the pack and the
dashboard. It reads the build's placements and dates of birth, counts the month-end history,
fits the model as at the chosen month, projects it with its interval, costs it, runs the
requested scenarios and the backtest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from cscperf.errors import CscperfError
from cscperf.forecast.backtest import Backtest, run_backtest
from cscperf.forecast.cost import projected_costs
from cscperf.forecast.history import History, build_history
from cscperf.forecast.model import Model, Projection, fit, project
from cscperf.forecast.scenarios import Scenario
from cscperf.forecast.settings import ForecastSettings, load_settings
from cscperf.store.store import Build

PLACEMENTS = "ssd_cla_placement"
PEOPLE = "ssd_person"


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

    @property
    def categories(self) -> tuple[str, ...]:
        return self.history.space.categories


def placement_spells(build: Build) -> pl.DataFrame:
    """Every placement with the child's date of birth, in the forecast's column names."""
    tables = set(build.tables())
    missing = [name for name in (PLACEMENTS, PEOPLE) if name not in tables]
    if missing:
        raise CscperfError(
            f"build {build.id} has no {' or '.join(missing)} table, so there are no placements to "
            "forecast from; load the SSD tables or the SSDA903 returns"
        )
    placements = build.table(PLACEMENTS).select(
        pl.col("clap_person_id").alias("child"),
        pl.col("clap_cla_placement_start_date").alias("start"),
        pl.col("clap_cla_placement_end_date").alias("end"),
        pl.col("clap_cla_placement_type").alias("placement_type"),
    )
    births = build.table(PEOPLE).select(
        pl.col("pers_person_id").alias("child"), pl.col("pers_dob").alias("birth")
    )
    spells = placements.join(births, on="child", how="inner").filter(
        pl.col("start").is_not_null() & pl.col("birth").is_not_null()
    )
    if spells.is_empty():
        raise CscperfError(
            f"build {build.id} has no placements with a start date and a date of birth"
        )
    return spells


def reporting_months(build: Build, period_end: date | None) -> tuple[date, date]:
    """The first and last month ends the history runs over, as at ``period_end``."""
    reporting = build.manifest.get("reporting") or {}
    if not reporting.get("first") or not reporting.get("last"):
        raise CscperfError(
            f"build {build.id} states no reporting months; load it again with cscperf ingest"
        )
    first, last = date.fromisoformat(reporting["first"]), date.fromisoformat(reporting["last"])
    if period_end is not None:
        if period_end < first or period_end > last:
            raise CscperfError(
                f"--period {period_end:%Y-%m} is outside the build's months "
                f"({first:%B %Y} to {last:%B %Y})"
            )
        last = period_end
    return first, last


def forecast_build(
    build: Build,
    *,
    period_end: date | None = None,
    settings_path: Path | None = None,
    months: int | None = None,
    scenarios: list[ScenarioRequest] | None = None,
    backtest: bool = True,
) -> Forecast:
    """Fit, project, cost and backtest the build's children looked after (see the module)."""
    settings = load_settings(settings_path)
    first, last = reporting_months(build, period_end)
    history = build_history(placement_spells(build), first, last, settings)
    needed = settings.fit.reference_months + 1
    if len(history.month_ends) < needed:
        raise CscperfError(
            f"a forecast needs at least {needed} months of history; build {build.id} has "
            f"{len(history.month_ends)} up to {last:%B %Y}"
        )
    model = fit(history, settings)
    projection = project(model, settings, months=months)
    cost, low, high = projected_costs(projection, settings)
    result = Forecast(settings, history, projection, cost, low, high, None)
    if backtest:
        result.backtest = run_backtest(history, settings)
    for request in scenarios or []:
        result.scenarios.append(_scenario(model, settings, projection, request))
    return result


def _scenario(
    model: Model, settings: ForecastSettings, baseline: Projection, request: ScenarioRequest
) -> ScenarioResult:
    scenario = Scenario(
        request.name, model.space, request.start, request.entry_factor, request.exit_factor,
        request.step_down_share,
    )  # fmt: skip
    changed = project(
        model, settings, months=len(baseline.month_ends), simulations=0, adjust=scenario
    )
    cost, _, _ = projected_costs(changed, settings)
    return ScenarioResult(request.name, changed.by_category(), cost)


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
