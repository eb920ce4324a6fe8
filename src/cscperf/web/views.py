"""What each page shows, worked out from an evaluated month (a Pack) into plain rows.

Owns the choice of rows for the page's focus (county or a locality), the RAG counts and vital
signs of the dashboard, the summary table filtered by area, the indicator page (13-month
history, longer series, locality comparison, benchmarks, commentary, data-quality notes) and
the CSV texts offered for download. Templates only format what these functions return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from cscperf.reports.layout import Layout, format_term, format_value, load_layout
from cscperf.reports.pack import Pack
from cscperf.spreadsheet_safety import csv_rows_text

QUALITY_LINKS_FILE = Path(__file__).with_name("quality_links.yaml")
RAG_ORDER = ("red", "amber", "green", "none")
TAG_CLASS = {
    "red": "govuk-tag--red",
    "amber": "govuk-tag--orange",
    "green": "govuk-tag--green",
    "none": "govuk-tag--grey",
}


@cache
def layout() -> Layout:
    """The pack's layout (areas, unit formats, RAG words), read once per process."""
    return load_layout()


@dataclass(frozen=True)
class Rag:
    """A rating in words (the tag's text) with the tag colour as a second cue."""

    key: str
    label: str
    css: str
    reason: str = ""


def rag_of(row: dict[str, Any]) -> Rag:
    key = row.get("rag") or "none"
    mark = layout().rag.get(key)
    label = mark.label if mark else key.title()
    if row.get("small_number"):
        label = row.get("rag_label") or label  # "Fewer than 5: not rated"
    return Rag(key, label, TAG_CLASS.get(key, TAG_CLASS["none"]), row.get("rag_reason") or "")


def shown(value: float | None, unit: str) -> str:
    return format_value(value, unit, layout()) if value is not None else "no value"


def focus_rows(pack: Pack) -> list[dict[str, Any]]:
    """This month's evaluated rows for the page's focus (county, or one locality)."""
    breakdown, value = pack.focus
    frame = pack.current.filter(
        pl.col("breakdown") == breakdown, pl.col("breakdown_value") == value
    )
    return list(frame.iter_rows(named=True))


@dataclass(frozen=True)
class Counts:
    red: int
    amber: int
    green: int
    none: int
    exceptions: int


def rag_counts(rows: list[dict[str, Any]]) -> Counts:
    """How many indicators are red, amber, green, unrated, and how many are exceptions."""
    tally = {key: 0 for key in RAG_ORDER}
    for row in rows:
        tally[row.get("rag") or "none"] = tally.get(row.get("rag") or "none", 0) + 1
    return Counts(
        tally["red"],
        tally["amber"],
        tally["green"],
        tally["none"],
        sum(1 for r in rows if r.get("exception")),
    )


@dataclass(frozen=True)
class Line:
    """One indicator's row in a table of the month."""

    id: str
    title: str
    area: str
    area_title: str
    value: str
    target: str
    rag: Rag
    direction: str
    exception: bool
    exception_rules: str


def _direction_label(key: str | None) -> str:
    mark = layout().directions.get(key or "")
    return mark.label if mark else (key or "")


def area_titles() -> dict[str, str]:
    return {a.id: a.title for a in layout().areas}


def line_of(row: dict[str, Any], definitions: dict[str, Any]) -> Line:
    definition = definitions.get(row["indicator_id"])
    area = definition.area if definition else ""
    unit = row["unit"]
    return Line(
        id=row["indicator_id"],
        title=row["title"] or row["indicator_id"],
        area=area,
        area_title=area_titles().get(area, area),
        value=shown(row["value"], unit),
        target=shown(row["target"], unit) if row["target"] is not None else "none set",
        rag=rag_of(row),
        direction=_direction_label(row.get("dot_month")),
        exception=bool(row.get("exception")),
        exception_rules=row.get("exception_rules") or "",
    )


def summary_lines(pack: Pack, area: str | None = None) -> list[Line]:
    """The performance summary in the layout's area order, optionally one area only."""
    order = {a: n for n, a in enumerate(area_titles())}
    lines = [line_of(r, dict(pack.definitions)) for r in focus_rows(pack)]
    if area:
        lines = [line for line in lines if line.area == area]
    return sorted(lines, key=lambda x: (order.get(x.area, len(order)), x.id))


def vital_sign_lines(pack: Pack) -> list[Line]:
    """The vital signs named in the targets file, in its order."""
    wanted = list(pack.targets.vital_signs) if pack.targets else []
    by_id = {r["indicator_id"]: r for r in focus_rows(pack)}
    return [line_of(by_id[i], dict(pack.definitions)) for i in wanted if i in by_id]


# -- the indicator page -------------------------------------------------------------------
@dataclass
class MonthPoint:
    period_end: date
    value: float | None
    target: float | None
    shown_value: str
    shown_target: str
    rag: Rag | None = None


