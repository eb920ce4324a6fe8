"""Runs the care areas' indicators (cp, lac, placements, adoption) over hand-built rows,
reading only those areas' catalogue files so other areas' work in progress cannot break them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl
from tests.indicators.helpers import SETTINGS

from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.engine import compute
from cscperf.indicators.testing import build_from_rows

CARE_AREAS = ["cp", "lac", "placements", "adoption"]


def run(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    ids: Sequence[str],
    first: date,
    last: date,
    *,
    con: Any = None,
) -> pl.DataFrame:
    build = build_from_rows(tables, con=con)
    catalogue = load_catalogue(areas=CARE_AREAS)
    return compute(build, first, last, settings=SETTINGS, ids=list(ids), catalogue=catalogue)
