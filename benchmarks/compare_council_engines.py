"""SQLite or DuckDB for the council records kept beside the builds? (ADR 0007's measurement.)

Not part of ``make bench``: it measures a choice, not a target. Run it as
``python benchmarks/compare_council_engines.py [WORKERS] [SECONDS]``.

It imitates the dashboard served by several worker processes: each worker, for the same
number of seconds, repeatedly opens the database file, does one piece of work and closes it
(as a request does): four reads in five (the newest 50 audit entries and the count), one
append in five (read the newest entry, insert the next with its number, in one write
transaction). A database that is locked by another process is retried every 5 ms for up to
5 s, then the operation counts as failed. Prints, per engine, operations done, appends made
and found afterwards, failures, and read and append latency (p50, p95, max) in milliseconds.
"""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

RETRY_SECONDS = 5.0
TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS audit_log (number INTEGER PRIMARY KEY, at_ TEXT NOT NULL, "
    "who TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL)"
)


def _sqlite(path: Path, wal: bool) -> Callable[[], Any]:
    def open_() -> Any:
        con = sqlite3.connect(path, timeout=RETRY_SECONDS, isolation_level=None)
        if wal:
            con.execute("PRAGMA journal_mode=WAL")
        return con

    return open_


def _duckdb(path: Path) -> Callable[[], Any]:
    def open_() -> Any:
        return duckdb.connect(str(path))

    return open_


ENGINES: dict[str, Callable[[Path], Callable[[], Any]]] = {
    "sqlite (rollback journal)": lambda p: _sqlite(p.with_suffix(".sqlite3"), wal=False),
    "sqlite (WAL)": lambda p: _sqlite(p.with_suffix(".wal.sqlite3"), wal=True),
    "duckdb": lambda p: _duckdb(p.with_suffix(".duckdb")),
}


def _with_retry(open_: Callable[[], Any], work: Callable[[Any], None]) -> bool:
    deadline = time.monotonic() + RETRY_SECONDS
    while True:
        try:
            con = open_()
            try:
                work(con)
            finally:
                con.close()
            return True
        except (duckdb.IOException, duckdb.TransactionException, sqlite3.OperationalError):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)


def _read(con: Any) -> None:
    con.execute("SELECT count(*) FROM audit_log").fetchall()
    con.execute("SELECT * FROM audit_log ORDER BY number DESC LIMIT 50").fetchall()


def _append(worker: int) -> Callable[[Any], None]:
    def work(con: Any) -> None:
        con.execute("BEGIN IMMEDIATE" if isinstance(con, sqlite3.Connection) else "BEGIN")
        row = con.execute("SELECT max(number) FROM audit_log").fetchone()
        number = int(row[0] or 0) + 1
        con.execute(
            "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)",
            [number, "2026-12-03T12:00:00Z", f"worker {worker}", "sign_in", "x" * 80],
        )
        con.execute("COMMIT")

    return work


def _worker(args: tuple[str, Path, int, float]) -> dict[str, Any]:
    engine, path, worker, seconds = args
    open_ = ENGINES[engine](path)
    rng = random.Random(worker)
    out: dict[str, Any] = {"read": [], "append": [], "failed": 0, "appended": 0}
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        kind = "append" if rng.random() < 0.2 else "read"
        started = time.perf_counter()
        ok = _with_retry(open_, _append(worker) if kind == "append" else _read)
        out[kind].append((time.perf_counter() - started) * 1000)
        if not ok:
            out["failed"] += 1
        elif kind == "append":
            out["appended"] += 1
    return out


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered):.1f}, p95 {p95:.1f}, max {ordered[-1]:.1f}"


def main(workers: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for engine, make in ENGINES.items():
            path = Path(tmp) / engine.split()[0]
            con = make(path)()
            con.execute(TABLE_SQL)
            con.close()
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(workers) as pool:
                results = pool.map(_worker, [(engine, path, w, seconds) for w in range(workers)])
            con = make(path)()
            found = int(con.execute("SELECT count(*) FROM audit_log").fetchone()[0])
            con.close()
            reads = [v for r in results for v in r["read"]]
            appends = [v for r in results for v in r["append"]]
            appended = sum(r["appended"] for r in results)
            failed = sum(r["failed"] for r in results)
            print(
                f"{engine}: {len(reads) + len(appends)} operations by {workers} processes in "
                f"{seconds:g} s; {appended} appends made, {found} found; {failed} failed "
                f"(locked over {RETRY_SECONDS:g} s)\n  read ms:   {_ms(reads)}\n"
                f"  append ms: {_ms(appends)}",
                flush=True,
            )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 4,
        float(sys.argv[2]) if len(sys.argv) > 2 else 10.0,
    )
