"""The pack's layout definitions (``layout.yaml``): topic order, unit formats, RAG wording.

Owns reading and validating the layout file and the small formatting decisions that follow
from it: how a value is written for its unit, and how a RAG rating or a direction of travel is
shown as a symbol and a word (never by colour alone).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from cscperf.errors import ConfigError

LAYOUT_FILE = Path(__file__).with_name("layout.yaml")


class Area(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str


class UnitFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decimals: int
    suffix: str
    note: str


class Mark(BaseModel):
    """How one RAG rating is shown: symbol and word always, colours as a second cue."""

    model_config = ConfigDict(extra="forbid")
    symbol: str
    label: str
    short: str = ""  # a letter for crowded tables (the symbol is shown beside it)
    colour: str = "#0b0c0c"
    fill: str = "#ffffff"


class Drafts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outlier_pct: float = 20


class BreakdownSpec(BaseModel):
    """A topic's figures split another way, shown as a table on its page."""

    model_config = ConfigDict(extra="forbid")
    area: str
    title: str
    breakdown: str
    group_label: str
    indicators: list[str]
    labels: dict[str, str] = {}  # a group's name in words, where its code is not enough

    def label(self, group: str) -> str:
        return self.labels.get(group) or group.replace("_", " ").capitalize()


class Layout(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str
    drafts: Drafts = Drafts()
    areas: list[Area]
    units: dict[str, UnitFormat]
    bases: dict[str, str]
    polarities: dict[str, str]
    rag: dict[str, Mark]
    directions: dict[str, Mark]
    exceptions: dict[str, str] = {}
    breakdown_tables: list[BreakdownSpec] = []

    def exception_reasons(self, rules: str | None) -> str:
        """The exception rules (comma-separated ids) as words, joined with "and"."""
        ids = [r.strip() for r in (rules or "").split(",") if r.strip()]
        words = [self.exceptions.get(r, r.replace("_", " ")) for r in ids]
        return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 2 else words)

    def area_title(self, area_id: str) -> str:
        for area in self.areas:
            if area.id == area_id:
                return area.title
        return area_id.replace("_", " ").capitalize()

    def area_order(self, area_id: str) -> int:
        ids = [a.id for a in self.areas]
        return ids.index(area_id) if area_id in ids else len(ids)

    def rag_mark(self, rag: str | None) -> Mark:
        return self.rag.get(rag or "none", self.rag["none"])

    def direction_mark(self, direction: str | None) -> Mark:
        return self.directions.get(direction or "not comparable", self.directions["not comparable"])


@cache
def load_layout(path: Path = LAYOUT_FILE) -> Layout:
    """Read the layout file; a broken file is reported with its path."""
    try:
        return Layout.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: the pack layout file is not valid ({exc})") from exc


def format_value(value: float | None, unit: str, layout: Layout | None = None) -> str:
    """A value written for people: thousands separated, the unit's decimals and suffix; an
    empty value is an en dash."""
    if value is None or value != value:  # NaN is missing too
        return "–"
    fmt = (layout or load_layout()).units.get(unit)
    decimals = fmt.decimals if fmt else 1
    suffix = fmt.suffix if fmt else ""
    return f"{value:,.{decimals}f}{suffix}"


def format_term(value: float) -> str:
    """A numerator or denominator written for people: a whole number as it is (thousands
    separated), a fractional one (FTE, say) to two decimal places at most, so that 3.4 / 27.9
    is never shown as 3 / 28 beside a rate worked out from the exact figures."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def excel_number_format(unit: str, layout: Layout | None = None) -> str:
    """The Excel number format matching :func:`format_value` (percent values are 0-100)."""
    fmt = (layout or load_layout()).units.get(unit)
    decimals = fmt.decimals if fmt else 1
    base = "#,##0" + ("." + "0" * decimals if decimals else "")
    return base + ('"%"' if unit == "percent" else "")