@dataclass
class IndicatorPage:
    id: str
    definition: Any
    current: dict[str, Any]
    rag: Rag
    value: str
    target: str
    history: list[MonthPoint]
    series: list[MonthPoint]
    localities: list[tuple[str, str, Rag]]
    county_value: str
    county_raw: float | None
    benchmarks: list[tuple[str, str]]
    commentary: dict[str, str]
    quality: list[dict[str, str]]
    locality_values: dict[str, float | None] = field(default_factory=dict)


@dataclass
class BreakdownPage:
    """An indicator given only by a breakdown (shares of contacts by source): no overall
    figure, so the page shows each value of the breakdown, this month and over 13 months."""

    id: str
    definition: Any
    breakdown: str  # in words, e.g. "source"
    names: list[str]
    months: list[date]
    current: list[tuple[str, str, str]]  # name, value shown, numerator / denominator
    table: dict[str, list[str]]  # name -> value shown for each of ``months``


def breakdown_page(
    rows: pl.DataFrame, definition: Any, period_end: date, months: list[date]
) -> BreakdownPage | None:
    """The page of an indicator without an ``all`` row, or None when it has one or has no
    rows in the month."""
    if "all" in definition.breakdowns:
        return None
    breakdown = definition.breakdowns[0]
    mine = rows.filter(
        pl.col("indicator_id") == definition.id,
        pl.col("breakdown") == breakdown,
        pl.col("period_end").is_in(months),
    )
    this_month = mine.filter(pl.col("period_end") == period_end)
    if this_month.is_empty():
        return None
    unit = definition.unit
    names = this_month.get_column("breakdown_value").to_list()
    current = []
    for r in this_month.iter_rows(named=True):
        terms = ""
        if r["numerator"] is not None and r["denominator"] is not None:
            terms = f"{format_term(r['numerator'])} / {format_term(r['denominator'])}"
        current.append((r["breakdown_value"], shown(r["value"], unit), terms))
    values = {
        (r["breakdown_value"], r["period_end"]): r["value"] for r in mine.iter_rows(named=True)
    }
    table = {name: [shown(values.get((name, month)), unit) for month in months] for name in names}
    return BreakdownPage(
        id=definition.id,
        definition=definition,
        breakdown=breakdown.replace("_", " "),
        names=names,
        months=list(months),
        current=current,
        table=table,
    )


def history_points(pack: Pack, indicator_id: str, unit: str) -> list[MonthPoint]:
    """The 13 evaluated months of the focus, oldest first (a month without a row is empty)."""
    frame = pack.history.filter(pl.col("indicator_id") == indicator_id)
    by_month = {r["period_end"]: r for r in frame.iter_rows(named=True)}
    points = []
    for month in pack.months:
        row = by_month.get(month)
        value = row["value"] if row else None
        target = row["target"] if row else None
        points.append(
            MonthPoint(
                month,
                value,
                target,
                shown(value, unit),
                shown(target, unit) if target is not None else "none set",
                rag_of(row) if row else None,
            )
        )
    return points


def series_points(
    rows: pl.DataFrame, indicator_id: str, focus: tuple[str, str], until: date, unit: str
) -> list[MonthPoint]:
    """Every month the build has for the indicator and focus, up to ``until``."""
    breakdown, value = focus
    frame = rows.filter(
        pl.col("indicator_id") == indicator_id,
        pl.col("breakdown") == breakdown,
        pl.col("breakdown_value") == value,
        pl.col("period_end").cast(pl.Date) <= until,
    ).sort("period_end")
    return [
        MonthPoint(r["period_end"], r["value"], None, shown(r["value"], unit), "")
        for r in frame.iter_rows(named=True)
    ]


def benchmark_lines(row: dict[str, Any]) -> list[tuple[str, str]]:
    """Published comparisons for the county row, in words; empty when none were found."""
    if row.get("bm_year") is None:
        return []
    unit = row["unit"]
    lines = [
        ("Whose figures", row.get("bm_published_by") or "published figures"),
        ("Basis and year", row.get("bm_basis") or f"year ending March {row['bm_year']}"),
        ("Published figure", shown(row["bm_la_value"], unit)),
        ("Ours now, on the same basis", shown(row.get("bm_own_value"), unit)),
        (f"Statistical neighbours ({row['bm_sn_aggregate']})", shown(row["bm_sn"], unit)),
        ("England", shown(row["bm_england"], unit)),
        ("Region", shown(row["bm_region"], unit)),
    ]
    if row.get("bm_rank") is not None:
        lines.append(
            ("Rank among councils (1 = best)", f"{row['bm_rank']} of {row['bm_ranked_of']}")
        )
    elif unit == "count":
        lines.append(("Rank among councils", "not ranked: a count only says how big a council is"))
    if row.get("bm_quartile_band"):
        lines.append(("Quartile band (A = best)", str(row["bm_quartile_band"])))
    return lines


