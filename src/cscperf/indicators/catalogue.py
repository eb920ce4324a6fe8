"""The indicator catalogue: the YAML definitions, their schema, and the parameters in force.

Owns reading every ``catalogue/*.yaml`` file of the package into validated
:class:`IndicatorDefinition` objects, refusing duplicate ids and malformed entries with a
:class:`~cscperf.errors.ConfigError` that names the file and the id, and deciding which
parameter values and which definition version apply in a given month once a council's
overrides (``Settings.parameters``) and dated catalogue changes are taken into account.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from cscperf.config_files import validation_problems
from cscperf.errors import ConfigError
from cscperf.indicators.framework import framework_settings
from cscperf.paths import package_data
from cscperf.settings import ParameterOverride

Unit = Literal[
    "count", "percent", "rate_per_10k", "rate_per_100k", "days", "average", "ratio", "maximum"
]
Polarity = Literal["high", "low", "info", "band"]
Basis = Literal[
    "in_month", "rolling_12m", "ytd", "financial_year", "snapshot_month_end", "as_at_31_march"
]
Breakdown = Literal["all", "locality", "team", "team_type", "source", "carer_type"]
Status = Literal["verified", "partly_verified", "local_convention"]
Kind = Literal["computed", "imported"]

ID_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$"


class PerPopulation(BaseModel):
    """A published count turned into a rate: column / ONS 0-17 population of mid-(Y-1) * scale."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    scale: float = 10_000


# What an indicator of each basis is compared with, and which of its own values is set beside
# the published figure (docs/benchmarks.md, "Comparison basis").
SNAPSHOT_BASES = ("snapshot_month_end", "as_at_31_march")
YEAR_BASES = ("rolling_12m", "ytd", "financial_year")


class PublishedFigure(BaseModel):
    """The published figure an indicator is compared with and where cscperf reads it: an
    Explore Education Statistics CSV (``file``, ``filter``, ``value`` or ``per_population``)
    or a LAIT measure (``measure``), the publisher's rounding (``decimals``), when the
    publication's year ends, and what it measures: a ``snapshot`` at the year end or the
    whole ``year`` to the year end. An in-month indicator is compared only through a declared
    ``annualise`` method (``year_to_date``: its year to date, counts and rates scaled to twelve
    months)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["ees", "lait"]
    file: str | None = None
    measure: str | None = Field(default=None, description="LAIT 'Short Desc'.")
    filter: dict[str, str] = Field(default_factory=dict)
    value: str | None = None
    per_population: PerPopulation | None = None
    decimals: int = Field(default=0, ge=0)
    year_ends: Literal["march", "september"] = "march"
    measures: Literal["snapshot", "year"]
    annualise: Literal["year_to_date"] | None = None

    @model_validator(mode="after")
    def _complete(self) -> PublishedFigure:
        if self.source == "ees":
            if not self.file:
                raise ValueError("an ees source needs a file")
            if (self.value is None) == (self.per_population is None):
                raise ValueError("an ees source needs exactly one of value or per_population")
            if self.measure is not None:
                raise ValueError("measure is for a lait source; an ees source names a value")
        if self.source == "lait":
            if not self.measure:
                raise ValueError("a lait source needs a measure")
            if self.file or self.value or self.per_population or self.filter:
                raise ValueError("a lait source names only its measure")
        return self


class Benchmark(BaseModel):
    """Where a published figure to compare with lives. ``published`` is what cscperf reads
    (the one declaration of the comparison); the other keys record the specification's
    facts. A published counterpart cscperf does not read says why in ``unread``."""

    model_config = ConfigDict(extra="allow")

    type: Literal["ees_csv", "lait", "national_only", "none"]
    note: str | None = None
    compare_with: str | None = None
    published: PublishedFigure | None = None
    unread: str | None = None


class ParameterChange(BaseModel):
    """A dated change written into the catalogue itself (e.g. a visiting interval 20 -> 10)."""

    model_config = ConfigDict(extra="forbid")

    parameter: str
    value: Any
    effective_from: date


class Lookback(BaseModel):
    """How far before a month's window the indicator looks (re-referral tests and the like)."""

    model_config = ConfigDict(extra="forbid")

    months: int | None = Field(
        description="Months of history needed before the window starts; null means all history."
    )


