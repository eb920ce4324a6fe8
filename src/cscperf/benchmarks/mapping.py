"""The package's benchmark definitions: which published figure matches each indicator
(``mapping.yaml``) and the local-government reorganisations (``reorganisations.yaml``).

Both files are data validated here; a broken entry is reported with the file and the id.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cscperf.errors import ConfigError
from cscperf.paths import package_data


class PerPopulation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: str
    scale: float = 10_000


class BenchmarkSource(BaseModel):
    """Where one indicator's published counterpart is read from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    indicator_id: str
    title: str
    unit: str
    polarity: Literal["high", "low", "info", "band"]
    source: Literal["ees", "lait"]
    file: str | None = None
    measure: str | None = Field(default=None, description="LAIT 'Short Desc'.")
    filter: dict[str, str] = Field(default_factory=dict)
    value: str | None = None
    per_population: PerPopulation | None = None
    decimals: int = 0
    year_ends: Literal["march", "september"] = "march"

    @model_validator(mode="after")
    def _complete(self) -> BenchmarkSource:
        if self.source == "ees":
            if not self.file:
                raise ValueError("an ees source needs a file")
            if (self.value is None) == (self.per_population is None):
                raise ValueError("an ees source needs exactly one of value or per_population")
        if self.source == "lait" and not self.measure:
            raise ValueError("a lait source needs a measure")
        return self

    @property
    def ranked(self) -> bool:
        """Only measures where high or low is better are ranked and given a best neighbour."""
        return self.polarity in ("high", "low")


class Reorganisation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    effective_from: date
    first_year: int
    predecessors: tuple[str, ...]
    successors: tuple[str, ...]


def _load_list(path: Path, key: str) -> list[dict[str, object]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get(key), list):
        raise ConfigError(f"{path}: expected a mapping with a list under {key!r}")
    return list(raw[key])


@cache
def benchmark_sources(path: Path | None = None) -> dict[str, BenchmarkSource]:
    """Indicator id -> its published counterpart, in file order."""
    path = path or package_data("benchmarks", "mapping.yaml")
    found: dict[str, BenchmarkSource] = {}
    for number, raw in enumerate(_load_list(path, "benchmarks"), start=1):
        ident = raw.get("indicator_id", f"entry {number}") if isinstance(raw, dict) else number
        try:
            source = BenchmarkSource.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"{path}: benchmark {ident} is not valid: {problems}") from exc
        if source.indicator_id in found:
            raise ConfigError(f"{path}: benchmark {source.indicator_id} is listed twice")
        found[source.indicator_id] = source
    return found


@cache
def reorganisations(path: Path | None = None) -> tuple[Reorganisation, ...]:
    path = path or package_data("benchmarks", "reorganisations.yaml")
    try:
        return tuple(Reorganisation.model_validate(r) for r in _load_list(path, "reorganisations"))
    except ValidationError as exc:
        raise ConfigError(f"{path}: a reorganisation is not valid: {exc}") from exc


def abolished_by(code: str, year: int) -> Reorganisation | None:
    """The reorganisation that had abolished authority ``code`` by year ``year``, if any."""
    for reorg in reorganisations():
        if code in reorg.predecessors and year >= reorg.first_year:
            return reorg
    return None


def not_yet_created(code: str, year: int) -> Reorganisation | None:
    """The reorganisation that creates authority ``code`` after year ``year``, if any."""
    for reorg in reorganisations():
        if code in reorg.successors and year < reorg.first_year:
            return reorg
    return None


def stand_ins(code: str, year: int) -> tuple[tuple[str, ...], str]:
    """The authorities whose figures stand for ``code`` in ``year``, and why (empty reason
    when ``code`` itself publishes). A single predecessor stands in for a successor before it
    existed; the successors stand in for an abolished authority."""
    gone = abolished_by(code, year)
    if gone is not None:
        return gone.successors, f"{code} abolished ({gone.name} {gone.effective_from.year})"
    new = not_yet_created(code, year)
    if new is not None:
        if len(new.predecessors) == 1:
            return new.predecessors, (
                f"{code} not yet created: predecessor {new.predecessors[0]} shown"
            )
        return (), f"{code} not yet created ({new.name} {new.effective_from.year})"
    return (code,), ""
