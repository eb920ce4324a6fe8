"""Compiled SQL carries from one month's run to the next: the queries name their months only
through run keys, so next month's window reuses this month's SQL and gives exactly the rows a
fresh compilation gives."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cscperf.indicators import sql_cache
from cscperf.indicators.engine import compute
from cscperf.indicators.results import duckdb_tables


@pytest.fixture(scope="module")
def synthetic_build(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from cscperf.app.load import ingest
    from cscperf.store import Store
    from cscperf.synth import generate

    root = tmp_path_factory.mktemp("cached")
    inputs = root / "in"
    generate(inputs, seed=3, scale=0.02, start=date(2019, 4, 1), end=date(2024, 3, 31))
    outcome = ingest(
        root / "store", [inputs / "ssd", inputs / "population", inputs / "council.yaml"]
    )
    assert outcome.reason is None, outcome.reason
    return Store(root / "store").get()


def _run(build: Any, cache: Path, first: date, last: date) -> pl.DataFrame:
    """The catalogue with compiled SQL kept in ``cache`` (the SQL shipped with the package
    unread: this is about what the folder carries from one month to the next)."""
    tables = duckdb_tables(build)
    tables.sql_cache_dir = cache
    with sql_cache.without_shipped():
        return compute(tables, first, last, settings=build.settings)


def _with_sql(cache: Path) -> set[str]:
    """The entries holding compiled SQL (not an indicator's "not available" reason, which is
    kept by its months)."""
    return {p.name for p in cache.glob("*.json") if json.loads(p.read_text())["sql"]}


def test_next_months_window_reuses_the_sql_and_gives_the_same_rows(
    synthetic_build: Any, tmp_path: Path
) -> None:
    cache = tmp_path / "sql"
    sql_cache.forget_process_memory()
    _run(synthetic_build, cache, date(2020, 4, 30), date(2024, 1, 31))  # "January's run"
    compiled = _with_sql(cache)
    assert len(compiled) > 100
    sql_cache.forget_process_memory()  # next month is another process: only the folder is shared
    february = _run(synthetic_build, cache, date(2020, 5, 31), date(2024, 2, 29))
    # Every indicator ran from the SQL compiled a month earlier: nothing new was compiled.
    assert _with_sql(cache) == compiled

    sql_cache.forget_process_memory()
    fresh = _run(synthetic_build, tmp_path / "fresh", date(2020, 5, 31), date(2024, 2, 29))
    keys = ["indicator_id", "period_end", "breakdown", "breakdown_value"]
    assert_frame_equal(february.sort(keys), fresh.sort(keys), check_exact=True)
    assert february.get_column("period_end").max() == date(2024, 2, 29)
    assert february.get_column("period_end").min() == date(2020, 5, 31)


def test_a_not_available_indicator_is_remembered_and_not_built_again(tmp_path: Path) -> None:
    from cscperf.indicators.aggregates import prepare_aggregates
    from cscperf.indicators.catalogue import load_catalogue
    from cscperf.indicators.context import Context, NotAvailable
    from cscperf.indicators.engine import install_calendar
    from cscperf.indicators.testing import build_from_rows

    rows = {"ssd_cin_episodes": [{"cine_referral_id": "1", "cine_person_id": "A"}]}
    definition = load_catalogue().get("referrals.count")
    months = (date(2024, 3, 31),)
    calls: list[str] = []

    def needs_contacts(ctx: Context) -> Any:
        calls.append("built")
        return ctx.table("ssd_contacts")  # the build has none: NotAvailable

    reasons = []
    for run in range(2):
        if run:
            sql_cache.forget_process_memory()  # the second run is another process: only the folder
        build = build_from_rows(rows, prefix="same_")
        build.sql_cache_dir = tmp_path / "sql"
        install_calendar(build, months[0], months[-1])
        ctx = Context(build, definition, {}, months)
        with pytest.raises(NotAvailable) as raised:
            prepare_aggregates(ctx, needs_contacts, [], ("v1",))
        reasons.append(raised.value.reason)
    # The reason came back from the cache: the function ran only the first time.
    assert calls == ["built"]
    assert reasons[0] == reasons[1] and "ssd_contacts" in reasons[0]
    # Other months are another key (an indicator may be unavailable for some months only).
    build = build_from_rows(rows, prefix="same_")
    build.sql_cache_dir = tmp_path / "sql"
    install_calendar(build, date(2024, 4, 30), date(2024, 4, 30))
    ctx = Context(build, definition, {}, (date(2024, 4, 30),))
    with pytest.raises(NotAvailable):
        prepare_aggregates(ctx, needs_contacts, [], ("v1",))
    assert calls == ["built", "built"]


MARCH = (date(2024, 3, 31),)


def _referrals(teams: list[str | None]) -> dict[str, list[dict[str, Any]]]:
    """One referral in March 2024 per entry of ``teams`` (the referral's team, or None)."""
    return {
        "ssd_cin_episodes": [
            {
                "cine_referral_id": str(i),
                "cine_person_id": f"P{i}",
                "cine_referral_date": "2024-03-10",
                "cine_referral_team": team,
            }
            for i, team in enumerate(teams)
        ]
    }


def _by_team_when_recorded(calls: list[str]) -> Any:
    """An indicator function whose expression depends on the data through a probe: referrals
    by their team when the build ever records one, else all under "unrecorded"."""
    import ibis

    from cscperf.indicators.context import Context

    def function(ctx: Context) -> Any:
        calls.append("built")
        referrals = ctx.table("ssd_cin_episodes", ["cine_person_id"])
        recorded = ctx.has_field("ssd_cin_episodes", "cine_referral_team")
        team = referrals.cine_referral_team if recorded else ibis.literal("unrecorded")
        return referrals.select(period_end=ibis.literal(MARCH[0]), team=team, numerator=1)

    return function


def _prepared(
    rows: dict[str, list[dict[str, Any]]], cache: Path | None, function: Any
) -> tuple[str, pl.DataFrame]:
    """The SQL prepared for ``function`` on a build of ``rows`` (compiled SQL kept in
    ``cache``; None: in this process only), and the grouped sums it gives there."""
    from cscperf.indicators.aggregates import execute_aggregates, prepare_aggregates
    from cscperf.indicators.catalogue import load_catalogue
    from cscperf.indicators.context import Context
    from cscperf.indicators.engine import install_calendar
    from cscperf.indicators.testing import build_from_rows

    build = build_from_rows(rows, prefix="probe_")
    build.sql_cache_dir = cache
    install_calendar(build, MARCH[0], MARCH[-1])
    ctx = Context(build, load_catalogue().get("referrals.count"), {}, MARCH)
    sql = prepare_aggregates(ctx, function, [], ("v1",))
    assert isinstance(sql, str)
    sums, _ = execute_aggregates(build, sql)
    return sql.replace(build.scratch, "SCRATCH"), sums.sort("team")


def test_sql_is_reused_by_another_build_that_answers_the_probes_alike(tmp_path: Path) -> None:
    cache, calls = tmp_path / "shared-sql", []
    function = _by_team_when_recorded(calls)
    sql_cache.forget_process_memory()
    first_sql, _ = _prepared(_referrals(["North", "South"]), cache, function)
    assert calls == ["built"]
    # Another council (other rows, other counts), in another process, sharing the folder:
    # every probe is answered alike (the table has rows, the team is filled), so its SQL is
    # found without building anything, and gives that council's own sums.
    sql_cache.forget_process_memory()
    other = _referrals(["North", "North", "West"])
    sql, sums = _prepared(other, cache, function)
    assert calls == ["built"]
    assert sql == first_sql
    assert sums.select("team", "num").rows() == [("North", 2.0), ("West", 1.0)]
    sql_cache.forget_process_memory()
    fresh_sql, fresh_sums = _prepared(other, None, function)  # compiled afresh
    assert fresh_sql == sql
    assert_frame_equal(fresh_sums, sums, check_exact=True)


def test_a_changed_probe_answer_misses_the_cache_and_compiles_the_right_sql(
    tmp_path: Path,
) -> None:
    cache, calls = tmp_path / "shared-sql", []
    function = _by_team_when_recorded(calls)
    sql_cache.forget_process_memory()
    with_teams, _ = _prepared(_referrals(["North", "South"]), cache, function)
    # The same table with the team column never filled in: the probe "is the team ever
    # filled?" answers otherwise, so the SQL kept for the first build must not be used.
    sql_cache.forget_process_memory()
    sql, sums = _prepared(_referrals([None, None]), cache, function)
    assert calls == ["built", "built"]
    assert sql != with_teams and "cine_referral_team" not in sql
    assert sums.select("team", "num").rows() == [("unrecorded", 2.0)]
    sql_cache.forget_process_memory()
    fresh_sql, fresh_sums = _prepared(_referrals([None, None]), None, function)
    assert fresh_sql == sql
    assert_frame_equal(fresh_sums, sums, check_exact=True)
    # Both outcomes are now kept side by side: each build finds its own, building nothing.
    for teams, expected in (([None], sql), (["East"], with_teams)):
        sql_cache.forget_process_memory()
        assert _prepared(_referrals(teams), cache, function)[0] == expected
    assert calls == ["built", "built", "built"]


def test_cscperf_sql_cache_names_a_folder_every_store_shares(
    synthetic_build: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beside_the_build = duckdb_tables(synthetic_build).sql_cache_dir
    assert beside_the_build is not None
    assert beside_the_build.parent == synthetic_build.cache_path.parent
    monkeypatch.setenv("CSCPERF_SQL_CACHE", str(tmp_path / "every-council"))
    assert duckdb_tables(synthetic_build).sql_cache_dir == tmp_path / "every-council"


def test_a_changed_code_list_or_calendar_is_new_code_for_the_cache(tmp_path: Path) -> None:
    for name, text in {
        "indicators/areas/cp.py": "def f(): ...\n",
        "indicators/care_codes.yaml": "legal_status: [C1, C2]\n",
        "calendar/tables.py": "COLUMNS = ['date']\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    before = sql_cache.source_fingerprint(tmp_path)
    (tmp_path / "indicators/__pycache__").mkdir()
    (tmp_path / "indicators/__pycache__/cp.pyc").write_bytes(b"compiled")
    assert sql_cache.source_fingerprint(tmp_path) == before  # bytecode is not source
    (tmp_path / "indicators/care_codes.yaml").write_text("legal_status: [C1, C2, D1]\n")
    with_code = sql_cache.source_fingerprint(tmp_path)
    assert with_code != before
    (tmp_path / "calendar/tables.py").write_text("COLUMNS = ['date', 'is_working_day']\n")
    assert sql_cache.source_fingerprint(tmp_path) not in (before, with_code)
