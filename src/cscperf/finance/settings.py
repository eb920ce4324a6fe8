"""The finance settings file (``finance.yaml``): how to read a council's ledger and judge it.

One file per council, written once by its finance team (``docs/finance.md``): which column of
the budget-monitoring extract holds each field, what the funding-source codes mean, the
variance thresholds that give a line its RAG rating, and the weekly unit costs of placements
with the ledger lines that pay for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cscperf.config_files import kind_is, validation_problems
from cscperf.errors import ConfigError
from cscperf.limits import load_yaml

FINANCE_KIND = "cscperf-finance-settings"

# The ledger's fields: (name, required, meaning).
LEDGER_FIELDS: tuple[tuple[str, bool, str], ...] = (
    ("financial_year", True, "the financial year, e.g. 2025-26, 2025/26 or 2025"),
    ("period", True, "the accounting period, 1 (April) to 12 (March)"),
    ("cost_centre", False, "the cost centre code"),
    ("division", True, "the division of service the committee sees, e.g. Agency fostering"),
    ("s251_line", False, "the section 251 outturn line, e.g. 3.1.3"),
    ("subjective_code", False, "the subjective (account) code"),
    ("provision_type", False, "in-house, agency or other council (placements)"),
    ("funding_source", True, "council fund or a DSG block, as funding_sources maps it"),
    ("approved_budget", False, "the budget approved at the start of the year, in pounds"),
    ("current_budget", True, "the budget now, after virements, in pounds"),
    ("actual_to_date", False, "spend posted to date, in pounds"),
    ("commitments", False, "orders raised but not yet paid, in pounds"),
    ("forecast_outturn", True, "the forecast spend for the whole year, in pounds"),
    ("previous_forecast", False, "last month's forecast outturn, in pounds"),
    ("reason", False, "the reason for the variance, in words"),
)
MONEY_FIELDS = (
    "approved_budget",
    "current_budget",
    "actual_to_date",
    "commitments",
    "forecast_outturn",
    "previous_forecast",
)
TEXT_FIELDS = (
    "cost_centre",
    "division",
    "s251_line",
    "subjective_code",
    "provision_type",
    "reason",
)
# Funding sources as the pack groups them: the council's own fund, and the Dedicated Schools
# Grant's blocks, which must be accounted for separately.
FUNDING_SOURCES = {
    "council_fund": "Council fund",
    "dsg_schools": "DSG: schools block",
    "dsg_high_needs": "DSG: high needs block",
    "dsg_early_years": "DSG: early years block",
    "dsg_central": "DSG: central school services block",
}
PlacementType = Literal[
    "fostering",
    "residential",
    "supported_accommodation",
    "placed_with_parents",
    "adoption",
    "secure",
    "other",
]
Provider = Literal["in_house", "agency", "other_council", "other"]
PLACEMENT_TYPES: tuple[str, ...] = get_args(PlacementType)
PROVIDERS: tuple[str, ...] = get_args(Provider)


class LedgerMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(
        description="ledger field -> the column heading in the council's extract"
    )
    funding_sources: dict[str, str] = Field(
        default_factory=lambda: {key: key for key in FUNDING_SOURCES},
        description="the extract's funding-source value -> one of " + ", ".join(FUNDING_SOURCES),
    )
    sheet: str | None = Field(default=None, description="the sheet to read in a workbook")

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        known = {name for name, _, _ in LEDGER_FIELDS}
        unknown = sorted(set(columns) - known)
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)} is not a ledger field; the fields are {', '.join(known)}"
            )
        missing = [name for name, required, _ in LEDGER_FIELDS if required and name not in columns]
        if missing:
            raise ValueError(f"name the column that holds {', '.join(missing)}")
        return columns

    @field_validator("funding_sources")
    @classmethod
    def _known_sources(cls, sources: dict[str, str]) -> dict[str, str]:
        wrong = sorted({v for v in sources.values() if v not in FUNDING_SOURCES})
        if wrong:
            raise ValueError(
                f"{', '.join(wrong)} is not a funding source; use {', '.join(FUNDING_SOURCES)}"
            )
        return {key.strip().lower(): value for key, value in sources.items()}


class Thresholds(BaseModel):
    """A line's RAG from its forecast variance as a share of its budget (overspend positive)."""

    model_config = ConfigDict(extra="forbid")

    red_over_pct: float = Field(default=1.0, description="red when the overspend is more")
    amber_over_pct: float = Field(default=0.0, description="amber when the overspend is more")
    savings_amber_pct: float = Field(
        default=100.0, description="amber when a saving is forecast to deliver less (% of target)"
    )
    savings_red_pct: float = Field(default=50.0, description="... and less than this %, red")

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.amber_over_pct > self.red_over_pct:
            raise ValueError("amber_over_pct must not be above red_over_pct")
        if self.savings_red_pct > self.savings_amber_pct:
            raise ValueError("savings_red_pct must not be above savings_amber_pct")
        return self


class UnitCost(BaseModel):
    model_config = ConfigDict(extra="forbid")

    placement_type: PlacementType
    provider: Provider
    weekly_rate: float | None = Field(
        default=None, ge=0, description="pounds a week; omit to derive it from the ledger"
    )
    divisions: list[str] = Field(
        default_factory=list, description="the ledger divisions that pay for these placements"
    )
    starts_per_month: float | None = Field(
        default=None, ge=0, description="expected starts a month; omit for the last 12 months'"
    )
    ends_per_month: float | None = Field(
        default=None, ge=0, description="expected ends a month; omit for the last 12 months'"
    )


class MixChange(BaseModel):
    """One part of a "what if": so many more (or, negative, fewer) placements of a kind."""

    model_config = ConfigDict(extra="forbid")

    placement_type: PlacementType
    provider: Provider
    change: int


class FinanceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Annotated[str, kind_is(FINANCE_KIND)] = FINANCE_KIND
    ledger: LedgerMapping
    thresholds: Thresholds = Field(default_factory=Thresholds)
    unit_costs: list[UnitCost] = Field(default_factory=list)
    what_if: list[MixChange] = Field(
        default_factory=list, description="a change in placement mix to cost in the pack"
    )

    @field_validator("unit_costs")
    @classmethod
    def _one_cost_each(cls, costs: list[UnitCost]) -> list[UnitCost]:
        seen: set[tuple[str, str]] = set()
        for cost in costs:
            key = (cost.placement_type, cost.provider)
            if key in seen:
                raise ValueError(f"{key[0]} {key[1]} is given twice")
            seen.add(key)
        return costs


def load_finance_settings(path: Path) -> FinanceSettings:
    """Read and validate a finance settings file; every problem is reported with where it is."""
    raw = load_yaml(path, "finance settings file")
    if not isinstance(raw, dict) or raw.get("kind") != FINANCE_KIND:
        raise ConfigError(
            f"{path}: not a finance settings file: it must be a YAML mapping with "
            f"kind: {FINANCE_KIND} (see docs/finance.md)"
        )
    try:
        return FinanceSettings.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc)
        raise ConfigError(f"{path}: finance settings are not valid: {problems}") from exc


def dump_finance_settings(settings: FinanceSettings, path: Path) -> None:
    data = settings.model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
