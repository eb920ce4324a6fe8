"""The Standard Safeguarding Dataset tables as a council extracts them: CSV files, one per table.

Each table's fields, their order and types are the canonical model's (``sources/canonical.yaml``,
the SSD object specification's fields in its order), without cscperf's own extension fields,
which an SSD extract does not have: the reader and this writer read the one declaration.
:func:`conform` gives every simulated table exactly those columns (blank where the simulation
has nothing) and :func:`write_ssd` writes them as UTF-8 CSV with a header row and ISO dates,
the file named after the table.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

from cscperf.sources.canonical import canonical_tables

TYPES: dict[str, type[pl.DataType]] = {
    "string": pl.Utf8,
    "date": pl.Date,
    "int": pl.Int64,
    "float": pl.Float64,
}

# The SSD tables the simulation fills, in the order they are written.
SSD_TABLES = (
    "ssd_person",
    "ssd_contacts",
    "ssd_cin_episodes",
    "ssd_cin_assessments",
    "ssd_assessment_factors",
    "ssd_cin_plans",
    "ssd_cin_visits",
    "ssd_s47_enquiry",
    "ssd_initial_cp_conference",
    "ssd_cp_plans",
    "ssd_cp_visits",
    "ssd_cp_reviews",
    "ssd_cla_episodes",
    "ssd_cla_placement",
    "ssd_legal_status",
    "ssd_cla_reviews",
    "ssd_cla_visits",
    "ssd_cla_health",
    "ssd_cla_immunisations",
    "ssd_sdq_scores",
    "ssd_cla_care_plan",
    "ssd_care_leavers",
    "ssd_permanence",
    "ssd_missing",
    "ssd_immigration_status",
    "ssd_involvements",
    "ssd_professionals",
    "ssd_department",
    "ssd_early_help_episodes",
    "ssd_disability",
    "ssd_mother",
    "ssd_send",
)


@cache
def ssd_fields() -> dict[str, dict[str, str]]:
    """Table name -> {field name: canonical type}, in specification order."""
    tables = canonical_tables()
    return {
        name: {f.name: f.type for f in tables[name].fields if not f.extension}
        for name in SSD_TABLES
    }


def conform(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Exactly the specification's columns, in its order and types; missing ones blank."""
    columns = []
    for name, kind in ssd_fields()[table].items():
        dtype = TYPES[kind]
        if name in frame.columns:
            columns.append(pl.col(name).cast(dtype))
        else:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(columns)


def conform_all(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Every table the specification lists that the simulation produced, conformed."""
    return {name: conform(name, tables[name]) for name in ssd_fields() if name in tables}


def write_ssd(tables: dict[str, pl.DataFrame], folder: Path) -> list[Path]:
    """Write each table as ``<table>.csv`` in ``folder``; return the paths in table order."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = folder / f"{name}.csv"
        frame.write_csv(path, date_format="%Y-%m-%d", float_precision=1)
        written.append(path)
    return written
