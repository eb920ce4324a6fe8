"""Child protection indicators on hand-built plans, reviews, visits and conferences.

Expected values are worked out from the catalogue definitions in the comments beside them.
"""

from __future__ import annotations

from datetime import date

import pytest
from tests.indicators.care_helpers import run
from tests.indicators.helpers import row

from cscperf.indicators.testing import population_rows


def plan(person: str, plan_id: str, start: str, end: str | None = None, ola: str | None = None):
    return {
        "cppl_cp_plan_id": plan_id,
        "cppl_person_id": person,
        "cppl_cp_plan_start_date": start,
        "cppl_cp_plan_end_date": end,
        "cppl_cp_plan_ola": ola,
    }


def involvement(person: str, team: str, start: str = "2015-01-01"):
    return {
        "invo_involvements_id": f"I-{person}",
        "invo_person_id": person,
        "invo_professional_team": team,
        "invo_involvement_start_date": start,
    }


# ------------------------------------------------------------------ counts of open plans

PLANS = [
    # A: two plans abutting on 15 Feb 2024: one continuous plan from 10 Jan 2023, still open.
    plan("A", "A1", "2023-01-10", "2024-02-15"),
    plan("A", "A2", "2024-02-15"),
    # B: starts 5 Mar, ends on 31 Mar (not open at 31 Mar).
    plan("B", "B1", "2024-03-05", "2024-03-31"),
    # C: another LA's plan: never counted.
    plan("C", "C1", "2024-01-05", ola="Y"),
    # D: 1 Mar 2022 - 10 Apr 2024: 772 days counting both ends.
    plan("D", "D1", "2022-03-01", "2024-04-10"),
    # E: 10 Apr 2022 - 7 Apr 2024: 729 days counting both ends (not more than 729).
    plan("E", "E1", "2022-04-10", "2024-04-07"),
    # I: 31 Jul 2022, open: ADD_MONTHS(s, 18) = 31 Jan 2024.
    plan("I", "I1", "2022-07-31"),
]


@pytest.fixture(scope="module")
def plan_results():
    ids = [
        "cp.count",
        "cp.starts_count",
        "cp.ends_count",
        "cp.open_over_18m_count",
        "cp.open_2y_plus_pct",
        "cp.ended_lasting_2y_plus_pct",
        "cp.rate_per_10k",
        "cp.starts_rate_per_10k",
        "cp.ends_rate_per_10k",
    ]
    tables = {
        "ssd_cp_plans": PLANS,
        "ssd_involvements": [involvement("A", "T1"), involvement("D", "T3")],
        "population": population_rows({2023: 20_000}),
    }
    return run(tables, ids, date(2024, 1, 31), date(2024, 4, 30))


def test_count_open_plans_at_month_end(plan_results) -> None:
    # Jan: A, D, E, I (C is another LA's) = 4. Feb: same 4 (A's join is one plan).
    # Mar: B ended on 31 Mar so is not open: 4. Apr: D ended 10 Apr, E 7 Apr: A, I = 2.
    expected = {
        date(2024, 1, 31): 4,
        date(2024, 2, 29): 4,
        date(2024, 3, 31): 4,
        date(2024, 4, 30): 2,
    }
    for period_end, count in expected.items():
        assert row(plan_results, "cp.count", period_end)["value"] == count


def test_count_breakdowns_sum_to_all(plan_results) -> None:
    # Jan: A in T1 (North), D in T3 (South), E and I unallocated.
    jan = date(2024, 1, 31)
    assert row(plan_results, "cp.count", jan, "locality", "North")["value"] == 1
    assert row(plan_results, "cp.count", jan, "locality", "South")["value"] == 1
    assert row(plan_results, "cp.count", jan, "locality", "unallocated")["value"] == 2
    assert row(plan_results, "cp.count", jan, "team", "T1")["value"] == 1


def test_rate_uses_population(plan_results) -> None:
    # Jan 2024 falls in 2023-24, which uses mid-2023: 4 / 20,000 * 10,000 = 2.0.
    got = row(plan_results, "cp.rate_per_10k", date(2024, 1, 31))
    assert got["numerator"] == 4
    assert got["denominator"] == 20_000
    assert got["value"] == pytest.approx(2.0)


def test_start_and_end_rates_per_10k(plan_results) -> None:
    # Mar: one start (B) / 20,000 * 10,000 = 0.5. Apr (2024-25, mid-2024 estimate missing, the
    # mid-2023 one used): two ends (D, E) = 1.0. Feb: A's join is neither: 0.
    starts = row(plan_results, "cp.starts_rate_per_10k", date(2024, 3, 31))
    assert (starts["numerator"], starts["denominator"]) == (1, 20_000)
    assert starts["value"] == pytest.approx(0.5)
    ends = row(plan_results, "cp.ends_rate_per_10k", date(2024, 4, 30))
    assert ends["value"] == pytest.approx(1.0)
    assert "population_provisional" in ends["flags"]
    assert row(plan_results, "cp.ends_rate_per_10k", date(2024, 2, 29))["value"] == 0


