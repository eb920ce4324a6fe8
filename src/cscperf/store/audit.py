"""The audit log: who did what, and when, on the council's service.

Sign-ins (and refused sign-ins), publishes, imports, risk edits, commentary edits and sign-offs,
and every view or download of a list of children are written here. The log lives in the
store's council database (:mod:`cscperf.store.council_data`), in a table whose triggers refuse
any UPDATE or DELETE: an entry, once written, stays as it was. ``detail`` says what was acted
on (a build, an indicator and month, a risk); it may name a locality but never a child.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cscperf.store.council_data import append_only, council_database

TABLE = "audit_log"

# the actions written; other modules may add their own (short, dotted, lower case)
SIGN_IN = "sign_in"
SIGN_IN_REFUSED = "sign_in.refused"
SIGN_OUT = "sign_out"
PUBLISH = "build.publish"
IMPORT = "import"
RISK_EDIT = "risk.edit"
AUDIT_EXPORT = "audit.export"


@dataclass(frozen=True)
class AuditEntry:
    number: int
    at: str  # ISO 8601, UTC, to the second
    who: str
    action: str
    detail: str


def _ensure(con: sqlite3.Connection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "number INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL, "
        "action TEXT NOT NULL, detail TEXT NOT NULL)"
    )
    append_only(con, TABLE)


def detail_text(detail: str | dict[str, object] | None) -> str:
    """A detail as stored: text as it is, a mapping as compact JSON with sorted keys."""
    if detail is None:
        return ""
    if isinstance(detail, str):
        return detail
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str)


def record(
    store: Path,
    who: str,
    action: str,
    detail: str | dict[str, object] | None = None,
    *,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry (committed before this returns) and give it back."""
    when = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = detail_text(detail)
    with council_database(store, create=True) as con:
        _ensure(con)
        cursor = con.execute(
            f"INSERT INTO {TABLE} (at, who, action, detail) VALUES (?, ?, ?, ?)",
            (when, who, action, text),
        )
        number = int(cursor.lastrowid or 0)
    return AuditEntry(number, when, who, action, text)


def read_entries(
    store: Path, *, action: str | None = None, who: str | None = None, limit: int | None = None
) -> list[AuditEntry]:
    """Entries, newest first; optionally only one action (or its prefix, ``"sign_in"`` also
    gives ``"sign_in.refused"``) or one person, at most ``limit`` of them."""
    query = f"SELECT number, at, who, action, detail FROM {TABLE}"
    where: list[str] = []
    params: list[object] = []
    if action:
        where.append("(action = ? OR substr(action, 1, ?) = ?)")
        params += [action, len(action) + 1, action + "."]
    if who:
        where.append("who = ?")
        params.append(who)
    if where:
        query += " WHERE " + " AND ".join(where)
    query += " ORDER BY number DESC"
    if limit is not None:
        query += " LIMIT ?"
        params.append(int(limit))
    with council_database(store) as con:
        _ensure(con)
        return [AuditEntry(*row) for row in con.execute(query, params)]


AUDIT_HEADERS = ("Number", "When (UTC)", "Who", "Action", "Detail")


def entry_row(entry: AuditEntry) -> list[str]:
    return [str(entry.number), entry.at, entry.who, entry.action, entry.detail]
