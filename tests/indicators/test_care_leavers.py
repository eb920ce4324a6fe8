"""Care leavers, participation and youth justice indicators on hand-built rows
(expected values worked out from the catalogue definitions beside them)."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from tests.indicators.helpers import SETTINGS, row

from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.engine import compute
from cscperf.indicators.testing import build_from_rows
from cscperf.sources.canonical import table_spec


def typed(name: str, rows: Any) -> pl.DataFrame:
    if isinstance(rows, pl.DataFrame):
        return rows
    schema = table_spec(name).polars_schema()
    data = {c: [r.get(c) for r in rows] for c in schema}
    for c, t in schema.items():
        if t == pl.Date:
            data[c] = [date.fromisoformat(v) if isinstance(v, str) else v for v in data[c]]
    return pl.DataFrame(data, schema=schema)


def run(tables: dict[str, Any], ids: list[str], first: date, last: date) -> pl.DataFrame:
    build = build_from_rows({n: typed(n, r) for n, r in tables.items()})
    catalogue = load_catalogue(
        areas=["care_leavers", "participation", "youth_justice", "looked_after"]
    )
    return compute(build, first, last, settings=SETTINGS, ids=ids, catalogue=catalogue)


def leaver(
    p: str,
    activity: str | None,
    in_touch: str = "YES",
    elig: str = "Former Relevant",
    suitable: str | None = "1",
    accom: str | None = "B",
) -> dict[str, Any]:
    return {
        "clea_table_id": p,
        "clea_person_id": p,
        "clea_care_leaver_eligibility": elig,
        "clea_care_leaver_in_touch": in_touch,
        "clea_care_leaver_activity": activity,
        "clea_care_leaver_accom_suitable": suitable,
        "clea_care_leaver_accommodation": accom,
    }


def ep(p: str, start: str, end: str | None) -> dict[str, Any]:
    return {
        "clae_cla_episode_id": p,
        "clae_person_id": p,
        "clae_cla_id": p,
        "clae_cla_episode_start_date": start,
        "clae_cla_episode_ceased_date": end,
    }


# E = 31 Mar 2021 (R12 1 Apr 2020 - 31 Mar 2021, before the 2021-22 code change) and
# E = 31 Mar 2022 (after it).
LEAVERS = {
    "ssd_person": [
        {"pers_person_id": "L1", "pers_dob": "2001-02-28"},  # 20 on 28 Feb 2021 / 2022
        {"pers_person_id": "L2", "pers_dob": "2000-02-29"},  # 21 on 1 Mar 2021, 22 in 2022
        {"pers_person_id": "L3", "pers_dob": "2001-06-01"},  # in touch DIED: out
        {"pers_person_id": "L4", "pers_dob": "2001-06-01"},  # short breaks only: out
        {"pers_person_id": "L5", "pers_dob": "2001-06-01"},  # not in touch: stays in, not EET
    ],
    "ssd_care_leavers": [
        leaver("L1", "F3"),
        leaver("L2", "P1"),
        leaver("L3", "F1", in_touch="DIED"),
        leaver("L4", "F1"),
        leaver("L5", None, in_touch="NO", suitable=None),
    ],
    "ssd_cla_episodes": [
        ep("L1", "2015-01-01", "2019-02-28"),
        ep("L2", "2015-01-01", "2018-03-01"),
        ep("L3", "2015-01-01", "2019-06-01"),
        ep("L4", "2015-01-01", "2015-01-03"),
        ep("L5", "2015-01-01", "2019-06-01"),
    ],
    "ssd_legal_status": [
        {
            "lega_legal_status_id": "S4",
            "lega_person_id": "L4",
            "lega_legal_status": "V3",
            "lega_legal_status_start_date": "2014-01-01",
        },
    ],
}


def test_birthday_cohorts_eet_change_leap_day_and_exclusions():
    ids = [
        "care_leavers.eet_19_21_pct",
        "care_leavers.in_touch_19_21_pct",
        "care_leavers.suitable_accommodation_19_21_pct",
    ]
    res = run(LEAVERS, ids, date(2021, 3, 31), date(2022, 3, 31))
    e21, e22 = date(2021, 3, 31), date(2022, 3, 31)
    # 2020-21: L1 (20th birthday, F3 still EET), L2 (21st on 1 Mar 2021), L5; L3 DIED, L4 SB.
    r = row(res, "care_leavers.eet_19_21_pct", e21)
    assert (r["numerator"], r["denominator"]) == (2, 3)
    # 2021-22: L1 (21, F3 no longer EET) and L5; L2 is 22.
    r = row(res, "care_leavers.eet_19_21_pct", e22)
    assert (r["numerator"], r["denominator"]) == (0, 2)
    r = row(res, "care_leavers.in_touch_19_21_pct", e21)
    assert (r["numerator"], r["denominator"]) == (2, 3)
    r = row(res, "care_leavers.suitable_accommodation_19_21_pct", e21)
    assert (r["numerator"], r["denominator"]) == (2, 3)  # L5 blank: no information


def test_current_status_count():
    res = run(LEAVERS, ["care_leavers.count"], date(2021, 3, 31), date(2021, 3, 31))
    # Aged 16-21 at 31 Mar 2021: L1 (20), L2 (21), L5 (19); L3 DIED, L4 short breaks only.
    assert row(res, "care_leavers.count", date(2021, 3, 31))["value"] == 3
