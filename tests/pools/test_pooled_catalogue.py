"""The catalogue computed for two councils at once (indicators/pooled.py) equals each council's
own run, worked out by hand on two tiny councils built to catch what pooling could get wrong.

Both councils use the same identifiers for different children ("A", "B"...) and the same
referral ids; each has its own teams and localities. Council 901's allocated-worker
involvement of its child B (team T2) starts later than council 902's of its own child B (X1),
so a join that crossed councils would give 902's referral of B the team T2 (the latest
involvement wins). 902's records start a month later, so its months (February and March
2024) are not 901's (January to March): they are computed together all the same, each council
keeping its own months. Only 901 supplies contacts and population estimates, so 902's own run
reports contact indicators and rates as not available, where the pooled tables hold contacts
and a population: the engine must notice that 902 answers those questions of the data
otherwise and compute them for 902 alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cscperf.indicators import pooled
from cscperf.indicators.results import compute_build
from cscperf.indicators.testing import frame
from cscperf.settings import Settings
from cscperf.store import Build, Store


def _settings(code: str, localities: dict[str, list[str]]) -> Settings:
    return Settings.model_validate(
        {
            "council": {
                "name": f"Council {code}",
                "short_name": f"C{code}",
                "la_code": code,
                "ons_code": f"E10000{code}",
                "region": "East of England",
            },
            "localities": [
                {
                    "name": name,
                    "teams": [{"id": t, "name": t, "type": "assessment"} for t in teams],
                }
                for name, teams in localities.items()
            ],
        }
    )


def _referral(rid: str, person: str, day: str, team: str | None) -> dict[str, Any]:
    return {
        "cine_referral_id": rid,
        "cine_person_id": person,
        "cine_referral_date": day,
        "cine_referral_team": team,
    }


def _involvement(iid: str, person: str, team: str, start: str) -> dict[str, Any]:
    return {
        "invo_involvements_id": iid,
        "invo_person_id": person,
        "invo_professional_id": f"W{iid}",
        "invo_professional_team": team,
        "invo_involvement_start_date": start,
    }


def _population(code: str) -> pl.DataFrame:
    label = "Children aged 0 to 17 years"
    rows = [
        {"la_code": code, "area": f"Council {code}", "area_level": "la", "mid_year": year,
         "age_group": label, "population": 2000}
        for year in (2022, 2023)
    ]  # fmt: skip
    return frame("population", rows)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    root = tmp_path_factory.mktemp("tiny-pool")
    fields = {"extract_date": "2024-04-15"}
    first = {
        "ssd_cin_episodes": frame(
            "ssd_cin_episodes",
            [
                _referral("1", "A", "2024-01-10", "T1"),
                _referral("2", "B", "2024-02-10", None),
                _referral("3", "C", "2024-03-31", None),
            ],
        ),
        "ssd_involvements": frame("ssd_involvements", [_involvement("1", "B", "T2", "2024-02-05")]),
        "ssd_contacts": frame(
            "ssd_contacts",
            [
                {"cont_contact_id": "1", "cont_person_id": "A", "cont_contact_date": "2024-01-08"},
                {"cont_contact_id": "2", "cont_person_id": "B", "cont_contact_date": "2024-02-01"},
            ],
        ),
        "population": _population("901"),
    }
    second = {
        "ssd_cin_episodes": frame(
            "ssd_cin_episodes",
            [
                _referral("1", "D", "2024-02-03", "X2"),
                _referral("2", "B", "2024-02-10", None),
                _referral("3", "C", "2024-03-31", "X2"),
            ],
        ),
        "ssd_involvements": frame("ssd_involvements", [_involvement("1", "B", "X1", "2024-02-01")]),
    }
    made = {}
    for code, tables, localities in (
        ("901", first, {"North": ["T1", "T2"], "South": ["T3"]}),
        ("902", second, {"Coast": ["X1"], "Town": ["X2"]}),
    ):
        Store(root / code).publish(tables, fields, _settings(code, localities), None)
        made[code] = Store(root / code).get()
    return made


@pytest.fixture(scope="module")
def together(builds: dict[str, Build]) -> tuple[dict[str, pl.DataFrame], list[list[str]]]:
    groups: list[list[str]] = []
    results = pooled.pooled_results(builds, on_group=groups.append)
    return results, groups


def _values(results: pl.DataFrame, indicator: str, breakdown: str) -> dict[tuple[str, str], Any]:
    rows = results.filter(
        (pl.col("indicator_id") == indicator) & (pl.col("breakdown") == breakdown)
    )
    return {
        (r["period_end"].isoformat(), r["breakdown_value"]): r["value"]
        for r in rows.iter_rows(named=True)
    }


def test_both_councils_computed_in_one_pooled_run(
    together: tuple[dict[str, pl.DataFrame], list[list[str]]],
) -> None:
    _, groups = together
    assert groups[0] == ["901", "902"]


def test_referrals_by_team_and_locality_by_hand(
    together: tuple[dict[str, pl.DataFrame], list[list[str]]],
) -> None:
    results, _ = together
    first, second = results["901"], results["902"]
    assert _values(first, "referrals.count", "team") == {
        ("2024-01-31", "T1"): 1.0, ("2024-01-31", "T2"): 0.0, ("2024-01-31", "T3"): 0.0,
        ("2024-02-29", "T1"): 0.0, ("2024-02-29", "T2"): 1.0, ("2024-02-29", "T3"): 0.0,
        ("2024-03-31", "T1"): 0.0, ("2024-03-31", "T2"): 0.0, ("2024-03-31", "T3"): 0.0,
        ("2024-01-31", "unallocated"): 0.0, ("2024-02-29", "unallocated"): 0.0,
        ("2024-03-31", "unallocated"): 1.0,
    }  # fmt: skip
    # 902's child B is in team X1 (its own involvement), never 901's T2.
    # 902's months start in February, with its first record.
    assert _values(second, "referrals.count", "team") == {
        ("2024-02-29", "X1"): 1.0, ("2024-02-29", "X2"): 1.0,
        ("2024-03-31", "X1"): 0.0, ("2024-03-31", "X2"): 1.0,
    }  # fmt: skip
    assert _values(second, "referrals.count", "locality") == {
        ("2024-02-29", "Coast"): 1.0, ("2024-02-29", "Town"): 1.0,
        ("2024-03-31", "Coast"): 0.0, ("2024-03-31", "Town"): 1.0,
    }  # fmt: skip


def test_what_only_one_council_supplies(
    together: tuple[dict[str, pl.DataFrame], list[list[str]]],
) -> None:
    results, _ = together
    contacts = results["902"].filter(pl.col("indicator_id") == "contacts.count")
    assert contacts.height == 2
    assert contacts["flags"].to_list() == [["not_available"]] * 2
    rate = results["902"].filter(pl.col("indicator_id") == "referrals.rate_per_10k")
    assert rate["reason"].to_list() == ["no population estimates are loaded for rates"] * 2
    first = results["901"].filter(pl.col("indicator_id") == "referrals.rate_per_10k")
    assert first["value"].to_list() == [5.0, 10.0, 15.0]  # this year: 1, 2, 3 per 2,000
    contacts = _values(results["901"], "contacts.count", "all")
    assert contacts == {("2024-01-31", "all"): 1.0, ("2024-02-29", "all"): 1.0,
                        ("2024-03-31", "all"): 0.0}  # fmt: skip


def test_every_value_equals_each_councils_own_run(
    builds: dict[str, Build], together: tuple[dict[str, pl.DataFrame], list[list[str]]]
) -> None:
    results, _ = together
    for code, build in builds.items():
        own = compute_build(build)
        assert own.height > 0
        assert_frame_equal(results[code], own)


def test_a_council_alone_gets_its_own_run(builds: dict[str, Build], tmp_path: Path) -> None:
    groups: list[list[str]] = []
    alone = pooled.pooled_results({"902": builds["902"]}, on_group=groups.append)
    assert groups == []  # nothing pooled
    assert_frame_equal(alone["902"], compute_build(builds["902"]))


SPARK_IDS = ["referrals.count", "contacts.count", "referrals.rate_per_10k"]


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java; none is on the PATH")
def test_the_same_on_spark(builds: dict[str, Build], tmp_path: Path) -> None:
    """The pooled run is engine-agnostic: on a local Spark session (the pooled tables written
    as Parquet and read in place), the same rows as each council's own run on DuckDB."""
    groups: list[list[str]] = []
    engine = pooled.spark_engine(tmp_path / "pooled")
    results = pooled.pooled_results(builds, engine=engine, ids=SPARK_IDS, on_group=groups.append)
    assert groups[0] == ["901", "902"]
    assert (tmp_path / "pooled" / "poolssd_cin_episodes.parquet").is_file()
    for code, build in builds.items():
        assert_frame_equal(results[code], compute_build(build, ids=SPARK_IDS))
