"""A PostgreSQL server: shared building blocks as analysed temporary tables, nothing else.

Every query goes through Ibis in the main thread with its months written out (the planner
does better with literal months than with a runs table, and nothing is cached, so run keys
would gain nothing). The session turns off nested loops and JIT (see ``SESSION``); a build's
tables arrive by COPY and are analysed at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import ibis

from cscperf.errors import ConfigError
from cscperf.indicators.backends.base import Backend
from cscperf.settings import redacted

if TYPE_CHECKING:
    import polars as pl

# PostgreSQL guesses one row after each "first per key" window filter and then nests loops
# over re-run subqueries (minutes for one indicator), and its JIT compiles each of these large
# queries (seconds, for milliseconds of work). The answers are the same either way.
SESSION = "SET enable_nestloop = off; SET jit = off"
COPY_ROWS = 200_000  # rows per COPY chunk: bounded memory for the CSV text


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PostgresBackend(Backend):
    name: ClassVar[str] = "postgres"
    runs_sql_text: ClassVar[bool] = False
    run_keys: ClassVar[bool] = False
    worker_cursor: ClassVar[bool] = False
    shared_tables: ClassVar[bool] = True
    temporary_tables: ClassVar[bool] = True
    cannot_express: ClassVar[Mapping[str, str]] = {
        "a boolean cast to a number": "count a test with blocks.expressions.one_if(condition)",
        r"\b in a regular expression (it is a backspace)": "spell out 'not a letter or the end'",
        "date + interval as a date (it gives a timestamp)": "cast the sum back to a date "
        "(blocks.care_periods.add_months)",
        "a row_number() window without an order": "always order the window",
    }

    def materialise(self, name: str, sql: str, defer: Callable[[str], Any] | None) -> None:
        # A temporary table is this session's alone (runs sharing the server never see each
        # other's) and goes with it; ANALYZE gives the planner its real size, without which it
        # guesses a handful of rows and picks nested loops over thousands.
        for statement in (
            f"DROP TABLE IF EXISTS {_quoted(name)}",
            f"CREATE TEMPORARY TABLE {_quoted(name)} AS {sql}",
            f"ANALYZE {_quoted(name)}",
        ):
            self.con.raw_sql(statement).close()

    @staticmethod
    def connect(url: str) -> Any:
        """An Ibis connection to ``url`` (postgresql://user@host:port/db) with the session
        settings the catalogue's queries need to run in reasonable time."""
        if not url.startswith(("postgresql://", "postgres://")):
            raise ConfigError(
                f"--database {redacted(url)}: give a PostgreSQL address such as "
                "postgresql://user@host:5432/database"
            )
        try:
            con = ibis.connect(url.replace("postgresql://", "postgres://", 1))
        except Exception as exc:  # psycopg's errors vary by cause; all mean "cannot connect"
            reason = " ".join(str(exc).split())
            raise ConfigError(
                f"cannot connect to the PostgreSQL server {redacted(url)} ({reason}); check the "
                "address, that the server is running and that the user may log in"
            ) from exc
        con.raw_sql(SESSION).close()
        return con

    @staticmethod
    def copy_into(con: Any, name: str, frame: pl.DataFrame) -> None:
        """Create table ``name`` with the frame's columns and fill it with COPY, which is
        many times faster than the row inserts of a generic upload. Nulls travel as unquoted
        empty fields and empty strings as "", which PostgreSQL's CSV format tells apart."""
        schema = ibis.Schema.from_pyarrow(frame.to_arrow().schema)
        con.create_table(name, schema=schema, overwrite=True)
        columns = ", ".join(_quoted(c) for c in frame.columns)
        raw = con.con
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {_quoted(name)} ({columns}) FROM STDIN (FORMAT csv)") as copy,
        ):
            for start in range(0, frame.height, COPY_ROWS):
                chunk = frame.slice(start, COPY_ROWS)
                copy.write(
                    chunk.write_csv(include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.f")
                )
        raw.commit()
        # Statistics now, not whenever autovacuum gets to it: the planner needs the real sizes.
        con.raw_sql(f"ANALYZE {_quoted(name)}").close()
