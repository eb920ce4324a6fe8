"""Hand-built builds for tests: canonical tables from a few rows, on DuckDB or PostgreSQL.

Owns :func:`frame` (rows -> a polars frame with every canonical column of the table, typed;
dates may be written as ISO strings) and :func:`build_from_rows` (those frames uploaded to an
Ibis backend as a :class:`~cscperf.indicators.context.BuildTables`). Used by the indicator
tests of every area and by the DuckDB/PostgreSQL conformance test.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import ibis
import polars as pl

from cscperf.indicators.context import BuildTables
from cscperf.indicators.framework import framework_settings
from cscperf.sources.canonical import empty_table

_counter = itertools.count()


def _value(value: Any, dtype: pl.DataType) -> Any:
    if isinstance(value, str) and dtype == pl.Date:
        return date.fromisoformat(value)
    return value


def frame(table: str, rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """``rows`` as the canonical table ``table``: missing columns are null, unknown columns
    are refused (a typo in a test must not pass silently)."""
    schema = dict(empty_table(table).schema)
    for row in rows:
        unknown = set(row) - set(schema)
        if unknown:
            raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
    data = {
        column: [_value(row.get(column), dtype) for row in rows] for column, dtype in schema.items()
    }
    return pl.DataFrame(data, schema=schema)


def upload(con: Any, frames: Mapping[str, pl.DataFrame], prefix: str = "") -> dict[str, str]:
    """Create one backend table per frame; returns canonical name -> backend name."""
    names: dict[str, str] = {}
    for name, df in frames.items():
        backend_name = f"{prefix}{name}"
        con.create_table(backend_name, df.to_arrow(), overwrite=True)
        names[name] = backend_name
    return names


def build_from_rows(
    tables: Mapping[str, Sequence[Mapping[str, Any]] | pl.DataFrame],
    *,
    con: Any = None,
    not_supplied: Mapping[str, str] | None = None,
    prefix: str | None = None,
) -> BuildTables:
    """A build made of the given tables on ``con`` (a fresh in-memory DuckDB by default)."""
    con = con if con is not None else ibis.duckdb.connect()
    prefix = prefix if prefix is not None else f"t{next(_counter)}_"
    frames = {
        name: rows if isinstance(rows, pl.DataFrame) else frame(name, rows)
        for name, rows in tables.items()
    }
    return BuildTables(con=con, names=upload(con, frames, prefix), not_supplied=not_supplied or {})


def population_rows(
    council: Mapping[int, int], localities: Mapping[tuple[str, int], int] | None = None
) -> list[dict[str, Any]]:
    """Rows of the ``population`` table: POP0_17 by mid-year for the council and localities."""
    label = framework_settings().population_age_group
    rows = [
        {
            "la_code": "999",
            "area": "Council",
            "area_level": "council",
            "mid_year": year,
            "age_group": label,
            "population": value,
        }
        for year, value in council.items()
    ]
    rows += [
        {
            "la_code": "999",
            "area": area,
            "area_level": "locality",
            "mid_year": year,
            "age_group": label,
            "population": value,
        }
        for (area, year), value in (localities or {}).items()
    ]
    return rows
