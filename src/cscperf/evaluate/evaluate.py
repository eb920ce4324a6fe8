"""The evaluated results table: the one place reports and web pages get judged figures.

For one reporting month, every indicator x breakdown row of the indicator engine's output is
given its target and RAG, direction of travel month on month and against the same month last
year, year to date and previous year to date, the published benchmarks (county rows), the
exception rules that fired, and at 31 March a reconciliation with the published figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

import polars as pl

from cscperf.calendar.months import add_months, month_end_of
from cscperf.evaluate.rules import (
    RATE_UNITS,
    Aggregate,
    Band,
    Direction,
    ExceptionResult,
    MonthRow,
    Rag,
    RagResult,
    differs_beyond_rounding,
    direction_of_travel,
    exception_rules,
    is_small_number,
    rag_rating,
    rests_on,
    small_number_label,
    year_to_date,
)
from cscperf.evaluate.targets import TargetsFile, financial_year_of
from cscperf.indicators.framework import framework_settings

# Breakdowns a county-wide target applies to: the county and each locality.
TARGETED_BREAKDOWNS = ("all", "locality")


@dataclass(frozen=True)
class IndicatorMeta:
    """What evaluation needs to know about an indicator (from the catalogue)."""

    unit: str
    polarity: str
    basis: str
    title: str = ""


def meta_from_catalogue(catalogue: Any) -> dict[str, IndicatorMeta]:
    """Indicator id -> :class:`IndicatorMeta` from ``cscperf.indicators.catalogue``."""
    return {
        d.id: IndicatorMeta(unit=d.unit, polarity=d.polarity, basis=d.basis, title=d.title)
        for d in catalogue
    }


Key = tuple[str, str, str]


def _index(rows: pl.DataFrame) -> dict[Key, dict[date, MonthRow]]:
    found: dict[Key, dict[date, MonthRow]] = {}
    columns = ["indicator_id", "breakdown", "breakdown_value", "period_end"]
    for ident, breakdown, value, end, num, den, val in rows.select(
        *columns, "numerator", "denominator", "value"
    ).iter_rows():
        found.setdefault((ident, breakdown, value), {})[end] = MonthRow(num, den, val)
    return found


def _months_back(period_end: date, n: int) -> date:
    return month_end_of(add_months(period_end.replace(day=1), -n))


def ytd_months(period_end: date) -> list[date]:
    """Month ends from April of the financial year containing ``period_end`` to it."""
    months = []
    current = period_end
    while True:
        months.append(current)
        if current.month == 4:
            break
        current = _months_back(current, 1)
    return list(reversed(months))


def _describe_band(band: Band | None) -> str:
    if band is None:
        return ""
    if band.two_sided:
        return (
            f"green {band.lower_green}..{band.upper_green}; "
            f"red below {band.lower_red} or above {band.upper_red}"
        )
    parts = []
    if band.green is not None:
        parts.append(f"green {band.green}")
    if band.red is not None:
        parts.append(f"red past {band.red}")
    return "; ".join(parts)


def _benchmark_lookup(benchmarks: pl.DataFrame | None, period_end: date) -> dict[str, dict]:
    """Per indicator, the latest published year not after the reporting financial year: the
    year ending 31 March of its end, or the 30 September census within it."""
    if benchmarks is None or benchmarks.is_empty():
        return {}
    reporting_year = int(financial_year_of(period_end)[:4]) + 1
    last = pl.when(pl.col("year_ends") == "september").then(reporting_year - 1)
    usable = benchmarks.filter(pl.col("year") <= last.otherwise(reporting_year)).sort("year")
    found: dict[str, dict] = {}
    for row in usable.iter_rows(named=True):
        found[row["indicator_id"]] = row
    return found


def _published_for_year(
    benchmarks: pl.DataFrame | None, indicator_id: str, year: int
) -> dict | None:
    if benchmarks is None or benchmarks.is_empty():
        return None
    hit = benchmarks.filter(
        pl.col("indicator_id") == indicator_id,
        pl.col("year") == year,
        pl.col("year_ends") == "march",
    )
    return hit.row(0, named=True) if hit.height else None


def evaluate(
    rows: pl.DataFrame,
    catalogue_meta: Mapping[str, IndicatorMeta],
    targets: TargetsFile | None,
    period_end: date,
    benchmarks: pl.DataFrame | None = None,
    flagged: set[str] | None = None,
    sn_aggregate: str = "mean",
    small_below: int | None = None,
) -> pl.DataFrame:
    """Evaluate the month ``period_end`` of indicator rows (output-contract columns).

    ``benchmarks`` is a frame from :func:`cscperf.benchmarks.compare.council_benchmarks`
    (all years); ``flagged`` names budget lines (``budget:NAME``) and risks (``risk:ID``)
    flagged this period, added to those flagged in the targets file. A value resting on fewer
    than ``small_below`` children (framework.yaml's threshold by default) is marked
    ``small_number``, gets no RAG, is no exception and is not ranked.
    """
    if small_below is None:
        small_below = framework_settings().small_number_below
    if rows.schema.get("period_end") != pl.Date:
        rows = rows.with_columns(pl.col("period_end").cast(pl.Date))
    index = _index(rows)
    margin = (targets.exception_margin_pct / 100) if targets else 0.05
    periods = targets.worsening_periods if targets else 3
    all_flagged = set(flagged or ()) | set(targets.flagged if targets else ())
    vital = set(targets.vital_signs if targets else ())
    bench = _benchmark_lookup(benchmarks, period_end)
    year_end = period_end.month == 3 and period_end.day == 31
    this_ytd = ytd_months(period_end)
    last_ytd = [_months_back(m, 12) for m in this_ytd]
    out: list[dict[str, Any]] = []
    for key in sorted(index):
        indicator_id, breakdown, breakdown_value = key
        months = index[key]
        current = months.get(period_end)
        meta = catalogue_meta.get(indicator_id)
        if current is None or meta is None:
            continue
        entry = None
        if targets is not None and breakdown in TARGETED_BREAKDOWNS:
            entry = targets.entry_for(indicator_id, period_end, breakdown_value)
        band = entry.band_for(period_end, meta.polarity) if entry else None
        target = band.target if band else None
        small = is_small_number(meta.unit, current.numerator, current.denominator, small_below)
        rag = rag_rating(current.value, band, meta.polarity)
        if small:
            n = rests_on(meta.unit, current.numerator, current.denominator)
            rag = RagResult(Rag.NONE, f"rests on {n:g}, {small_number_label(small_below)}")
        unchanged = targets.unchanged_for(meta.unit, entry) if targets else 0.0

        def value_at(day: date, months: dict[date, MonthRow] = months) -> float | None:
            row = months.get(day)
            return row.value if row else None

        previous = value_at(_months_back(period_end, 1))
        last_year = value_at(_months_back(period_end, 12))
        dot_month = direction_of_travel(current.value, previous, meta.polarity, unchanged, target)
        dot_year = direction_of_travel(current.value, last_year, meta.polarity, unchanged, target)
        history = [value_at(_months_back(period_end, n)) for n in range(periods, -1, -1)]
        directions = [
            direction_of_travel(b, a, meta.polarity, unchanged, target).direction
            for a, b in pairwise(history)
        ]
        ytd = year_to_date([months[m] for m in this_ytd if m in months], meta.unit, meta.basis)
        ytd_small = is_small_number(meta.unit, ytd.numerator, ytd.denominator, small_below)
        prev_ytd = year_to_date([months[m] for m in last_ytd if m in months], meta.unit, meta.basis)
        links = entry.links if entry else []
        exc = (
            _NOT_AN_EXCEPTION
            if small
            else exception_rules(
                rag.rag,
                current.value,
                target,
                meta.polarity,
                directions,
                links,
                frozenset(all_flagged),
                margin,
                periods,
            )
        )
        record: dict[str, Any] = {
            "indicator_id": indicator_id,
            "title": meta.title,
            "period_end": period_end,
            "breakdown": breakdown,
            "breakdown_value": breakdown_value,
            "unit": meta.unit,
            "polarity": meta.polarity,
            "basis": meta.basis,
            "value": current.value,
            "numerator": current.numerator,
            "denominator": current.denominator,
            "target": target,
            "thresholds": _describe_band(band),
            "rag": rag.rag.value,
            "rag_label": small_number_label(small_below).capitalize() if small else rag.label,
            "rag_reason": rag.reason,
            "previous_value": previous,
            "dot_month": dot_month.direction.value,
            "dot_month_change": dot_month.change,
            "last_year_value": last_year,
            "dot_year": dot_year.direction.value,
            "dot_year_change": dot_year.change,
            "ytd_value": ytd.value,
            "ytd_numerator": ytd.numerator,
            "ytd_denominator": ytd.denominator,
            "ytd_months": ytd.months,
            "ytd_reason": ytd.reason,
            "prev_ytd_value": prev_ytd.value,
            "prev_ytd_months": prev_ytd.months,
            "small_number": small,
            "ytd_small_number": ytd_small,
            "prev_ytd_small_number": is_small_number(
                meta.unit, prev_ytd.numerator, prev_ytd.denominator, small_below
            ),
            "vital_sign": indicator_id in vital,
            "exception": exc.is_exception,
            "exception_rules": ",".join(exc.fired),
            "links": ",".join(links),
        }
        record.update(
            _benchmark_fields(
                bench.get(indicator_id) if breakdown == "all" else None,
                sn_aggregate,
                _on_basis(bench.get(indicator_id), meta.unit, current.value, ytd),
                _small_on_basis(bench.get(indicator_id), small, bool(ytd_small)),
            )
        )
        record.update(
            _reconciliation(benchmarks, indicator_id, meta, current, ytd.value, period_end)
            if year_end and breakdown == "all"
            else _NO_RECON
        )
        out.append(record)
    return pl.DataFrame(out, schema=EVALUATED_SCHEMA, orient="row")


def _on_basis(row: dict | None, unit: str, value: float | None, ytd: Aggregate) -> float | None:
    """Our figure on the published figure's basis: the month's own value (a snapshot or a
    rolling year), or for an in-month indicator its year to date, a count or rate scaled to
    twelve months (the catalogue's declared ``annualise: year_to_date``)."""
    if row is None or row.get("compare_as", "value") == "value":
        return value
    if ytd.value is None or not ytd.months:
        return None
    if unit == "count" or unit in RATE_UNITS:
        return ytd.value * 12 / ytd.months
    return ytd.value


def _small_on_basis(row: dict | None, small: bool, ytd_small: bool) -> bool:
    """Whether the figure set beside the published one rests on a small number."""
    if row is not None and row.get("compare_as") == "ytd_annualised":
        return ytd_small
    return small


def _benchmark_fields(
    row: dict | None, aggregate: str, own: float | None = None, small: bool = False
) -> dict[str, Any]:
    if row is None:
        return {k: None for k in BENCHMARK_FIELDS}
    ranked = row["rank"] is not None and not small
    return {
        "bm_year": row["year"],
        "bm_la_value": row["value"],
        "bm_england": row["england"],
        "bm_region": row["region_value"],
        "bm_sn": row["sn_mean"] if aggregate == "mean" else row["sn_median"],
        "bm_sn_aggregate": aggregate,
        "bm_sn_best": row["sn_best"],
        "bm_top_quartile": row["top_quartile"],
        "bm_rank": row["rank"] if ranked else None,
        "bm_ranked_of": row["ranked_of"] if ranked else None,
        "bm_quartile_band": row["quartile_band"] if ranked else None,
        "bm_basis": row.get("basis"),
        "bm_own_value": own,
        "bm_published_by": row.get("published_by")
        or (f"{row['la_name']}'s published figures" if row.get("la_name") else None),
    }


_NOT_AN_EXCEPTION = ExceptionResult()

_NO_RECON: dict[str, Any] = {
    "recon_own": None,
    "recon_published": None,
    "recon_differs": None,
    "recon_note": "",
}


def _reconciliation(
    benchmarks: pl.DataFrame | None,
    indicator_id: str,
    meta: IndicatorMeta,
    current: MonthRow,
    ytd_value: float | None,
    period_end: date,
) -> dict[str, Any]:
    """At 31 March: our year-end value beside the published one for the same year."""
    published = _published_for_year(benchmarks, indicator_id, period_end.year)
    if published is None:
        return {**_NO_RECON, "recon_note": "no published figure for the year"}
    own = ytd_value if meta.basis == "in_month" else current.value
    decimals = int(published["decimals"])
    differs = differs_beyond_rounding(own, published["value"], decimals)
    note = (
        f"differs from the published figure by more than rounding to {decimals} dp"
        if differs
        else f"matches when rounded to {decimals} dp"
    )
    if own is None or published["value"] is None:
        note = "one of the two figures is missing"
    return {
        "recon_own": own,
        "recon_published": published["value"],
        "recon_differs": differs if own is not None and published["value"] is not None else None,
        "recon_note": note,
    }


BENCHMARK_FIELDS = {
    "bm_year": pl.Int32,
    "bm_la_value": pl.Float64,
    "bm_england": pl.Float64,
    "bm_region": pl.Float64,
    "bm_sn": pl.Float64,
    "bm_sn_aggregate": pl.String,
    "bm_sn_best": pl.Float64,
    "bm_top_quartile": pl.Float64,
    "bm_rank": pl.Int32,
    "bm_ranked_of": pl.Int32,
    "bm_quartile_band": pl.String,
    "bm_basis": pl.String,
    "bm_own_value": pl.Float64,
    "bm_published_by": pl.String,
}

EVALUATED_SCHEMA: dict[str, Any] = {
    "indicator_id": pl.String,
    "title": pl.String,
    "period_end": pl.Date,
    "breakdown": pl.String,
    "breakdown_value": pl.String,
    "unit": pl.String,
    "polarity": pl.String,
    "basis": pl.String,
    "value": pl.Float64,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "target": pl.Float64,
    "thresholds": pl.String,
    "rag": pl.String,
    "rag_label": pl.String,
    "rag_reason": pl.String,
    "previous_value": pl.Float64,
    "dot_month": pl.String,
    "dot_month_change": pl.Float64,
    "last_year_value": pl.Float64,
    "dot_year": pl.String,
    "dot_year_change": pl.Float64,
    "ytd_value": pl.Float64,
    "ytd_numerator": pl.Float64,
    "ytd_denominator": pl.Float64,
    "ytd_months": pl.Int32,
    "ytd_reason": pl.String,
    "prev_ytd_value": pl.Float64,
    "prev_ytd_months": pl.Int32,
    "small_number": pl.Boolean,
    "ytd_small_number": pl.Boolean,
    "prev_ytd_small_number": pl.Boolean,
    "vital_sign": pl.Boolean,
    "exception": pl.Boolean,
    "exception_rules": pl.String,
    "links": pl.String,
    **BENCHMARK_FIELDS,
    "recon_own": pl.Float64,
    "recon_published": pl.Float64,
    "recon_differs": pl.Boolean,
    "recon_note": pl.String,
}

__all__ = ["Direction", "IndicatorMeta", "evaluate", "meta_from_catalogue", "ytd_months"]