def test_starts_and_ends_ignore_joined_plans(plan_results) -> None:
    # Feb: A2 starts on the day A1 ends: neither a start nor an end.
    assert row(plan_results, "cp.starts_count", date(2024, 2, 29))["value"] == 0
    assert row(plan_results, "cp.ends_count", date(2024, 2, 29))["value"] == 0
    # Mar: B starts and ends (its end on 31 Mar falls in March).
    assert row(plan_results, "cp.starts_count", date(2024, 3, 31))["value"] == 1
    assert row(plan_results, "cp.ends_count", date(2024, 3, 31))["value"] == 1
    # Jan: C (another LA) started but is not counted.
    assert row(plan_results, "cp.starts_count", date(2024, 1, 31))["value"] == 0
    # Apr: D and E end.
    assert row(plan_results, "cp.ends_count", date(2024, 4, 30))["value"] == 2


def test_open_over_18_months_needs_e_after_the_18_month_date(plan_results) -> None:
    # Jan: D (18m on 1 Sep 2023) and E (10 Oct 2023) count; I's 18-month date is 31 Jan
    # itself, so not yet; A's is 10 Jul 2024. Feb: I counts too.
    assert row(plan_results, "cp.open_over_18m_count", date(2024, 1, 31))["value"] == 2
    assert row(plan_results, "cp.open_over_18m_count", date(2024, 2, 29))["value"] == 3


def test_open_two_years_or_more(plan_results) -> None:
    # Mar 31: D has run 761 + 1 = 762 days -> yes; E 721 + 1 = 722 -> no; A, I shorter.
    got = row(plan_results, "cp.open_2y_plus_pct", date(2024, 3, 31))
    assert (got["numerator"], got["denominator"]) == (1, 4)
    assert got["value"] == pytest.approx(25.0)


def test_ended_lasting_two_years_boundary(plan_results) -> None:
    # April ends: D lasted 772 days (> 729) yes; E exactly 729 days: no.
    got = row(plan_results, "cp.ended_lasting_2y_plus_pct", date(2024, 4, 30))
    assert (got["numerator"], got["denominator"]) == (1, 2)


# ------------------------------------------------------------------ repeat plans


REPEATS = [
    # F: earlier plan ended 20 May 2022; new plan 20 May 2024: exactly on the 24-month limit.
    plan("F", "F1", "2022-03-15", "2022-05-20"),
    plan("F", "F2", "2024-05-20"),
    # G: earlier plan ended 19 May 2022, one day too early for the 2-year test.
    plan("G", "G1", "2021-01-01", "2022-05-19"),
    plan("G", "G2", "2024-05-20"),
    # H: first plan ever.
    plan("H", "H1", "2024-05-10"),
    # K: an earlier plan of another LA does not make a repeat.
    plan("K", "K0", "2023-01-01", "2023-06-01", ola="Y"),
    plan("K", "K1", "2024-05-11"),
]


@pytest.fixture(scope="module")
def repeat_results():
    ids = [
        "cp.second_or_subsequent_ever_pct",
        "cp.second_or_subsequent_2y_pct",
        "cp.second_or_subsequent_ever_rolling_12m_pct",
        "cp.second_or_subsequent_2y_rolling_12m_pct",
    ]
    return run({"ssd_cp_plans": REPEATS}, ids, date(2024, 5, 31), date(2024, 6, 30))


def test_second_plan_ever(repeat_results) -> None:
    # May starts: F, G, H, K; repeats F and G: 2 / 4.
    got = row(repeat_results, "cp.second_or_subsequent_ever_pct", date(2024, 5, 31))
    assert (got["numerator"], got["denominator"]) == (2, 4)
    assert got["value"] == pytest.approx(50.0)


def test_second_plan_within_two_years_boundary(repeat_results) -> None:
    # Only F's previous plan ended on or after ADD_MONTHS(20 May 2024, -24) = 20 May 2022.
    got = row(repeat_results, "cp.second_or_subsequent_2y_pct", date(2024, 5, 31))
    assert (got["numerator"], got["denominator"]) == (1, 4)


