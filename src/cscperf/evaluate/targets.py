"""The council's targets file: targets, trajectories and tolerances per indicator and year.

Owns the YAML model (validated with pydantic, every problem reported with the file and entry),
choosing the target that applies to a month and a breakdown, turning relative thresholds into
numbers (a :class:`cscperf.evaluate.rules.Band`), and importing the Excel sheet managers keep
(layout in ``docs/targets-and-rag.md``).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cscperf.config_files import kind_is
from cscperf.errors import ConfigError
from cscperf.evaluate.rules import BAND, HIGH, LOW, Band
from cscperf.limits import load_yaml
from cscperf.paths import package_data

TARGETS_KIND = "cscperf-targets"
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
_FY = re.compile(r"^(\d{4})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
ONE_SIDED = ("green", "red")
TWO_SIDED = ("lower_red", "lower_green", "upper_green", "upper_red")


def financial_year_of(day: date) -> str:
    """The financial year containing ``day`` as ``YYYY-YY`` (1 April to 31 March)."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def quarter_of(day: date) -> str:
    """The financial quarter: Q1 April-June ... Q4 January-March."""
    return QUARTERS[((day.month - 4) % 12) // 3]


class Threshold(BaseModel):
    """A threshold: an absolute value, or a distance from the target on the adverse side
    (``pct`` of the target, or ``points`` in the indicator's units)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    value: float | None = None
    pct: float | None = None
    points: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_scalar(cls, raw: Any) -> Any:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return {"value": raw}
        if isinstance(raw, str):
            return parse_threshold_text(raw)
        return raw

    @model_validator(mode="after")
    def _exactly_one(self) -> Threshold:
        given = [v for v in (self.value, self.pct, self.points) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of value, pct or points")
        return self

    @property
    def relative(self) -> bool:
        return self.value is None

    def resolve(self, target: float | None, adverse_sign: int) -> float | None:
        """The threshold as a number; ``adverse_sign`` is +1 when worse means higher."""
        if self.value is not None:
            return self.value
        if target is None:
            return None
        distance = abs(target) * (self.pct or 0) / 100 if self.pct is not None else self.points
        return target + adverse_sign * (distance or 0.0)


def parse_threshold_text(text: str) -> dict[str, float]:
    """``"65"`` -> absolute, ``"10%"`` -> 10 percent of target, ``"5 pts"`` -> 5 points."""
    cleaned = text.strip().lower()
    try:
        if cleaned.endswith("%"):
            return {"pct": float(cleaned[:-1])}
        for suffix in ("points", "point", "pts", "pt"):
            if cleaned.endswith(suffix):
                return {"points": float(cleaned[: -len(suffix)])}
        return {"value": float(cleaned)}
    except ValueError as exc:
        raise ValueError(
            f"threshold {text!r} is not a number, a percentage such as '10%' or points such "
            "as '5 pts'"
        ) from exc


class TargetEntry(BaseModel):
    """One indicator's target for one financial year (optionally one breakdown value)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    indicator_id: str
    financial_year: str = Field(description="YYYY-YY, e.g. 2025-26.")
    target: float | None = Field(default=None, description="The annual target.")
    quarters: dict[Literal["Q1", "Q2", "Q3", "Q4"], float] = Field(default_factory=dict)
    months: dict[str, float] = Field(
        default_factory=dict, description="Monthly trajectory, keys YYYY-MM."
    )
    green: Threshold | None = None
    red: Threshold | None = None
    lower_red: Threshold | None = None
    lower_green: Threshold | None = None
    upper_green: Threshold | None = None
    upper_red: Threshold | None = None
    breakdown_value: str | None = Field(
        default=None,
        description="Limit the entry to one breakdown value (a locality); every row when omitted.",
    )
    effective_from: date | None = None
    effective_to: date | None = None
    unchanged_threshold: float | None = None
    budget_lines: list[str] = Field(default_factory=list)
    risks: list[str] = Field(default_factory=list)
    note: str = ""

    @field_validator("financial_year")
    @classmethod
    def _fy(cls, value: str) -> str:
        match = _FY.match(value)
        if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
            raise ValueError(f"must be a financial year such as 2025-26, not {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TargetEntry:
        one = [n for n in ONE_SIDED if getattr(self, n) is not None]
        two = [n for n in TWO_SIDED if getattr(self, n) is not None]
        if one and two:
            raise ValueError(
                "use either green/red (one-sided) or lower_*/upper_* (two-sided), not both"
            )
        relative = [n for n in (*one, *two) if getattr(self, n).relative]
        has_target = self.target is not None or self.quarters or self.months
        if relative and not has_target:
            raise ValueError(f"{', '.join(relative)} is relative to a target but none is given")
        for key in self.months:
            match = _MONTH.match(key)
            if not match:
                raise ValueError(f"month {key!r} must be written YYYY-MM")
            year, month = int(match.group(1)), int(match.group(2))
            if not 1 <= month <= 12 or financial_year_of(date(year, month, 1)) != (
                self.financial_year
            ):
                raise ValueError(f"month {key} is not in financial year {self.financial_year}")
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        absolute = [getattr(self, n).value for n in TWO_SIDED if getattr(self, n) is not None]
        if len(absolute) == len(two) and absolute != sorted(absolute):
            raise ValueError(
                "two-sided thresholds must run lower_red <= lower_green <= upper_green <= upper_red"
            )
        return self

    def target_for(self, period_end: date) -> float | None:
        """The trajectory value for the month, else the quarter's, else the annual target."""
        month_key = f"{period_end.year:04d}-{period_end.month:02d}"
        if month_key in self.months:
            return self.months[month_key]
        quarter = quarter_of(period_end)
        if quarter in self.quarters:
            return self.quarters[quarter]
        return self.target

    def in_force(self, period_end: date) -> bool:
        if financial_year_of(period_end) != self.financial_year:
            return False
        if self.effective_from and period_end < self.effective_from:
            return False
        return not (self.effective_to and period_end > self.effective_to)

    def band_for(self, period_end: date, polarity: str) -> Band:
        """The thresholds for one month as numbers, relative ones resolved against the target."""
        target = self.target_for(period_end)
        if any(getattr(self, n) is not None for n in TWO_SIDED):
            return Band(
                lower_red=_resolve(self.lower_red, target, -1),
                lower_green=_resolve(self.lower_green, target, -1),
                upper_green=_resolve(self.upper_green, target, +1),
                upper_red=_resolve(self.upper_red, target, +1),
                target=target,
            )
        sign = -1 if polarity == HIGH else +1
        green = _resolve(self.green, target, sign)
        if green is None and self.green is None and polarity in (HIGH, LOW):
            # With a target and no green threshold, meeting the target is green.
            green = target
        return Band(green=green, red=_resolve(self.red, target, sign), target=target)

    @property
    def links(self) -> list[str]:
        return [*(f"budget:{b}" for b in self.budget_lines), *(f"risk:{r}" for r in self.risks)]


def _resolve(threshold: Threshold | None, target: float | None, sign: int) -> float | None:
    return None if threshold is None else threshold.resolve(target, sign)


class TargetsFile(BaseModel):
    """A council's targets, tolerances, vital signs and exception settings."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Annotated[str, kind_is(TARGETS_KIND)] = TARGETS_KIND
    council: str
    exception_margin_pct: float = Field(default=5.0, ge=0)
    worsening_periods: int = Field(default=3, ge=2)
    unchanged_threshold: dict[str, float] = Field(
        default_factory=dict,
        description="Per unit (percent, count, rate_per_10k ...): a change no larger than this "
        "is 'unchanged'. Units not listed use 0.",
    )
    vital_signs: list[str] = Field(default_factory=list)
    flagged: list[str] = Field(
        default_factory=list,
        description="Budget lines ('budget:NAME') and risks ('risk:ID') flagged this period.",
    )
    targets: list[TargetEntry] = Field(default_factory=list)

    def entry_for(
        self, indicator_id: str, period_end: date, breakdown_value: str = "all"
    ) -> TargetEntry | None:
        """The entry in force: one for this breakdown value beats one for every row; among
        equals the latest ``effective_from`` wins (a mid-year revision)."""
        candidates = [
            t
            for t in self.targets
            if t.indicator_id == indicator_id
            and t.in_force(period_end)
            and t.breakdown_value in (None, breakdown_value)
        ]
        if not candidates:
            return None
        return max(
            candidates,
            key=lambda t: (t.breakdown_value is not None, t.effective_from or date.min),
        )

    def unchanged_for(self, unit: str, entry: TargetEntry | None) -> float:
        if entry is not None and entry.unchanged_threshold is not None:
            return entry.unchanged_threshold
        return self.unchanged_threshold.get(unit, 0.0)


def polarity_band_mismatch(entry: TargetEntry, polarity: str) -> bool:
    """A two-sided measure given one-sided thresholds cannot be rated."""
    return polarity == BAND and any(getattr(entry, n) is not None for n in ONE_SIDED)


def _problems(exc: ValidationError, raw: dict[str, Any]) -> str:
    listed = raw.get("targets")
    entries: list[Any] = listed if isinstance(listed, list) else []
    parts = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "targets" and isinstance(loc[1], int):
            entry = entries[loc[1]] if loc[1] < len(entries) else {}
            if isinstance(entry, dict):
                label = f"{entry.get('indicator_id', '?')} {entry.get('financial_year', '?')}"
                rest = ".".join(str(p) for p in loc[2:])
                where = f"entry {loc[1] + 1} ({label}){' ' + rest if rest else ''}"
        message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def parse_targets(raw: Any, source: str) -> TargetsFile:
    """Validate parsed YAML; ``source`` names the file in messages."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: a targets file must be a YAML mapping")
    try:
        return TargetsFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            f"{source}: targets are not valid: {_problems(exc, raw)}. Correct the entry and "
            "run again."
        ) from exc


def load_targets(path: Path) -> TargetsFile:
    """Read and validate a targets file."""
    raw = load_yaml(path, "targets file")
    return parse_targets(raw, str(path))


def dump_targets(targets: TargetsFile, path: Path) -> None:
    data = targets.model_dump(mode="json", exclude_defaults=True)
    data = {"kind": TARGETS_KIND, **data}
    for entry in data.get("targets", []):
        for name in (*ONE_SIDED, *TWO_SIDED):
            if name in entry:
                entry[name] = {k: v for k, v in entry[name].items() if v is not None}
                if set(entry[name]) == {"value"}:
                    entry[name] = entry[name]["value"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def example_targets_path() -> Path:
    """The example targets of the synthetic council, Eastshire."""
    return package_data("evaluate", "examples", "eastshire_targets.yaml")
