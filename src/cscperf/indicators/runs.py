"""Runs of months: the reporting months an indicator is produced for, split where the
parameters in force change, each run named by a key that stays the same from one month's
build to the next."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from cscperf.calendar.periods import is_year_end
from cscperf.indicators.catalogue import (
    IndicatorDefinition,
    ParametersInForce,
    parameters_in_force,
)
from cscperf.settings import ParameterOverride

YEAR_END_BASES = ("financial_year", "as_at_31_march")


@dataclass(frozen=True)
class Run:
    """Consecutive reporting months of one indicator that share parameters and version.

    ``key`` names the months in terms that stay the same from one month's build to the next
    (year ends or every month, which run of the indicator, where later runs start), so the
    compiled SQL, which refers to the months only through this key, can be reused."""

    parameters: ParametersInForce
    period_ends: tuple[date, ...]
    key: str = ""


def months_for(definition: IndicatorDefinition, period_ends: Sequence[date]) -> list[date]:
    """The months an indicator is produced for: year-end bases only at 31 March."""
    if definition.basis in YEAR_END_BASES:
        return [e for e in period_ends if is_year_end(e)]
    return list(period_ends)


def runs_of(
    definition: IndicatorDefinition,
    period_ends: Sequence[date],
    overrides: Sequence[ParameterOverride],
    framework_defaults: Mapping[str, Any],
) -> list[Run]:
    """Split the months where the parameters in force change, keeping months in order."""
    runs: list[Run] = []
    current: list[date] = []
    current_params: ParametersInForce | None = None
    current_key: tuple[int, str] | None = None
    for period_end in months_for(definition, period_ends):
        params = parameters_in_force(definition, period_end, overrides, framework_defaults)
        key = params.key()
        if current_params is not None and key != current_key:
            runs.append(Run(current_params, tuple(current)))
            current = []
        current_params, current_key = params, key
        current.append(period_end)
    if current_params is not None:
        runs.append(Run(current_params, tuple(current)))
    kind = "year ends" if definition.basis in YEAR_END_BASES else "months"
    later_starts = ",".join(run.period_ends[0].isoformat() for run in runs[1:])
    return [replace(run, key=f"{kind} #{i} /{later_starts}") for i, run in enumerate(runs)]


def window_start(basis: str, row: Mapping[str, Any]) -> date:
    """The first day an indicator on ``basis`` looks at for one period row."""
    match basis:
        case "in_month":
            return row["month_start"]
        case "rolling_12m":
            return row["rolling_12m_start"]
        case "ytd" | "financial_year":
            return row["ytd_start"]
    return row["period_end"]