@cache
def quality_tables() -> dict[str, tuple[str, ...]]:
    raw = yaml.safe_load(QUALITY_LINKS_FILE.read_text(encoding="utf-8"))
    return {area: tuple(tables) for area, tables in raw["areas"].items()}


def quality_notes(quality: pl.DataFrame | None, area: str) -> list[dict[str, str]]:
    """Data-quality problems in the tables the indicator's area reads, counted by rule and
    field. The report's row numbers and values are never shown (they can identify a child)."""
    tables = quality_tables().get(area, ())
    if quality is None or quality.is_empty() or "table" not in quality.columns or not tables:
        return []
    keys = [c for c in ("severity", "rule", "table", "field") if c in quality.columns]
    counted = (
        quality.filter(pl.col("table").is_in(list(tables))).group_by(keys).len("count").sort(keys)
    )
    return [{k: str(v or "") for k, v in r.items()} for r in counted.iter_rows(named=True)]


def indicator_page(pack: Pack, rows: pl.DataFrame, indicator_id: str) -> IndicatorPage | None:
    """Everything the indicator page shows, or None when the month has no row for it."""
    definition = pack.definitions.get(indicator_id)
    current = {r["indicator_id"]: r for r in focus_rows(pack)}.get(indicator_id)
    if definition is None or current is None:
        return None
    unit = current["unit"]
    county = pack.current.filter(
        pl.col("indicator_id") == indicator_id, pl.col("breakdown") == "all"
    )
    county_row = county.row(0, named=True) if county.height else current
    locs = {
        r["breakdown_value"]: r
        for r in pack.current.filter(
            pl.col("indicator_id") == indicator_id, pl.col("breakdown") == "locality"
        ).iter_rows(named=True)
    }
    localities = [
        (name, shown(locs[name]["value"], unit), rag_of(locs[name]))
        for name in pack.localities
        if name in locs
    ]
    words = pack.commentary.for_indicator(indicator_id, pack.period_end, pack.provenance.locality)
    commentary = (
        {k: v for k, v in words.model_dump().items() if v and k in _COMMENTARY_FIELDS}
        if words
        else {}
    )
    return IndicatorPage(
        id=indicator_id,
        definition=definition,
        current=current,
        rag=rag_of(current),
        value=shown(current["value"], unit),
        target=shown(current["target"], unit) if current["target"] is not None else "none set",
        history=history_points(pack, indicator_id, unit),
        series=series_points(rows, indicator_id, pack.focus, pack.period_end, unit),
        localities=localities,
        county_value=shown(county_row["value"], unit),
        county_raw=county_row["value"],
        benchmarks=benchmark_lines(county_row),
        commentary={
            _COMMENTARY_FIELDS[k]: commentary[k] for k in _COMMENTARY_FIELDS if k in commentary
        },
        quality=quality_notes(pack.quality, definition.area),
        locality_values={name: locs[name]["value"] for name in pack.localities if name in locs},
    )


_COMMENTARY_FIELDS = {
    "analysis": "Analysis",
    "why_it_matters": "Why it matters",
    "background": "Background",
    "success": "What success looks like",
    "action": "Action",
    "lead_officer": "Lead officer",
    "data_owner": "Data owner",
}


# -- downloads ----------------------------------------------------------------------------
def csv_text(frame: pl.DataFrame) -> str:
    """A frame as CSV text with ISO dates; text that a spreadsheet would run is defused."""
    return csv_rows_text(frame.columns, frame.iter_rows())


def indicator_rows_csv(rows: pl.DataFrame, indicator_id: str, until: date) -> str:
    """The indicator's stored rows (every breakdown, every month up to ``until``)."""
    frame = rows.filter(
        pl.col("indicator_id") == indicator_id, pl.col("period_end").cast(pl.Date) <= until
    ).sort("period_end", "breakdown", "breakdown_value")
    return csv_text(frame)


def latest_month_with(
    rows: pl.DataFrame, indicator_id: str, period_end: date, locality: str | None
) -> date | None:
    """The latest month up to ``period_end`` with a figure of the indicator for the county
    (or the locality): where a measure published quarterly or yearly was last given."""
    breakdown, value = ("locality", locality) if locality else ("all", "all")
    found = rows.filter(
        pl.col("indicator_id") == indicator_id,
        pl.col("breakdown") == breakdown,
        pl.col("breakdown_value") == value,
        pl.col("period_end").cast(pl.Date) <= period_end,
        pl.col("value").is_not_null(),
    )
    if found.is_empty():
        return None
    latest = found["period_end"].cast(pl.Date).max()
    return latest if isinstance(latest, date) and latest != period_end else None


def asked_month(asked: str | None, shown: date) -> date | None:
    """The month a visitor asked for when the page shows an earlier one (``asked=YYYY-MM``,
    set by the redirect to a measure's latest figure); None when absent or malformed."""
    if not asked:
        return None
    try:
        year, month = (int(part) for part in asked.split("-"))
        first = date(year, month, 1)
    except ValueError:
        return None
    return first if first > shown else None
