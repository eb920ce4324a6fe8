"""The pool section of the pack and the dashboard: the council's rates and percentages beside
its pool's mean, median, quartiles and its rank, for the pack's month (or the latest pooled
month before it), labelled as the pool's with its name, members and pooled month.

The pool is a benchmark source beside the DfE publications, never mixed into them; see
docs/pools.md for its rules (suppression, quartiles, ranks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from cscperf.pools.stats import CouncilPool
from cscperf.reports.layout import load_layout
from cscperf.reports.pack import Definition


@dataclass(frozen=True)
class PoolRow:
    ref: str
    title: str
    unit: str
    good_is: str
    value: float | None
    suppressed: bool
    mean: float | None
    median: float | None
    lower_quartile: float | None
    upper_quartile: float | None
    rank: str  # "2 of 5", or why there is none


@dataclass(frozen=True)
class PoolSection:
    label: str  # "Pool: NAME, n councils (...), pooled for MONTH"
    month: date  # the month the rows are for
    rows: list[PoolRow]


def pool_section(
    pool: CouncilPool | None,
    period_end: date,
    definitions: Mapping[str, Definition],
) -> PoolSection | None:
    """The section's rows, or None when there is no pool or it holds no month up to
    ``period_end``."""
    if pool is None:
        return None
    month = pool.month_shown(period_end)
    if month is None:
        return None
    polarities = load_layout().polarities
    rows = []
    for r in pool.rows.filter(pl.col("period_end") == month).iter_rows(named=True):
        definition = definitions.get(r["indicator_id"])
        if definition is None:
            continue
        rows.append(
            PoolRow(
                ref=r["indicator_id"],
                title=definition.title,
                unit=definition.unit,
                good_is=polarities.get(definition.polarity, definition.polarity),
                value=r["value"],
                suppressed=bool(r["suppressed"]),
                mean=r["mean"],
                median=r["median"],
                lower_quartile=r["lower_quartile"],
                upper_quartile=r["upper_quartile"],
                rank=_rank(r, definition.polarity),
            )
        )
    return PoolSection(pool.label.text(), month, rows)


def _rank(row: Mapping[str, object], polarity: str) -> str:
    if row["rank"] is not None:
        return f"{row['rank']} of {row['members']}"
    if polarity not in ("high", "low"):
        return "not ranked"
    if row["suppressed"]:
        return "suppressed"
    return "withheld: too few members" if row["mean"] is None else "–"
