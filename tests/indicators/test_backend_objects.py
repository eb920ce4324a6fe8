"""Backend objects (``indicators/backends``): chosen by the connection, capabilities declared
as data and consistent, and a backend without any capability still computes the same rows
(every query through Ibis in the main thread, shared blocks inlined)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import ibis
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.indicators.care_helpers import CARE_AREAS
from tests.indicators.helpers import SETTINGS, row
from tests.indicators.test_lac import EPISODES, LEGAL

from cscperf.errors import ConfigError
from cscperf.indicators.backends import BACKENDS, Backend, DuckDBBackend, backend_for
from cscperf.indicators.backends.duckdb import catalogue_threads
from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.engine import compute
from cscperf.indicators.scheduler import ExecutionThread
from cscperf.indicators.testing import build_from_rows, population_rows

IDS = ["lac.count", "lac.rate_per_10k", "lac.starts_count", "placements.residential_pct"]
TABLES = {
    "ssd_cla_episodes": EPISODES,
    "ssd_legal_status": LEGAL,
    "population": population_rows({2023: 10_000}),
}


class _Other:
    """A connection of a kind no backend is registered for."""

    name = "somedb"


def test_the_backend_is_chosen_by_the_connection():
    assert type(backend_for(ibis.duckdb.connect())) is DuckDBBackend
    other = backend_for(_Other())
    assert type(other) is Backend
    assert not (other.runs_sql_text or other.run_keys or other.worker_cursor)
    assert not (other.shared_tables or other.temporary_tables)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_capabilities_are_consistent(name: str):
    backend = BACKENDS[name]
    assert backend.name == name
    # Run keys and a worker thread both run cached SQL text; temporary tables are shared ones.
    assert not backend.run_keys or backend.runs_sql_text
    assert not backend.worker_cursor or backend.runs_sql_text
    assert not backend.temporary_tables or backend.shared_tables
    for fault, instead in backend.cannot_express.items():
        assert fault.strip() and instead.strip()


def _compute(backend: type[Backend]) -> pl.DataFrame:
    build = build_from_rows(TABLES)
    build.backend = backend(build.con)
    catalogue = load_catalogue(areas=CARE_AREAS)
    return compute(
        build, date(2024, 1, 31), date(2024, 5, 31), settings=SETTINGS, ids=IDS, catalogue=catalogue
    )


def test_a_backend_without_capabilities_gives_the_same_rows():
    # The base Backend raises if asked to make a shared table or run SQL text, so this run
    # proves the engine asks for neither when the backend does not declare them.
    plain = _compute(Backend)
    assert_frame_equal(plain, _compute(DuckDBBackend))
    # 31 Mar 2024: C (care from 20 Jan), D (returned 15 Feb) and F are looked after; A was
    # adopted on 31 Mar and E's care ended on 20 Mar.
    assert row(plain, "lac.count", date(2024, 3, 31))["value"] == 3


def test_the_worker_thread_runs_only_where_the_backend_has_a_worker_cursor():
    build = build_from_rows(TABLES)
    with ExecutionThread(build) as execute:
        assert execute is not None and build.defer is not None
    assert build.defer is None
    build.backend = Backend(build.con)
    with ExecutionThread(build) as execute:
        assert execute is None and build.defer is None


class _Watching(DuckDBBackend):
    """DuckDB, noting its threads setting each time a statement runs on the worker thread."""

    seen: ClassVar[list[int]] = []

    def fetch(self, sql, cursor=None):
        if cursor is not None:
            setting = cursor.execute("SELECT current_setting('threads')").fetchone()[0]
            self.seen.append(int(setting))
        return super().fetch(sql, cursor)


def _threads_seen_computing(monkeypatch, given: str | None) -> tuple[set[int], int]:
    """The worker's threads settings while computing, and the setting after (3 before)."""
    if given is None:
        monkeypatch.delenv("CSCPERF_DUCKDB_THREADS", raising=False)
    else:
        monkeypatch.setenv("CSCPERF_DUCKDB_THREADS", given)
    build = build_from_rows(TABLES)
    build.con.raw_sql("SET threads = 3")
    build.backend = _Watching(build.con)
    _Watching.seen = []
    catalogue = load_catalogue(areas=CARE_AREAS)
    compute(
        build, date(2024, 1, 31), date(2024, 3, 31), settings=SETTINGS, ids=IDS, catalogue=catalogue
    )
    after = build.con.raw_sql("SELECT current_setting('threads')").fetchone()[0]
    return set(_Watching.seen), after


def test_duckdb_keeps_its_own_threads_unless_told(monkeypatch):
    seen, after = _threads_seen_computing(monkeypatch, None)
    assert seen == {3} and after == 3


def test_duckdb_runs_the_catalogue_on_the_threads_asked_and_puts_its_setting_back(monkeypatch):
    seen, after = _threads_seen_computing(monkeypatch, "1")
    assert seen == {1} and after == 3


@pytest.mark.parametrize("given", ["0", "two", "-1", "1.5"])
def test_a_threads_setting_that_is_not_a_count_is_refused_with_its_name(monkeypatch, given):
    monkeypatch.setenv("CSCPERF_DUCKDB_THREADS", given)
    with pytest.raises(ConfigError, match="CSCPERF_DUCKDB_THREADS"):
        catalogue_threads()
