"""Reading the published files: EES CSVs, the LAIT long file, ONS populations and the
statistical-neighbour lists, from the shared folder or a council's own download folder.

Every figure comes out in one long shape: ``level`` (national / regional / la), ``year``,
``la_code`` (3-digit), ``ons_code``, ``la_name``, ``region``, ``value`` (float or null) and
``code`` (the suppression code c/k/x/z/u, or another non-numeric mark, when there is no value).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

from cscperf.benchmarks.mapping import BenchmarkSource
from cscperf.errors import CscperfError, InputError
from cscperf.paths import shared_dir

SUPPRESSION_CODES = ("c", "k", "x", "z", "u")
LAIT_FILE = "bds_long_0.parquet"
POPULATION_FILE = "ons_mid-year_population_estimates_2012_to_2024.csv"
POPULATION_AGE_GROUP = "Children aged 0 to 17 years"
DIRECTORY_FILE = "cla_number_and_rate_per_10k_children.csv"
SN_FILES = {
    "2025": "sn_model_2025_wide.csv",
    "2021": "New_Statistical_Neighbour_Groupings_April_2021.csv",
}
LAIT_ENGLAND = 970.0
_LEVELS = {"National": "national", "Regional": "regional", "Local authority": "la"}
COLUMNS = ["level", "year", "la_code", "ons_code", "la_name", "region", "value", "code"]


def default_data_dir() -> Path:
    """The shared folder's published files (a council passes ``--data`` instead)."""
    shared = shared_dir()
    if shared is None:
        raise InputError(
            "no published-data folder was found: pass --data DIR pointing at your downloads of "
            "the DfE files, or set CSCPERF_SHARED"
        )
    return shared / "data" / "benchmarks"


def find_file(data_dir: Path, name: str) -> Path:
    """A published file by name anywhere under ``data_dir``."""
    direct = data_dir / name
    if direct.is_file():
        return direct
    for found in sorted(data_dir.rglob(name)):
        return found
    raise InputError(
        f"the published file {name} is not in {data_dir}; download it from Explore Education "
        "Statistics or LAIT into that folder",
        file=name,
    )


def normalise_region(name: str | None) -> str | None:
    """One spelling for a region across EES and LAIT (``London (Inner)`` = ``Inner London``)."""
    if name is None:
        return None
    text = name.strip().lower()
    swaps = {"london (inner)": "inner london", "london (outer)": "outer london"}
    return swaps.get(text, text)


def split_value(column: str) -> list[pl.Expr]:
    """A text column of published cells as a numeric ``value`` and the ``code`` kept when
    the cell is not a number (suppression codes and marks such as ``-``)."""
    text = pl.col(column).cast(pl.String).str.strip_chars()
    number = text.str.replace_all(",", "").cast(pl.Float64, strict=False)
    return [
        number.alias("value"),
        pl.when(number.is_null() & text.is_not_null() & (text != ""))
        .then(text)
        .otherwise(None)
        .alias("code"),
    ]


@cache
def _read_csv(path: Path) -> pl.DataFrame:
    try:
        return pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"cannot read the published file ({exc})", file=str(path)) from exc


def _geography(frame: pl.DataFrame) -> pl.DataFrame:
    def col(name: str) -> pl.Expr:
        return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String)

    return frame.with_columns(
        pl.col("geographic_level").replace_strict(_LEVELS, default=None).alias("level"),
        pl.col("time_period").str.slice(0, 4).cast(pl.Int32, strict=False).alias("year"),
        col("old_la_code").alias("la_code"),
        col("new_la_code").alias("ons_code"),
        col("la_name").alias("la_name"),
        col("region_name").alias("region"),
    ).filter(pl.col("level").is_not_null())


def read_ees(source: BenchmarkSource, data_dir: Path) -> pl.DataFrame:
    """One EES measure, every geography and year, in the long shape."""
    assert source.file is not None
    path = find_file(data_dir, source.file)
    frame = _read_csv(path)
    missing = [c for c in source.filter if c not in frame.columns]
    column = source.value or (source.per_population.column if source.per_population else "")
    if column not in frame.columns:
        missing.append(column)
    if missing:
        raise InputError(
            f"the published file has no column {', '.join(missing)}; is it the right file?",
            file=str(path),
        )
    for key, wanted in source.filter.items():
        frame = frame.filter(pl.col(key) == wanted)
    frame = _geography(frame).with_columns(split_value(column))
    if source.per_population is not None:
        frame = _per_population(frame, source.per_population.scale, data_dir)
    return frame.select(COLUMNS)


def _per_population(frame: pl.DataFrame, scale: float, data_dir: Path) -> pl.DataFrame:
    """Counts as rates per ``scale`` children, using the ONS 0-17 estimate of mid-(Y-1)."""
    pop = population(data_dir).select(
        "level", pl.col("year").alias("pop_year"), _place_key(), pl.col("value").alias("population")
    )
    keyed = frame.with_columns((pl.col("year") - 1).alias("pop_year"), _place_key())
    joined = keyed.join(pop, on=["level", "pop_year", "place"], how="left").drop("place")
    return joined.with_columns(
        (pl.col("value") / pl.col("population") * scale).alias("value"),
    )


