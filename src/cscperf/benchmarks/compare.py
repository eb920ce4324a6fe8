"""Benchmarks for one council: its published figure beside England, its region, its ten
statistical neighbours (mean, median, best), the top-quartile threshold, its rank among all
councils and its quartile band A-D, for each indicator with a published counterpart.

Ranking rules (stated in ``docs/benchmarks.md``): rank 1 is the best value given the
indicator's polarity; ties share the better rank; with n councils publishing, the band is
A for ranks 1..ceil(n/4), then B, C, D by quarters of n; the top-quartile threshold is the
value of the council ranked ceil(n/4). Measures whose polarity is info or band are not ranked.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from cscperf.benchmarks.mapping import BenchmarkSource, benchmark_sources, stand_ins
from cscperf.benchmarks.published import (
    la_directory,
    normalise_region,
    read_published,
    statistical_neighbours,
)
from cscperf.errors import InputError

Aggregate = Literal["mean", "median"]
BANDS = "ABCD"


@dataclass(frozen=True)
class Council:
    la_code: str
    ons_code: str
    name: str
    region: str


def resolve_council(code: str, data_dir: Path) -> Council:
    """A council by its 3-digit DfE number (``926``) or 9-character ONS code (``E10000020``)."""
    wanted = code.strip().upper()
    directory = la_directory(data_dir)
    column = "la_code" if len(wanted) == 3 and wanted.isdigit() else "ons_code"
    if column == "ons_code" and not (len(wanted) == 9 and wanted[0] == "E"):
        raise InputError(
            f"{code!r} is not a council code: give the 3-digit DfE LA number (e.g. 926) or the "
            "9-character ONS code (e.g. E10000020)"
        )
    found = directory.filter(pl.col(column) == wanted)
    if found.is_empty():
        raise InputError(
            f"no English council has the code {code!r} in the published files; check the code "
            "(3-digit DfE LA number or 9-character ONS code)"
        )
    row = found.row(0, named=True)
    return Council(row["la_code"], row["ons_code"], row["la_name"], row["region"])


def rank_of(value: float, others: Sequence[float], polarity: str) -> int:
    """1 + the number of councils strictly better than ``value``."""
    if polarity == "high":
        return 1 + sum(1 for v in others if v > value)
    return 1 + sum(1 for v in others if v < value)


def quartile_band(rank: int, count: int) -> str:
    """A (best quarter) to D, by position in the ranking of ``count`` councils."""
    return BANDS[min(3, (rank - 1) * 4 // count)]


def top_quartile_threshold(values: Sequence[float], polarity: str) -> float | None:
    """The value a council must reach (at or better) to be in band A."""
    if not values:
        return None
    ordered = sorted(values, reverse=polarity == "high")
    return ordered[math.ceil(len(ordered) / 4) - 1]


def best_of(values: dict[str, float], polarity: str) -> tuple[str, float] | None:
    if not values:
        return None
    pick = max if polarity == "high" else min
    code = pick(values, key=lambda c: values[c])
    return code, values[code]


def neighbour_values(
    neighbours: Sequence[str], year: int, la_values: dict[str, float]
) -> tuple[dict[str, float], list[str]]:
    """The neighbours' figures for ``year`` with reorganised authorities stood in for, and a
    note for each substitution."""
    values: dict[str, float] = {}
    notes: list[str] = []
    for code in neighbours:
        codes, why = stand_ins(code, year)
        if why:
            notes.append(why)
        for stand_in in codes:
            if stand_in in la_values and stand_in not in values:
                values[stand_in] = la_values[stand_in]
    return values, notes


def _fmt_note(parts: Iterable[str]) -> str:
    return "; ".join(dict.fromkeys(p for p in parts if p))


def benchmark_indicator(
    source: BenchmarkSource,
    published: pl.DataFrame,
    council: Council,
    neighbours: Sequence[str],
    years: Sequence[int] | None = None,
) -> list[dict[str, object]]:
    """One row per year: the council's figure and every comparator for one indicator."""
    la = published.filter(pl.col("level") == "la")
    names = dict(la.select("la_code", "la_name").unique("la_code").iter_rows())
    region = normalise_region(council.region)
    available = sorted(la["year"].drop_nulls().unique().to_list())
    rows: list[dict[str, object]] = []
    for year in years if years is not None else available:
        in_year = la.filter(pl.col("year") == year)
        la_values = {
            code: value
            for code, value in in_year.select("la_code", "value").iter_rows()
            if code is not None and value is not None
        }
        codes = {code: c for code, c in in_year.select("la_code", "code").iter_rows()}
        notes: list[str] = []
        own = la_values.get(council.la_code)
        own_code = codes.get(council.la_code)
        value_from = council.la_code if own is not None else None
        stand, why = stand_ins(council.la_code, year)
        if own is None and why:
            notes.append(why)
            if len(stand) == 1 and stand[0] in la_values:
                own, value_from = la_values[stand[0]], stand[0]
        england = published.filter(pl.col("level") == "national", pl.col("year") == year)
        regional = published.filter(
            pl.col("level") == "regional", pl.col("year") == year, pl.col("region") == region
        )
        sn, sn_notes = neighbour_values(neighbours, year, la_values)
        notes.extend(sn_notes)
        sn_list = list(sn.values())
        row: dict[str, object] = {
            "indicator_id": source.indicator_id,
            "title": source.title,
            "unit": source.unit,
            "polarity": source.polarity,
            "year": year,
            "year_ends": source.year_ends,
            "basis": source.basis_label(year),
            "compare_as": source.compare_as,
            "la_code": council.la_code,
            "la_name": council.name,
            "value": own,
            "value_code": own_code,
            "value_from": value_from,
            "england": england["value"][0] if england.height else None,
            "region": council.region,
            "region_value": regional["value"][0] if regional.height else None,
            "sn_count": len(sn_list),
            "neighbours": ",".join(sn),
            "sn_mean": statistics.fmean(sn_list) if sn_list else None,
            "sn_median": statistics.median(sn_list) if sn_list else None,
            "sn_best_la": None,
            "sn_best_name": None,
            "sn_best": None,
            "top_quartile": None,
            "rank": None,
            "ranked_of": len(la_values),
            "quartile_band": None,
            "decimals": source.decimals,
            "note": "",
        }
        if source.ranked:
            best = best_of(sn, source.polarity)
            if best is not None:
                row["sn_best_la"], row["sn_best"] = best
                row["sn_best_name"] = names.get(best[0])
            everyone = list(la_values.values())
            row["top_quartile"] = top_quartile_threshold(everyone, source.polarity)
            if own is not None and value_from == council.la_code:
                others = [v for c, v in la_values.items() if c != council.la_code]
                rank = rank_of(own, others, source.polarity)
                row["rank"] = rank
                row["quartile_band"] = quartile_band(rank, len(la_values))
        row["note"] = _fmt_note(notes)
        rows.append(row)
    return rows


