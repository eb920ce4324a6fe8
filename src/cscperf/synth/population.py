"""The ONS mid-year population file for Eastshire and each of its localities.

Columns and values follow the published ``ons_mid-year_population_estimates`` file (one row per
geography and mid-year, children aged 0 to 17). The council's rows are ``Local authority``
rows with its codes. Localities are not ONS geographies, so their rows use the geographic level
``Locality``, the council's codes and region, and the locality's name in ``la_name``; a reader
tells council and locality rows apart by the geographic level.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cscperf.settings import Settings

COLUMNS = [
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "old_la_code", "new_la_code", "la_name", "age_group",
    "population_estimate",
]  # fmt: skip
# ONS codes of the English regions, as the published population file gives them.
REGION_CODES = {
    "North East": "E12000001", "North West": "E12000002", "Yorkshire and The Humber": "E12000003",
    "East Midlands": "E12000004", "West Midlands": "E12000005", "East of England": "E12000006",
    "South East": "E12000008", "South West": "E12000009", "Inner London": "E13000001",
    "Outer London": "E13000002",
}  # fmt: skip
AGE_GROUP = "Children aged 0 to 17 years"


def population_frame(counts: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Rows for the council and its localities from simulated mid-year counts."""
    council = settings.council
    base = {
        "time_identifier": "Reporting year",
        "country_code": "E92000001",
        "country_name": "England",
        "region_code": REGION_CODES.get(council.region, ""),
        "region_name": council.region,
        "old_la_code": council.la_code,
        "new_la_code": council.ons_code,
        "age_group": AGE_GROUP,
    }
    total = counts.group_by("mid_year").agg(pl.col("children").sum()).sort("mid_year")
    la_rows = total.select(
        time_period=pl.col("mid_year"),
        geographic_level=pl.lit("Local authority"),
        la_name=pl.lit(council.name),
        population_estimate=pl.col("children"),
    )
    loc_rows = counts.sort(["mid_year", "locality"]).select(
        time_period=pl.col("mid_year"),
        geographic_level=pl.lit("Locality"),
        la_name=pl.col("locality"),
        population_estimate=pl.col("children"),
    )
    rows = pl.concat([la_rows, loc_rows]).sort("time_period", descending=True, maintain_order=True)
    return rows.with_columns(**{k: pl.lit(v) for k, v in base.items()}).select(COLUMNS)


def write_population(counts: pl.DataFrame, settings: Settings, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ons_mid-year_population_estimates.csv"
    population_frame(counts, settings).write_csv(path)
    return path
