"""Small settings for hand-worked forecasts: one age band or two, two placement categories."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from cscperf.forecast.settings import DEFAULTS, ForecastSettings


def settings_with(**changes: Any) -> ForecastSettings:
    data = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    data.update(changes)
    return ForecastSettings.model_validate(data)


@pytest.fixture
def two_states() -> ForecastSettings:
    """One age band (0 to 18) and two categories: fostering (U1-U6) and other."""
    return settings_with(
        age_bands=[{"name": "All ages", "from": 0, "to": 18}],
        placement_categories={"fostering": ["U1", "U2", "U3", "U4", "U5", "U6"], "other": []},
        weekly_unit_costs={"fostering": 700, "other": 1400},
        fit={"reference_months": 12, "entry_months": 12, "pooling_weight": 0},
    )
