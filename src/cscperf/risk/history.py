"""The risk register's history in the store's council database: one append-only table.

Table ``risk_versions``: one row per version of a risk (what the register said at a review),
numbered in the order they were recorded, with who recorded it, when (UTC), what kind of change
it was (``import``, ``added``, ``updated``, ``closed``) and from where (the file imported, or
``dashboard``). Rows are never updated or deleted (triggers refuse it), so the register of any
month is re-created from the rows reviewed by that month's end
(:func:`cscperf.risk.register.register_as_at`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cscperf.errors import CscperfError
from cscperf.risk.register import CONTENT_FIELDS, RiskVersion
from cscperf.store.council_data import Migration, Schema, Session, council_database

TABLE = "risk_versions"
_DATE_FIELDS = {"entered", "target_date", "reviewed_on"}
_INT_FIELDS = {"likelihood", "impact", "target_likelihood", "target_impact"}
_COLUMNS = {
    name: "INTEGER NOT NULL"
    if name in _INT_FIELDS
    else ("TEXT" if name == "entered" else "TEXT NOT NULL")
    for name in CONTENT_FIELDS
}
_STORED = ("version", "recorded_at", "recorded_by", "change", "source", *CONTENT_FIELDS)


def _create(session: Session) -> None:
    session.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        f"version {session.serial_key()}, "
        "recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL, change TEXT NOT NULL, "
        "source TEXT NOT NULL, " + ", ".join(f"{n} {t}" for n, t in _COLUMNS.items()) + ")"
    )
    session.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_risk ON {TABLE} (risk_id, reviewed_on)")
    session.append_only(TABLE)


SCHEMA = Schema(
    "risk",
    (Migration(1, "the risk register's versions, append-only", _create),),
    ((TABLE, "version"),),
)


def _to_row(v: RiskVersion) -> list[object]:
    out: list[object] = []
    for name in CONTENT_FIELDS:
        value = getattr(v, name)
        if name == "links":
            value = ",".join(value)
        elif name in _DATE_FIELDS:
            value = value.isoformat() if value is not None else None
        out.append(value)
    return out


def _from_row(row: Sequence[object]) -> RiskVersion:
    values: dict[str, Any] = dict(zip(_STORED, row, strict=True))
    for name in _DATE_FIELDS:
        values[name] = date.fromisoformat(values[name]) if values[name] else None
    values["links"] = tuple(p for p in (values["links"] or "").split(",") if p)
    return RiskVersion(**values)


def read_versions(store: Path, risk_id: str | None = None) -> list[RiskVersion]:
    """Every stored version (of one risk, or all), in the order recorded."""
    with council_database(store, SCHEMA) as session:
        where, args = ("WHERE risk_id = ?", [risk_id]) if risk_id else ("", [])
        rows = session.execute(
            f"SELECT {', '.join(_STORED)} FROM {TABLE} {where} ORDER BY version", args
        )
    return [_from_row(r) for r in rows]


def append_versions(
    store: Path,
    versions: Sequence[RiskVersion],
    *,
    by: str,
    change: str,
    source: str,
    now: datetime | None = None,
    skip_unchanged: bool = False,
) -> list[RiskVersion]:
    """Add versions in one transaction (all or none) and return them as stored.

    With ``skip_unchanged`` a version saying exactly what the latest stored version of the
    same risk and review date says is left out, so importing the same file twice adds
    nothing."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    names = _STORED[1:]
    stored: list[RiskVersion] = []
    with council_database(store, SCHEMA, write=True) as session:
        held: dict[tuple[str, str], tuple[object, ...]] = {}
        if skip_unchanged:
            for row in session.execute(
                f"SELECT {', '.join(_STORED)} FROM {TABLE} ORDER BY version"
            ):
                v = _from_row(row)
                held[(v.risk_id, v.reviewed_on.isoformat())] = v.content()
        for v in versions:
            if skip_unchanged and held.get((v.risk_id, v.reviewed_on.isoformat())) == v.content():
                continue
            values = [stamp, by, change, source, *_to_row(v)]
            number = session.insert(TABLE, dict(zip(names, values, strict=True)), "version")
            stored.append(
                RiskVersion(
                    **{n: getattr(v, n) for n in CONTENT_FIELDS},
                    version=number,
                    recorded_at=stamp,
                    recorded_by=by,
                    change=change,
                    source=source,
                )
            )
    return stored


def latest_version(store: Path, risk_id: str) -> RiskVersion:
    """The most recent version of one risk (by review date, then as recorded)."""
    versions = read_versions(store, risk_id)
    if not versions:
        raise CscperfError(
            f"the register has no risk {risk_id!r}; the register page lists the risks there are"
        )
    return max(versions, key=lambda v: (v.reviewed_on, v.version or 0))
