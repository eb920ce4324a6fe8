"""The package's benchmark definitions: which published figure matches each indicator (the
``published`` block of each catalogue entry's ``benchmark``, the one place it is declared) and
the local-government reorganisations (``reorganisations.yaml``).

Both are data validated on reading; a broken entry is reported with the file and the id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from cscperf.errors import ConfigError
from cscperf.indicators.catalogue import (
    Catalogue,
    PerPopulation,
    PublishedFigure,
    load_catalogue,
)
from cscperf.paths import package_data

# Units a council is ranked and banded on: rates and percentages. A count only says how big a
# council is; averages, ratios and days are shown beside the comparators but not ranked.
RANKED_UNITS = ("percent", "rate_per_10k", "rate_per_100k")
_YEAR_END = {"march": "31 March", "september": "30 September"}


@dataclass(frozen=True)
class BenchmarkSource:
    """One indicator's published counterpart: the catalogue's facts about the indicator and
    its ``published`` block."""

    indicator_id: str
    title: str
    unit: str
    polarity: str
    basis: str
    figure: PublishedFigure

    @property
    def source(self) -> str:
        return self.figure.source

    @property
    def file(self) -> str | None:
        return self.figure.file

    @property
    def measure(self) -> str | None:
        return self.figure.measure

    @property
    def filter(self) -> dict[str, str]:
        return self.figure.filter

    @property
    def value(self) -> str | None:
        return self.figure.value

    @property
    def per_population(self) -> PerPopulation | None:
        return self.figure.per_population

    @property
    def decimals(self) -> int:
        return self.figure.decimals

    @property
    def year_ends(self) -> str:
        return self.figure.year_ends

    @property
    def ranked(self) -> bool:
        """Only rates and percentages where high or low is better are ranked, banded and
        given a best neighbour; counts never are."""
        return self.polarity in ("high", "low") and self.unit in RANKED_UNITS

    @property
    def compare_as(self) -> str:
        """Which of our values is set beside the published one: ``value`` (the month's own
        figure, on the publication's basis) or ``ytd_annualised`` (an in-month indicator's
        year to date, counts and rates scaled to twelve months)."""
        return "ytd_annualised" if self.figure.annualise == "year_to_date" else "value"

    def basis_label(self, year: int) -> str:
        """The comparison basis and publication year in words, e.g. ``31 March 2025
        snapshot`` or ``year ending 31 March 2025``."""
        published = f"{_YEAR_END[self.year_ends]} {year}"  # CSWW year Y: 30 September Y
        if self.figure.measures == "snapshot":
            return f"{published} snapshot"
        label = f"year ending {published}"
        if self.compare_as == "ytd_annualised":
            how = "" if self.unit not in ("count", *RANKED_UNITS[1:]) else ", scaled to 12 months"
            label += f"; ours is the year to date{how}"
        return label


def benchmark_sources(catalogue: Catalogue | None = None) -> dict[str, BenchmarkSource]:
    """Indicator id -> its published counterpart, in catalogue order (the packaged catalogue
    by default)."""
    return dict(_sources_of(catalogue if catalogue is not None else load_catalogue()))


def _sources_of(catalogue: Catalogue) -> list[tuple[str, BenchmarkSource]]:
    found = []
    for d in catalogue:
        figure = d.benchmark.published
        if figure is not None:
            found.append(
                (d.id, BenchmarkSource(d.id, d.title, d.unit, d.polarity, d.basis, figure))
            )
    return found


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