def _place_key() -> pl.Expr:
    """What identifies a geography within its level: LA code, region name, or England."""
    return (
        pl.when(pl.col("level") == "la")
        .then(pl.col("la_code"))
        .when(pl.col("level") == "regional")
        .then(pl.col("region"))
        .otherwise(pl.lit("England"))
        .alias("place")
    )


@cache
def population(data_dir: Path) -> pl.DataFrame:
    """ONS mid-year estimates of 0-17 year olds by geography and year."""
    frame = _read_csv(find_file(data_dir, POPULATION_FILE))
    frame = frame.filter(pl.col("age_group") == POPULATION_AGE_GROUP)
    return _geography(frame).with_columns(split_value("population_estimate")).select(COLUMNS)


@cache
def _lait(data_dir: Path) -> pl.DataFrame:
    path = find_file(data_dir, LAIT_FILE)
    try:
        return pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"cannot read the LAIT file ({exc})", file=str(path)) from exc


def read_lait(source: BenchmarkSource, data_dir: Path) -> pl.DataFrame:
    """One LAIT measure in the long shape; England is LA number 970, regions 980-990."""
    frame = _lait(data_dir).filter(pl.col("Short Desc") == source.measure)
    number = pl.col("LA Number")
    frame = frame.with_columns(
        pl.when(number == LAIT_ENGLAND)
        .then(pl.lit("national"))
        .when(number > LAIT_ENGLAND)
        .then(pl.lit("regional"))
        .otherwise(pl.lit("la"))
        .alias("level"),
        pl.col("Years").cast(pl.Int32, strict=False).alias("year"),
        pl.when(number < LAIT_ENGLAND).then(number.cast(pl.Int64).cast(pl.String)).alias("la_code"),
        pl.lit(None, dtype=pl.String).alias("ons_code"),
        pl.when(number < LAIT_ENGLAND).then(pl.col("LA and Regions")).alias("la_name"),
        pl.when(number < LAIT_ENGLAND)
        .then(pl.col("Region"))
        .otherwise(pl.col("LA and Regions"))
        .alias("region"),
        *split_value("Values"),
    )
    # Only plain financial years ("2025"); multi-year and revised labels are other series.
    return frame.filter(pl.col("year").is_not_null()).select(COLUMNS)


def read_published(source: BenchmarkSource, data_dir: Path) -> pl.DataFrame:
    """The published figures of one indicator's counterpart, with normalised regions."""
    frame = read_ees(source, data_dir) if source.source == "ees" else read_lait(source, data_dir)
    return frame.with_columns(
        pl.col("region").map_elements(normalise_region, return_dtype=pl.String)
    )


@cache
def la_directory(data_dir: Path) -> pl.DataFrame:
    """Every English local authority in the published files: 3-digit code, ONS code, name,
    region and the latest year it appears."""
    frame = _geography(_read_csv(find_file(data_dir, DIRECTORY_FILE)))
    return (
        frame.filter(pl.col("level") == "la")
        .sort("year")
        .group_by("la_code")
        .agg(
            pl.col("ons_code").last(),
            pl.col("la_name").last(),
            pl.col("region").last(),
            pl.col("year").max().alias("latest_year"),
        )
        .sort("la_code")
    )


@cache
def statistical_neighbours(data_dir: Path, model: str) -> dict[str, list[str]]:
    """LA code -> its ten statistical neighbours, in order, for the 2021 or 2025 model."""
    if model not in SN_FILES:
        raise InputError(f"statistical neighbour model {model} is unknown; use 2021 or 2025")
    path = find_file(data_dir, SN_FILES[model])
    raw = pl.read_csv(
        path, infer_schema_length=0, encoding="utf8-lossy", truncate_ragged_lines=True
    )
    first = raw.columns[0]
    if model == "2025":
        columns = [f"SN_{n}" for n in range(1, 11)]
    else:
        columns = [f"SN{n}" for n in range(1, 11)]
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise InputError(f"no columns {', '.join(missing)}; is it the right file?", file=str(path))
    result: dict[str, list[str]] = {}
    for row in raw.select(first, *columns).iter_rows():
        code = (row[0] or "").strip()
        if code:
            result[code] = [c.strip() for c in row[1:] if c and c.strip()]
    return result


def published_council(la_code: str, data_dir: Path | None = None) -> dict[str, str] | None:
    """Name, ONS code and region of an English council in the published files, or None when
    the files are not there or do not list the code."""
    try:
        directory = la_directory(data_dir or default_data_dir())
    except CscperfError:
        return None
    found = directory.filter(pl.col("la_code") == la_code)
    if found.height == 0:
        return None
    row = found.row(0, named=True)
    return {
        "name": str(row["la_name"] or la_code),
        "ons_code": str(row["ons_code"] or ""),
        "region": str(row["region"] or ""),
    }
