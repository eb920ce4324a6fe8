"""Youth justice indicators on a hand-built cohort of looked-after children
(expected values worked out from the catalogue definitions beside them)."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from tests.indicators.helpers import care_episode, row
from tests.indicators.helpers import run as run_areas

run = partial(run_areas, areas=["youth_justice", "lac"])


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
        care_episode("A", "2020-01-01", None),
        care_episode("B", "2023-03-31", None),
        care_episode("C", "2020-01-01", None),
        care_episode("D", "2023-04-01", None),
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
