"""The projection costed: children in each placement category × weekly unit cost."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

import numpy as np

from cscperf.forecast.model import Projection
from cscperf.forecast.settings import ForecastSettings


def days_in(month_ends: tuple[date, ...] | list[date]) -> np.ndarray:
    return np.array([calendar.monthrange(d.year, d.month)[1] for d in month_ends], dtype=float)


def monthly_cost(children: np.ndarray, month_ends: tuple[date, ...] | list[date],
                 weekly: np.ndarray) -> np.ndarray:  # fmt: skip
    """Cost of ``children`` (``(..., months, categories)``) in each month: each child's
    placement costs ``weekly / 7`` a night for every night of the month (the month-end count
    standing for the month)."""
    return children * weekly * (days_in(month_ends) / 7)[:, None]


def unit_costs(settings: ForecastSettings, categories: tuple[str, ...]) -> np.ndarray:
    return np.array([settings.weekly_unit_costs[c] for c in categories], dtype=float)


def projected_costs(
    projection: Projection, settings: ForecastSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected cost by month and category, and the interval of the monthly total."""
    space = projection.model.space
    weekly = unit_costs(settings, space.categories)
    expected = monthly_cost(projection.by_category(), projection.month_ends, weekly)
    if not projection.paths.size:
        total = expected.sum(axis=1)
        return expected, total, total
    simulated = monthly_cost(
        space.by_category(projection.paths), projection.month_ends, weekly
    ).sum(axis=2)
    tail = (1 - projection.interval) / 2
    return expected, np.quantile(simulated, tail, axis=0), np.quantile(simulated, 1 - tail, axis=0)


def financial_year(day: date) -> int:
    """The financial year a day falls in, named by its starting year (April to March)."""
    return day.year if day.month >= 4 else day.year - 1


def weighted_rates(kinds: Iterable[tuple[str, float, float]]) -> dict[str, float]:
    """Weekly cost per category from (category, weekly rate, nights) of finer kinds of
    placement (e.g. in-house and agency fostering): each kind weighted by its nights, so the
    category costs what its nights cost in total."""
    spent: dict[str, float] = {}
    nights: dict[str, float] = {}
    for category, rate, count in kinds:
        if count > 0:
            spent[category] = spent.get(category, 0.0) + rate * count
            nights[category] = nights.get(category, 0.0) + count
    return {category: spent[category] / nights[category] for category in spent}
