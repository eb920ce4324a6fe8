"""The store's database of council-managed data: records people keep, not data loaded.

Builds hold what was loaded from the case system and never change. Some records are kept by
the council itself and change between loads (the risk register): they live in one SQLite file
beside the builds, ``STORE/council.sqlite3``, in tables that are only ever appended to, so
that what the records said on any day can be re-created. SQLite (in Python's standard
library) lets the dashboard and a command write to the same file safely, one transaction at a
time, which DuckDB's single-writer file lock would not.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from cscperf.errors import StoreError

COUNCIL_DATABASE = "council.sqlite3"
BUSY_TIMEOUT_SECONDS = 30


def council_database_path(store: Path) -> Path:
    return Path(store) / COUNCIL_DATABASE


@contextlib.contextmanager
def council_database(store: Path, *, create: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to the store's council database, committed when the block ends without
    an error and rolled back when it raises (so nothing is ever half written).

    Without ``create`` a store that has no database yet gives an empty in-memory database,
    so that readers see "no records" rather than an error."""
    path = council_database_path(store)
    if not path.is_file() and not create:
        target = ":memory:"
    else:
        if not Path(store).is_dir():
            raise StoreError(
                f"{store} is not a folder; load data into a store first (cscperf ingest --store "
                f"{store}) or give the store's folder"
            )
        target = str(path)
    try:
        con = sqlite3.connect(target, timeout=BUSY_TIMEOUT_SECONDS, isolation_level="DEFERRED")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the council database {path} ({exc})") from exc
    try:
        con.execute("PRAGMA foreign_keys = ON")
        with con:
            yield con
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"the council database {path} could not be read or written ({exc}); restore it "
            "from the backup, or move it aside to start an empty one"
        ) from exc
    finally:
        con.close()


def append_only(con: sqlite3.Connection, table: str) -> None:
    """Triggers that refuse any UPDATE or DELETE of ``table``: history is never rewritten."""
    for action in ("UPDATE", "DELETE"):
        con.execute(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: add a new version instead'); END"
        )
