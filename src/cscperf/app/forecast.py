"""Forecasting a build's children looked after: history, projection, costs, scenarios, backtest.

One function, :func:`forecast_build`, used alike by ``cscperf forecast``, the pack and the
dashboard. It reads the build's placements and dates of birth, counts the month-end history,
fits the model as at the chosen month, projects it with its interval, costs it, runs the
requested scenarios and the backtest.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from cscperf.errors import CscperfError
from cscperf.forecast.backtest import run_backtest
from cscperf.forecast.cost import projected_costs
from cscperf.forecast.history import build_history
from cscperf.forecast.model import Model, Projection, fit, project
from cscperf.forecast.result import Forecast, ScenarioRequest, ScenarioResult
from cscperf.forecast.scenarios import Scenario
from cscperf.forecast.settings import ForecastSettings, load_settings
from cscperf.indicators.output import parse_period
from cscperf.store.store import Build

SETTINGS_FILE = "forecast.yaml"  # a council's forecast settings, kept in the store's folder
PLACEMENTS = "ssd_cla_placement"
PEOPLE = "ssd_person"


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
    settings = load_settings(settings_path or store_settings(build))
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
    for request in [*settings_scenarios(settings), *(scenarios or [])]:
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


def store_settings(build: Build) -> Path | None:
    """The store's own ``forecast.yaml``, when the council keeps one there."""
    path = build.store.path / SETTINGS_FILE
    return path if path.is_file() else None


def settings_scenarios(settings: ForecastSettings) -> list[ScenarioRequest]:
    """The scenarios the council keeps in its forecast settings."""
    return [
        ScenarioRequest(
            s.name,
            parse_period(s.start, f"scenario {s.name!r} from"),
            s.entries,
            s.exits,
            s.step_down,
        )
        for s in settings.scenarios
    ]


def forecast_for_pack(build: Build, period_end: date) -> tuple[Forecast | None, str]:
    """The forecast a month's pack shows, or None and the reason it has none."""
    try:
        return forecast_build(build, period_end=period_end), ""
    except CscperfError as exc:
        return None, str(exc)
