"""A build's stored indicator results (``results/indicators.parquet``), read without the engine.

Reading what :mod:`cscperf.indicators.results` computed and kept needs only Polars: a pack, an
evaluation or a dashboard page of a build whose results are stored does not import Ibis, DuckDB's
compiler or the indicator areas (about a third of a second of a pack's start).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from cscperf.calendar.months import month_end_of

if TYPE_CHECKING:
    from cscperf.store.store import Build

RESULTS_FILE = "indicators.parquet"
# Parquet key-value metadata: the first month the stored results were asked to start at (before
# clipping to the data), so a request no earlier than that is answered from the file.
FROM_KEY = "cscperf.reported_from"


def stored_covers(target: Path, earliest: date | None) -> bool:
    """The stored results answer a request for months from ``earliest`` (None: the default
    window): they start no later, or they were asked to start no later (the data begin after
    that month)."""
    if earliest is None:
        return True
    earliest = month_end_of(earliest)
    asked = pl.read_parquet_metadata(target).get(FROM_KEY)
    if asked is not None and date.fromisoformat(asked) <= earliest:
        return True
    first = pl.scan_parquet(target).select(pl.col("period_end").min()).collect().item()
    return first is not None and first <= earliest


def stored_results(build: Build, earliest: date | None = None) -> pl.DataFrame | None:
    """The build's stored results when they answer a request for months from ``earliest``
    (None: the default window); None when they are absent or start too late (then
    :func:`cscperf.indicators.results.results_for` computes them)."""
    target = build.results_dir / RESULTS_FILE
    if target.is_file() and stored_covers(target, earliest):
        return pl.read_parquet(target)
    return None
