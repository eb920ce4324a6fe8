"""Shared helpers for the indicator tests: compute a few ids over hand-built rows (reading only
the catalogue files of the areas named, so other areas' work in progress cannot break them),
read single values back, and the rows most tests build the same way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl

from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.engine import compute
from cscperf.indicators.testing import build_from_rows
from cscperf.settings import Settings

FRONT_DOOR_AREAS = ("early_help", "contacts", "referrals", "assessments", "s47", "cin")

SETTINGS = Settings.model_validate(
    {
        "council": {
            "name": "Testshire County Council",
            "short_name": "Testshire",
            "la_code": "999",
            "ons_code": "E10000999",
            "region": "East of England",
        },
        "localities": [
            {
                "name": "North",
                "teams": [
                    {"id": "T1", "name": "North 1", "type": "assessment"},
                    {"id": "T2", "name": "North 2", "type": "safeguarding"},
                ],
            },
            {"name": "South", "teams": [{"id": "T3", "name": "South 1", "type": "assessment"}]},
        ],
    }
)


def run(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    ids: Sequence[str],
    first: date,
    last: date,
    *,
    settings: Settings | None = SETTINGS,
    not_supplied: Mapping[str, str] | None = None,
    con: Any = None,
    areas: Sequence[str] = FRONT_DOOR_AREAS,
) -> pl.DataFrame:
    build = build_from_rows(tables, not_supplied=not_supplied, con=con)
    catalogue = load_catalogue(areas=list(areas))
    return compute(build, first, last, settings=settings, ids=list(ids), catalogue=catalogue)


def care_episode(person: str, start: str, end: str | None = None) -> dict[str, Any]:
    """One looked-after episode of ``person``, its episode and care ids the person's id."""
    return {
        "clae_cla_episode_id": person,
        "clae_person_id": person,
        "clae_cla_id": person,
        "clae_cla_episode_start_date": start,
        "clae_cla_episode_ceased_date": end,
    }


def row(
    results: pl.DataFrame,
    indicator_id: str,
    period_end: date,
    breakdown: str = "all",
    value: str = "all",
) -> dict[str, Any]:
    found = results.filter(
        (pl.col("indicator_id") == indicator_id)
        & (pl.col("period_end") == period_end)
        & (pl.col("breakdown") == breakdown)
        & (pl.col("breakdown_value") == value)
    )
    assert found.height == 1, (
        f"expected one row for {indicator_id} {period_end} {breakdown}={value}"
    )
    return found.row(0, named=True)