def test_rolling_versions_sum_the_months(repeat_results) -> None:
    # R12 to June 2024 holds the 4 May starts (and the 2022 starts fall outside it).
    ever = row(repeat_results, "cp.second_or_subsequent_ever_rolling_12m_pct", date(2024, 6, 30))
    assert (ever["numerator"], ever["denominator"]) == (2, 4)
    two = row(repeat_results, "cp.second_or_subsequent_2y_rolling_12m_pct", date(2024, 6, 30))
    assert (two["numerator"], two["denominator"]) == (1, 4)
    # No starts in June: the monthly measure has an empty denominator and no value.
    june = row(repeat_results, "cp.second_or_subsequent_ever_pct", date(2024, 6, 30))
    assert june["value"] is None


def test_two_year_test_flags_history_incomplete() -> None:
    # History starts with a plan in Jan 2024: May 2024 needs plans back to May 2022.
    rows = [plan("H", "H1", "2024-01-10", "2024-02-01"), plan("H", "H2", "2024-05-10")]
    results = run(
        {"ssd_cp_plans": rows},
        ["cp.second_or_subsequent_2y_pct"],
        date(2024, 5, 31),
        date(2024, 5, 31),
    )
    got = row(results, "cp.second_or_subsequent_2y_pct", date(2024, 5, 31))
    assert (got["numerator"], got["denominator"]) == (1, 1)
    assert "history_incomplete" in got["flags"]


def test_ever_test_counts_only_loaded_history() -> None:
    # The extract starts in 2024; J's plan in 2019 is not loaded, so J's May plan is a first
    # plan as far as the build can tell: 0 / 1 (history starts mid-way).
    rows = [plan("J", "J2", "2024-05-03")]
    results = run(
        {"ssd_cp_plans": rows},
        ["cp.second_or_subsequent_ever_pct"],
        date(2024, 5, 31),
        date(2024, 5, 31),
    )
    got = row(results, "cp.second_or_subsequent_ever_pct", date(2024, 5, 31))
    assert (got["numerator"], got["denominator"]) == (0, 1)


# ------------------------------------------------------------------ reviews


def review(person: str, plan_id: str, when: str, rid: str):
    return {
        "cppr_cp_review_id": rid,
        "cppr_person_id": person,
        "cppr_cp_plan_id": plan_id,
        "cppr_cp_review_date": when,
    }


@pytest.fixture(scope="module")
def review_results():
    plans = [
        # K: plan from 15 Jan 2024; first review due 15 Apr, held 15 Apr (on the due day);
        # second due 15 Oct, held 16 Oct (late). A review on the start day is ignored.
        plan("K", "K1", "2024-01-15"),
        # L: joined plan from 30 Nov 2023 (second part from 10 Jan 2024). First review due
        # ADD_MONTHS(30 Nov 2023, 3) = 29 Feb 2024; held 1 Mar 2024: late (measured from
        # the second part it would wrongly be on time).
        plan("L", "L1", "2023-11-30", "2024-01-10"),
        plan("L", "L2", "2024-01-10"),
    ]
    reviews = [
        review("K", "K1", "2024-01-15", "R0"),
        review("K", "K1", "2024-04-15", "R1"),
        review("K", "K1", "2024-10-16", "R2"),
        review("L", "L2", "2024-03-01", "R3"),
    ]
    ids = ["cp.reviews_in_timescale_pct", "cp.plans_reviewed_in_timescale_pct"]
    return run(
        {"ssd_cp_plans": plans, "ssd_cp_reviews": reviews},
        ids,
        date(2024, 1, 31),
        date(2024, 10, 31),
    )


def test_reviews_held_in_timescale(review_results) -> None:
    def num_den(period_end: date) -> tuple[float, float]:
        got = row(review_results, "cp.reviews_in_timescale_pct", period_end)
        return got["numerator"], got["denominator"]

    assert num_den(date(2024, 1, 31)) == (0, 0)  # the start-day review is ignored
    assert num_den(date(2024, 3, 31)) == (0, 1)  # L late: due 29 Feb
    assert num_den(date(2024, 4, 30)) == (1, 1)  # K on its due day
    assert num_den(date(2024, 10, 31)) == (0, 1)  # K's second review a day late


def test_children_with_all_reviews_in_timescale(review_results) -> None:
    def num_den(period_end: date) -> tuple[float, float]:
        got = row(review_results, "cp.plans_reviewed_in_timescale_pct", period_end)
        return got["numerator"], got["denominator"]

    # Feb 29: L's first review is due that day and not held: fails. K not yet 3 months.
    assert num_den(date(2024, 2, 29)) == (0, 1)
    # Mar 31: L's review was late. K's 3-month date (15 Apr) is after E.
    assert num_den(date(2024, 3, 31)) == (0, 1)
    # Apr 30: K's review on 15 Apr was on time, next due 15 Oct: passes. L still failed.
    assert num_den(date(2024, 4, 30)) == (1, 2)


# ------------------------------------------------------------------ visits


