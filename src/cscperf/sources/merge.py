"""Merging the canonical tables read from several inputs into one set of facts.

Owns the precedence rule (docs/loading-data.md, "When inputs overlap"):

* every input has an *as-at* date: the extract date it states (or ``--extract-date``), else
  31 March of its collection year, else (a live SSD extract with no date) the newest of all;
* a row repeated exactly, in one file or across files, is one fact (a repeat inside one file
  is reported as ``duplicate-row``);
* rows with the same record key (``key`` in canonical.yaml; the whole row when a table has no
  key) but different values: the input with the later as-at date wins (``corrected-by-later-
  return``, info); equal as-at dates from different files: the file read last wins
  (``cross-return-contradiction``, warning); two such rows in one file: ``duplicate-key``
  (error), the last row is kept.

Before that, :func:`used_in_build` decides which inputs a table is merged from at all: when
the SSD supplies a table, only the SSD's rows are; the statutory returns' rows of that table
are set aside and checked against the SSD (:mod:`cscperf.sources.reconcile`).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from cscperf.sources.base import Problem
from cscperf.sources.canonical import SOURCE_FILE, SOURCE_ROW, canonical_tables, conform
from cscperf.sources.returns_common import ProblemLog

AS_AT = "_as_at"
ORDER = "_order"
# A live extract without a date is taken as the most recent of all inputs.
LATEST = date(9999, 12, 31)

# The inputs that are the council's record of a table when they supply it: the SSD, read from
# the case system itself (as files or from its database). The statutory returns are made from
# the same case system once a year, so the SSD and a return describe the same children; they
# are two views to reconcile, not two records to merge. Merged, each episode would be there
# twice under two ids (the SSD's and the return's child-and-start-date id) and overlap itself.
RECORD_SOURCES = frozenset({"ssd", "ssd-database"})


def used_in_build(source: str, suppliers: set[str]) -> bool:
    """Whether ``source``'s rows of a table go into the build, given every source that
    supplies that table: the SSD's when the SSD supplies it (a return's rows are then checked
    against it instead); otherwise every input's, merged by the precedence rule below (a
    table the SSD lacks comes from the returns, and returns loaded without an SSD are the
    record)."""
    return source in RECORD_SOURCES or not (suppliers & RECORD_SOURCES)


def as_at_date(
    extract_date: str | date | None, collection_year: int | None, default: date | None = None
) -> date:
    """The date an input describes the world as at, for deciding which input wins."""
    if isinstance(extract_date, date):
        return extract_date
    if extract_date:
        try:
            return date.fromisoformat(str(extract_date)[:10])
        except ValueError:
            pass
    if collection_year:
        return date(collection_year, 3, 31)
    return default or LATEST


def prepare(
    name: str, frame: pl.DataFrame, *, file: str, as_at: date, order: int
) -> tuple[pl.DataFrame, list[Problem]]:
    """One input's table conformed, with provenance and precedence columns."""
    conformed, problems = conform(name, frame, file=file)
    extra = [pl.lit(as_at).alias(AS_AT), pl.lit(order).alias(ORDER)]
    if SOURCE_FILE not in conformed.columns:
        extra.append(pl.lit(file).alias(SOURCE_FILE))
    if SOURCE_ROW not in conformed.columns:
        extra.append(pl.lit(None, pl.Int64).alias(SOURCE_ROW))
    conformed = conformed.with_columns(extra).with_columns(
        pl.col(SOURCE_FILE).cast(pl.String).fill_null(file), pl.col(SOURCE_ROW).cast(pl.Int64)
    )
    return conformed, problems


def merge_table(name: str, frames: list[pl.DataFrame]) -> tuple[pl.DataFrame, list[Problem]]:
    """Merge prepared frames of one table by the precedence rule; provenance is kept."""
    spec = canonical_tables()[name]
    fields = spec.field_names
    key = spec.record_key
    df = pl.concat(frames, how="vertical_relaxed").sort(
        [AS_AT, ORDER, SOURCE_FILE, SOURCE_ROW], nulls_last=False, maintain_order=True
    )
    log = ProblemLog()

    # 1. exact repeats inside one file
    first_in_file = pl.struct([*fields, SOURCE_FILE]).is_first_distinct()
    repeats = df.filter(~first_in_file)
    for f, r in repeats.select(SOURCE_FILE, SOURCE_ROW).iter_rows():
        log.warning(
            f,
            "duplicate-row",
            "this row repeats an earlier row of the same file exactly; it is counted once",
            row=r,
            table=name,
        )
    df = df.filter(first_in_file)
    # 2. the same fact from several inputs: one fact, provenance of the latest
    df = df.filter(pl.struct(fields).is_last_distinct())
    if not spec.key:
        return df, log.problems

    # 3. same record key, different values
    keyed = pl.all_horizontal([pl.col(k).is_not_null() for k in key])
    with_key, without_key = df.filter(keyed), df.filter(~keyed)
    in_file = [*key, SOURCE_FILE]
    with_key = with_key.with_columns(
        pl.struct(in_file).is_last_distinct().alias("_last_in_file"),
        pl.col(SOURCE_ROW).last().over(in_file).alias("_kept_row"),
        pl.struct(key).is_last_distinct().alias("_last"),
        pl.col(SOURCE_FILE).last().over(key).alias("_kept_file"),
        pl.col(AS_AT).last().over(key).alias("_kept_as_at"),
    )
    for f, r, kept_row in (
        with_key.filter(~pl.col("_last_in_file"))
        .select(SOURCE_FILE, SOURCE_ROW, "_kept_row")
        .iter_rows()
    ):
        log.error(
            f,
            "duplicate-key",
            f"row {kept_row} of this file has the same {', '.join(key)} but "
            "different values; give each record its own id or remove the wrong row",
            row=r,
            table=name,
            column=",".join(key),
        )
    superseded = with_key.filter(pl.col("_last_in_file") & ~pl.col("_last"))
    for f, r, kept_file, kept_as_at, own_as_at in superseded.select(
        SOURCE_FILE, SOURCE_ROW, "_kept_file", "_kept_as_at", AS_AT
    ).iter_rows():
        if own_as_at < kept_as_at:
            log.info(
                f,
                "corrected-by-later-return",
                f"a later input ({kept_file}) holds a different version of this record; the "
                "later version is used",
                row=r,
                table=name,
            )
        else:
            log.warning(
                f,
                "cross-return-contradiction",
                f"{kept_file} gives different values for this record and is as recent; its "
                "version is used: check which is right",
                row=r,
                table=name,
            )
    merged = pl.concat(
        [with_key.filter(pl.col("_last")).select(df.columns), without_key], how="vertical"
    )
    return merged, log.problems


def strip_working_columns(df: pl.DataFrame) -> pl.DataFrame:
    """The published form of a merged table: canonical columns only."""
    return df.drop([c for c in df.columns if c.startswith("_")])
