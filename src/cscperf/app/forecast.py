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
from cscperf.finance.costs import placement_costs, short_break_placements
from cscperf.finance.costs import placement_spells as finance_spells
from cscperf.finance.monitor import period_of
from cscperf.finance.store import load_finance
from cscperf.forecast.backtest import Backtest, run_backtest
from cscperf.forecast.cost import projected_costs, weighted_rates
from cscperf.forecast.history import History, build_history
from cscperf.forecast.model import Model, Projection, fit, project
from cscperf.forecast.result import Forecast, ScenarioRequest, ScenarioResult
from cscperf.forecast.scenarios import Scenario
from cscperf.forecast.settings import ForecastSettings, load_settings
from cscperf.indicators.output import parse_period
from cscperf.store.store import Build

SETTINGS_FILE = "forecast.yaml"  # a council's forecast settings, kept in the store's folder
PLACEMENTS = "ssd_cla_placement"
PEOPLE = "ssd_person"
EPISODES = "ssd_cla_episodes"
LEGAL_STATUS = "ssd_legal_status"
# finance's kinds of placement (finance/costs.py) by the forecast's default categories
FINANCE_KIND_CATEGORY = {
    "fostering": "fostering",
    "residential": "residential",
    "secure": "residential",
    "supported_accommodation": "supported",
}


def placement_spells(build: Build) -> pl.DataFrame:
    """Every placement but short breaks, with the child's date of birth, in the forecast's
    column names."""
    tables = set(build.tables())
    missing = [name for name in (PLACEMENTS, PEOPLE) if name not in tables]
    if missing:
        raise CscperfError(
            f"build {build.id} has no {' or '.join(missing)} table, so there are no placements to "
            "forecast from; load the SSD tables or the SSDA903 returns"
        )
    placements = build.table(PLACEMENTS)
    breaks = short_break_placements(
        build.table(EPISODES) if EPISODES in tables else None,
        build.table(LEGAL_STATUS) if LEGAL_STATUS in tables else None,
    )
    if breaks is not None:
        # short breaks are not "looked after" in the DfE's counts, nor in the forecast's
        placements = placements.filter(
            ~pl.col("clap_cla_placement_id").is_in(breaks["placement_id"].implode())
        )
    placements = placements.select(
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
    settings, cost_sources = with_ledger_costs(build, last, settings)
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
    result = Forecast(
        settings, history, projection, cost, low, high, None, cost_sources=cost_sources
    )
    if backtest:
        result.backtest, result.backtest_missing = _backtest(history, settings)
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


def _backtest(history: History, settings: ForecastSettings) -> tuple[Backtest | None, str]:
    """The backtest, or None and why when the history is too short for one."""
    needed = settings.fit.reference_months + settings.backtest.horizon_months + 1
    if len(history.month_ends) < needed:
        return None, (
            f"There is too little history for a backtest: it needs {needed} months (a "
            f"{settings.fit.reference_months}-month window and {settings.backtest.horizon_months}"
            f" months of actuals after it), and the build holds {len(history.month_ends)}. "
            "Treat the projection with care."
        )
    return run_backtest(history, settings), ""


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


def ledger_unit_costs(build: Build, period_end: date) -> dict[str, float]:
    """Weekly cost per forecast category from the finance kept with the build: the rates
    finance monitoring uses for the month (the settings', or the ledger's actuals ÷ nights),
    each category's kinds weighted by their nights this year. Empty without a ledger."""
    data = load_finance(build)
    if data is None or not data.settings.unit_costs:
        return {}
    year, period = period_of(period_end)
    month = data.ledger.filter(pl.col("financial_year") == year, pl.col("period") == period)
    if month.is_empty():
        return {}
    spells = finance_spells(
        build.table(PLACEMENTS), build.table(EPISODES), build.table(LEGAL_STATUS)
    )
    costs = placement_costs(data.settings, data.ledger, spells, year, period)
    return weighted_rates(
        (FINANCE_KIND_CATEGORY.get(line.placement_type, "other"), line.weekly_rate,
         line.nights_ytd)
        for line in costs.lines
        if line.weekly_rate is not None
    )  # fmt: skip


def with_ledger_costs(
    build: Build, period_end: date, settings: ForecastSettings
) -> tuple[ForecastSettings, dict[str, str]]:
    """The settings with the ledger's unit costs where the build has them, and where each
    category's cost came from ("ledger" or "settings")."""
    tables = set(build.tables())
    ledger = (
        ledger_unit_costs(build, period_end)
        if {PLACEMENTS, EPISODES, LEGAL_STATUS} <= tables
        else {}
    )
    used = {c: r for c, r in ledger.items() if c in settings.weekly_unit_costs}
    sources = {c: "ledger" if c in used else "settings" for c in settings.weekly_unit_costs}
    if not used:
        return settings, sources
    costs = {**settings.weekly_unit_costs, **used}
    return settings.model_copy(update={"weekly_unit_costs": costs}), sources
