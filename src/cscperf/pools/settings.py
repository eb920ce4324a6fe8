"""A pool's settings file (``pool.yaml``): its name, what the degrade step keeps, how many
months of history it holds, and its small-number rule.

Every member agrees to these settings when it joins (docs/pools.md); ``cscperf pool create``
writes the defaults and the group edits them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cscperf.config_files import kind_is, validation_problems
from cscperf.errors import ConfigError
from cscperf.limits import load_yaml

POOL_KIND = "cscperf-pool-settings"


class Degrade(BaseModel):
    """What the pooled tables keep of what identifies a child beyond the hashed identifier."""

    model_config = ConfigDict(extra="forbid")

    date_of_birth: Literal["month", "year"] = Field(
        default="month", description="Dates of birth become the first day of their month (or year)."
    )
    postcodes: Literal["district", "drop"] = Field(
        default="district", description="Postcodes become their district (the outward code) or go."
    )


class Suppression(BaseModel):
    """The pool's small-number rule for its benchmarks."""

    model_config = ConfigDict(extra="forbid")

    denominator_below: int = Field(
        default=10,
        ge=1,
        description="A member's value resting on fewer than this many is suppressed.",
    )
    members_below: int = Field(
        default=3,
        ge=1,
        description="The pool's statistics need at least this many members' values.",
    )


class PoolSettings(BaseModel):
    """``pool.yaml``."""

    model_config = ConfigDict(extra="forbid")

    kind: Annotated[str, kind_is(POOL_KIND)] = POOL_KIND
    name: str = Field(min_length=1, description="The pool's name, shown beside its benchmarks.")
    retention_months: int = Field(
        default=120, ge=1, description="Months of history kept, ending with the pooled month."
    )
    degrade: Degrade = Field(default_factory=Degrade)
    suppression: Suppression = Field(default_factory=Suppression)


def load_pool_settings(path: Path) -> PoolSettings:
    """Read and validate ``pool.yaml``; every problem is reported with where it is."""
    raw = load_yaml(path, "pool settings file")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a pool settings file must be a YAML mapping")
    try:
        return PoolSettings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            f"{path}: pool settings are not valid: {validation_problems(exc)}"
        ) from exc


def dump_pool_settings(settings: PoolSettings, path: Path) -> None:
    data = settings.model_dump(mode="json")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
