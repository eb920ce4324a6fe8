"""The canonical tables: what they are (from ``canonical.yaml``) and how data is made to fit them.

Owns the description of the SSD-shaped tables every reader fills (table and field names,
types, required fields, record keys, foreign keys), empty tables with the right column types,
and :func:`conform`, which casts text read from any input to those types and reports every
value that does not fit (bad dates, bad numbers) as a :class:`~cscperf.sources.base.Problem`.

Readers may add two provenance columns to any table, ``_source_file`` and ``_source_row``;
:func:`conform` keeps them so problems found later can name the file and row.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Literal

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field

from cscperf.paths import package_data
from cscperf.sources.base import Problem, Severity

SOURCE_FILE = "_source_file"
SOURCE_ROW = "_source_row"
PROVENANCE = (SOURCE_FILE, SOURCE_ROW)

FieldType = Literal["string", "date", "int", "float"]

POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "date": pl.Date(),
    "int": pl.Int64(),
    "float": pl.Float64(),
}

# Excel serial day numbers count from 1899-12-30. Only 1930-01-01 (10959) to 2099-12-31 (73415)
# are taken as dates, so a cut-off "20" or a stray count is reported rather than read as 1900.
EXCEL_FIRST, EXCEL_LAST = 10959, 73415
EXCEL_EPOCH = date(1899, 12, 30)

ISO_DATE = (
    r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)
UK_DATE = r"^\d{1,2}[/-]\d{1,2}[/-]\d{4}( \d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$"
EXCEL_SERIAL = r"^\d{1,5}(\.0+)?$"


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: FieldType
    required: bool = False
    # A cscperf field added to an SSD table: read when a source has it, never reported missing.
    extension: bool = False
    description: str = ""


class ForeignKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    table: str
    column: str


class TableSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    extension: bool = False
    description: str | None = None
    key: list[str] = Field(default_factory=list)
    fields: list[FieldSpec]
    foreign_keys: list[ForeignKey] = Field(default_factory=list)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def record_key(self) -> list[str]:
        """The fields that identify one record; without a key in the spec, the whole row."""
        return self.key or self.field_names

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def polars_schema(self) -> dict[str, pl.DataType]:
        return {f.name: POLARS_TYPES[f.type] for f in self.fields}


class CanonicalModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    source: str
    provenance_columns: list[str]
    tables: list[TableSpec]


@cache
def canonical_tables() -> dict[str, TableSpec]:
    """Every canonical table by name (SSD tables plus the cscperf ``population`` extension)."""
    path = package_data("sources", "canonical.yaml")
    model = CanonicalModel.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    return {table.name: table for table in model.tables}


def table_spec(name: str) -> TableSpec:
    try:
        return canonical_tables()[name]
    except KeyError:
        raise KeyError(f"{name} is not a canonical table") from None


def empty_table(name: str) -> pl.DataFrame:
    """A table with no rows and every canonical column, typed."""
    return pl.DataFrame(schema=table_spec(name).polars_schema())


def _as_text(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Any input column as trimmed text, blanks as null (floats that are whole numbers lose .0,
    so an identifier stored as 12345.0 by a spreadsheet reads as 12345)."""
    if dtype.is_float():
        whole = column.round(0) == column
        text = (
            pl.when(whole)
            .then(column.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(column.cast(pl.String))
        )
    elif dtype == pl.String:
        text = column
    else:
        text = column.cast(pl.String)
    text = text.str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def parse_dates(text: pl.Expr) -> pl.Expr:
    """Dates written as ISO (times dropped), dd/mm/yyyy, dd-mm-yyyy or Excel serial numbers;
    anything else becomes null (the caller reports it)."""
    day_part = text.str.split(" ").list.first().str.split("T").list.first()
    iso = day_part.str.replace_all("/", "-").str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    uk = day_part.str.replace_all("-", "/").str.strptime(pl.Date, "%d/%m/%Y", strict=False)
    serial = text.cast(pl.Float64, strict=False).cast(pl.Int64, strict=False)
    excel = pl.when((serial >= EXCEL_FIRST) & (serial <= EXCEL_LAST)).then(
        pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)
    )
    return (
        pl.when(text.str.contains(ISO_DATE))
        .then(iso)
        .when(text.str.contains(UK_DATE))
        .then(uk)
        .when(text.str.contains(EXCEL_SERIAL))
        .then(excel.cast(pl.Date))
        .otherwise(None)
    )


def _cast(column: str, dtype: pl.DataType, target: FieldType) -> pl.Expr:
    expr = pl.col(column)
    if target == "date":
        if dtype == pl.Date:
            return expr
        if isinstance(dtype, pl.Datetime):
            return expr.dt.date()
        return parse_dates(_as_text(expr, dtype))
    if target == "int":
        if dtype.is_integer():
            return expr.cast(pl.Int64)
        number = _as_text(expr, dtype).str.replace_all(",", "").cast(pl.Float64, strict=False)
        return pl.when(number.round(0) == number).then(number.cast(pl.Int64, strict=False))
    if target == "float":
        if dtype.is_numeric():
            return expr.cast(pl.Float64)
        number = _as_text(expr, dtype).str.replace_all(",", "").cast(pl.Float64, strict=False)
        # 1E+400 reads as infinity and "NaN" as not-a-number: neither is a value, both errors.
        return pl.when(number.is_finite()).then(number)
    return _as_text(expr, dtype)


