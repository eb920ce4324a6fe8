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
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cscperf.indicators import pooled, sql_cache
from cscperf.indicators.functions import registered
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


def _with_contacts(code: str) -> dict[str, pl.DataFrame]:
    """Council 901's tables (under LA code ``code``): contacts and population estimates."""
    return {
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
        "population": _population(code),
    }


def _without_contacts() -> dict[str, pl.DataFrame]:
    """Council 902's tables: no contacts, no population estimates, records from February."""
    return {
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


def _publish(root: Path, code: str, tables: dict[str, pl.DataFrame]) -> Build:
    localities = (
        {"North": ["T1", "T2"], "South": ["T3"]}
        if "ssd_contacts" in tables
        else {"Coast": ["X1"], "Town": ["X2"]}
    )
    fields = {"extract_date": "2024-04-15"}
    Store(root / code).publish(tables, fields, _settings(code, localities), None)
    return Store(root / code).get()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    root = tmp_path_factory.mktemp("tiny-pool")
    return {
        "901": _publish(root, "901", _with_contacts("901")),
        "902": _publish(root, "902", _without_contacts()),
    }


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


# ------------------------------------------------------------------ a group in parts


def _members(sizes: dict[str, int]) -> tuple[list[Any], pooled.Probes]:
    """Stand-in members and probes for :func:`pooled.parts_of`, which reads only the codes
    and the rows each council's tables hold."""
    probes = pooled.Probes(tables=Any, rows={c: {"t": n} for c, n in sizes.items()})  # type: ignore[arg-type]
    return [SimpleNamespace(council=c) for c in sizes], probes


def test_parts_hold_about_equal_rows_and_never_a_council_alone() -> None:
    members, probes = _members({"a": 10, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 10})
    parts = pooled.parts_of(members, probes, 3)  # type: ignore[arg-type]
    # smallest first; not three parts of about 8 rows: the third would hold a council alone
    assert [[m.council for m in part] for part in parts] == [["b", "c", "d", "e", "f"], ["a", "g"]]
    members, probes = _members({"a": 5, "b": 1, "c": 1})
    assert [len(p) for p in pooled.parts_of(members, probes, 1)] == [3]  # two parts: one alone
    members, probes = _members({c: 1 for c in "abcdefgh"})
    assert [len(p) for p in pooled.parts_of(members, probes, 3)] == [3, 2, 3]
    assert [len(p) for p in pooled.parts_of(members, probes, 8)] == [8]


def _answering(answers: dict[str, tuple[set[str], set[str]]]) -> list[list[str]]:
    """:func:`pooled.answering_alike` of councils by (tables holding rows, filled columns of
    table "t"), in their order here."""
    probes = pooled.Probes(
        tables=Any,  # type: ignore[arg-type]
        rows={c: {t: 1 for t in tables} for c, (tables, _) in answers.items()},
        filled={c: {"t": frozenset(columns)} for c, (_, columns) in answers.items()},
    )
    members = [SimpleNamespace(council=c) for c in answers]
    classes = pooled.answering_alike(members, probes)  # type: ignore[arg-type]
    return [[m.council for m in members] for members in classes]


def test_councils_answering_alike_are_computed_together() -> None:
    full = ({"t", "mother"}, {"x", "y"})
    no_mother = ({"t"}, {"x", "y"})
    answers = {c: full for c in "abcdef"}
    # two without mothers' records and one never filling y: too few for a class of their own,
    # computed with the others (computed again only for what asks about mothers or y)
    answers |= {"g": no_mother, "h": no_mother, "j": ({"t", "mother"}, {"x"})}
    answers["i"] = ({"t", "mother"}, {"x", "y", "z"})  # fills z, which no other does: alone
    assert _answering(answers) == [list("abcdefghj"), ["i"]]
    # five without mothers' records are a class of their own; two left alone, together
    answers = {c: full for c in "abcdef"} | {c: no_mother for c in "vwxyz"}
    answers |= {"k": ({"t"}, {"z"}), "m": ({"t", "mother"}, {"q"})}
    assert _answering(answers) == [list("abcdef"), list("vwxyz"), ["k", "m"]]


@pytest.fixture(scope="module")
def four(builds: dict[str, Build], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    """901 and 902, and 903 and 904 with the same tables under other LA codes."""
    root = tmp_path_factory.mktemp("tiny-pool-four")
    return {
        **builds,
        "903": _publish(root, "903", _with_contacts("903")),
        "904": _publish(root, "904", _without_contacts()),
    }


def test_a_group_in_parts_equals_each_councils_own_run(
    four: dict[str, Build], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four councils of one signature in parts of two: the two without contacts or population
    (the fewer rows) together, then the other two, each part answering the data's questions
    as each of its councils does, so no indicator is computed again; every value is each
    council's own."""
    computed: list[list[str]] = []
    compute_group = pooled.compute_group

    def spy(tables: Any, group: Any, *args: Any, **kwargs: Any) -> Any:
        computed.append([m.council for m in group])
        return compute_group(tables, group, *args, **kwargs)

    monkeypatch.setattr(pooled, "compute_group", spy)
    results = pooled.pooled_results(four, part_councils=2)
    assert computed == [["902", "904"], ["901", "903"]]
    for code, build in four.items():
        assert_frame_equal(results[code], compute_build(build))


def test_a_later_part_reuses_the_sql_compiled_for_the_first(
    builds: dict[str, Build], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts that answer the data's questions alike run the same SQL: the second part of four
    like councils compiles nothing (its views have the first part's names)."""
    alike = {code: _publish(tmp_path, code, _with_contacts(code)) for code in CODES_ALIKE}
    sql_cache.forget_process_memory()
    kept: list[int] = []
    parts: list[list[str]] = []
    keep = sql_cache.keep

    def count(*args: Any) -> None:
        kept[-1] += 1
        keep(*args)

    def on_group(codes: Any) -> None:
        parts.append(list(codes))
        kept.append(0)

    monkeypatch.setattr(sql_cache, "keep", count)
    results = pooled.pooled_results(alike, ids=SPARK_IDS, part_councils=2, on_group=on_group)
    assert parts == [["905", "906"], ["907", "908"]]
    assert kept[0] > 0
    assert kept[1] == 0
    for code, build in alike.items():
        assert_frame_equal(results[code], compute_build(build, ids=SPARK_IDS))


CODES_ALIKE = ("905", "906", "907", "908")


def test_a_pools_sql_kept_on_disk_is_not_compiled_again(
    builds: dict[str, Build], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pooled run's SQL kept in a folder: a second run in a new process (the memory
    forgotten) compiles nothing and gives the same values; councils whose tables answer a
    probe otherwise (no contacts) miss the contacts indicators' entries and compile them."""
    alike = {code: _publish(tmp_path, code, _with_contacts(code)) for code in CODES_ALIKE}
    folder = tmp_path / "pool-sql"
    kept: list[str] = []
    keep = sql_cache.keep

    def count(build: Any, base: str, *args: Any) -> None:
        if build.sql_cache_dir == folder:  # not a council's own run in its store
            kept.append(base)
        keep(build, base, *args)

    monkeypatch.setattr(sql_cache, "keep", count)
    sql_cache.forget_process_memory()
    first = pooled.pooled_results(alike, sql_cache=folder)
    assert kept and any(folder.glob("*.json"))
    compiled = len(kept)
    sql_cache.forget_process_memory()
    again = pooled.pooled_results(alike, sql_cache=folder)
    assert len(kept) == compiled  # nothing compiled again
    for code, build in alike.items():
        assert_frame_equal(again[code], first[code])
        assert_frame_equal(again[code], compute_build(build))
    # 902 and a twin without contacts: their contacts indicators miss and are compiled
    twin = _publish(tmp_path, "904", _without_contacts())
    sql_cache.forget_process_memory()
    other = pooled.pooled_results({"902": builds["902"], "904": twin}, ids=SPARK_IDS,
                                  sql_cache=folder)  # fmt: skip
    assert len(kept) > compiled  # the contacts indicator, answered otherwise
    for code, build in (("902", builds["902"]), ("904", twin)):
        assert_frame_equal(other[code], compute_build(build, ids=SPARK_IDS))


def test_a_pool_keeps_its_sql_in_its_folder_unless_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSCPERF_SQL_CACHE", raising=False)
    assert pooled.pool_sql_cache(tmp_path) == tmp_path / "indicator-sql"
    monkeypatch.setenv("CSCPERF_SQL_CACHE", str(tmp_path / "shared"))
    assert pooled.pool_sql_cache(tmp_path) == tmp_path / "shared"


def test_a_months_check_passed_for_the_groups_months_is_not_asked_again() -> None:
    """PEPs up to date checks each month lies in a school term: passed for the group's months
    it passes for any council's fewer months (no re-run), failed it may not (a re-run)."""
    registered()  # the areas' modules, which register their checks
    pep = "lac_health.pep_up_to_date_pct"
    terms = {"autumn": "1 Sep - 31 Dec", "spring": "1 Jan - 31 Mar"}  # no summer term

    def run(*ends: date) -> Any:
        parameters = SimpleNamespace(values={"terms": terms})
        return SimpleNamespace(parameters=parameters, period_ends=ends)

    assert pooled._months_pass(pep, run(date(2024, 1, 31), date(2024, 3, 31)))
    assert not pooled._months_pass(pep, run(date(2024, 3, 31), date(2024, 4, 30)))
    assert pooled._months_pass("referrals.count", run(date(2024, 4, 30)))
