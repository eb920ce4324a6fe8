"""The council settings file (``council.yaml``): who the council is and how it is organised.

One file per council, written by the council (or by ``cscperf synth``) and read by every stage:
the council's name and codes, its localities and teams (the team-to-locality lookup used for
breakdowns), team types, the comparator used for statistical neighbours, the source system,
the protective marking, and per-council parameter overrides for the indicator catalogue.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cscperf.config_files import kind_is, load_mapping

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


# The Norfolk committee register's column headings: what each field of a risk is called in
# the council's own spreadsheet (matched without regard to case or spacing).
NORFOLK_RISK_COLUMNS: dict[str, str] = {
    "category": "CDGSTP",
    "area": "Area",
    "risk_id": "Risk Number",
    "name": "Risk Name",
    "description": "Risk Description",
    "entered": "Date entered on risk register",
    "likelihood": "Current Likelihood",
    "impact": "Current Impact",
    "score": "Current Risk Score",
    "tasks": "Tasks to mitigate the risk",
    "progress": "Progress update",
    "target_likelihood": "Target Likelihood",
    "target_impact": "Target Impact",
    "target_score": "Target Risk Score",
    "target_date": "Target Date",
    "stated_direction": "Current Direction of Travel of Risk",
    "stated_prospects": "Prospects of meeting Target Risk Score by Target Date",
    "owner": "Risk Owner",
    "reviewed_by": "Reviewed and/or updated by",
    "reviewed_on": "Date of review and/or update",
    "links": "Linked indicators",
    "status": "Status",
}


class RiskBand(BaseModel):
    """A band of risk scores (likelihood x impact): its name, range and colours."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Short name, e.g. low, medium, high.")
    label: str
    min: int
    max: int
    colour: str = "#0b0c0c"
    fill: str = "#ffffff"


def _default_bands() -> list[RiskBand]:
    return [
        RiskBand(name="low", label="Low", min=1, max=5, colour="#00703c", fill="#cce2d8"),
        RiskBand(name="medium", label="Medium", min=6, max=12, colour="#8a4b00", fill="#fff2cc"),
        RiskBand(name="high", label="High", min=15, max=25, colour="#b10e1e", fill="#f6d7d2"),
    ]


class RiskSettings(BaseModel):
    """How the council keeps its risk register: columns, matrix, bands and review cycle."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(
        default_factory=lambda: dict(NORFOLK_RISK_COLUMNS),
        description="Field -> the column heading in the council's register file.",
    )
    sheet: str | None = Field(default=None, description="Workbook sheet; the first by default.")
    scale: int = Field(default=5, ge=2, le=10, description="Likelihood and impact run 1..scale.")
    bands: list[RiskBand] = Field(default_factory=_default_bands)
    review_cycle_months: int = Field(default=3, ge=1, le=24)
    prospects_near_months: int = Field(default=3, ge=0, le=24)
    prospects_far_points: int = Field(default=6, ge=1)
    single_user: str = Field(
        default="local user", description="Who changes made in the single-user dashboard are by."
    )

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns) - set(NORFOLK_RISK_COLUMNS))
        if unknown:
            raise ValueError(
                f"unknown register field(s) {', '.join(unknown)}; the fields are "
                + ", ".join(NORFOLK_RISK_COLUMNS)
            )
        return {**NORFOLK_RISK_COLUMNS, **columns}

    @model_validator(mode="after")
    def _bands_cover_scores(self) -> RiskSettings:
        scores = {a * b for a in range(1, self.scale + 1) for b in range(1, self.scale + 1)}
        for score in sorted(scores):
            held = [band.name for band in self.bands if band.min <= score <= band.max]
            if len(held) != 1:
                where = "no band" if not held else "bands " + " and ".join(held)
                raise ValueError(f"score {score} falls in {where}; each score needs one band")
        return self


class GroupGrant(BaseModel):
    """What one of the identity provider's groups (or app roles) gives a person in cscperf."""

    model_config = ConfigDict(extra="forbid")

    roles: list[str] = Field(
        description="cscperf roles: viewer, locality_manager, head_of_service, "
        "performance_officer, administrator."
    )
    localities: list[str] | None = Field(
        default=None, description="The localities it is limited to; all of them when absent."
    )
    areas: list[str] | None = Field(
        default=None, description="The indicator areas it is limited to; all when absent."
    )

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        unknown = sorted(set(roles) - set(SIGN_IN_ROLES))
        if unknown:
            raise ValueError(
                f"unknown role(s) {', '.join(unknown)}; the roles are {', '.join(SIGN_IN_ROLES)}"
            )
        return roles