RULE_FOR_TYPE = {"date": "invalid-date", "int": "invalid-number", "float": "invalid-number"}
EXPECTED = {
    "date": "a date such as 2024-03-31, 31/03/2024 or an Excel date number",
    "int": "a whole number",
    "float": "a number",
}


def conform(
    name: str, df: pl.DataFrame, *, file: str | None = None
) -> tuple[pl.DataFrame, list[Problem]]:
    """Cast ``df`` to the canonical columns and types of table ``name``.

    Missing canonical columns are added as nulls, columns not in the table are dropped
    (provenance columns are kept), and every non-blank value that cannot be read as its
    field's type becomes null and one ``invalid-date`` / ``invalid-number`` error. ``file``
    names the input in problems when the frame has no ``_source_file`` column.
    """
    spec = table_spec(name)
    problems: list[Problem] = []
    exprs: list[pl.Expr] = []
    checks: list[tuple[str, FieldType]] = []
    for field in spec.fields:
        if field.name not in df.columns:
            exprs.append(pl.lit(None, dtype=POLARS_TYPES[field.type]).alias(field.name))
            continue
        dtype = df.schema[field.name]
        exprs.append(_cast(field.name, dtype, field.type).alias(field.name))
        if field.type != "string" and dtype in (pl.String, pl.Categorical, pl.Object):
            checks.append((field.name, field.type))
    kept = [c for c in PROVENANCE if c in df.columns]
    out = df.select([*exprs, *[pl.col(c) for c in kept]])
    for column, target in checks:
        raw = _as_text(pl.col(column), df.schema[column])
        if target == "date":
            problems.extend(mixed_date_formats(name, df, column, file))
        bad_mask = df.select(raw.is_not_null() & out.get_column(column).is_null()).to_series()
        if not bad_mask.any():
            continue
        bad = df.filter(bad_mask)
        for i, value in enumerate(bad.get_column(column).to_list()):
            problems.append(
                Problem(
                    file=_provenance_file(bad, i, file),
                    rule=RULE_FOR_TYPE[target],
                    severity=Severity.ERROR,
                    message=f"{value!s:.40} is not {EXPECTED[target]}; correct it in the "
                    "source system or the extract",
                    row=_provenance_row(bad, i),
                    field=column,
                    value=str(value)[:40],
                    table=name,
                )
            )
    return out, problems


# How a date is written, in the order a tie is settled (the first is taken as the column's own).
DATE_STYLES = {"ISO": ISO_DATE, "dd/mm/yyyy": UK_DATE, "an Excel date number": EXCEL_SERIAL}


def date_style(text: pl.Expr) -> pl.Expr:
    """The name of the way each date is written (a key of DATE_STYLES), null if none fits."""
    expr = pl.lit(None, pl.String)
    for style, pattern in reversed(DATE_STYLES.items()):
        expr = pl.when(text.str.contains(pattern)).then(pl.lit(style)).otherwise(expr)
    return expr


def usual_style(counts: dict[str, int]) -> str:
    """The way most of a column's dates are written; ties go to the earlier style."""
    order = list(DATE_STYLES)
    return max(counts, key=lambda style: (counts[style], -order.index(style)))


def mixed_date_formats(
    name: str, df: pl.DataFrame, column: str, file: str | None = None
) -> list[Problem]:
    """Dates written differently from the rest of their column (still read): a warning each.

    One column holding 2024-03-31 and 31/03/2024 usually means rows typed by hand or two
    extracts pasted together, where a 03/04 day-month swap can hide; the minority is named."""
    styled = df.with_columns(
        date_style(_as_text(pl.col(column), df.schema[column])).alias("_style")
    )
    counts = dict(styled.get_column("_style").drop_nulls().value_counts().iter_rows())
    if len(counts) < 2:
        return []
    usual = usual_style(counts)
    odd = styled.filter(pl.col("_style").is_not_null() & (pl.col("_style") != usual))
    problems = []
    for i, (value, style) in enumerate(
        zip(odd.get_column(column).to_list(), odd.get_column("_style").to_list(), strict=True)
    ):
        problems.append(
            Problem(
                file=_provenance_file(odd, i, file),
                rule="mixed-date-formats",
                severity=Severity.WARNING,
                message=f"mixed date formats in one column: {value!s:.40} is written as "
                f"{style} where the other {counts[usual]} dates of {column} are {usual}; it "
                "was read, but check day and month and write every date one way",
                row=_provenance_row(odd, i),
                field=column,
                value=str(value)[:40],
                table=name,
            )
        )
    return problems


def _provenance_file(df: pl.DataFrame, i: int, default: str | None) -> str:
    if SOURCE_FILE in df.columns:
        value = df.get_column(SOURCE_FILE)[i]
        if value is not None:
            return str(value)
    return default or ""


def _provenance_row(df: pl.DataFrame, i: int) -> int | None:
    if SOURCE_ROW in df.columns:
        value = df.get_column(SOURCE_ROW)[i]
        return None if value is None else int(value)
    return None
