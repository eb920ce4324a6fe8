"""Caseloads indicators on hand-built workers and involvements
(expected values worked out from the catalogue definitions beside them)."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

import polars as pl
from tests.indicators.helpers import row
from tests.indicators.helpers import run as run_areas

from cscperf.indicators.catalogue import load_catalogue

run = partial(run_areas, areas=["caseloads"])


def invo(worker: str, person: str, team: str, end: str | None = None) -> dict[str, Any]:
    return {
        "invo_professional_id": worker,
        "invo_person_id": person,
        "invo_professional_team": team,
        "invo_involvement_start_date": "2024-01-01",
        "invo_involvement_end_date": end,
    }


def prof(worker: str, reg: str | None, title: str | None, fte: float | None) -> dict[str, Any]:
    return {
        "prof_professional_id": worker,
        "prof_social_worker_registration_no": reg,
        "prof_professional_job_title": title,
        "prof_full_time_equivalency": fte,
    }


CASES = {
    "ssd_involvements": [
        # W1 (registered): 3 cases, two in T2 and one in T1 -> team T2.
        invo("W1", "a", "T2"),
        invo("W1", "b", "T2"),
        invo("W1", "c", "T1"),
        invo("W1", "c", "T1"),  # same child twice: one case
        # W2 (qualified by title): 2 cases, one in T1 and one in T3 -> tie: lowest id T1.
        invo("W2", "d", "T1"),
        invo("W2", "e", "T3"),
        # W3 unqualified: left out. W4: case ended on E -> no case at E.
        invo("W3", "f", "T3"),
        invo("W4", "g", "T3", end="2024-03-31"),
    ],
    "ssd_professionals": [
        prof("W1", " sw123 ", None, 0.5),
        prof("W2", None, "Senior Social Worker", 0.0),
        prof("W3", None, "Family Support Worker", 1.0),
        prof("W4", "SW9", None, 1.0),
    ],
}


def test_caseloads():
    ids = [
        "caseloads.qualified_sw_caseload_avg",
        "caseloads.qualified_sw_caseload_max",
        "caseloads.cases_per_case_holder_fte_ratio",
    ]
    e = date(2024, 3, 31)
    res = run(CASES, ids, e, e)
    avg = row(res, "caseloads.qualified_sw_caseload_avg", e)
    assert (avg["numerator"], avg["denominator"], avg["value"]) == (5, 2, 2.5)
    assert row(res, "caseloads.qualified_sw_caseload_avg", e, "team", "T1")["numerator"] == 2
    assert row(res, "caseloads.qualified_sw_caseload_avg", e, "team", "T2")["numerator"] == 3
    mx = row(res, "caseloads.qualified_sw_caseload_max", e)
    assert (mx["value"], mx["denominator"]) == (3, 2)
    # The all row is the largest of the breakdown rows (North holds W1 and W2: still 3).
    assert row(res, "caseloads.qualified_sw_caseload_max", e, "locality", "North")["value"] == 3
    assert (
        row(res, "caseloads.qualified_sw_caseload_max", e, "team_type", "assessment")["value"] == 2
    )
    # FTE: W2 has FTE 0 and is left out; W1 3 cases / 0.5 FTE.
    fte = row(res, "caseloads.cases_per_case_holder_fte_ratio", e)
    assert (fte["numerator"], fte["denominator"], fte["value"]) == (3, 0.5, 6.0)


def test_fractional_sums_give_the_same_ratio_whatever_order_they_were_added_in():
    from cscperf.indicators.rollup import finish

    definition = load_catalogue().get("caseloads.cases_per_case_holder_fte_ratio")
    # 0.1 + 0.2 and 0.2 + 0.1 + 0.0 differ from 0.3 in the last bit as floats.
    frame = pl.DataFrame(
        {"num": [30.0, 30.0, 30.0], "den": [0.1 + 0.2, 0.3, 0.30000000000000004], "n": [2.0] * 3}
    )
    finished = finish(definition, frame)
    assert finished.get_column("denominator").n_unique() == 1
    assert finished.get_column("value").to_list() == [100.0, 100.0, 100.0]
