"""The audit log: who did what, and when, on the council's service.

Sign-ins (and refused sign-ins), publishes, imports, risk edits, commentary edits and sign-offs,
and every view or download of a list of children are written here. The log lives in the
store's council database (:mod:`cscperf.store.council_data`: the store's SQLite file, or the
shared PostgreSQL database), in a table the database itself keeps append-only: triggers refuse
any UPDATE or DELETE (and TRUNCATE on PostgreSQL). ``detail`` says what was acted on (a build,
an indicator and month, a risk); it may name a locality but never a child.

Each entry also carries the hash of the entry before it and its own hash (SHA-256 of its
number, time, who, action, detail and that previous hash), so a change made around the
triggers (by the database's owner, or to a copy of the file) breaks the chain at the first
entry changed, removed or inserted; :func:`verify` finds it. Removing the newest entries
leaves a shorter chain that is still whole: compare the newest number and hash with ones
noted earlier (``cscperf audit verify`` prints them) to see that.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cscperf.errors import CscperfError
from cscperf.spreadsheet_safety import csv_rows_text
from cscperf.store.council_data import Migration, Schema, Session, council_database

TABLE = "audit_log"
GENESIS = "0" * 64  # the "previous hash" of the first entry

# the actions written; other modules may add their own (short, dotted, lower case)
SIGN_IN = "sign_in"
SIGN_IN_REFUSED = "sign_in.refused"
SIGN_OUT = "sign_out"
PUBLISH = "build.publish"
IMPORT = "import"
RISK_EDIT = "risk.edit"
AUDIT_EXPORT = "audit.export"

CSV = "csv"
JSONL = "jsonl"
FORMATS = (CSV, JSONL)


@dataclass(frozen=True)
class AuditEntry:
    number: int
    at: str  # ISO 8601, UTC, to the second
    who: str
    action: str
    detail: str
    prev_hash: str = ""
    hash: str = ""


def entry_hash(number: int, at: str, who: str, action: str, detail: str, prev_hash: str) -> str:
    """The SHA-256 (hex) of an entry: its fields and the previous entry's hash, as compact
    JSON (UTF-8), so that no field's text can run into the next."""
    text = json.dumps(
        [number, at, who, action, detail, prev_hash], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _create(session: Session) -> None:
    session.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (number {session.serial_key()}, at TEXT NOT NULL, "
        "who TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL)"
    )
    session.append_only(TABLE)


def _chain(session: Session) -> None:
    """Entries written before the chain existed are chained now, in their order."""
    for column in ("prev_hash", "hash"):
        session.execute(f"ALTER TABLE {TABLE} ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    rows = session.execute(f"SELECT number, at, who, action, detail FROM {TABLE} ORDER BY number")
    if rows:
        with session.append_only_lifted(TABLE):
            previous = GENESIS
            for number, at, who, action, detail in rows:
                digest = entry_hash(int(number), at, who, action, detail, previous)
                session.execute(
                    f"UPDATE {TABLE} SET prev_hash = ?, hash = ? WHERE number = ?",
                    [previous, digest, number],
                )
                previous = digest


SCHEMA = Schema(
    "audit",
    (
        Migration(1, "the audit log, append-only", _create),
        Migration(2, "each audit entry carries the hash of the one before", _chain),
    ),
    ((TABLE, "number"),),
)


def detail_text(detail: str | dict[str, object] | None) -> str:
    """A detail as stored: text as it is, a mapping as compact JSON with sorted keys."""
    if detail is None:
        return ""
    if isinstance(detail, str):
        return detail
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str)


@dataclass
class _Waiting:
    """An entry waiting to be written, and what became of it."""

    at: str
    who: str
    action: str
    detail: str
    woken: threading.Event = field(default_factory=threading.Event)
    entry: AuditEntry | None = None
    error: BaseException | None = None
    leads: bool = False  # woken to write the entries waiting, its own among them


@dataclass
class _Queue:
    """The entries of one store's log waiting to be written by this process."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: list[_Waiting] = field(default_factory=list)
    writing: bool = False


_QUEUES: dict[str, _Queue] = {}
_QUEUES_LOCK = threading.Lock()


def record(
    store: Path,
    who: str,
    action: str,
    detail: str | dict[str, object] | None = None,
    *,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry (committed before this returns) and give it back. Entries are
    written one transaction at a time (the database's write lock), so each follows the one
    before.

    Group commit: while one thread of this process writes, entries recorded meanwhile by
    other threads wait, and the next of them writes them all in one transaction (one commit
    to disk, not one each). Every caller still returns only once its own entry is committed.
    """
    when = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    me = _Waiting(when, who, action, detail_text(detail))
    with _QUEUES_LOCK:
        queue = _QUEUES.setdefault(str(Path(store).resolve()), _Queue())
    with queue.lock:
        queue.waiting.append(me)
        leads = not queue.writing
        queue.writing = True
    if not leads:
        me.woken.wait()
    if me.entry is None and me.error is None:  # it leads: write what waits, its own first
        _write_waiting(store, queue)
    if me.error is not None:
        raise me.error
    assert me.entry is not None
    return me.entry


def _write_waiting(store: Path, queue: _Queue) -> None:
    """Write every entry waiting in one transaction; then hand the writing to the first entry
    that came meanwhile (or stop)."""
    with queue.lock:
        batch, queue.waiting = queue.waiting, []
    try:
        entries = _append(store, batch)
        for waiting, entry in zip(batch, entries, strict=True):
            waiting.entry = entry
    except BaseException as exc:  # none of the batch was written: each caller is told
        for waiting in batch:
            waiting.error = exc
    finally:
        with queue.lock:
            following = queue.waiting[0] if queue.waiting else None
            queue.writing = following is not None
        for waiting in batch:
            waiting.woken.set()
        if following is not None:
            following.woken.set()  # it writes next, with those that came after it


def _append(store: Path, batch: list[_Waiting]) -> list[AuditEntry]:
    """The entries of ``batch`` appended in order, in one transaction."""
    written = []
    with council_database(store, SCHEMA, write=True) as session:
        last = session.one(f"SELECT number, hash FROM {TABLE} ORDER BY number DESC LIMIT 1")
        number, previous = (int(last[0]), str(last[1])) if last else (0, GENESIS)
        for waiting in batch:
            number += 1
            digest = entry_hash(
                number, waiting.at, waiting.who, waiting.action, waiting.detail, previous
            )
            entry = AuditEntry(
                number, waiting.at, waiting.who, waiting.action, waiting.detail, previous, digest
            )
            session.insert(TABLE, asdict(entry), "number")
            written.append(entry)
            previous = digest
    return written


_COLUMNS = "number, at, who, action, detail, prev_hash, hash"


def _entry(row: tuple[object, ...]) -> AuditEntry:
    number, at, who, action, detail, prev_hash, digest = row
    return AuditEntry(
        int(str(number)), str(at), str(who), str(action), str(detail), str(prev_hash), str(digest)
    )


def read_entries(
    store: Path, *, action: str | None = None, who: str | None = None, limit: int | None = None
) -> list[AuditEntry]:
    """Entries, newest first; optionally only one action (or its prefix, ``"sign_in"`` also
    gives ``"sign_in.refused"``) or one person, at most ``limit`` of them."""
    query = f"SELECT {_COLUMNS} FROM {TABLE}"
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
    with council_database(store, SCHEMA) as session:
        return [_entry(row) for row in session.execute(query, params)]


def all_entries(store: Path) -> list[AuditEntry]:
    """Every entry, oldest first (the order of the chain)."""
    with council_database(store, SCHEMA) as session:
        return [
            _entry(r) for r in session.execute(f"SELECT {_COLUMNS} FROM {TABLE} ORDER BY number")
        ]


AUDIT_HEADERS = ("Number", "When (UTC)", "Who", "Action", "Detail", "Previous hash", "Hash")


def entry_row(entry: AuditEntry) -> list[str]:
    return [
        str(entry.number),
        entry.at,
        entry.who,
        entry.action,
        entry.detail,
        entry.prev_hash,
        entry.hash,
    ]


def export_text(entries: Iterable[AuditEntry], fmt: str) -> str:
    """The entries as CSV (every text cell a spreadsheet would run as a formula made plain
    text) or as JSON lines (one entry a line, exactly as stored, which :func:`verify` can
    check again later)."""
    if fmt == CSV:
        return csv_rows_text(AUDIT_HEADERS, (entry_row(e) for e in entries))
    if fmt == JSONL:
        return "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in entries)
    raise ValueError(f"unknown audit export format {fmt!r}; the formats are {', '.join(FORMATS)}")


def export(store: Path, fmt: str, who: str) -> str:
    """The whole log (oldest first) in ``fmt``, the export itself written to the log first
    (so the file holds its own record)."""
    record(store, who, AUDIT_EXPORT, f"the whole log as {fmt.upper()}")
    return export_text(all_entries(store), fmt)


@dataclass(frozen=True)
class ChainCheck:
    """What :func:`verify` found: how many entries were checked, the newest entry's number and
    hash, and the first entry that breaks the chain (None when it is whole) and why."""

    entries: int
    last_number: int
    last_hash: str
    first_bad: int | None = None
    problem: str = ""


def verify(entries: Iterable[AuditEntry]) -> ChainCheck:
    """Check entries, oldest first: numbers follow on from 1, each carries the hash of the one
    before, and each hash is its own fields' hash."""
    count, number, previous = 0, 0, GENESIS
    for entry in entries:
        problem = ""
        if entry.number != number + 1:
            gap = entry.number > number + 1
            why = "entries between them are missing" if gap else "it is out of order or repeated"
            problem = f"entry {entry.number} follows entry {number}: {why}"
        elif entry.prev_hash != previous:
            problem = (
                f"entry {entry.number} does not carry the hash of entry {number}: an entry "
                "before it was changed, removed or added"
            )
        elif entry.hash != entry_hash(
            entry.number, entry.at, entry.who, entry.action, entry.detail, entry.prev_hash
        ):
            problem = f"entry {entry.number}'s fields do not match its hash: it was changed"
        if problem:
            return ChainCheck(count, number, previous, entry.number, problem)
        count, number, previous = count + 1, entry.number, entry.hash
    return ChainCheck(count, number, previous)


def verify_store(store: Path) -> ChainCheck:
    return verify(all_entries(store))


def read_jsonl(path: Path) -> Iterator[AuditEntry]:
    """The entries of a JSON-lines export, in the file's order; a line that is not an entry
    stops with the line's number."""
    fields = set(AuditEntry.__dataclass_fields__)
    with path.open(encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict) or set(raw) != fields:
                    raise ValueError(f"it must hold exactly {', '.join(sorted(fields))}")
                yield AuditEntry(**raw)
            except ValueError as exc:
                raise CscperfError(
                    f"{path}, line {line_number}: not an audit entry ({exc}); give a file "
                    "written by cscperf audit export --format jsonl"
                ) from exc
