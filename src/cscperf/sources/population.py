"""Reader for the ONS mid-year population estimates in the Explore Education Statistics layout.

Owns turning the published file (one row per geography, mid-year and age group) into the
cscperf extension table ``population``. Every local-authority row is kept here (and any
locality rows the council adds); the ingest keeps only the council's own rows once it knows
which council the data belongs to (:func:`council_population`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from cscperf.errors import InputError
from cscperf.sources.base import Problem, ReaderResult, Severity
from cscperf.sources.canonical import SOURCE_FILE, SOURCE_ROW, conform
from cscperf.sources.csvtext import header_fields, looks_like_text, read_text_table

NEEDED = ("time_period", "geographic_level", "old_la_code", "la_name", "population_estimate")
# Geographies above a council are dropped; every other level with an LA code is the council
# itself ("Local authority") or one of its localities.
ABOVE_COUNCIL = {"national", "regional"}
COUNCIL_LEVEL = "local authority"


class PopulationReader:
    """The ONS mid-year population file (EES underlying-data CSV)."""

    source = "population"

    def recognises(self, path: Path, head: bytes) -> bool:
        if not looks_like_text(head):
            # A population file that is not text is reported as unreadable (an error naming
            # it) rather than passed over as an unknown file.
            return path.suffix.lower() in {".csv", ".txt"} and "population" in path.stem.lower()
        header = set(header_fields(head))
        return all(name in header for name in NEEDED)

    def describe(self, path: Path, head: bytes) -> str:
        return "ONS mid-year population (EES)"

    def read(self, paths: Sequence[Path]) -> ReaderResult:
        result = ReaderResult(source=self.source, files=list(paths))
        parts = []
        for path in paths:
            frame, problems = read_population(path)
            parts.append(frame)
            result.problems.extend(problems)
        if parts:
            result.tables["population"] = pl.concat(parts, how="vertical")
        return result


def read_population(path: Path) -> tuple[pl.DataFrame, list[Problem]]:
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"the file cannot be opened ({exc.strerror})", file=file) from exc
    table = read_text_table(raw, file)
    frame = table.frame
    missing = [name for name in NEEDED if name not in frame.columns]
    if missing:
        raise InputError(
            f"the population file has no column(s) {', '.join(missing)}; use the EES "
            "'ONS mid-year population estimates' underlying-data file",
            file=file,
        )
    level = pl.col("geographic_level").str.strip_chars().str.to_lowercase()
    ons = pl.col("new_la_code") if "new_la_code" in frame.columns else pl.lit(None, pl.String)
    age = pl.col("age_group") if "age_group" in frame.columns else pl.lit("Total")
    frame = frame.filter(~level.is_in(list(ABOVE_COUNCIL)) & pl.col("old_la_code").is_not_null())
    shaped = frame.select(
        pl.col("old_la_code").str.strip_chars().alias("la_code"),
        ons.alias("ons_code"),
        pl.col("la_name").str.strip_chars().alias("area"),
        pl.when(level == COUNCIL_LEVEL)
        .then(pl.lit("council"))
        .otherwise(pl.lit("locality"))
        .alias("area_level"),
        pl.col("time_period").str.slice(0, 4).alias("mid_year"),
        age.alias("age_group"),
        pl.col("population_estimate").alias("population"),
        pl.col(SOURCE_FILE),
        pl.col(SOURCE_ROW),
    )
    conformed, problems = conform("population", shaped, file=file)
    return conformed, [*table.problems, *problems]


def council_population(
    population: pl.DataFrame, la_code: str, locality_names: Sequence[str] = ()
) -> pl.DataFrame:
    """The council's rows and its localities' rows; a row named after one of the council's
    localities is a locality row whatever level the file gives it."""
    mine = population.filter(pl.col("la_code") == la_code)
    if locality_names:
        mine = mine.with_columns(
            pl.when(pl.col("area").is_in(list(locality_names)))
            .then(pl.lit("locality"))
            .otherwise(pl.col("area_level"))
            .alias("area_level")
        )
    return mine


def no_population_problem(la_code: str) -> Problem:
    return Problem(
        file="",
        rule="population-missing",
        severity=Severity.WARNING,
        message=f"no population rows for council {la_code} were found among the inputs; rates "
        "per 10,000 children cannot be computed: add the ONS mid-year population file",
        table="population",
    )
