"""Published spending: the revenue outturn (RO3) of every English council's children's social
care, and a council's spend per child beside its statistical neighbours and England.

The MHCLG's RO3 workbook gives each council's net current expenditure (£ thousand) by service
line; DfE's children-looked-after file gives each council's 0-17 population and the children
looked after on 31 March. Spend per child = total children's social care ÷ children aged
0-17; spend per child looked after = the children-looked-after line ÷ children looked after on
31 March. Councils are matched by ONS code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from python_calamine import CalamineWorkbook

from cscperf.benchmarks.published import find_file, la_directory, statistical_neighbours
from cscperf.errors import InputError

RO3_FILE = "RO3_LA_Data_2024-25_data_by_LA.ods"
RO3_SHEET = "RO3_LA_Data_202425"
RO3_YEAR = 2025  # the financial year 2024-25, by the year it ends (as DfE's files count)
CLA_FILE = "cla_number_and_rate_per_10k_children.csv"
CLA_AT_31_MARCH = "Children looked after on 31 March each year"
# Our name for each line -> the words its RO3 column heading starts with (before the measure).
RO3_LINES = {
    "sure_start": "Children's social care: Sure start children's centres and early years",
    "cla": "Children's social care - Children Looked After",
    "cla_residential": "Children's social care - Children Looked After of which residential care",
    "cla_fostering": "Children's social care - Children Looked After of which fostering services",
    "cla_asylum": "Children's social care - Children Looked After of which asylum seeking",
    "cla_other": "Children's social care - Children Looked After of which other",
    "other_family": "Children's social care - Other children's and families services",
    "family_support": "Children's social care - Family Support Services",
    "youth_justice": "Children's social care - Youth Justice",
    "safeguarding": "Children's social care: Safeguarding children and young people",
    "asylum": "Children's social care - Asylum Seekers",
    "young_people": "Children's social care: Services for young people",
    "total": "TOTAL CHILDREN SOCIAL CARE",
}
NET = "Net Current Expenditure"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@cache
def read_ro3(data_dir: Path) -> pl.DataFrame:
    """ONS code, name and each line's net current expenditure in pounds (null where the
    council made no return)."""
    path = find_file(data_dir, RO3_FILE)
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(RO3_SHEET).to_python()
    except Exception as exc:  # calamine raises its own error types
        raise InputError(f"cannot read the RO3 workbook ({exc})", file=path.name) from exc
    header_at = next((n for n, r in enumerate(rows) if r and r[0] == "E-code"), None)
    if header_at is None:
        raise InputError("no heading row starting E-code; is it the RO3 file?", file=path.name)
    header = [str(h) for h in rows[header_at]]
    columns = {}
    for name, start in RO3_LINES.items():
        found = [n for n, h in enumerate(header) if h.startswith(start) and NET in h]
        # "Children Looked After" heads its "of which" lines too: the exact heading first
        found.sort(key=lambda n: not header[n].startswith(f"{start} - {NET}"))
        if not found:
            raise InputError(f"no column for {start} ({NET})", file=path.name, row=header_at + 1)
        columns[name] = found[0]
    out: dict[str, list[Any]] = {"ons_code": [], "la_name": [], **{k: [] for k in columns}}
    for row in rows[header_at + 1 :]:
        code = str(row[1]).strip() if len(row) > 1 else ""
        if not code.startswith("E"):
            continue
        out["ons_code"].append(code)
        out["la_name"].append(str(row[2]))
        for name, at in columns.items():
            thousands = _number(row[at])
            out[name].append(None if thousands is None else thousands * 1000)
    return pl.DataFrame(
        out, schema={"ons_code": pl.String, "la_name": pl.String} | {k: pl.Float64 for k in columns}
    )


@cache
def _cla_counts(data_dir: Path) -> pl.DataFrame:
    frame = pl.read_csv(find_file(data_dir, CLA_FILE), infer_schema_length=0)
    frame = frame.filter(
        pl.col("time_period") == str(RO3_YEAR), pl.col("population_type") == CLA_AT_31_MARCH
    )
    return frame.select(
        pl.when(pl.col("geographic_level") == "National")
        .then(pl.lit("E92000001"))
        .otherwise(pl.col("new_la_code"))
        .alias("ons_code"),
        pl.col("geographic_level").alias("level"),
        pl.col("population_estimate").cast(pl.Float64, strict=False).alias("children"),
        pl.col("children_count").cast(pl.Float64, strict=False).alias("looked_after"),
    ).filter(pl.col("level").is_in(["National", "Local authority"]))


@dataclass(frozen=True)
class Spend:
    """One place's published spend and what it is divided by."""

    name: str
    total: float
    children: float
    cla_spend: float
    looked_after: float

    @property
    def per_child(self) -> float:
        return self.total / self.children

    @property
    def per_looked_after(self) -> float:
        return self.cla_spend / self.looked_after


@dataclass(frozen=True)
class SpendBenchmark:
    council: Spend | None
    neighbours: list[Spend]
    england: Spend
    year: str = "2024-25"

    @property
    def neighbour_mean_per_child(self) -> float | None:
        if not self.neighbours:
            return None
        return sum(s.per_child for s in self.neighbours) / len(self.neighbours)

    @property
    def neighbour_mean_per_looked_after(self) -> float | None:
        if not self.neighbours:
            return None
        return sum(s.per_looked_after for s in self.neighbours) / len(self.neighbours)


def spend_table(data_dir: Path) -> pl.DataFrame:
    """Every council (and England) with spend, children and children looked after."""
    ro3 = read_ro3(data_dir)
    counts = _cla_counts(data_dir)
    england = ro3.filter(pl.col("ons_code") == "E92000001")
    joined = ro3.join(counts, on="ons_code", how="inner")
    if england.is_empty():
        raise InputError("the RO3 workbook has no England row", file=RO3_FILE)
    return joined.filter(pl.col("total").is_not_null(), pl.col("children") > 0)


def spend_benchmark(la_code: str, data_dir: Path, model: str = "2025") -> SpendBenchmark:
    """The council's spend per child beside its ten statistical neighbours and England."""
    table = spend_table(data_dir)
    directory = la_directory(data_dir)
    ons = dict(directory.select("la_code", "ons_code").iter_rows())
    by_ons = {r["ons_code"]: r for r in table.iter_rows(named=True)}

    def spend(code: str | None) -> Spend | None:
        row = by_ons.get(code) if code else None
        if row is None or not row["looked_after"]:
            return None
        return Spend(row["la_name"], row["total"], row["children"], row["cla"], row["looked_after"])

    england = spend("E92000001")
    if england is None:
        raise InputError("no England figures in the RO3 and looked-after files", file=RO3_FILE)
    neighbours = [
        found
        for code in statistical_neighbours(data_dir, model).get(la_code, [])
        if (found := spend(ons.get(code))) is not None
    ]
    return SpendBenchmark(spend(ons.get(la_code)), neighbours, england)
