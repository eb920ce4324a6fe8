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
    tables = duckdb_tables(build)
    tables.sql_cache_dir = cache
    return compute(tables, first, last, settings=build.settings)


def _with_sql(cache: Path) -> set[str]:
    """The entries holding compiled SQL (not an indicator's "not available" reason, which is
    kept by its months)."""
    return {p.name for p in cache.glob("*.json") if json.loads(p.read_text())["sql"]}


def test_next_months_window_reuses_the_sql_and_gives_the_same_rows(
    synthetic_build: Any, tmp_path: Path
) -> None:
    cache = tmp_path / "sql"
    sql_cache._MEMORY.clear()
    _run(synthetic_build, cache, date(2020, 4, 30), date(2024, 1, 31))  # "January's run"
    compiled = _with_sql(cache)
    assert len(compiled) > 100
    sql_cache._MEMORY.clear()  # next month is another process: only the folder is shared
    february = _run(synthetic_build, cache, date(2020, 5, 31), date(2024, 2, 29))
    # Every indicator ran from the SQL compiled a month earlier: nothing new was compiled.
    assert _with_sql(cache) == compiled

    sql_cache._MEMORY.clear()
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
            sql_cache._MEMORY.clear()  # the second run is another process: only the folder
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
