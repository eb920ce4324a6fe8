"""The embedded DuckDB: every capability the engine has.

It runs SQL text itself, so compiled SQL is cached and names its months by run key; a second
cursor executes queries in a worker thread while the main thread compiles (DuckDB releases
the GIL while it works); shared building blocks become ordinary tables, because a temporary
table would be private to the connection that made it and the worker's cursor could not read
it. A build's tables are views over the build's cached DuckDB file, attached read-only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

from cscperf.errors import ConfigError
from cscperf.indicators.backends.base import Backend

# DuckDB's threads while one council's catalogue runs (see DuckDBBackend.catalogue_session);
# unset: DuckDB's own setting (every core).
THREADS_ENV = "CSCPERF_DUCKDB_THREADS"


def catalogue_threads() -> int | None:
    """The threads asked for in ``CSCPERF_DUCKDB_THREADS`` (a whole number of at least 1), or
    None when it is unset or empty."""
    given = os.environ.get(THREADS_ENV, "").strip()
    if not given:
        return None
    if not given.isdigit() or int(given) < 1:
        raise ConfigError(
            f"{THREADS_ENV}={given!r} is not a number of threads: give a whole number of at "
            "least 1, or leave it unset for DuckDB's own setting (every core)"
        )
    return int(given)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBBackend(Backend):
    name: ClassVar[str] = "duckdb"
    runs_sql_text: ClassVar[bool] = True
    run_keys: ClassVar[bool] = True
    worker_cursor: ClassVar[bool] = True
    shared_tables: ClassVar[bool] = True
    temporary_tables: ClassVar[bool] = False
    # DuckDB's optimiser flattens nested selects; Ibis merging them first only costs time.
    fuse_selects: ClassVar[bool] = False
    cannot_express: ClassVar[Mapping[str, str]] = {
        "temporary tables seen by another cursor": "shared blocks are ordinary tables, "
        "named per run and dropped at its end",
        "OR in a join condition without losing the hash join": "fill a missing end with a "
        "far-future date (blocks.expressions.ends_after) so one comparison remains",
    }

    def materialise(self, name: str, sql: str, defer: Callable[[str], Any] | None) -> None:
        # Not TEMP: the execution thread reads it through its own cursor, and DuckDB keeps
        # temporary tables private to one connection. The engine drops it after the run.
        if defer is None:
            self.con.raw_sql(f"CREATE OR REPLACE TABLE {_quoted(name)} AS {sql}")
            return
        # Created empty here (instant) so that Ibis can read its columns; filled on the
        # execution thread before any indicator query handed over later reads it.
        self.con.raw_sql(
            f"CREATE OR REPLACE TABLE {_quoted(name)} AS SELECT * FROM ({sql}) LIMIT 0"
        )
        defer(f"INSERT INTO {_quoted(name)} SELECT * FROM ({sql})")

    def fetch(self, sql: str, cursor: Any = None) -> Any:
        on = cursor if cursor is not None else self.con.con
        return on.execute(sql).to_arrow_table()

    def run(self, sql: str, cursor: Any) -> None:
        cursor.execute(sql)

    def open_cursor(self) -> Any:
        return self.con.con.cursor()

    @contextmanager
    def catalogue_session(self) -> Iterator[None]:
        # One council's catalogue is about 160 small statements run one after another on the
        # worker thread. On one thread DuckDB spends about a fifth less CPU on them than on
        # two, but an idle two-core machine then takes about a fifth longer (ADR 0005, seventh
        # pass): a user waiting for one council is better served by every core, a server
        # computing several councils at once by one thread each, so it is the operator's
        # choice and DuckDB's default stays.
        threads = catalogue_threads()
        if threads is None:
            yield
            return
        before = self.con.con.execute("SELECT current_setting('threads')").fetchone()
        self.con.con.execute(f"SET threads = {threads}")
        try:
            yield
        finally:
            if before is not None:
                self.con.con.execute(f"SET threads = {int(before[0])}")

    @staticmethod
    def attach_read_only(con: Any, path: str) -> dict[str, str]:
        """Attach the DuckDB file ``path`` read-only and make a view of each of its tables in
        ``con``; returns table name -> view name (the same)."""
        literal = path.replace("'", "''")
        con.raw_sql(f"ATTACH '{literal}' AS build_cache (READ_ONLY)")
        names: dict[str, str] = {}
        attached = con.raw_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'build_cache'"
        ).fetchall()
        for (name,) in attached:
            con.raw_sql(f"CREATE VIEW {_quoted(name)} AS SELECT * FROM build_cache.{_quoted(name)}")
            names[name] = name
        return names
