"""The commentary file: the words managers write for the pack, per indicator and month.

A commentary file is YAML (``kind: cscperf-commentary``) with two lists:

* ``indicators``: for an ``indicator_id`` and a ``period`` (``YYYY-MM``), the report-card
  narrative (``why_it_matters``, ``background``, ``success``, ``action``, ``lead_officer``,
  ``data_owner``) and an optional ``analysis`` paragraph for the topic page;
* ``areas``: for an ``area`` (a catalogue area such as ``referrals``) and a ``period``, the
  topic page's performance analysis.

Any field may be left out. ``period`` may also be ``any``: the entry then serves every month
unless a month's own entry exists (useful for "why it matters", which rarely changes). An
optional ``locality`` limits an entry to that locality's pack. The format is described for
users in ``docs/committee-pack.md``. Commentary written in the dashboard is kept in the store
(:mod:`cscperf.app.commentary`); this file is its import and export format.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cscperf.config_files import kind_is, validation_problems
from cscperf.errors import ConfigError
from cscperf.limits import load_yaml

COMMENTARY_KIND = "cscperf-commentary"
ANY_PERIOD = "any"
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def check_period(value: str) -> str:
    if value != ANY_PERIOD and not _PERIOD.match(value):
        raise ValueError(f"period must be YYYY-MM or 'any', not {value!r}")
    return value


class IndicatorCommentary(BaseModel):
    """The narrative for one indicator's report card (and topic page) in one month."""

    model_config = ConfigDict(extra="forbid")

    indicator_id: str
    period: str = Field(description="YYYY-MM, or 'any' for every month.")
    locality: str | None = None
    analysis: str | None = None
    why_it_matters: str | None = None
    background: str | None = None
    success: str | None = Field(default=None, description="What success will look like.")
    action: str | None = Field(default=None, description="Action required.")
    lead_officer: str | None = None
    data_owner: str | None = None
    status: str | None = Field(
        default=None,
        description="Not signed off yet (draft, submitted, returned): the pack marks it so.",
    )

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return check_period(value)


class AreaCommentary(BaseModel):
    """The performance analysis for one topic page in one month."""

    model_config = ConfigDict(extra="forbid")

    area: str
    period: str
    locality: str | None = None
    analysis: str
    status: str | None = None

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return check_period(value)


_Entry = TypeVar("_Entry", IndicatorCommentary, AreaCommentary)


class Commentary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Annotated[str, kind_is(COMMENTARY_KIND)] = COMMENTARY_KIND
    council: str | None = None
    indicators: list[IndicatorCommentary] = Field(default_factory=list)
    areas: list[AreaCommentary] = Field(default_factory=list)

    def for_indicator(
        self, indicator_id: str, period_end: date, locality: str | None = None
    ) -> IndicatorCommentary | None:
        """The entry for the month, merged over the 'any' entry (month's fields win)."""
        return _merge(
            [e for e in self.indicators if e.indicator_id == indicator_id],
            period_end,
            locality,
        )

    def for_area(self, area: str, period_end: date, locality: str | None = None) -> str | None:
        chosen = self.area_entry(area, period_end, locality)
        return chosen.analysis if chosen else None

    def area_entry(
        self, area: str, period_end: date, locality: str | None = None
    ) -> AreaCommentary | None:
        """The topic's entry that applies to the month (its ``status`` says if a draft)."""
        chosen = _pick([e for e in self.areas if e.area == area], period_end, locality)
        return chosen[-1] if chosen else None


def _pick(entries: list[_Entry], period_end: date, locality: str | None) -> list[_Entry]:
    """Entries that apply, least specific first: 'any' before the month itself."""
    month = f"{period_end.year:04d}-{period_end.month:02d}"
    usable = [e for e in entries if e.locality in (None, locality)]
    general = [e for e in usable if e.period == ANY_PERIOD]
    specific = [e for e in usable if e.period == month]
    # A locality's own entry is more specific than the county's.
    return sorted(general, key=lambda e: e.locality is not None) + sorted(
        specific, key=lambda e: e.locality is not None
    )


def _merge(
    entries: list[IndicatorCommentary], period_end: date, locality: str | None
) -> IndicatorCommentary | None:
    chosen = _pick(entries, period_end, locality)
    if not chosen:
        return None
    merged: dict[str, object] = {}
    for entry in chosen:
        merged.update({k: v for k, v in entry.model_dump().items() if v is not None})
    return IndicatorCommentary.model_validate(merged)


def dump_commentary(commentary: Commentary, path: Path) -> None:
    """Write a commentary file (the fields left empty are left out)."""
    raw = commentary.model_dump(exclude_none=True)
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")


def load_commentary(path: Path) -> Commentary:
    """Read and validate a commentary file; problems are reported with the entry they are in."""
    raw = load_yaml(path, "commentary file")
    if raw is None:
        return Commentary()
    try:
        return Commentary.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc)
        raise ConfigError(
            f"{path}: the commentary file is not valid ({problems}); see docs/committee-pack.md"
        ) from exc
