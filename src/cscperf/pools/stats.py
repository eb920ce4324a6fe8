"""Pooled benchmarks: every rate and percentage of the catalogue, month by month, for each
member beside the pool's mean, median and quartiles, and the member's rank.

The rules (docs/pools.md, "Pooled benchmarks"):

* only indicators whose unit is a percentage or a rate per 10,000 or 100,000, for the whole
  council (breakdown ``all``): counts and days are not comparable between councils of
  different sizes;
* a member's value resting on a denominator below the pool's ``suppression.denominator_below``
  (or with no value) is suppressed: it is left out of the statistics, gets no rank and is
  shown as ``[c]``;
* with fewer than ``suppression.members_below`` members' values for an indicator and month,
  the pool's statistics and every rank are withheld, as a member's value could be worked out
  from them;
* quartiles are by linear interpolation between the ordered values (position ``(n-1)p``, as
  Excel's QUARTILE.INC); the median is the middle value, or the mean of the middle two;
* rank 1 is the best value by the indicator's polarity; ties share the better rank (1 + the
  number of members strictly better); ``info`` and ``band`` measures are not ranked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from cscperf.pools.degrade import LA_CODE
from cscperf.pools.settings import Suppression
from cscperf.spreadsheet_safety import csv_rows_text

MARK = "[c]"  # a suppressed or withheld figure, as the DfE's statistics write it
STATISTICS = ("mean", "median", "lower_quartile", "upper_quartile")
UNITS = ("percent", "rate_per_10k", "rate_per_100k")
GROUP = ["indicator_id", "period_end"]
SCHEMA = {
    LA_CODE: pl.String,
    "indicator_id": pl.String,
    "period_end": pl.Date,
    "value": pl.Float64,
    "suppressed": pl.Boolean,
    "members": pl.UInt32,
    "mean": pl.Float64,
    "median": pl.Float64,
    "lower_quartile": pl.Float64,
    "upper_quartile": pl.Float64,
    "rank": pl.UInt32,
}


@dataclass(frozen=True)
class PoolLabel:
    """How a pooled benchmark is named wherever it is shown."""

    name: str
    month: date
    members: tuple[str, ...]  # "202 Camden", one per member

    def text(self) -> str:
        return (
            f"Pool: {self.name}, {len(self.members)} councils ({', '.join(self.members)}), "
            f"pooled for {self.month:%B %Y}"
        )


@dataclass(frozen=True)
class CouncilPool:
    """A pool's benchmarks for one member, as a pack or dashboard shows them beside the DfE
    publications: the label, and the member's rows of :func:`pool_benchmarks`."""

    label: PoolLabel
    la_code: str
    rows: pl.DataFrame

    def month_shown(self, period_end: date) -> date | None:
        """The month to show for a pack of ``period_end``: that month, or the latest pooled
        month before it."""
        months = self.rows.filter(pl.col("period_end") <= period_end)["period_end"]
        last = months.max() if months.len() else None
        return last if isinstance(last, date) else None


def pool_benchmarks(
    results: pl.DataFrame | pl.LazyFrame,
    units: Mapping[str, str],
    polarities: Mapping[str, str],
    rule: Suppression,
) -> pl.DataFrame:
    """One row per member, indicator and month (see the module's rules), columns
    :data:`SCHEMA`; ``results`` may be a lazy frame, of which only the rows used are read."""
    rated = [i for i, unit in units.items() if unit in UNITS]
    rows = (
        results.lazy()
        .filter((pl.col("breakdown") == "all") & pl.col("indicator_id").is_in(rated))
        .select(LA_CODE, *GROUP, "value", "denominator")
        .collect()
    )
    suppressed = (
        pl.col("value").is_null()
        | pl.col("value").is_nan()
        | (pl.col("denominator").is_not_null() & (pl.col("denominator") < rule.denominator_below))
    )
    rows = rows.with_columns(suppressed.alias("suppressed")).with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("value")).alias("value")
    )
    stats = rows.group_by(GROUP).agg(
        pl.col("value").count().alias("members"),
        pl.col("value").mean().alias("mean"),
        pl.col("value").median().alias("median"),
        pl.col("value").quantile(0.25, interpolation="linear").alias("lower_quartile"),
        pl.col("value").quantile(0.75, interpolation="linear").alias("upper_quartile"),
    )
    withheld = pl.col("members") < rule.members_below
    stats = stats.with_columns(
        [pl.when(withheld).then(None).otherwise(pl.col(c)).alias(c) for c in STATISTICS]
    )
    polarity = pl.col("indicator_id").replace_strict(
        dict(polarities), default="info", return_dtype=pl.String
    )
    ranked = (
        rows.join(stats, on=GROUP, how="left")
        .with_columns(
            pl.col("value").rank(method="min", descending=True).over(GROUP).alias("_high"),
            pl.col("value").rank(method="min").over(GROUP).alias("_low"),
            polarity.alias("_polarity"),
        )
        .with_columns(
            pl.when(withheld)
            .then(None)
            .when(pl.col("_polarity") == "high")
            .then(pl.col("_high"))
            .when(pl.col("_polarity") == "low")
            .then(pl.col("_low"))
            .otherwise(None)
            .cast(pl.UInt32)
            .alias("rank")
        )
    )
    return ranked.select(list(SCHEMA)).cast(SCHEMA).sort([*GROUP, LA_CODE])  # type: ignore[arg-type]


def benchmark_csv(frame: pl.DataFrame) -> str:
    """Pooled benchmarks as CSV: a suppressed value, and statistics withheld for too few
    members, written as :data:`MARK`."""
    header = [c for c in SCHEMA if c != "suppressed"]
    rows = []
    for row in frame.iter_rows(named=True):
        cells: list[object] = [row[LA_CODE], row["indicator_id"], row["period_end"].isoformat()]
        cells.append(MARK if row["suppressed"] else _number(row["value"]))
        cells.append(row["members"])
        for column in STATISTICS:
            withheld = row[column] is None and row["members"] > 0
            cells.append(MARK if withheld else _number(row[column]))
        cells.append(row["rank"])
        rows.append(cells)
    return csv_rows_text(header, rows)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}" if abs(value) >= 1e4 else f"{value:.4f}"
