"""Placement indicators on hand-built placements.

Expected values are worked out from the catalogue definitions in the comments beside them.
"""

from __future__ import annotations

from datetime import date

from tests.indicators.care_helpers import run
from tests.indicators.helpers import row

E = date(2024, 3, 31)


def episode(person: str, start: str = "2020-01-01", ceased: str | None = None, eid: str = ""):
    return {
        "clae_cla_episode_id": eid or f"E-{person}-{start}",
        "clae_person_id": person,
        "clae_cla_id": f"CLA-{person}",
        "clae_cla_episode_start_date": start,
        "clae_cla_episode_ceased_date": ceased,
        "clae_cla_episode_start_reason": "S",
    }


def placement(
    pid: str,
    person: str,
    start: str,
    ptype: str,
    end: str | None = None,
    *,
    urn: str | None = None,
    postcode: str | None = None,
    provider: str | None = None,
):
    return {
        "clap_cla_placement_id": pid,
        "clap_person_id": person,
        "clap_cla_id": f"CLA-{person}",
        "clap_cla_placement_start_date": start,
        "clap_cla_placement_end_date": end,
        "clap_cla_placement_type": ptype,
        "clap_cla_placement_urn": urn,
        "clap_cla_placement_postcode": postcode,
        "clap_cla_placement_provider": provider,
    }


def person(pid: str, dob: str):
    return {"pers_person_id": pid, "pers_dob": dob}


def num_den(results, indicator_id: str, period_end: date = E) -> tuple[float, float]:
    got = row(results, indicator_id, period_end)
    return got["numerator"], got["denominator"]


def test_type_and_provider_of_the_placement_open_at_e() -> None:
    episodes = [episode(p) for p in ("P1", "P2", "P3", "P4")]
    placements = [
        placement("A", "P1", "2023-01-01", "K2", provider="PR2"),
        placement("B", "P2", "2024-01-01", "U6", provider="PR1"),
        # P3 is on a temporary placement (holiday) at E: classed as T1.
        placement("C1", "P3", "2023-06-01", "U4", "2024-03-20", provider="PR1"),
        placement("C2", "P3", "2024-03-20", "T1"),
        # P4 has no placement record: denominator only.
    ]
    ids = [
        "placements.residential_count",
        "placements.residential_pct",
        "placements.foster_pct",
        "placements.foster_in_house_pct",
        "placements.own_provision_pct",
    ]
    results = run({"ssd_cla_episodes": episodes, "ssd_cla_placement": placements}, ids, E, E)
    assert row(results, "placements.residential_count", E)["value"] == 1
    assert num_den(results, "placements.residential_pct") == (1, 4)
    assert num_den(results, "placements.foster_pct") == (1, 4)
    assert num_den(results, "placements.foster_in_house_pct") == (1, 1)
    assert num_den(results, "placements.own_provision_pct") == (1, 4)


def test_three_or_more_placements_in_twelve_months() -> None:
    # Window: 1 Apr 2023 .. 31 Mar 2024.
    episodes = [
        episode("Q1"),
        episode("Q2"),
        episode("Q3"),
        # Q4: short break (V3) then care from the day it ended: left out.
        episode("Q4", "2023-05-01", "2023-06-01", eid="Q4-sb"),
        episode("Q4", "2023-06-01", eid="Q4-care"),
    ]
    legal = [
        {
            "lega_legal_status_id": "L1",
            "lega_person_id": "Q4",
            "lega_legal_status": "V3",
            "lega_legal_status_start_date": "2023-05-01",
            "lega_legal_status_end_date": "2023-06-01",
        }
    ]
    placements = [
        # Q1: the first placement ends on the window's first day (it overlaps): 3 -> yes.
        placement("Q1a", "Q1", "2022-01-01", "U6", "2023-04-01"),
        placement("Q1b", "Q1", "2023-04-01", "U6", "2023-09-01"),
        placement("Q1c", "Q1", "2023-09-01", "K2"),
        # Q2: back with the same carers after a holiday placement: 2 placements -> no.
        placement("Q2a", "Q2", "2023-01-01", "U6", "2023-07-01", urn="X", postcode="AB1 1AA"),
        placement("Q2b", "Q2", "2023-07-01", "T1", "2023-07-14"),
        placement("Q2c", "Q2", "2023-07-14", "U6", "2023-10-01", urn="X", postcode="AB1 1AA"),
        placement("Q2d", "Q2", "2023-10-01", "U6", urn="Y", postcode="AB2 2BB"),
        # Q3: foster placement becomes placed for adoption with the same carers (A5): 2 -> no.
        placement("Q3a", "Q3", "2023-02-01", "U6", "2023-05-01"),
        placement("Q3b", "Q3", "2023-05-01", "U4", "2023-08-01"),
        placement("Q3c", "Q3", "2023-08-01", "A5"),
        # Q4: three placements but excluded from the measure.
        placement("Q4a", "Q4", "2023-06-01", "U6", "2023-07-01"),
        placement("Q4b", "Q4", "2023-07-01", "U6", "2023-08-01"),
        placement("Q4c", "Q4", "2023-08-01", "K2"),
    ]
    tables = {
        "ssd_cla_episodes": episodes,
        "ssd_legal_status": legal,
        "ssd_cla_placement": placements,
    }
    results = run(tables, ["placements.three_plus_12m_pct"], E, E)
    assert num_den(results, "placements.three_plus_12m_pct") == (1, 3)


