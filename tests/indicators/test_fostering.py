"""Fostering indicators on a hand-built imported register of foster carer households
(expected values worked out from the catalogue definitions beside them)."""

from __future__ import annotations

from datetime import date
from functools import partial

import polars as pl
from tests.indicators.helpers import row
from tests.indicators.helpers import run as run_areas

from cscperf.indicators.imported import FOSTER_REGISTER_SCHEMA

run = partial(run_areas, areas=["fostering"])


def register_frame(rows: list[tuple[str, str, str, str | None, str | None, str | None]]):
    return pl.DataFrame(
        {
            "household_id": [r[0] for r in rows],
            "carer_type": [r[1] for r in rows],
            "approval_date": [date.fromisoformat(r[2]) for r in rows],
            "deregistration_date": [date.fromisoformat(r[3]) if r[3] else None for r in rows],
            "carer_type_at_end": [r[4] for r in rows],
            "full_approval_date": [date.fromisoformat(r[5]) if r[5] else None for r in rows],
        },
        schema=FOSTER_REGISTER_SCHEMA,
    )


def test_fostering():
    reg = register_frame(
        [
            ("H1", "mainstream", "2023-06-01", None, "mainstream", "2023-06-01"),
            # temporary reg 24 kinship approval that became full in Feb 2024, type then mainstream
            ("H2", "kinship", "2023-11-01", None, "mainstream", "2024-02-01"),
            ("H3", "short breaks", "2022-01-01", "2024-03-31", "short breaks", "2022-01-01"),
            ("H4", "kinship", "2022-01-01", "2023-03-31", "kinship", None),  # before R12
        ]
    )
    ids = [
        "fostering.households_approved_rolling_12m_count",
        "fostering.households_ceased_rolling_12m_count",
        "fostering.approved_households_count",
    ]
    e = date(2024, 3, 31)
    res = run({"imported_foster_register": reg}, ids, date(2024, 1, 31), e)
    assert row(res, ids[0], e)["value"] == 2  # H1, H2 approved in Apr 2023 - Mar 2024
    assert row(res, ids[0], e, "carer_type", "kinship")["value"] == 1
    assert row(res, ids[1], e)["value"] == 1  # H3 deregistered on 31 Mar 2024
    assert row(res, ids[2], e)["value"] == 2  # H3 deregistered on E: not approved at E
    assert row(res, ids[2], date(2024, 1, 31), "carer_type", "kinship")["value"] == 1
    assert row(res, ids[2], e, "carer_type", "task_centred")["value"] == 2


def test_fostering_not_available_without_register():
    res = run(
        {"ssd_person": [{"pers_person_id": "a", "pers_dob": "2010-01-01"}]},
        ["fostering.approved_households_count"],
        date(2024, 3, 31),
        date(2024, 3, 31),
    )
    r = row(res, "fostering.approved_households_count", date(2024, 3, 31))
    assert r["value"] is None and "imported_foster_register" in r["reason"]
