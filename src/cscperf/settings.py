"""The council settings file (``council.yaml``): who the council is and how it is organised.

One file per council, written by the council (or by ``cscperf synth``) and read by every stage:
the council's name and codes, its localities and teams (the team-to-locality lookup used for
breakdowns), team types, the comparator used for statistical neighbours, the source system,
the protective marking, and per-council parameter overrides for the indicator catalogue.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cscperf.errors import ConfigError

SETTINGS_KIND = "cscperf-council-settings"


class Team(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Team identifier as the case system records it (dept_team_id).")
    name: str
    type: str = Field(description="Team type, e.g. assessment, safeguarding, looked_after.")


class Locality(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    teams: list[Team]


class ParameterOverride(BaseModel):
    """A council's own value for a catalogue parameter, in force from ``effective_from``."""

    model_config = ConfigDict(extra="forbid")

    indicator_id: str | None = Field(
        default=None, description="Limit the override to one indicator; all when omitted."
    )
    parameter: str
    value: Any
    effective_from: date


class Council(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    short_name: str
    la_code: str = Field(description="The 3-digit DfE LA number (old_la_code), e.g. 926.")
    ons_code: str = Field(description="The 9-character ONS code (new_la_code), e.g. E10000020.")
    region: str
    benchmark_as: str | None = Field(
        default=None,
        description="For a council without published figures (such as the synthetic one), the "
        "3-digit code of the real council whose statistical neighbours and region it borrows.",
    )

    @field_validator("la_code", "benchmark_as")
    @classmethod
    def _three_digits(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 3 and value.isdigit()):
            raise ValueError(f"must be a 3-digit LA number such as 926, not {value!r}")
        return value


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = SETTINGS_KIND
    council: Council
    source_system: str = "unknown"
    protective_marking: str = "OFFICIAL-SENSITIVE"
    localities: list[Locality]
    parameters: list[ParameterOverride] = Field(default_factory=list)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value != SETTINGS_KIND:
            raise ValueError(f"must be {SETTINGS_KIND!r}")
        return value

    @field_validator("localities")
    @classmethod
    def _unique_teams(cls, localities: list[Locality]) -> list[Locality]:
        seen: dict[str, str] = {}
        for locality in localities:
            for team in locality.teams:
                if team.id in seen:
                    raise ValueError(
                        f"team {team.id} is listed in both {seen[team.id]} and {locality.name}"
                    )
                seen[team.id] = locality.name
        return localities

    def team_locality(self) -> dict[str, str]:
        """Team id -> locality name: the lookup that places items in localities."""
        return {team.id: loc.name for loc in self.localities for team in loc.teams}

    def team_types(self) -> dict[str, str]:
        """Team id -> team type."""
        return {team.id: team.type for loc in self.localities for team in loc.teams}

    def team_names(self) -> dict[str, str]:
        return {team.id: team.name for loc in self.localities for team in loc.teams}


def load_settings(path: Path) -> Settings:
    """Read and validate a settings file; every problem is reported with where it is."""
    from cscperf.limits import load_yaml

    raw = load_yaml(path, "settings file")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a settings file must be a YAML mapping")
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: settings are not valid: {problems}") from exc


def is_settings_file(raw: object) -> bool:
    """True when parsed YAML looks like a settings file (used to recognise inputs by content)."""
    return isinstance(raw, dict) and raw.get("kind") == SETTINGS_KIND


def dump_settings(settings: Settings, path: Path) -> None:
    data = settings.model_dump(mode="json")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
