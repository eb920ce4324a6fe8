"""Care leavers, participation and youth justice indicators on hand-built rows
(expected values worked out from the catalogue definitions beside them)."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from tests.indicators.helpers import care_episode, row
from tests.indicators.helpers import run as run_areas

run = partial(run_areas, areas=["care_leavers", "participation", "youth_justice", "lac"])


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
        care_episode("L1", "2015-01-01", "2019-02-28"),
        care_episode("L2", "2015-01-01", "2018-03-01"),
        care_episode("L3", "2015-01-01", "2019-06-01"),
        care_episode("L4", "2015-01-01", "2015-01-03"),
        care_episode("L5", "2015-01-01", "2019-06-01"),
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


# ------------------------------------------------------------------ pathway plans and status
# E = 31 Mar 2024 (after the 2021-22 EET code change); ADD_MONTHS(E, -6) = 30 Sep 2023.
E24 = date(2024, 3, 31)


def status(
    p: str,
    elig: str | None,
    *,
    plan: str | None = None,
    in_touch: str = "YES",
    activity: str | None = "F1",
    suitable: str | None = "Y",
    accom: str | None = "B",
) -> dict[str, Any]:
    return {
        **leaver(p, activity, in_touch=in_touch, suitable=suitable, accom=accom),
        "clea_care_leaver_eligibility": elig,
        "clea_pathway_plan_review_date": plan,
    }


def people(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"pers_person_id": p, "pers_dob": dob} for p, dob in pairs]


CURRENT = {
    "ssd_person": people(
        ("C1", "2005-01-15"),  # 19 at E
        ("C2", "2003-06-01"),  # 20
        ("C3", "2006-02-10"),  # 18
        ("C4", "2004-05-01"),  # 19
        ("C5", "2005-03-01"),  # 19
        ("C7", "2006-09-01"),  # 17
    ),
    "ssd_care_leavers": [
        # Plan 1 Oct 2023: up to date; EET; suitable.
        status("C1", "Former Relevant", plan="2023-10-01", activity="F1", suitable="Y"),
        # Plan 29 Sep 2023, one day before ADD_MONTHS(E, -6): not up to date; NEET; unsuitable.
        status("C2", "Former Relevant", plan="2023-09-29", activity="G6", suitable="N"),
        # Plan on 30 Sep 2023 exactly: up to date. F3 is not EET after April 2021. In custody
        # (R): not in the suitable-accommodation denominator.
        status("C3", "Former Relevant", plan="2023-09-30", activity="F3", accom="R"),
        # No longer requires services: out of the plan measures only.
        status("C4", "Former Relevant", in_touch="NREQ", activity="P2", suitable="N"),
        # Not relevant or former relevant: out of every measure here.
        status("C5", "Qualifying", plan="2024-01-01"),
        # Plan dated after E is ignored: not up to date.
        status("C7", "Relevant", plan="2024-04-05", activity="F2", suitable="1"),
    ],
    "ssd_cla_episodes": [
        care_episode("C1", "2015-01-01", "2023-01-15"),
        care_episode("C2", "2015-01-01", "2021-06-01"),
        care_episode("C3", "2016-01-01", "2024-02-10"),
        care_episode("C4", "2015-01-01", "2022-05-01"),
        care_episode("C5", "2015-01-01", "2023-03-01"),
        care_episode("C7", "2016-01-01", "2024-01-01"),
    ],
}


def test_current_status_pathway_plans_accommodation_and_eet():
    ids = [
        "care_leavers.rcl_frcl_pathway_plan_pct",
        "care_leavers.pathway_plan_17_18_pct",
        "care_leavers.pathway_plan_19_21_pct",
        "care_leavers.rcl_frcl_suitable_accommodation_pct",
        "care_leavers.rcl_frcl_eet_pct",
    ]
    res = run(CURRENT, ids, E24, E24)

    def nd(indicator_id: str) -> tuple[Any, Any]:
        r = row(res, indicator_id, E24)
        return r["numerator"], r["denominator"]

    # Relevant / former relevant aged 16-21, out of care: C1, C2, C3, C4, C7 (C5 Qualifying).
    # Plans (C4 NREQ out): C1, C3 up to date; C2, C7 not.
    assert nd("care_leavers.rcl_frcl_pathway_plan_pct") == (2, 4)
    assert nd("care_leavers.pathway_plan_17_18_pct") == (1, 2)  # C3 yes, C7 no
    assert nd("care_leavers.pathway_plan_19_21_pct") == (1, 2)  # C1 yes, C2 no
    # Suitable (C3 in custody left out): C1, C7 suitable; C2, C4 not.
    assert nd("care_leavers.rcl_frcl_suitable_accommodation_pct") == (2, 4)
    # EET: C1 F1, C4 P2, C7 F2; C2 G6 and C3 F3 (after the change) not.
    assert nd("care_leavers.rcl_frcl_eet_pct") == (3, 5)


ELIGIBLE = {
    "ssd_person": people(
        ("C6", "2007-12-31"),  # ADD_MONTHS(dob, 195) = 31 Mar 2024 = E: in the cohort
        ("C8", "2007-06-01"),
        ("C9", "2007-06-01"),
        ("C10", "2007-03-01"),
        ("C11", "2008-01-01"),  # 16y3m on 1 Apr 2024: not yet
        ("C12", "2006-03-01"),  # 18 at E: not in the cohort
    ),
    "ssd_care_leavers": [
        status("C6", None, plan="2024-01-01"),
        status("C10", "Relevant", plan="2024-01-01"),  # recorded, and not Eligible
        status("C11", "Eligible", plan="2024-01-01"),
        status("C12", "Eligible", plan="2024-01-01"),
    ],
    "ssd_cla_episodes": [
        care_episode("C6", "2016-01-01", None),
        # Looked after 1 Jan - 31 Mar 2024 inclusive = 91 days since the 14th birthday: eligible.
        care_episode("C8", "2024-01-01", None),
        care_episode("C9", "2024-01-02", None),  # 90 days: not eligible
        care_episode("C10", "2016-01-01", None),
        care_episode("C11", "2016-01-01", None),
        care_episode("C12", "2016-01-01", None),
    ],
}


def test_eligible_children_with_an_up_to_date_pathway_plan():
    res = run(ELIGIBLE, ["care_leavers.eligible_pathway_plan_pct"], E24, E24)
    r = row(res, "care_leavers.eligible_pathway_plan_pct", E24)
    # Eligible: C6 (no eligibility recorded, years in care; plan 1 Jan 2024 up to date) and C8
    # (exactly 91 days; no plan).
    assert (r["numerator"], r["denominator"]) == (1, 2)


COHORT = {
    "ssd_person": people(
        ("K3", "2006-02-10"),  # 18th birthday 10 Feb 2024, care ended that day
        ("K11", "2006-07-01"),  # 17th birthday 1 Jul 2023, care ended that day: still in care
        ("K12", "2005-10-01"),  # 18th birthday 1 Oct 2023
        ("K13", "2006-11-01"),  # 17th birthday 1 Nov 2023, care ended 1 Jun 2023
        ("K14", "2005-02-01"),  # 18th birthday 1 Feb 2023: before R12
    ),
    "ssd_care_leavers": [
        status("K3", "Former Relevant", activity="F3", accom="R"),
        status("K11", "Relevant", activity="F1"),
        status("K12", "Former Relevant", in_touch="NO", activity="F1", suitable="Y"),
        status("K13", "Relevant", activity="G4", suitable="N"),
        status("K14", "Former Relevant", activity="F1"),
    ],
    "ssd_cla_episodes": [
        care_episode("K3", "2016-01-01", "2024-02-10"),
        care_episode("K11", "2016-01-01", "2023-07-01"),
        care_episode("K12", "2016-01-01", "2022-01-01"),
        care_episode("K13", "2016-01-01", "2023-06-01"),
        care_episode("K14", "2016-01-01", "2022-01-01"),
    ],
}


def test_17_18_birthday_cohorts():
    ids = [
        "care_leavers.suitable_accommodation_17_18_pct",
        "care_leavers.eet_17_18_pct",
        "care_leavers.in_touch_17_18_pct",
    ]
    res = run(COHORT, ids, E24, E24)

    def nd(indicator_id: str) -> tuple[Any, Any]:
        r = row(res, indicator_id, E24)
        return r["numerator"], r["denominator"]

    # Cohort: K3 (out of care on its 18th birthday), K12, K13. K11 left care on its 17th
    # birthday (still in care at B); K14's birthday is before R12.
    assert nd("care_leavers.suitable_accommodation_17_18_pct") == (1, 2)  # K3 (R) out; K12
    assert nd("care_leavers.eet_17_18_pct") == (1, 3)  # K12 only (K3 F3 after the change)
    assert nd("care_leavers.in_touch_17_18_pct") == (2, 3)  # K3, K13 YES; K12 NO


def placement_row(p: str, start: str, ptype: str) -> dict[str, Any]:
    return {
        "clap_cla_placement_id": f"{p}-{start}",
        "clap_person_id": p,
        "clap_cla_placement_start_date": start,
        "clap_cla_placement_type": ptype,
    }


STAYING_PUT = {
    "ssd_person": people(
        ("S1", "2005-06-01"), ("S2", "2005-08-01"), ("S3", "2005-09-01"), ("S4", "2005-10-01")
    ),
    "ssd_care_leavers": [
        status("S1", "Former Relevant", accom="Z1"),  # staying put
        status("S2", "Former Relevant", accom="Z1"),
        status("S3", "Former Relevant", accom="B"),
        status("S4", "Former Relevant", accom="Z1"),
    ],
    "ssd_cla_episodes": [
        care_episode("S1", "2016-01-01", "2023-06-01"),  # care ended on the 18th birthday
        care_episode("S2", "2016-01-01", "2023-08-01"),
        care_episode("S3", "2016-01-01", "2023-09-01"),
        care_episode("S4", "2016-01-01", "2023-05-01"),  # left care before the 18th birthday
    ],
    "ssd_cla_placement": [
        placement_row("S1", "2020-01-01", "U4"),
        placement_row("S2", "2021-01-01", "U6"),
        placement_row("S2", "2023-01-01", "K2"),  # last placement a children's home
        placement_row("S3", "2022-01-01", "U1"),
        placement_row("S4", "2020-01-01", "U4"),
    ],
}


def test_staying_put_after_the_18th_birthday():
    res = run(STAYING_PUT, ["care_leavers.staying_put_18_pct"], E24, E24)
    r = row(res, "care_leavers.staying_put_18_pct", E24)
    # Care ended on the 18th birthday in R12 from a foster placement: S1 (staying put), S3.
    assert (r["numerator"], r["denominator"]) == (1, 2)


# Rows tagged with their collection year (ids ending /YYYY, as the 903 route writes them):
# each month end uses the row of its own collection year. T1 turns 19 on 1 May 2022 and left
# care at 18; T2's rows are untagged, so every month uses its latest row.
TAGGED = {
    "ssd_person": people(("T1", "2003-05-01"), ("T2", "2003-05-01")),
    "ssd_care_leavers": [
        {
            **status("T1", "Former Relevant", plan="2022-12-01", activity="F1"),
            "clea_table_id": "T1/2023",
        },
        {
            **status("T1", "Former Relevant", plan="2023-06-01", activity="G6"),
            "clea_table_id": "T1/2024",
        },
        {
            **status("T2", "Former Relevant", plan="2022-12-01", activity="G6"),
            "clea_table_id": "T2a",
        },
        {
            **status("T2", "Former Relevant", plan="2023-12-01", activity="F1"),
            "clea_table_id": "T2b",
        },
    ],
    "ssd_cla_episodes": [
        care_episode("T1", "2015-01-01", "2021-05-01"),
        care_episode("T2", "2015-01-01", "2021-05-01"),
    ],
}


def test_month_end_status_uses_the_row_of_the_months_collection_year():
    ids = ["care_leavers.rcl_frcl_eet_pct", "care_leavers.pathway_plan_19_21_pct"]
    march_23, march_24 = date(2023, 3, 31), date(2024, 3, 31)
    res = run(TAGGED, ids, march_23, march_24)

    def nd(indicator_id: str, when: date) -> tuple[Any, Any]:
        r = row(res, indicator_id, when)
        return r["numerator"], r["denominator"]

    # March 2023 (collection year 2023): T1's /2023 row, F1 (EET), plan 1 Dec 2022 (within six
    # months); T2's latest row b, F1, plan 1 Dec 2023 (after E: ignored).
    assert nd("care_leavers.rcl_frcl_eet_pct", march_23) == (2, 2)
    assert nd("care_leavers.pathway_plan_19_21_pct", march_23) == (1, 2)
    # March 2024: T1's /2024 row, G6 (not EET), plan 1 Jun 2023 (more than six months before
    # E); T2's row b again: F1, plan 1 Dec 2023 (up to date).
    assert nd("care_leavers.rcl_frcl_eet_pct", march_24) == (1, 2)
    assert nd("care_leavers.pathway_plan_19_21_pct", march_24) == (1, 2)


def test_a_month_before_any_tagged_row_takes_the_nearest_later_year():
    res = run(TAGGED, ["care_leavers.rcl_frcl_eet_pct"], date(2022, 3, 31), date(2022, 3, 31))
    # Collection year 2022 has no T1 row: the nearest later year, /2023 (F1), stands in.
    assert row(res, "care_leavers.rcl_frcl_eet_pct", date(2022, 3, 31))["numerator"] == 2