def visit(person: str, when: str, seen: str, vid: str):
    return {
        "cppv_cp_visit_id": vid,
        "cppv_person_id": person,
        "cppv_cp_visit_date": when,
        "cppv_cp_visit_seen": seen,
    }


def test_visits_within_ten_working_days_with_bank_holidays() -> None:
    plans = [
        plan("V1", "P1", "2024-05-01"),
        plan("V2", "P2", "2024-05-01"),
        plan("V3", "P3", "2024-05-01"),
        # V4's plan is 8 working days old at 31 May: not yet due a visit.
        plan("V4", "P4", "2024-05-20"),
    ]
    visits = [
        # 16 May to 31 May: 10 working days (27 May is a bank holiday): in time.
        visit("V1", "2024-05-16", "Y", "X1"),
        # 15 May: 11 working days: late.
        visit("V2", "2024-05-15", "Y", "X2"),
        # V3 was not seen on 16 May; last seen 10 May: late.
        visit("V3", "2024-05-16", "N", "X3"),
        visit("V3", "2024-05-10", "Y", "X4"),
        visit("V4", "2024-05-21", "Y", "X5"),
    ]
    results = run(
        {"ssd_cp_plans": plans, "ssd_cp_visits": visits},
        ["cp.visits_in_timescale_pct"],
        date(2024, 5, 31),
        date(2024, 5, 31),
    )
    got = row(results, "cp.visits_in_timescale_pct", date(2024, 5, 31))
    assert (got["numerator"], got["denominator"]) == (1, 3)


def test_visits_not_available_without_visit_records() -> None:
    results = run(
        {"ssd_cp_plans": [plan("V1", "P1", "2024-05-01")]},
        ["cp.visits_in_timescale_pct"],
        date(2024, 5, 31),
        date(2024, 5, 31),
    )
    got = row(results, "cp.visits_in_timescale_pct", date(2024, 5, 31))
    assert got["value"] is None
    assert got["numerator"] is None
    assert "ssd_cp_visits" in got["reason"]


# ------------------------------------------------------------------ initial conferences


def conference(cid: str, person: str, when: str, s47: str | None = None, transfer: str = "N"):
    return {
        "icpc_icpc_id": cid,
        "icpc_person_id": person,
        "icpc_icpc_date": when,
        "icpc_s47_enquiry_id": s47,
        "icpc_icpc_transfer_in": transfer,
    }


def enquiry(sid: str, person: str, start: str):
    return {"s47e_s47_enquiry_id": sid, "s47e_person_id": person, "s47e_s47_start_date": start}


def test_conferences_within_15_working_days() -> None:
    conferences = [
        # 10 May -> 3 Jun: 15 working days (27 May bank holiday): in time.
        conference("C1", "P1", "2024-06-03", "S1"),
        # 10 May -> 4 Jun: 16: late.
        conference("C2", "P2", "2024-06-04", "S2"),
        # Transfer-in: counted as a conference, not in the 15-day test.
        conference("C3", "P3", "2024-06-05", None, "Y"),
        # No link: takes P4's enquiry of 20 May: 11 working days: in time.
        conference("C4", "P4", "2024-06-05"),
        # Two records of P5 on one day: one conference; 1 Jun (Sat) -> 10 Jun: 6: in time.
        conference("C5", "P5", "2024-06-10", "S5"),
        conference("C6", "P5", "2024-06-10", "S5"),
    ]
    enquiries = [
        enquiry("S1", "P1", "2024-05-10"),
        enquiry("S2", "P2", "2024-05-10"),
        enquiry("S4", "P4", "2024-05-20"),
        enquiry("S5", "P5", "2024-06-01"),
    ]
    tables = {
        "ssd_initial_cp_conference": conferences,
        "ssd_s47_enquiry": enquiries,
        "population": population_rows({2024: 25_000}),
    }
    ids = [
        "cp.icpc_count",
        "cp.icpc_within_15wd_pct",
        "cp.icpc_rolling_12m_count",
        "cp.icpc_rate_per_10k",
    ]
    results = run(tables, ids, date(2024, 5, 31), date(2024, 6, 30))
    assert row(results, "cp.icpc_count", date(2024, 6, 30))["value"] == 5
    assert row(results, "cp.icpc_count", date(2024, 5, 31))["value"] == 0
    assert row(results, "cp.icpc_rolling_12m_count", date(2024, 6, 30))["value"] == 5
    # Rate: the same five conferences in R12 / 25,000 (mid-2024, for 2024-25) * 10,000 = 2.0.
    assert row(results, "cp.icpc_rate_per_10k", date(2024, 6, 30))["value"] == pytest.approx(2.0)
    got = row(results, "cp.icpc_within_15wd_pct", date(2024, 6, 30))
    assert (got["numerator"], got["denominator"]) == (3, 4)
    assert got["value"] == pytest.approx(75.0)
