"""Engine-wide settings held as data (``framework.yaml``): the small-number threshold, the
population age group, the parameters every indicator shares (such as ``allocated_roles``), the
dates that mark activity and the default reporting window (financial years reported).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cscperf.errors import ConfigError
from cscperf.paths import package_data


class FrameworkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    small_number_below: int = Field(ge=1)
    population_age_group: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    activity_dates: list[tuple[str, str]] = Field(default_factory=list)
    reporting_financial_years: int | None = Field(default=None, ge=1)


@cache
def framework_settings() -> FrameworkSettings:
    path = package_data("indicators", "framework.yaml")
    try:
        return FrameworkSettings.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: the engine settings are not valid ({exc})") from exc
