"""The forecast section of the pack and the dashboard, as plain rows and one chart.

Owns what a reader sees of the forecast: a fan chart (the last three years of children looked
after, then the projection with its interval), the projection by placement category at a few
horizons, the cost by financial year, the backtest beside it (so the reader knows how far to
trust the projection), and any scenarios. The HTML, the PDF, the workbook and the dashboard all
read these rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from cscperf.forecast.cost import financial_year
from cscperf.forecast.result import Forecast
from cscperf.reports.charts import COUNTY, LINE

HISTORY_SHOWN = 36  # months of history drawn before the projection
HORIZONS = (6, 12, 24, 36)
CATEGORY_NAMES = {
    "fostering": "Fostering",
    "residential": "Residential",
    "supported": "Supported accommodation",
    "other": "Other placements",
    "total": "All children looked after",
}
METHOD_NAMES = {
    "cscperf": "cscperf's model",
    "reference-window Markov": "Reference-window Markov (demand model method)",
    "last value": "Last value held flat",
    "linear trend": "Linear trend",
    "seasonal naive": "Same month last year",
}
FAN = "#85b3d9"
COST_SOURCES = {
    "ledger": "from the ledger: finance monitoring's rate this month",
    "settings": "from the forecast settings",
}


def category_name(category: str) -> str:
    return CATEGORY_NAMES.get(category, category.replace("_", " ").capitalize())


@dataclass(frozen=True)
class ProjectionRow:
    category: str
    now: float
    ahead: list[tuple[float, float, float]]  # (expected, low, high) at each horizon


@dataclass(frozen=True)
class CostRow:
    category: str
    by_year: list[float]


@dataclass(frozen=True)
class BacktestRow:
    method: str
    mape: float
    bias: float
    mae: float
    best: bool


@dataclass(frozen=True)
class ScenarioRow:
    name: str
    month_end: date
    baseline: float
    scenario: float
    cost_difference: float  # over the projection, scenario minus baseline


@dataclass(frozen=True)
class ForecastSection:
    origin: date
    horizons: list[date]
    projection: list[ProjectionRow]
    years: list[str]  # financial-year column labels of the cost table
    year_notes: list[str]
    cost: list[CostRow]
    backtest: list[BacktestRow]
    backtest_note: str
    scenarios: list[ScenarioRow]
    unit_costs: list[tuple[str, float, str]]  # category, weekly cost, where it came from
    summary: str
    interval: float
    design: Any  # the fan chart (Altair)
    alt: str


def projection_rows(result: Forecast) -> tuple[list[date], list[ProjectionRow]]:
    """Children now and at each horizon the projection reaches, by category and in total."""
    projection = result.projection
    steps = [h for h in HORIZONS if h <= len(projection.month_ends)]
    middle = projection.by_category()
    low, high = projection.bounds()
    now = result.history.space.by_category(result.history.stock[-1].astype(float))
    rows = []
    for c, category in enumerate([*result.categories, "total"]):
        current = float(now.sum()) if category == "total" else float(now[c])
        ahead = []
        for h in steps:
            value = middle[h - 1].sum() if category == "total" else middle[h - 1, c]
            ahead.append((float(value), float(low[h - 1, c]), float(high[h - 1, c])))
        rows.append(ProjectionRow(category_name(category), current, ahead))
    return [projection.month_ends[h - 1] for h in steps], rows


def cost_rows(result: Forecast) -> tuple[list[str], list[str], list[CostRow]]:
    """Expected placement cost by financial year and category, over the projected months."""
    years = sorted({financial_year(m) for m in result.projection.month_ends})
    index = np.array([years.index(financial_year(m)) for m in result.projection.month_ends])
    labels, notes = [], []
    for year in years:
        months = [m for m in result.projection.month_ends if financial_year(m) == year]
        labels.append(f"{year}-{(year + 1) % 100:02d}")
        if len(months) < 12:
            notes.append(
                f"{year}-{(year + 1) % 100:02d}: {months[0]:%B %Y} to {months[-1]:%B %Y} only"
            )
    rows = []
    for c, category in enumerate([*result.categories, "total"]):
        per_month = result.cost.sum(axis=1) if category == "total" else result.cost[:, c]
        by_year = [float(per_month[index == i].sum()) for i in range(len(years))]
        rows.append(CostRow(category_name(category), by_year))
    return labels, notes, rows


def backtest_rows(result: Forecast) -> tuple[list[BacktestRow], str]:
    if result.backtest is None:
        return [], result.backtest_missing or "The backtest was not run."
    totals = [row for row in result.backtest.rows if row.category == "total"]
    best = min(row.mape for row in totals)
    rows = [
        BacktestRow(METHOD_NAMES.get(r.method, r.method), r.mape, r.bias, r.mae, r.mape == best)
        for r in totals
    ]
    ours = next(r for r in totals if r.method == "cscperf")
    note = (
        f"Projecting {result.backtest.horizon} months ahead from each of the last "
        f"{result.backtest.origins} month ends, cscperf's model was {ours.mape:.1%} out on average "
        f"(bias {ours.bias:+.1%})."
    )
    if result.backtest.coverage is not None:
        note += (
            f" Its {result.settings.projection.interval:.0%} interval held the actual number "
            f"{result.backtest.coverage:.0%} of the time."
        )
    if ours.mape > best:
        winner = next(r for r in rows if r.best)
        note += f" {winner.method} did better here: weigh the projection accordingly."
    return rows, note


def scenario_rows(result: Forecast) -> list[ScenarioRow]:
    rows = []
    last = len(result.projection.month_ends) - 1
    baseline = result.projection.by_category()[last].sum()
    for scenario in result.scenarios:
        rows.append(
            ScenarioRow(
                scenario.name,
                result.projection.month_ends[last],
                float(baseline),
                float(scenario.by_category[last].sum()),
                float(scenario.cost.sum() - result.cost.sum()),
            )
        )
    return rows


def fan_points(result: Forecast) -> list[dict[str, Any]]:
    """The fan chart's data: for each placement type and the total, the last three years'
    month-end counts ("Actual"), then the projection ("Projected", joined to the last actual)
    with its interval (``low``, ``high``)."""
    history = result.history
    actual = result.history.space.by_category(history.stock[-HISTORY_SHOWN:].astype(float))
    actual = np.column_stack([actual, actual.sum(axis=1)])
    middle = result.projection.by_category()
    middle = np.column_stack([middle, middle.sum(axis=1)])
    low, high = result.projection.bounds()
    months = history.month_ends[-HISTORY_SHOWN:]
    points: list[dict[str, Any]] = []
    for c, category in enumerate([*result.categories, "total"]):
        name = category_name(category)
        for m, value in zip(months, actual[:, c], strict=True):
            points.append({"month": f"{m:%Y-%m-15}", "placement": name, "series": "Actual",
                           "value": float(value)})  # fmt: skip
        last = float(actual[-1, c])
        start = f"{months[-1]:%Y-%m-15}"
        points.append({"month": start, "placement": name, "series": "Projected",
                       "value": last, "low": last, "high": last})  # fmt: skip
        for h, m in enumerate(result.projection.month_ends):
            points.append({"month": f"{m:%Y-%m-15}", "placement": name, "series": "Projected",
                           "value": float(middle[h, c]), "low": float(low[h, c]),
                           "high": float(high[h, c])})  # fmt: skip
    return points


def fan_chart(result: Forecast) -> Any:
    """Children looked after by placement type and in total, one small panel each: the
    history as a line, the projection dashed inside its shaded interval."""
    # Altair is as slow to import as Ibis; only drawing needs it (as in reports/charts.py).
    import altair as alt

    order = [category_name(c) for c in [*result.categories, "total"]]
    series = ["Actual", "Projected"]
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0, tickCount=4))
    base = alt.Chart().encode(x=x)
    area = (
        base.transform_filter(alt.datum.series == "Projected")
        .mark_area(color=FAN, opacity=0.5)
        .encode(y=alt.Y("low:Q", title="children", scale=alt.Scale(zero=False)), y2="high:Q")
    )
    lines = base.mark_line(strokeWidth=2).encode(
        y="value:Q",
        color=alt.Color("series:N", scale=alt.Scale(domain=series, range=[COUNTY, LINE]),
                        legend=alt.Legend(title=None, orient="top")),
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=series,
                                  range=[[1, 0], [6, 3]]), legend=None),
    )  # fmt: skip
    return (
        alt.layer(area, lines, data=alt.Data(values=fan_points(result)))
        .properties(width=210, height=110)
        .facet(facet=alt.Facet("placement:N", sort=order, title=None), columns=3)
        .resolve_scale(y="independent")
    )


def fan_alt_text(result: Forecast) -> str:
    history = result.history
    now = int(history.stock[-1].sum())
    low, high = result.projection.bounds()
    end = result.projection.month_ends[-1]
    expected = result.projection.by_category()[-1]
    current = history.space.by_category(history.stock[-1].astype(float))
    parts = [
        f"{category_name(c).lower()} {current[i]:.0f} now, {expected[i]:.0f} "
        f"({low[-1, i]:.0f} to {high[-1, i]:.0f})"
        for i, c in enumerate(result.categories)
    ]
    return (
        f"Children looked after: {now} at the end of {history.month_ends[-1]:%B %Y}; projected "
        f"{expected.sum():.0f} by {end:%B %Y}, within {low[-1, -1]:.0f} to {high[-1, -1]:.0f} "
        f"({result.projection.interval:.0%} interval). By placement type at {end:%B %Y}: "
        + "; ".join(parts)
        + "."
    )


def forecast_section(result: Forecast) -> ForecastSection:
    horizons, projection = projection_rows(result)
    years, notes, cost = cost_rows(result)
    backtest, note = backtest_rows(result)
    total = projection[-1]
    origin = result.history.month_ends[-1]
    summary = f"{total.now:.0f} children were looked after at the end of {origin:%B %Y}. " + (
        f"In {horizons[-1]:%B %Y} the model expects about {total.ahead[-1][0]:.0f} "
        f"({total.ahead[-1][1]:.0f} to {total.ahead[-1][2]:.0f})."
        if horizons
        else ""
    )
    return ForecastSection(
        origin=result.history.month_ends[-1],
        horizons=horizons,
        projection=projection,
        years=years,
        year_notes=notes,
        cost=cost,
        backtest=backtest,
        backtest_note=note,
        scenarios=scenario_rows(result),
        unit_costs=[
            (
                category_name(c),
                result.settings.weekly_unit_costs[c],
                COST_SOURCES[result.cost_sources.get(c, "settings")],
            )
            for c in result.categories
        ],
        summary=summary,
        interval=result.projection.interval,
        design=fan_chart(result),
        alt=fan_alt_text(result),
    )
