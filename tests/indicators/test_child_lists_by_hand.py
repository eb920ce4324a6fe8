"""The children behind a figure on hand-built rows: who is listed, with which dates and how
many days overdue, worked out from the catalogue definitions in the comments beside them; the
edges (a deadline met on its very day, bank holidays, ADD_MONTHS at a month's end) leave a
child off the list. Each list is also checked against the figure's own count."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from tests.indicators.care_helpers import run
from tests.indicators.helpers import SETTINGS, row
from tests.indicators.helpers import run as run_areas
from tests.indicators.test_cp import involvement, plan, review, visit
from tests.indicators.test_lac import episode
from tests.indicators.test_lac_health_education import COHORT, IHA, PEP_TABLES

from cscperf.indicators.children import child_lists, children_in
from cscperf.indicators.testing import build_from_rows

Tables = Mapping[str, Sequence[Mapping[str, Any]]]


def listed(
    tables: Tables, ident: str, month: date, localities: frozenset[str] | None = None
) -> list[dict[str, Any]]:
    found = children_in(build_from_rows(tables), SETTINGS, ident, month, localities)
    assert found.reason is None, found.reason
    return found.rows.to_dicts()


def counted(tables: Tables, ident: str, month: date) -> int:
    """How many children the figure's numerator counts (or, for a within-timescale figure,
    its denominator less its numerator)."""
    area = ident.split(".")[0]
    if area == "lac_health":
        results = run_areas(tables, [ident], month, month, areas=["lac_health_education", "lac"])
    else:
        results = run(tables, [ident], month, month)
    got = row(results, ident, month)
    numerator, denominator = got["numerator"] or 0, got["denominator"] or 0
    passing = child_lists()[ident].act_on_passing
    return int(numerator if passing else denominator - numerator)


def check(tables: Tables, ident: str, month: date, expected: list[dict[str, Any]]) -> None:
    got = listed(tables, ident, month)
    shown = [{k: r[k] for k in expected[0]} for r in got] if expected else got
    assert shown == expected, (ident, month)
    assert len(got) == counted(tables, ident, month), (ident, month)


# ------------------------------------------------------------------ child protection

CP_REVIEWS: Tables = {
    "ssd_cp_plans": [
        # K: plan from 15 Jan 2024; first review due 15 Apr, held 15 Apr (on the due day:
        # not listed); second due 15 Oct, held 16 Oct: a day late.
        plan("K", "K1", "2024-01-15"),
        # L: joined plan from 30 Nov 2023; first review due ADD_MONTHS(30 Nov, 3) = 29 Feb
        # 2024 (clamped), held 1 Mar: a day late.
        plan("L", "L1", "2023-11-30", "2024-01-10"),
        plan("L", "L2", "2024-01-10"),
    ],
    "ssd_cp_reviews": [
        review("K", "K1", "2024-04-15", "R1"),
        review("K", "K1", "2024-10-16", "R2"),
        review("L", "L2", "2024-03-01", "R3"),
    ],
    "ssd_involvements": [involvement("K", "T1"), involvement("L", "T3")],
}


def test_cp_reviews_held_late() -> None:
    ident = "cp.reviews_in_timescale_pct"
    check(
        CP_REVIEWS,
        ident,
        date(2024, 3, 31),
        [
            {
                "person_id": "L",
                "locality": "South",
                "team": "T3",
                "cpp_start": date(2023, 11, 30),
                "due_date": date(2024, 2, 29),
                "review_date": date(2024, 3, 1),
                "days_overdue": 1,
            }
        ],
    )
    check(CP_REVIEWS, ident, date(2024, 4, 30), [])  # K held on the due day
    check(
        CP_REVIEWS,
        ident,
        date(2024, 10, 31),
        [
            {
                "person_id": "K",
                "locality": "North",
                "due_date": date(2024, 10, 15),
                "days_overdue": 1,
            }
        ],
    )
    # scoped to North, March's list (L is South's) is empty
    assert listed(CP_REVIEWS, ident, date(2024, 3, 31), frozenset({"North"})) == []


def test_cp_visits_overdue_counts_working_days_past_bank_holidays() -> None:
    tables: Tables = {
        "ssd_cp_plans": [plan(p, f"P{p}", "2024-05-01") for p in ("V1", "V2", "V3")]
        + [plan("V4", "PV4", "2024-05-20")],  # 8 working days old at 31 May: not due
        "ssd_cp_visits": [
            # V1: 16 May -> 31 May is exactly 10 working days (27 May a bank holiday): in time
            visit("V1", "2024-05-16", "Y", "X1"),
            # V2: 15 May: 11 working days, one over
            visit("V2", "2024-05-15", "Y", "X2"),
            # V3: not seen on 16 May; last seen 10 May: 14 working days, four over
            visit("V3", "2024-05-16", "N", "X3"),
            visit("V3", "2024-05-10", "Y", "X4"),
            visit("V4", "2024-05-21", "Y", "X5"),
        ],
    }
    check(
        tables,
        "cp.visits_in_timescale_pct",
        date(2024, 5, 31),
        [
            {"person_id": "V3", "last_seen": date(2024, 5, 10), "days_overdue": 4},
            {"person_id": "V2", "last_seen": date(2024, 5, 15), "days_overdue": 1},
        ],
    )


CP_PLANS: Tables = {
    "ssd_cp_plans": [
        # D: from 1 Mar 2022: 18 months on 1 Sep 2023, 152 days before 31 Jan 2024.
        plan("D", "D1", "2022-03-01", "2024-04-10"),
        # E: from 10 Apr 2022: 18 months on 10 Oct 2023, 113 days before 31 Jan.
        plan("E", "E1", "2022-04-10", "2024-04-07"),
        # I: from 31 Jul 2022: 18 months on 31 Jan 2024, the month end itself: not yet.
        plan("I", "I1", "2022-07-31"),
        # A: from 10 Jan 2023: not 18 months.
        plan("A", "A1", "2023-01-10"),
    ]
}


def test_plans_open_over_18_months_most_overdue_first() -> None:
    ident = "cp.open_over_18m_count"
    check(
        CP_PLANS,
        ident,
        date(2024, 1, 31),
        [
            {"person_id": "D", "months_18": date(2023, 9, 1), "days_overdue": 152},
            {"person_id": "E", "months_18": date(2023, 10, 10), "days_overdue": 113},
        ],
    )
    # Feb: I is over 18 months too, by 29 days (2024 is a leap year)
    got = listed(CP_PLANS, ident, date(2024, 2, 29))
    assert [(r["person_id"], r["days_overdue"]) for r in got] == [
        ("D", 181),
        ("E", 142),
        ("I", 29),
    ]


# ------------------------------------------------------------------ looked after


def lac_review(rid: str, person: str, when: str, cancelled: str | None = None) -> dict[str, Any]:
    return {
        "clar_cla_review_id": rid,
        "clar_cla_id": f"CLA-{person}",
        "clar_cla_review_date": when,
        "clar_cla_review_cancelled": cancelled,
    }


LAC_REVIEWS: Tables = {
    "ssd_cla_episodes": [
        # H: in care from Sat 20 Jan 2024: first review due ADD_WD(20 Jan, 20) = 16 Feb.
        episode("H1", "H", "2024-01-20"),
        # J: from Wed 20 Mar 2024: due 19 Apr (Good Friday and Easter Monday skipped).
        episode("J1", "J", "2024-03-20"),
    ],
    "ssd_cla_reviews": [
        lac_review("R2", "H", "2024-02-19"),  # three days late
        lac_review("R3", "J", "2024-04-19"),  # on the due day, past Easter: not listed
    ],
}


def test_lac_reviews_held_late_with_easter_in_the_working_days() -> None:
    ident = "lac.reviews_in_timescale_pct"
    check(
        LAC_REVIEWS,
        ident,
        date(2024, 2, 29),
        [
            {
                "person_id": "H",
                "locality": "unallocated",
                "poc_start": date(2024, 1, 20),
                "due_date": date(2024, 2, 16),
                "review_date": date(2024, 2, 19),
                "days_overdue": 3,
            }
        ],
    )
    check(LAC_REVIEWS, ident, date(2024, 4, 30), [])


def test_care_plans_older_than_six_months() -> None:
    def care_plan(tid: str, person: str, start: str, end: str | None = None) -> dict[str, Any]:
        return {
            "lacp_table_id": tid,
            "lacp_person_id": person,
            "lacp_cla_care_plan_start_date": start,
            "lacp_cla_care_plan_end_date": end,
        }

    tables: Tables = {
        "ssd_cla_episodes": [episode(f"{p}1", p, "2023-01-01") for p in "MNP"],
        "ssd_cla_care_plan": [
            # M: from 30 Nov 2023 = ADD_MONTHS(31 May 2024, -6): just in date, not listed
            care_plan("1", "M", "2023-11-30"),
            # N: the open plan is of 29 Nov 2023: one day too old
            care_plan("2", "N", "2023-01-01", "2023-11-29"),
            care_plan("3", "N", "2023-11-29"),
            # P: no plan at all: listed, no date to be overdue from (after those with one)
        ],
    }
    check(
        tables,
        "lac.care_plan_up_to_date_pct",
        date(2024, 5, 31),
        [
            {"person_id": "N", "plan_start": date(2023, 11, 29), "days_overdue": 1},
            {"person_id": "P", "plan_start": None, "days_overdue": None},
        ],
    )


# ------------------------------------------------------------------ health and education


def test_initial_health_assessments_late_past_new_years_day() -> None:
    # Care from Tue 2 Jan 2024 (1 Jan a bank holiday): the 20th working day is Tue 30 Jan.
    # A's assessment on 30 Jan, the day itself, is in time: not listed. B's (31 Jan) is late;
    # D left care on day 20 with none; E's was before care; G refused: all due 30 Jan, a day
    # before the month's end. (C left before day 20; F's day 20 is in February.)
    due = {"poc_start": date(2024, 1, 2), "day20": date(2024, 1, 30), "days_overdue": 1}
    got = listed(IHA, "lac_health.iha_within_20wd_pct", date(2024, 1, 31))
    assert [r["person_id"] for r in got] == ["B", "D", "E", "G"]
    assert all({k: r[k] for k in due} == due for r in got)
    assert [r["locality"] for r in got] == ["South", "unallocated", "unallocated", "unallocated"]
    assert len(got) == counted(IHA, "lac_health.iha_within_20wd_pct", date(2024, 1, 31))


def test_health_assessments_and_dental_checks_overdue() -> None:
    month = date(2024, 3, 31)
    health = listed(COHORT, "lac_health.health_assessment_up_to_date_pct", month)
    # P2 (aged 3) has one of the two due; P5's only assessment is outside the 12 months
    assert sorted(r["person_id"] for r in health) == ["P2", "P5"]
    by_child = {r["person_id"]: r for r in health}
    assert (by_child["P2"]["checks"], by_child["P2"]["checks_due"]) == (1, 2)
    assert by_child["P5"]["checks"] == 0 and by_child["P5"]["checks_due"] == 1
    assert len(health) == counted(COHORT, "lac_health.health_assessment_up_to_date_pct", month)
    dental = listed(COHORT, "lac_health.dental_check_up_to_date_pct", month)
    # P1's check on 31 Mar 2024, the window's last day, counts; P2's was declined; P3 none
    assert sorted(r["person_id"] for r in dental) == ["P2", "P3"]
    assert len(dental) == counted(COHORT, "lac_health.dental_check_up_to_date_pct", month)


def test_personal_education_plans_missing_this_term() -> None:
    ident = "lac_health.pep_up_to_date_pct"
    # January: spring term from 1 Jan; Q3's PEP on its first day counts. Q5's is the
    # autumn term's (and the January one a draft): listed, 30 days into the term.
    check(
        PEP_TABLES,
        ident,
        date(2024, 1, 31),
        [{"person_id": "Q5", "term_start": date(2024, 1, 1), "days_overdue": 30}],
    )
    # December: autumn term from 1 Sep; only Q5 had one, so Q1 and Q3, 121 days in
    got = listed(PEP_TABLES, ident, date(2023, 12, 31))
    assert [(r["person_id"], r["days_overdue"]) for r in got] == [("Q1", 121), ("Q3", 121)]


def test_looked_after_children_not_visited_in_time() -> None:
    def placement(pid: str, person: str, start: str, ptype: str, end: str | None = None):
        return {
            "clap_cla_placement_id": pid,
            "clap_person_id": person,
            "clap_cla_id": f"CLA-{person}",
            "clap_cla_placement_start_date": start,
            "clap_cla_placement_end_date": end,
            "clap_cla_placement_type": ptype,
        }

    def seen(vid: str, person: str, when: str, was_seen: str = "Y") -> dict[str, Any]:
        return {
            "clav_cla_visit_id": vid,
            "clav_person_id": person,
            "clav_cla_visit_date": when,
            "clav_cla_visit_seen": was_seen,
        }

    tables: Tables = {
        "ssd_cla_episodes": [episode(f"{p}1", p, "2022-01-01") for p in "QRSU"],
        "ssd_cla_placement": [
            placement("PQ", "Q", "2024-01-01", "U6"),
            placement("PR", "R", "2024-01-01", "U6"),
            placement("PS", "S", "2023-05-01", "U4"),
            placement("PU0", "U", "2023-01-01", "K2", "2024-05-10"),
            placement("PU", "U", "2024-05-10", "U6"),
        ],
        "ssd_cla_visits": [
            # Q: seen 19 Apr, 42 days before 31 May: the last day in time, not listed
            seen("V1", "Q", "2024-04-19"),
            # R: seen 18 Apr: a day past 42 days (the visit of 30 May did not see the child)
            seen("V2", "R", "2024-04-18"),
            seen("V3", "R", "2024-05-30", "N"),
            # S: long-term foster placement for 12 months, seen 29 Feb = ADD_MONTHS(E, -3): in
            seen("V4", "S", "2024-02-29"),
            # U: placed 10 May, never seen since: 21 days in, 14 past the first visit's 7 days
            seen("V5", "U", "2024-05-09"),
        ],
    }
    check(
        tables,
        "lac.visits_in_timescale_pct",
        date(2024, 5, 31),
        [
            {
                "person_id": "U",
                "chain_start": date(2024, 5, 10),
                "last_seen": None,
                "days_overdue": 14,
            },
            {
                "person_id": "R",
                "chain_start": date(2024, 1, 1),
                "last_seen": date(2024, 4, 18),
                "days_overdue": 1,
            },
        ],
    )