def test_long_term_stability() -> None:
    # ADD_MONTHS(E, -30) = 30 Sep 2021; ADD_MONTHS(E, -24) = 31 Mar 2022.
    episodes = [
        episode("S1", "2021-09-30"),  # in care exactly 2.5 years
        episode("S2", "2021-10-01"),  # one day short: not in the cohort
        episode("S3"),  # 16 on 31 Mar 2024: not in the cohort
        episode("S4"),
        episode("S5"),
        episode("S6"),
    ]
    people = [
        person("S1", "2010-01-01"),
        person("S2", "2010-01-01"),
        person("S3", "2008-03-31"),
        person("S4", "2012-01-01"),
        person("S5", "2012-01-01"),
        person("S6", "2012-01-01"),
    ]
    placements = [
        # S1: with the same carers since 31 Mar 2022 (the 2-year date): yes.
        placement("S1a", "S1", "2021-09-30", "U6", "2022-03-31", urn="Z", postcode="Z1"),
        placement("S1b", "S1", "2022-03-31", "U4", urn="X", postcode="X1"),
        placement("S2a", "S2", "2021-10-01", "U4"),
        placement("S3a", "S3", "2020-01-01", "U4"),
        # S4: a temporary placement does not break the spell with carer X (since 2021): yes.
        placement("S4a", "S4", "2021-01-01", "U6", "2023-06-01", urn="X", postcode="X1"),
        placement("S4b", "S4", "2023-06-01", "T2", "2023-06-10"),
        placement("S4c", "S4", "2023-06-10", "U6", urn="X", postcode="X1"),
        # S5: placed for adoption in 2023; the spell takes in the foster placement before: yes.
        placement("S5a", "S5", "2021-01-01", "U4", "2023-01-01", urn="F", postcode="F1"),
        placement("S5b", "S5", "2023-01-01", "A5", urn="G", postcode="G1"),
        # S6: new carers in 2023: no.
        placement("S6a", "S6", "2020-01-01", "U6", "2023-01-01", urn="X", postcode="X1"),
        placement("S6b", "S6", "2023-01-01", "U6", urn="Y", postcode="Y1"),
    ]
    tables = {"ssd_cla_episodes": episodes, "ssd_cla_placement": placements, "ssd_person": people}
    results = run(tables, ["placements.long_term_stability_pct"], E, E)
    assert num_den(results, "placements.long_term_stability_pct") == (3, 4)


def test_outside_la_measures_not_available_without_location() -> None:
    tables = {
        "ssd_cla_episodes": [episode("P1")],
        "ssd_cla_placement": [placement("A", "P1", "2023-01-01", "K2")],
    }
    ids = [
        "placements.outside_la_over_20_miles_pct",
        "placements.outside_la_count",
        "placements.new_outside_la_over_20_miles_pct",
    ]
    results = run(tables, ids, E, E)
    for indicator_id in ids:
        got = row(results, indicator_id, E)
        assert got["value"] is None
        assert got["numerator"] is None
        assert "boundary" in got["reason"]


def test_placement_measures_not_available_without_placements() -> None:
    results = run({"ssd_cla_episodes": [episode("P1")]}, ["placements.foster_pct"], E, E)
    got = row(results, "placements.foster_pct", E)
    assert got["value"] is None and "ssd_cla_placement" in got["reason"]


def located(pid: str, person: str, start: str, location: str | None, miles: float | None, **kw):
    row = placement(pid, person, start, "U6", **kw)
    return {**row, "clap_cla_placement_location": location, "clap_cla_placement_distance": miles}


def test_outside_la_measures_with_the_location_extension() -> None:
    # Six children looked after since 2020 (episodes open at E = 31 March 2024).
    placements = [
        located("P1a", "P1", "2023-06-01", "OUT", 25.0),  # outside and far: numerator
        located("P2a", "P2", "2023-01-01", "OUT", 999.9),  # outside, distance unknown
        located("P3a", "P3", "2023-05-01", "IN", 30.0),  # far but inside
        located("P4a", "P4", "2020-01-01", "OUT", 20.0),  # outside, exactly 20 miles: not > 20
        located("P5a", "P5", "2023-07-01", None, 50.0),  # location unknown: never counted
        located("P6a", "P6", "2023-05-01", "OUT", 21.0, end="2024-02-01"),  # ended before E
        located("P6b", "P6", "2024-02-01", "in", 3.0),  # lower case still reads as inside
    ]
    tables = {
        "ssd_cla_episodes": [episode(p) for p in ("P1", "P2", "P3", "P4", "P5", "P6")],
        "ssd_cla_placement": placements,
    }
    ids = [
        "placements.outside_la_over_20_miles_pct",
        "placements.outside_la_count",
        "placements.new_outside_la_over_20_miles_pct",
    ]
    results = run(tables, ids, E, E)
    # At E: P1 only is outside and > 20 miles; all six children are in the denominator
    # (P2's unknown distance included).
    assert num_den(results, "placements.outside_la_over_20_miles_pct") == (1, 6)
    # Outside at any distance, placement open at E: P1, P2, P4 (P6 is back inside).
    assert row(results, "placements.outside_la_count", E)["numerator"] == 3
    # New placements started 1 April 2023 - 31 March 2024: P1a, P3a, P5a, P6a, P6b (P2a and
    # P4a started earlier); outside and > 20 miles at their start: P1a, P6a.
    assert num_den(results, "placements.new_outside_la_over_20_miles_pct") == (2, 5)
