"""The council records (commentary and sign-off, risk register, audit log) behave the same on
both databases: the store's SQLite file and a shared PostgreSQL database named in
``STORE/store.yaml``. Every test here runs on each; the PostgreSQL runs skip without
``CSCPERF_TEST_PG_URL`` and each uses a schema of its own, dropped afterwards."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from cscperf.app.commentary import (
    DRAFT,
    INDICATOR,
    RETURNED,
    SIGNED_OFF,
    SUBMITTED,
    CommentaryRefused,
    Key,
    history,
    latest_number,
    pack_commentary,
    record,
)
from cscperf.cli import main
from cscperf.errors import ConfigError, StoreError
from cscperf.risk.history import append_versions, read_versions
from cscperf.risk.register import RiskVersion
from cscperf.store import audit
from cscperf.store.council_data import (
    POSTGRESQL,
    SQLITE,
    SqliteDatabase,
    close_council_databases,
    council_database,
    open_council_database,
)

SRC = Path(__file__).resolve().parents[2] / "src"
KEY = Key(INDICATOR, "lac.rate_per_10k", "2026-10", "")
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@dataclass
class Target:
    """A store whose council records are on ``dialect``; ``raw`` runs SQL around cscperf (as
    the database's owner would), to tamper with what the triggers guard."""

    store: Path
    dialect: str
    raw: Callable[[str], None]
    url: str = ""
    schema: str = ""


def _sqlite_target(store: Path) -> Target:
    def raw(sql: str) -> None:
        con = sqlite3.connect(store / "council.sqlite3", isolation_level=None)
        try:
            con.executescript(sql)
        finally:
            con.close()

    return Target(store, SQLITE, raw)


@pytest.fixture(params=[SQLITE, pytest.param(POSTGRESQL, marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    store = tmp_path / "store"
    store.mkdir()
    if request.param == SQLITE:
        yield _sqlite_target(store)
        close_council_databases()
        return
    base = os.environ.get("CSCPERF_TEST_PG_URL")
    if not base:
        pytest.skip("CSCPERF_TEST_PG_URL is not set (scripts/start-postgres.sh prints one)")
    schema = f"council_{uuid.uuid4().hex[:12]}"
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    with psycopg.connect(base, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    (store / "store.yaml").write_text(
        f"kind: cscperf-store-settings\ncouncil_database: {url}\n", encoding="utf-8"
    )

    def raw(sql: str) -> None:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(sql)

    yield Target(store, POSTGRESQL, raw, url, schema)
    close_council_databases()
    with psycopg.connect(base, autocommit=True) as con:
        con.execute(f"DROP SCHEMA {schema} CASCADE")


def test_the_store_settings_choose_the_database(target: Target) -> None:
    database = open_council_database(target.store, create=True)
    assert database.dialect == target.dialect
    audit.record(target.store, "someone", audit.IMPORT)
    # the shared database leaves no file in the store; the embedded one is that file
    assert (target.store / "council.sqlite3").is_file() == (target.dialect == SQLITE)


def test_commentary_draft_submit_return_and_sign_off_with_history(target: Target) -> None:
    store = target.store
    assert latest_number(store) == 0 and history(store, KEY) == []
    with pytest.raises(CommentaryRefused, match="not written yet"):
        record(store, KEY, SIGNED_OFF, {"analysis": "x"}, "Pat Officer")
    record(store, KEY, DRAFT, {"analysis": "First go"}, "Hana Head", at=AT)
    with pytest.raises(CommentaryRefused, match="is Draft"):
        record(store, KEY, SIGNED_OFF, {"analysis": "First go"}, "Pat Officer")
    record(store, KEY, SUBMITTED, {"analysis": "First go"}, "Hana Head", at=AT)
    record(store, KEY, RETURNED, {"analysis": "First go"}, "Pat Officer", "say why", at=AT)
    record(store, KEY, SUBMITTED, {"analysis": "Rates fell: 61.2"}, "Hana Head", at=AT)
    signed = record(store, KEY, SIGNED_OFF, {"analysis": "Rates fell: 61.2"}, "Pat Officer")
    record(store, KEY, DRAFT, {"analysis": "Next month's words"}, "Hana Head", at=AT)
    states = [(v.state, v.who, v.note) for v in history(store, KEY)]
    assert states == [
        (DRAFT, "Hana Head", ""),
        (SIGNED_OFF, "Pat Officer", ""),
        (SUBMITTED, "Hana Head", ""),
        (RETURNED, "Pat Officer", "say why"),
        (SUBMITTED, "Hana Head", ""),
        (DRAFT, "Hana Head", ""),
    ]
    assert latest_number(store) == signed.number + 1
    # the pack has the signed-off words, not the newer draft
    (entry,) = pack_commentary(store).indicators
    assert entry.analysis == "Rates fell: 61.2" and entry.status is None


def _risk() -> RiskVersion:
    return RiskVersion(
        risk_id="R1",
        name="Placement sufficiency",
        description="Too few foster carers",
        category="C",
        area="Placements",
        entered=date(2025, 1, 6),
        likelihood=4,
        impact=4,
        tasks="Recruit",
        progress="Campaign started",
        target_likelihood=2,
        target_impact=3,
        target_date=date(2026, 3, 31),
        owner="Director",
        reviewed_by="Pat Officer",
        reviewed_on=date(2025, 2, 1),
        links=("placements.foster_pct",),
        status="open",
    )


def test_the_risk_register_history_is_kept(target: Target) -> None:
    version = _risk()
    (stored,) = append_versions(target.store, [version], by="Pat", change="import", source="f")
    assert (
        append_versions(
            target.store, [version], by="Pat", change="import", source="f", skip_unchanged=True
        )
        == []
    )
    (read,) = read_versions(target.store, "R1")
    assert read == stored and read.links == ("placements.foster_pct",) and read.version == 1


def test_audit_entries_are_appended_and_read_newest_first(target: Target) -> None:
    audit.record(target.store, "Ada Admin", audit.SIGN_IN, {"roles": ["administrator"]}, at=AT)
    audit.record(target.store, "Nora", audit.SIGN_IN_REFUSED, "no group", at=AT)
    audit.record(target.store, "Ada Admin", audit.PUBLISH, "build b1", at=AT)
    assert [e.number for e in audit.read_entries(target.store)] == [3, 2, 1]
    assert [e.action for e in audit.read_entries(target.store, action="sign_in")] == [
        audit.SIGN_IN_REFUSED,
        audit.SIGN_IN,
    ]
    first = audit.read_entries(target.store, who="Ada Admin", limit=1)
    assert [(e.number, e.detail) for e in first] == [(3, "build b1")]
    one = audit.read_entries(target.store, action=audit.SIGN_IN, who="Ada Admin")[0]
    assert one.detail == '{"roles":["administrator"]}' and one.at == "2026-11-02T09:30:00Z"
    assert one.prev_hash == audit.GENESIS
    assert one.hash == audit.entry_hash(
        1, one.at, "Ada Admin", audit.SIGN_IN, one.detail, one.prev_hash
    )
    check = audit.verify_store(target.store)
    assert (check.entries, check.first_bad, check.last_number) == (3, None, 3)
    assert check.last_hash == audit.read_entries(target.store, limit=1)[0].hash


@pytest.mark.parametrize("table", ["audit_log", "commentary_versions", "risk_versions"])
def test_the_database_refuses_to_change_or_remove_records(target: Target, table: str) -> None:
    audit.record(target.store, "someone", audit.IMPORT)
    record(target.store, KEY, DRAFT, {"analysis": "words"}, "Hana Head")
    append_versions(target.store, [_risk()], by="Pat", change="import", source="f")
    statements = [f"UPDATE {table} SET who = 'x'", f"DELETE FROM {table}"]
    if table == "risk_versions":
        statements = [f"UPDATE {table} SET recorded_by = 'x'", f"DELETE FROM {table}"]
    if target.dialect == POSTGRESQL:
        statements.append(f"TRUNCATE {table}")
    for statement in statements:
        with (
            pytest.raises(StoreError, match="append-only"),
            council_database(target.store, write=True) as session,
        ):
            session.execute(statement)
    assert audit.read_entries(target.store)[0].who == "someone"
    assert history(target.store, KEY)[0].fields == {"analysis": "words"}


def _lift(target: Target, sql: str) -> None:
    """Change the audit log around its triggers, as its owner could."""
    if target.dialect == SQLITE:
        target.raw(f"DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}")
    else:
        target.raw(f"ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change; {sql}")


@pytest.mark.parametrize(
    ("tamper", "first_bad", "problem"),
    [
        (
            "UPDATE audit_log SET detail = 'nothing to see' WHERE number = 3",
            3,
            "fields do not match",
        ),
        ("DELETE FROM audit_log WHERE number = 2", 3, "entries between them are missing"),
        ("UPDATE audit_log SET who = 'x', hash = 'f' WHERE number = 2", 2, "do not match"),
    ],
)
def test_verify_names_the_first_entry_changed_around_the_triggers(
    target: Target, tamper: str, first_bad: int, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(5):
        audit.record(target.store, f"person {n}", audit.SIGN_IN)
    assert main(["audit", "verify", "--store", str(target.store)]) == 0
    assert "all 5 entries are whole; the newest is entry 5" in " ".join(
        capsys.readouterr().err.split()
    )
    _lift(target, tamper)
    check = audit.verify_store(target.store)
    assert check.first_bad == first_bad and problem in check.problem
    assert main(["audit", "verify", "--store", str(target.store)]) == 1
    said = " ".join(capsys.readouterr().err.split())
    assert f"the chain is broken at entry {first_bad}" in said


def test_a_rehashed_change_still_breaks_the_chain_at_the_next_entry(target: Target) -> None:
    for n in range(3):
        audit.record(target.store, f"person {n}", audit.SIGN_IN, at=AT)
    two = audit.read_entries(target.store, who="person 1")[0]
    forged = audit.entry_hash(2, two.at, "someone else", two.action, two.detail, two.prev_hash)
    _lift(target, f"UPDATE audit_log SET who = 'someone else', hash = '{forged}' WHERE number = 2")
    check = audit.verify_store(target.store)
    assert check.first_bad == 3 and "does not carry the hash of entry 2" in check.problem


def test_exports_are_safe_csv_and_exact_json_lines_that_verify(
    target: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit.record(target.store, '=HYPERLINK("http://x")', audit.RISK_EDIT, "@SUM(A1)")
    audit.record(target.store, "Ada Admin", audit.PUBLISH, 'café, "quoted"\nline two')
    out = tmp_path / "log.csv"
    assert (
        main(["audit", "export", "--store", str(target.store), "--out", str(out), "--by", "Ada"])
        == 0
    )
    text = out.read_bytes().decode("utf-8")
    assert text.startswith("Number,When (UTC),Who,Action,Detail,Previous hash,Hash\r\n")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "\r\n=" not in text
    # the export is itself in the log, and in the file it wrote
    assert audit.read_entries(target.store, limit=1)[0].action == audit.AUDIT_EXPORT
    assert ",audit.export,the whole log as CSV," in text
    jsonl = tmp_path / "log.jsonl"
    args = ["audit", "export", "--store", str(target.store), "--format", "jsonl", "--out"]
    assert main([*args, str(jsonl), "--by", "Ada"]) == 0
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["number"] for line in lines] == [1, 2, 3, 4]
    assert json.loads(lines[1])["detail"] == 'café, "quoted"\nline two'
    assert main(["audit", "verify", "--file", str(jsonl)]) == 0
    lines[1] = lines[1].replace("line two", "line 2")
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["audit", "verify", "--file", str(jsonl)]) == 1
    assert "broken at entry 2" in " ".join(capsys.readouterr().err.split())
    assert main(["audit", "export", "--store", str(target.store), "--format", "xml"]) == 2


def test_concurrent_writers_in_threads_lose_nothing(target: Target) -> None:
    record(target.store, KEY, SUBMITTED, {"analysis": "words"}, "Hana Head")
    signed: list[str] = []
    refused: list[str] = []

    def work(n: int) -> None:
        for i in range(10):
            audit.record(target.store, f"thread {n}", audit.SIGN_IN, f"visit {i}")
        try:
            record(target.store, KEY, SIGNED_OFF, {"analysis": "words"}, f"officer {n}")
            signed.append(f"officer {n}")
        except CommentaryRefused:
            refused.append(f"officer {n}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = audit.read_entries(target.store)
    assert sorted(e.number for e in entries) == list(range(1, 61))
    for n in range(6):
        assert len(audit.read_entries(target.store, who=f"thread {n}")) == 10
    assert audit.verify_store(target.store).first_bad is None
    # one sign-off of the one submitted version; everyone else is told it is signed off
    assert len(signed) == 1 and len(refused) == 5
    assert [v.state for v in history(target.store, KEY)] == [SIGNED_OFF, SUBMITTED]


def test_entries_recorded_at_once_are_committed_together(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group commit: entries recorded while another is being written wait and are written
    together in the next transaction; each caller gets its own entry back, committed, and the
    chain holds. A failed transaction fails every entry of it and none is kept."""
    transactions: list[int] = []
    first_started, first_may_end = threading.Event(), threading.Event()
    append = audit._append

    def slow_append(store: Path, batch: list) -> list:  # type: ignore[type-arg]
        transactions.append(len(batch))
        if len(transactions) == 1:  # hold the first transaction while the others arrive
            first_started.set()
            first_may_end.wait(10)
        return append(store, batch)

    monkeypatch.setattr(audit, "_append", slow_append)
    got: dict[int, audit.AuditEntry] = {}

    def work(n: int) -> None:
        got[n] = audit.record(target.store, f"person {n}", audit.SIGN_IN, f"visit {n}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    threads[0].start()
    assert first_started.wait(10)
    for thread in threads[1:]:
        thread.start()
    while len(audit._QUEUES[str(target.store.resolve())].waiting) < 5:
        threading.Event().wait(0.01)
    first_may_end.set()
    for thread in threads:
        thread.join()
    assert transactions == [1, 5]  # six entries, two commits
    stored = {e.number: e for e in audit.read_entries(target.store)}
    assert sorted(stored) == list(range(1, 7))
    assert {stored[e.number] for e in got.values()} == set(got.values())
    assert {e.who for e in got.values()} == {f"person {n}" for n in range(6)}
    assert audit.verify_store(target.store).first_bad is None

    def failing(store: Path, batch: list) -> list:  # type: ignore[type-arg]
        raise StoreError("the disk is full")

    monkeypatch.setattr(audit, "_append", failing)
    with pytest.raises(StoreError, match="disk is full"):
        audit.record(target.store, "someone", audit.SIGN_IN, "")
    monkeypatch.setattr(audit, "_append", append)
    assert audit.record(target.store, "next", audit.SIGN_IN, "").number == 7


def test_concurrent_writers_in_processes_lose_nothing(target: Target) -> None:
    code = (
        "import sys; from pathlib import Path; from cscperf.store import audit\n"
        "for i in range(15): audit.record(Path(sys.argv[1]), 'process ' + sys.argv[2], 'sign_in')"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    workers = [
        subprocess.Popen([sys.executable, "-c", code, str(target.store), str(n)], env=env)
        for n in range(3)
    ]
    audit.record(target.store, "this process", audit.SIGN_IN)
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0]
    entries = audit.read_entries(target.store)
    assert sorted(e.number for e in entries) == list(range(1, 47))
    assert {e.who for e in entries} == {"this process", "process 0", "process 1", "process 2"}
    assert audit.verify_store(target.store).entries == 46


def test_a_kept_connection_follows_the_file_moved_aside(tmp_path: Path) -> None:
    """The embedded database keeps its connections open between transactions; once the file
    is moved aside (to start an empty one) the next entry goes to a new file, not the old."""
    store = tmp_path / "store"
    (store / "builds").mkdir(parents=True)
    audit.record(store, "someone", audit.SIGN_IN)
    audit.record(store, "someone", audit.SIGN_OUT)
    database = open_council_database(store)
    assert isinstance(database, SqliteDatabase) and database._idle  # kept, not closed
    for name in ("council.sqlite3", "council.sqlite3-wal", "council.sqlite3-shm"):
        if (store / name).exists():
            (store / name).rename(tmp_path / name)
    assert audit.record(store, "later", audit.SIGN_IN).number == 1
    assert [e.who for e in audit.read_entries(store)] == ["later"]
    moved = sqlite3.connect(tmp_path / "council.sqlite3")
    assert moved.execute("SELECT count(*) FROM audit_log").fetchone() == (2,)
    moved.close()


def test_the_schema_version_is_recorded_and_a_newer_one_refused(target: Target) -> None:
    audit.record(target.store, "someone", audit.IMPORT)
    with council_database(target.store) as session:
        rows = session.execute("SELECT part, version FROM schema_version ORDER BY part, version")
    assert ("audit", 1) in rows and ("audit", 2) in rows
    newer = target.store.parent / "newer"
    newer.mkdir()
    (newer / "council.sqlite3").touch()
    if target.dialect == POSTGRESQL:
        newer = target.store
        close_council_databases()  # as a new process would find it
    con_sql = (
        "CREATE TABLE IF NOT EXISTS schema_version (part TEXT NOT NULL, version INTEGER NOT "
        "NULL, what TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (part, version)); "
        "INSERT INTO schema_version VALUES ('commentary', 99, 'future', 'later')"
    )
    if target.dialect == SQLITE:
        _sqlite_target(newer).raw(con_sql)
    else:
        target.raw(con_sql)
    with pytest.raises(StoreError, match="commentary tables are at version 99"):
        latest_number(newer)


def test_an_older_embedded_log_is_chained_when_first_opened(tmp_path: Path) -> None:
    store = tmp_path / "old"
    store.mkdir()
    _sqlite_target(store).raw(
        "CREATE TABLE audit_log (number INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
        "who TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL);"
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT "
        "RAISE(ABORT, 'audit_log is append-only: add a new version instead'); END;"
        "INSERT INTO audit_log (at, who, action, detail) VALUES "
        "('2026-10-01T08:00:00Z', 'Ada', 'sign_in', ''), "
        "('2026-10-02T08:00:00Z', 'Bo', 'import', 'b1');"
    )
    entry = audit.record(store, "Cy", audit.PUBLISH)
    assert entry.number == 3
    old = audit.read_entries(store)[-1]
    assert old.prev_hash == audit.GENESIS
    assert old.hash == audit.entry_hash(
        1, "2026-10-01T08:00:00Z", "Ada", "sign_in", "", audit.GENESIS
    )
    assert audit.verify_store(store).entries == 3
    with pytest.raises(StoreError, match="append-only"), council_database(store, write=True) as s:
        s.execute("UPDATE audit_log SET who = 'x'")
    close_council_databases()


def test_readers_of_a_store_without_records_write_nothing(tmp_path: Path) -> None:
    assert audit.read_entries(tmp_path) == [] and latest_number(tmp_path) == 0
    assert audit.verify_store(tmp_path).entries == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://cscperf:secret@db:5432/council", "holds a password"),
        ("sqlite:///council.db", "is not a PostgreSQL address"),
    ],
)
def test_the_store_settings_refuse_a_password_or_another_database(
    tmp_path: Path, url: str, message: str
) -> None:
    (tmp_path / "store.yaml").write_text(
        f"kind: cscperf-store-settings\ncouncil_database: {url}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=message) as raised:
        audit.read_entries(tmp_path)
    assert "secret" not in str(raised.value) and "store.yaml" in str(raised.value)


def test_a_login_that_may_only_read_and_add_rows_works_and_cannot_remove_any(
    target: Target, tmp_path: Path
) -> None:
    """The deployment guide's grants: the tables owned by another role, the service's login
    given SELECT and INSERT only."""
    if target.dialect != POSTGRESQL:
        pytest.skip("about PostgreSQL logins")
    audit.record(target.store, "the owner", audit.IMPORT)
    latest_number(target.store)
    read_versions(target.store)
    role = f"service_{uuid.uuid4().hex[:8]}"
    tables = "audit_log, commentary_versions, risk_versions, schema_version"
    target.raw(
        f"CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA {target.schema} TO {role}; "
        f"GRANT SELECT, INSERT ON {tables} TO {role}; "
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {target.schema} TO {role}"
    )
    service = tmp_path / "service"
    service.mkdir()
    url = re.sub(r"://[^@/]*@", f"://{role}@", target.url)
    (service / "store.yaml").write_text(
        f"kind: cscperf-store-settings\ncouncil_database: {url}\n", encoding="utf-8"
    )
    try:
        audit.record(service, "the service", audit.SIGN_IN)
        record(service, KEY, DRAFT, {"analysis": "words"}, "Hana Head")
        assert audit.verify_store(service).entries == 2 and latest_number(service) == 1
        for statement in (
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
            "DELETE FROM audit_log",
        ):
            with (
                pytest.raises(StoreError, match=r"must be owner|permission denied"),
                council_database(service, write=True) as session,
            ):
                session.execute(statement)
    finally:
        close_council_databases()
        target.raw(f"DROP OWNED BY {role}; DROP ROLE {role}")


def test_records_in_the_stores_file_are_copied_to_postgresql_exactly_once(
    target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    if target.dialect != POSTGRESQL:
        assert main(["council-records", "copy", "--store", str(target.store)]) == 1
        assert "no council.sqlite3" in " ".join(capsys.readouterr().err.split())
        audit.record(target.store, "someone", audit.IMPORT)
        assert main(["council-records", "copy", "--store", str(target.store)]) == 1
        assert "names no council_database" in " ".join(capsys.readouterr().err.split())
        return
    settings = target.store / "store.yaml"
    aside = target.store / "store.yaml.aside"
    settings.rename(aside)  # the store as it was before the shared database was named
    audit.record(target.store, "Ada Admin", audit.SIGN_IN, at=AT)
    record(target.store, KEY, SUBMITTED, {"analysis": "words"}, "Hana Head", at=AT)
    record(target.store, KEY, SIGNED_OFF, {"analysis": "words"}, "Pat Officer", at=AT)
    append_versions(target.store, [_risk()], by="Pat", change="import", source="f")
    before = (audit.all_entries(target.store), history(target.store, KEY))
    risks = read_versions(target.store)
    aside.rename(settings)
    assert audit.all_entries(target.store) == []  # the shared database holds nothing yet
    assert main(["council-records", "copy", "--store", str(target.store)]) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert (
        "Copied 1 rows of audit_log, 2 rows of commentary_versions, 1 rows of risk_versions" in said
    )
    entries = audit.all_entries(target.store)
    assert entries[:1] == before[0] and entries[1].action == "council_records.copy"
    assert history(target.store, KEY) == before[1] and read_versions(target.store) == risks
    # numbering goes on after the copied rows, and the chain holds
    assert record(target.store, KEY, DRAFT, {"analysis": "more"}, "Hana Head").number == 3
    assert audit.verify_store(target.store).entries == 2
    # a second copy would mix two histories: refused, nothing added
    assert main(["council-records", "copy", "--store", str(target.store)]) == 1
    assert "already holds" in " ".join(capsys.readouterr().err.split())
    assert len(history(target.store, KEY)) == 3


def test_a_restarted_server_costs_no_request(target: Target) -> None:
    """Idle connections the server closed (a restart, an idle timeout) are replaced."""
    if target.dialect != POSTGRESQL:
        pytest.skip("about PostgreSQL connections")
    audit.record(target.store, "before", audit.SIGN_IN)
    role = re.search(r"://([^@/]*)@", target.url)
    assert role is not None
    target.raw(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
        f"AND query NOT ILIKE '%pg_stat_activity%' AND datname = current_database() "
        f"AND application_name = '' AND usename = '{role.group(1)}' AND state = 'idle'"
    )
    audit.record(target.store, "after", audit.SIGN_IN)
    assert [e.who for e in audit.read_entries(target.store)] == ["after", "before"]
