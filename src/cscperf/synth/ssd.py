"""The Standard Safeguarding Dataset tables as a council extracts them: CSV files, one per table.

``ssd_tables.yaml`` (in this package) lists each table's fields in specification order with a
type letter; :func:`conform` gives every simulated table exactly those columns (blank where the
simulation has nothing) and :func:`write_ssd` writes them as UTF-8 CSV with a header row and
ISO dates, the file named after the table.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import polars as pl
import yaml

TYPES: dict[str, type[pl.DataType]] = {"s": pl.Utf8, "d": pl.Date, "i": pl.Int64, "f": pl.Float64}


@cache
def ssd_fields() -> dict[str, dict[str, str]]:
    """Table name -> {field name: type letter}, in specification order."""
    text = resources.files("cscperf.synth").joinpath("ssd_tables.yaml").read_text("utf-8")
    loaded: dict[str, dict[str, str]] = yaml.safe_load(text)
    return loaded


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
