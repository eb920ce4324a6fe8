"""Participation of looked-after children in their reviews, on a hand-built cohort
(expected values worked out from the catalogue definitions beside them)."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from tests.indicators.helpers import care_episode, row
from tests.indicators.helpers import run as run_areas

run = partial(run_areas, areas=["participation", "lac"])


def review(i: str, child: str, when: str, code: str | None) -> dict[str, Any]:
    return {
        "clar_cla_review_id": i,
        "clar_cla_id": child,
        "clar_cla_review_date": when,
        "clar_cla_review_participation": code,
    }


TABLES = {
    "ssd_person": [
        {"pers_person_id": "A", "pers_dob": "2010-01-01"},
        {"pers_person_id": "B", "pers_dob": "2006-04-01"},
        {"pers_person_id": "C", "pers_dob": "2014-04-01"},
        {"pers_person_id": "D", "pers_dob": "2010-01-01"},  # in care, no review
    ],
    "ssd_cla_episodes": [
        care_episode("A", "2020-01-01", None),
        care_episode("B", "2023-03-31", None),
        care_episode("C", "2020-01-01", None),
        care_episode("D", "2023-04-01", None),
    ],
    "ssd_cla_reviews": [
        review("R1", "A", "2024-03-05", "PN5"),  # participated only
        review("R2", "A", "2024-03-20", "PN0"),  # under four: out
        review("R3", "B", "2024-03-10", "PN1"),  # attended
        review("R4", "C", "2024-03-11", None),
    ],  # blank: in, not attended
}
E = date(2024, 3, 31)


def test_review_participation():
    ids = ["participation.lac_review_attended_pct", "participation.lac_review_participated_pct"]
    res = run(TABLES, ids, E, E)
    # Reviews R1, R3, R4 (R2 is PN0). Attended: R3. Participated: R1, R3.
    r = row(res, ids[0], E)
    assert (r["numerator"], r["denominator"]) == (1, 3)
    r = row(res, ids[1], E)
    assert (r["numerator"], r["denominator"]) == (2, 3)
