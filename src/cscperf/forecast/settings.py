"""Forecast settings: declared once in ``defaults.yaml``, overridden by a council's file."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cscperf.errors import ConfigError

DEFAULTS = Path(__file__).with_name("defaults.yaml")
OTHER = "other"


class AgeBand(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    start: int = Field(alias="from", ge=0, le=18)
    end: int = Field(alias="to", ge=1, le=18)


class Fit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference_months: int = Field(ge=3, le=120)
    entry_months: int = Field(ge=3, le=240)
    pooling_weight: float = Field(ge=0)


class Projection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int = Field(ge=1, le=60)
    simulations: int = Field(ge=0, le=10_000)
    interval: float = Field(gt=0, lt=1)
    seed: int


class Backtest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    years: int = Field(ge=1, le=10)
    horizon_months: int = Field(ge=1, le=36)


class ScenarioSetting(BaseModel):
    """A scenario the council keeps in its settings, shown in the pack and the dashboard."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    start: str = Field(alias="from", pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    entries: float = Field(default=1.0, ge=0)
    exits: float = Field(default=1.0, ge=0)
    step_down: float = Field(default=0.0, ge=0, le=1)


class ForecastSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    age_bands: list[AgeBand]
    placement_categories: dict[str, list[str]]
    weekly_unit_costs: dict[str, float]
    fit: Fit
    projection: Projection
    backtest: Backtest
    scenarios: list[ScenarioSetting] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ForecastSettings:
        edges = [(band.start, band.end) for band in self.age_bands]
        if edges[0][0] != 0 or edges[-1][1] != 18:
            raise ValueError("age_bands must run from 0 to 18")
        for (_, end), (start, _) in itertools.pairwise(edges):
            if end != start:
                raise ValueError(
                    f"age_bands must meet: one ends at {end}, the next starts at {start}"
                )
        if OTHER not in self.placement_categories:
            raise ValueError('placement_categories must include "other" (codes not listed)')
        seen: dict[str, str] = {}
        for category, codes in self.placement_categories.items():
            for code in codes:
                if code in seen:
                    raise ValueError(
                        f"placement code {code} is in both {seen[code]} and {category}"
                    )
                seen[code] = category
        missing = set(self.placement_categories) - set(self.weekly_unit_costs)
        if missing:
            raise ValueError(f"weekly_unit_costs has no cost for {', '.join(sorted(missing))}")
        return self

    @property
    def categories(self) -> list[str]:
        return list(self.placement_categories)

    @property
    def band_names(self) -> list[str]:
        return [band.name for band in self.age_bands]

    def category_of(self) -> dict[str, str]:
        """Placement type code → category; codes not listed are "other"."""
        return {code: cat for cat, codes in self.placement_categories.items() for code in codes}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if (
            isinstance(value, dict)
            and isinstance(base.get(key), dict)
            and key != "placement_categories"
        ):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(path: Path | None = None) -> ForecastSettings:
    """The defaults, with ``path``'s keys (a council's ``forecast.yaml``) laid over them."""
    data = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    if path is not None:
        try:
            override = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read the forecast settings ({exc}).") from exc
        if not isinstance(override, dict):
            raise ConfigError(f"{path}: the forecast settings must be a mapping of keys to values.")
        data = _merge(data, override)
    try:
        return ForecastSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ConfigError(
            f"{path or DEFAULTS}: forecast settings, {where}: {first['msg']}. "
            "Correct the value and run again."
        ) from exc
