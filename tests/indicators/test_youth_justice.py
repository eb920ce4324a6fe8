"""Youth justice indicators on a hand-built cohort of looked-after children
(expected values worked out from the catalogue definitions beside them)."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from tests.indicators.helpers import SETTINGS, row

from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.engine import compute
from cscperf.indicators.testing import build_from_rows


def run(tables: dict[str, Any], ids: list[str], first: date, last: date) -> pl.DataFrame:
    build = build_from_rows(tables)
    catalogue = load_catalogue(areas=["youth_justice", "lac"])
    return compute(build, first, last, settings=SETTINGS, ids=ids, catalogue=catalogue)


def ep(p: str, start: str, end: str | None) -> dict[str, Any]:
    return {
        "clae_cla_episode_id": p,
        "clae_person_id": p,
        "clae_cla_id": p,
        "clae_cla_episode_start_date": start,
        "clae_cla_episode_ceased_date": end,
    }


def conviction(i: str, child: str, when: str) -> dict[str, Any]:
    return {
        "clac_cla_conviction_id": i,
        "clac_person_id": child,
        "clac_cla_conviction_date": when,
    }


TABLES = {
    "ssd_person": [
        {"pers_person_id": "A", "pers_dob": "2010-01-01"},  # 14 at E
        {"pers_person_id": "B", "pers_dob": "2006-04-01"},  # 17 at E, 18 next day
        {"pers_person_id": "C", "pers_dob": "2014-04-01"},  # 9 at E: too young
        {"pers_person_id": "D", "pers_dob": "2010-01-01"},  # in care < 12 months
    ],
    "ssd_cla_episodes": [
        ep("A", "2020-01-01", None),
        ep("B", "2023-03-31", None),
        ep("C", "2020-01-01", None),
        ep("D", "2023-04-01", None),
    ],
    "ssd_cla_convictions": [
        conviction("C1", "A", "2023-04-01"),  # first day of R12
        conviction("C2", "B", "2023-03-31"),  # day before R12
        conviction("C3", "D", "2023-06-01"),
    ],
}
E = date(2024, 3, 31)


def test_lac_convicted():
    res = run(TABLES, ["yj.lac_convicted_pct"], E, E)
    # Cohort aged 10-17 in care 12 months or more: A (14), B (17, in care exactly 12 months).
    # C is 9, D under 12 months. A's conviction is on the first day of R12; B's the day before.
    r = row(res, "yj.lac_convicted_pct", E)
    assert (r["numerator"], r["denominator"]) == (1, 2)
