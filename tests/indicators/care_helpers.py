"""Runs the care areas' indicators (cp, lac, placements, adoption) over hand-built rows,
reading only those areas' catalogue files so other areas' work in progress cannot break them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl
from tests.indicators import helpers

CARE_AREAS = ["cp", "lac", "placements", "adoption"]


def run(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    ids: Sequence[str],
    first: date,
    last: date,
    *,
    con: Any = None,
) -> pl.DataFrame:
    return helpers.run(tables, ids, first, last, con=con, areas=CARE_AREAS)