def comparison_problem(basis: str, unit: str, bench: Benchmark) -> str:
    """Why ``bench`` does not compare like for like with an indicator of ``basis`` and
    ``unit`` ("" when it does): a snapshot with the published snapshot at the year end, a
    rolling, year-to-date or financial-year figure with the published figure for the year,
    an in-month figure only through a declared annualisation."""
    counterpart = bench.type in ("ees_csv", "lait")
    figure = bench.published
    if counterpart and (figure is None) == (bench.unread is None):
        return (
            f"a {bench.type} counterpart needs exactly one of published (what cscperf reads) "
            "or unread (why it is not read)"
        )
    if not counterpart and figure is not None:
        return f"type {bench.type} has no published figure to read"
    if figure is None:
        return ""
    if basis in SNAPSHOT_BASES and figure.measures != "snapshot":
        return f"a {basis} indicator is compared with a published snapshot (measures: snapshot)"
    if basis in YEAR_BASES and figure.measures != "year":
        return f"a {basis} indicator is compared with a published figure for the year"
    if basis == "in_month":
        if figure.annualise is None:
            return (
                "an in_month indicator is compared with an annual figure only through a "
                "declared annualise method; otherwise leave published out"
            )
        if figure.measures != "year":
            return "an annualised in_month indicator is compared with a figure for the year"
    elif figure.annualise is not None:
        return f"only an in_month indicator is annualised, not a {basis} one"
    if unit == "count" and figure.per_population is not None:
        return "a count is compared with a published count, not a rate"
    return ""


def _default_breakdowns() -> list[Breakdown]:
    return ["all", "locality", "team"]


