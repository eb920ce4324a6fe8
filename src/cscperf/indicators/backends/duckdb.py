"""The embedded DuckDB: every capability the engine has.

It runs SQL text itself, so compiled SQL is cached and names its months by run key; a second
cursor executes queries in a worker thread while the main thread compiles (DuckDB releases
the GIL while it works); shared building blocks become ordinary tables, because a temporary
table would be private to the connection that made it and the worker's cursor could not read
it. A build's tables are views over the build's cached DuckDB file, attached read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

from cscperf.indicators.backends.base import Backend

# DuckDB threads while the catalogue runs (see DuckDBBackend.catalogue_session).
CATALOGUE_THREADS = 1


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
        # One council's catalogue is about 160 statements of 0.01-0.9 s each, run one after
        # another on the worker thread while the main thread builds the next ones and rolls
        # up the last ones' sums. DuckDB splitting each statement over more threads cost
        # more than it gained: the default county's statements replayed alone took about a
        # third more CPU with two threads than with one (ADR 0005, seventh pass), and the main
        # thread already keeps a second core busy. A pool's statements, a hundred times
        # larger, keep DuckDB's default.
        before = self.con.con.execute("SELECT current_setting('threads')").fetchone()
        self.con.con.execute(f"SET threads = {CATALOGUE_THREADS}")
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