BENCHMARK_SCHEMA = {
    "indicator_id": pl.String,
    "title": pl.String,
    "unit": pl.String,
    "polarity": pl.String,
    "year": pl.Int32,
    "year_ends": pl.String,
    "basis": pl.String,
    "compare_as": pl.String,
    "la_code": pl.String,
    "la_name": pl.String,
    "value": pl.Float64,
    "value_code": pl.String,
    "value_from": pl.String,
    "england": pl.Float64,
    "region": pl.String,
    "region_value": pl.Float64,
    "sn_count": pl.Int32,
    "neighbours": pl.String,
    "sn_mean": pl.Float64,
    "sn_median": pl.Float64,
    "sn_best_la": pl.String,
    "sn_best_name": pl.String,
    "sn_best": pl.Float64,
    "top_quartile": pl.Float64,
    "rank": pl.Int32,
    "ranked_of": pl.Int32,
    "quartile_band": pl.String,
    "decimals": pl.Int32,
    "note": pl.String,
}


def council_benchmarks(
    code: str,
    data_dir: Path,
    year: int | None = None,
    model: str = "2025",
    indicator_ids: Iterable[str] | None = None,
    all_years: bool = False,
) -> pl.DataFrame:
    """Benchmarks for one council. ``year`` picks one year; otherwise the latest year of each
    indicator (or every year with ``all_years``). Rows of indicators whose file is missing are
    left out only when the caller asked for all indicators."""
    council = resolve_council(code, data_dir)
    neighbours = statistical_neighbours(data_dir, model).get(council.la_code, [])
    sources = benchmark_sources()
    wanted = list(indicator_ids) if indicator_ids is not None else list(sources)
    rows: list[dict[str, object]] = []
    for indicator_id in wanted:
        source = sources.get(indicator_id)
        if source is None:
            continue
        published = read_published(source, data_dir)
        years: list[int] | None
        if year is not None:
            years = [year]
        elif all_years:
            years = None
        else:
            la_years = published.filter(pl.col("level") == "la")["year"].drop_nulls()
            years = [int(la_years.max())] if len(la_years) else []  # type: ignore[arg-type]
        rows.extend(benchmark_indicator(source, published, council, neighbours, years))
    return pl.DataFrame(rows, schema=BENCHMARK_SCHEMA, orient="row")


def shown_aggregate(frame: pl.DataFrame, aggregate: Aggregate) -> pl.DataFrame:
    """Add ``sn_shown`` (the configured statistical-neighbour aggregate) and say which it is."""
    column = "sn_mean" if aggregate == "mean" else "sn_median"
    return frame.with_columns(
        pl.col(column).alias("sn_shown"), pl.lit(aggregate).alias("sn_aggregate")
    )
