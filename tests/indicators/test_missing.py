"""Missing-from-care indicators on hand-built episodes and incidents (expected values worked
out from the catalogue definitions beside them)."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from tests.indicators.helpers import care_episode, row
from tests.indicators.helpers import run as run_areas

run = partial(run_areas, areas=["missing", "lac"])


def incident(
    i: str, p: str, start: str, end: str | None, kind: str = "M", rhi: str | None = None
) -> dict[str, Any]:
    return {
        "miss_table_id": i,
        "miss_person_id": p,
        "miss_missing_episode_start_date": start,
        "miss_missing_episode_end_date": end,
        "miss_missing_episode_type": kind,
        "miss_missing_rhi_offered": rhi,
    }


TABLES = {
    "ssd_cla_episodes": [
        care_episode("A", "2023-01-01"),
        care_episode("B", "2023-01-01"),
        care_episode("C", "2024-01-15"),  # incident before care began: ignored
        care_episode("D", "2022-01-01", "2023-05-01"),  # left care during R12: in the denominator
    ],
    "ssd_missing": [
        # A: runs over the January month end; counted in January, its RHI in February.
        incident("1", "A", "2024-01-30", "2024-02-02", rhi="Y"),
        incident("2", "A", "2024-01-30", "2024-02-02", rhi="Y"),  # duplicate row
        incident("3", "B", "2024-02-10", "2024-02-11", kind="A"),  # away
        incident("4", "C", "2024-01-05", "2024-01-06"),  # before care
        incident("5", "B", "2024-02-12", "2024-02-20", rhi="NA"),  # not applicable
        incident("6", "A", "2024-02-14", "2024-02-15", rhi=None),  # blank: not offered
    ],
}


def test_missing_measures():
    ids = [
        "missing.children_missing_rolling_12m_pct",
        "missing.children_away_rolling_12m_pct",
        "missing.incidents_count",
        "missing.rhi_offered_pct",
    ]
    res = run(TABLES, ids, date(2024, 1, 31), date(2024, 2, 29))
    # R12 to Feb 2024: A, B, C, D looked after during the year; A and B had missing incidents.
    r = row(res, "missing.children_missing_rolling_12m_pct", date(2024, 2, 29))
    assert (r["numerator"], r["denominator"]) == (2, 4)
    r = row(res, "missing.children_away_rolling_12m_pct", date(2024, 2, 29))
    assert (r["numerator"], r["denominator"]) == (1, 4)
    # Jan: only A's incident (duplicate row once; C's was before care). Feb: B's 12th, A's 14th.
    assert row(res, "missing.incidents_count", date(2024, 1, 31))["numerator"] == 1
    assert row(res, "missing.incidents_count", date(2024, 2, 29))["numerator"] == 2
    # Ended in Feb: A (2 Feb, offered) and A (15 Feb, blank); B's NA is left out.
    r = row(res, "missing.rhi_offered_pct", date(2024, 2, 29))
    assert (r["numerator"], r["denominator"]) == (1, 2)
    assert row(res, "missing.rhi_offered_pct", date(2024, 1, 31))["denominator"] == 0