class IndicatorDefinition(BaseModel):
    """One catalogue entry, in the project's own words, with the facts of the specification."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    title: str
    area: str
    kind: Kind = "computed"
    unit: Unit
    polarity: Polarity
    basis: Basis
    definition: str
    numerator: str
    denominator: str | None = None
    rules: list[str] = Field(default_factory=list)
    breakdowns: list[Breakdown] = Field(default_factory=_default_breakdowns)
    sources: list[str]
    benchmark: Benchmark
    parameters: dict[str, Any] = Field(default_factory=dict)
    parameter_changes: list[ParameterChange] = Field(default_factory=list)
    lookback: Lookback | None = None
    value_multiplier: float = Field(
        default=1.0,
        description="Scales the numerator before the unit's formula (12 for an annualised month).",
    )
    references: list[str] = Field(default_factory=list)
    status: Status
    note: str | None = None
    definition_version: int = Field(default=1, ge=1)

    @field_validator("breakdowns")
    @classmethod
    def _breakdowns_unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value) or not value:
            raise ValueError("breakdowns must be a non-empty list without repeats")
        return value

    @model_validator(mode="after")
    def _comparison_basis(self) -> IndicatorDefinition:
        """A published counterpart is read (``published``) or says why not (``unread``), and
        is compared only on the indicator's own basis."""
        bench = self.benchmark
        problem = comparison_problem(self.basis, self.unit, bench)
        if problem:
            raise ValueError(f"benchmark: {problem}")
        return self

    @property
    def prefix(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Catalogue:
    """Every indicator definition, by id, in catalogue order."""

    definitions: Mapping[str, IndicatorDefinition]
    files: Mapping[str, Path]

    def __iter__(self) -> Iterator[IndicatorDefinition]:
        return iter(self.definitions.values())

    def __len__(self) -> int:
        return len(self.definitions)

    def __contains__(self, indicator_id: object) -> bool:
        return indicator_id in self.definitions

    def get(self, indicator_id: str) -> IndicatorDefinition:
        try:
            return self.definitions[indicator_id]
        except KeyError:
            raise ConfigError(
                f"{indicator_id} is not an indicator of the catalogue; "
                "run `cscperf indicators list` to see the ids"
            ) from None

    def select(self, ids: Iterable[str] | None) -> list[IndicatorDefinition]:
        """The definitions named by ``ids`` (all when None), each checked to exist."""
        if ids is None:
            return list(self)
        return [self.get(i) for i in ids]


def catalogue_dir() -> Path:
    return package_data("indicators", "catalogue")


def _describe(exc: ValidationError) -> str:
    return validation_problems(exc, top="entry")


# libyaml's loader when PyYAML was built with it: the same safe constructors, several times
# faster on the catalogue, which every computation reads.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _entries_of(path: Path) -> list[Any]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read this catalogue file ({exc})") from exc
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: a catalogue file must be a YAML list of indicator entries")
    return raw


def load_catalogue(folder: Path | None = None, areas: Iterable[str] | None = None) -> Catalogue:
    """Read and validate every ``*.yaml`` file of ``folder`` (the packaged catalogue by
    default; only the files named ``<area>.yaml`` for the given ``areas`` when set); an id in
    two files, an entry that breaks the schema or an area with no file is a ConfigError."""
    folder = folder or catalogue_dir()
    wanted = None if areas is None else set(areas)
    if wanted is not None:
        missing = sorted(wanted - {path.stem for path in folder.glob("*.yaml")})
        if missing:
            raise ConfigError(
                f"{folder}: no catalogue file for the area(s) {', '.join(missing)}; "
                "an area's file is <area>.yaml, named after the area of its entries"
            )
    definitions: dict[str, IndicatorDefinition] = {}
    files: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")):
        if wanted is not None and path.stem not in wanted:
            continue
        for position, entry in enumerate(_entries_of(path), start=1):
            entry_id = entry.get("id") if isinstance(entry, dict) else None
            label = entry_id or f"entry {position}"
            try:
                definition = IndicatorDefinition.model_validate(entry)
            except ValidationError as exc:
                raise ConfigError(
                    f"{path.name}, {label}: not a valid catalogue entry ({_describe(exc)}); "
                    "fix the entry against docs/indicators.md"
                ) from exc
            if definition.id in definitions:
                raise ConfigError(
                    f"{path.name}, {definition.id}: this id is already defined in "
                    f"{files[definition.id].name}; each id must appear once"
                )
            definitions[definition.id] = definition
            files[definition.id] = path
    return Catalogue(definitions=definitions, files=files)


# ------------------------------------------------------------------ parameters in force


@dataclass(frozen=True)
class ParametersInForce:
    """The parameter values and the definition version that apply in one month."""

    values: Mapping[str, Any]
    version: int

    def key(self) -> tuple[int, str]:
        """What makes two months computable together: same version, same values."""
        return (self.version, repr(sorted(self.values.items(), key=lambda kv: kv[0])))


def _changes_applying(
    definition: IndicatorDefinition,
    overrides: Sequence[ParameterOverride],
    framework_parameters: Iterable[str] = (),
) -> list[ParameterChange]:
    """Dated changes that touch this indicator, oldest first: its own catalogue changes and
    the council's overrides aimed at it (by id) or at any indicator with that parameter."""
    known = set(definition.parameters) | set(framework_parameters)
    council = [
        ParameterChange(parameter=o.parameter, value=o.value, effective_from=o.effective_from)
        for o in overrides
        if (o.indicator_id is None and o.parameter in known) or o.indicator_id == definition.id
    ]
    changes = [*definition.parameter_changes, *council]
    return sorted(changes, key=lambda c: c.effective_from)


def parameters_in_force(
    definition: IndicatorDefinition,
    period_end: date,
    overrides: Sequence[ParameterOverride] = (),
    framework_defaults: Mapping[str, Any] | None = None,
) -> ParametersInForce:
    """The values in force at ``period_end`` (a change effective on any day up to and
    including E governs the whole month) and the version: the catalogue's version plus one
    for every change already in force."""
    framework_defaults = framework_defaults or {}
    values: dict[str, Any] = {**framework_defaults, **definition.parameters}
    version = definition.definition_version
    for change in _changes_applying(definition, overrides, framework_defaults):
        if change.effective_from <= period_end:
            values[change.parameter] = change.value
            version += 1
    return ParametersInForce(values=values, version=version)


def check_overrides(catalogue: Catalogue, overrides: Sequence[ParameterOverride]) -> None:
    """Refuse overrides that name an unknown indicator or a parameter nobody has."""
    shared = set(framework_settings().parameters)
    for o in overrides:
        if o.indicator_id is not None:
            definition = catalogue.get(o.indicator_id)
            if o.parameter not in definition.parameters and o.parameter not in shared:
                raise ConfigError(
                    f"council settings, parameters: {o.indicator_id} has no parameter "
                    f"{o.parameter!r}; see `cscperf indicators explain {o.indicator_id}`"
                )
        elif o.parameter not in shared and not any(o.parameter in d.parameters for d in catalogue):
            raise ConfigError(
                f"council settings, parameters: no indicator has a parameter {o.parameter!r}; "
                "check the spelling against `cscperf indicators explain ID`"
            )