SIGN_IN_ROLES = (
    "viewer",
    "locality_manager",
    "head_of_service",
    "performance_officer",
    "administrator",
)


class SignInSettings(BaseModel):
    """Sign-in through the council's OpenID Connect provider (``cscperf serve --sign-in``)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = "cscperf-sign-in"
    discovery_url: str = Field(
        description="The provider's OpenID configuration, e.g. https://login.microsoftonline.com"
        "/TENANT/v2.0/.well-known/openid-configuration."
    )
    client_id: str
    client_secret_env: str = Field(
        default="CSCPERF_OIDC_CLIENT_SECRET",
        description="The environment variable holding the client secret (never the file).",
    )
    session_secret_env: str = Field(
        default="CSCPERF_SESSION_SECRET",
        description="The environment variable holding the key that signs session cookies.",
    )
    scopes: str = "openid profile email"
    roles_claim: str = Field(default="groups", description="The claim listing groups or roles.")
    name_claim: str = Field(default="name", description="The claim naming the person.")
    groups: dict[str, GroupGrant] = Field(
        description="Provider group (or app role) -> the cscperf roles and scope it gives."
    )
    public_url: str | None = Field(
        default=None,
        description="The address people use (https://cscperf.council.gov.uk); the provider "
        "sends them back to PUBLIC_URL/auth/callback.",
    )
    secure_cookies: bool = Field(
        default=True, description="Session cookies only over https (switch off only for tests)."
    )
    session_hours: float = Field(default=8, gt=0, le=24)
    allowed_hosts: list[str] = Field(
        default_factory=list, description="Host names the service answers to."
    )


def load_sign_in(path: Path) -> SignInSettings:
    """Read and validate a sign-in settings file."""
    return load_mapping(path, SignInSettings, "sign-in settings")


STORE_SETTINGS_KIND = "cscperf-store-settings"
STORE_SETTINGS_FILE = "store.yaml"


def redacted(url: str) -> str:
    """A database address fit to print: any password replaced by ***."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


class StoreSettings(BaseModel):
    """The store's own settings (``STORE/store.yaml``), for every command and server using it."""

    model_config = ConfigDict(extra="forbid")

    kind: Annotated[str, kind_is(STORE_SETTINGS_KIND)] = STORE_SETTINGS_KIND
    council_database: str | None = Field(
        default=None,
        description="A PostgreSQL database (postgresql://user@host:port/database) keeping the "
        "council's records (commentary, sign-off, risk register, audit log) for every server "
        "and command; without it they are kept in the store's own file, council.sqlite3.",
    )

    @field_validator("council_database")
    @classmethod
    def _postgresql_without_password(cls, url: str | None) -> str | None:
        if url is None:
            return None
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                f"{redacted(url)} is not a PostgreSQL address; give one such as "
                "postgresql://cscperf@db.example.local:5432/cscperf_council, or leave it out to "
                "keep the records in the store's own file"
            )
        if redacted(url) != url:
            raise ValueError(
                f"{redacted(url)} holds a password; take it out and give it to the service in "
                "PGPASSWORD or ~/.pgpass, which never end up in a copy of the store"
            )
        return url


def load_store_settings(path: Path) -> StoreSettings:
    """Read and validate a store settings file (``STORE/store.yaml``)."""
    return load_mapping(path, StoreSettings, "store settings")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Annotated[str, kind_is(SETTINGS_KIND)] = SETTINGS_KIND
    council: Council
    source_system: str = "unknown"
    protective_marking: str = "OFFICIAL-SENSITIVE"
    localities: list[Locality]
    parameters: list[ParameterOverride] = Field(default_factory=list)
    risk: RiskSettings = Field(default_factory=RiskSettings)

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
    return load_mapping(path, Settings, "settings")


def is_settings_file(raw: object) -> bool:
    """True when parsed YAML looks like a settings file (used to recognise inputs by content)."""
    return isinstance(raw, dict) and raw.get("kind") == SETTINGS_KIND


def dump_settings(settings: Settings, path: Path) -> None:
    data = settings.model_dump(mode="json")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
