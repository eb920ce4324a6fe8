"""Commentary written in the dashboard: drafts, submission, return and sign-off, with history.

Each piece of commentary is keyed by what it is about: an indicator and month (the report
card's fields and the topic page's analysis paragraph) or a topic (area) and month (the topic
page's performance analysis), for the county or one locality. Every save is a new version in
the store's council database (:mod:`cscperf.store.council_data`: the store's SQLite file or
the shared PostgreSQL database; table ``commentary_versions``, append-only), with its state,
who saved it, when and an optional note:

* ``draft``: saved by the writer, not yet offered for sign-off;
* ``submitted``: offered for sign-off (only a submitted version can be signed off or returned);
* ``returned``: sent back to the writer with a note saying what to change;
* ``signed_off``: approved; this text goes into the pack.

The pack shows, for each key, its latest signed-off version; a key that has never been signed
off shows its latest version marked as a draft. Nothing here is ever written inside a build.
The YAML commentary file (:mod:`cscperf.reports.commentary`) stays the import/export format:
importing records its entries as signed off, exporting writes the signed-off text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cscperf.app.risk import forget_made_packs
from cscperf.reports.commentary import (
    AreaCommentary,
    Commentary,
    IndicatorCommentary,
    check_period,
    load_commentary,
)
from cscperf.store.council_data import Migration, Schema, Session, council_database

TABLE = "commentary_versions"
INDICATOR = "indicator"
AREA = "area"
DRAFT = "draft"
SUBMITTED = "submitted"
RETURNED = "returned"
SIGNED_OFF = "signed_off"
STATES = (DRAFT, SUBMITTED, RETURNED, SIGNED_OFF)
STATE_NAMES = {
    DRAFT: "Draft",
    SUBMITTED: "Submitted for sign-off",
    RETURNED: "Returned",
    SIGNED_OFF: "Signed off",
}
# the fields written for each kind, in the order the form shows them
FIELDS = {
    INDICATOR: (
        "analysis",
        "why_it_matters",
        "background",
        "success",
        "action",
        "lead_officer",
        "data_owner",
    ),
    AREA: ("analysis",),
}
MAX_FIELD_CHARS = 5000


class CommentaryRefused(Exception):
    """A change the workflow does not allow (e.g. signing off a draft never submitted); the
    message is a sentence for the person who tried."""


@dataclass(frozen=True)
class Key:
    """What a piece of commentary is about; ``locality`` is "" for the county."""

    kind: str
    subject: str
    period: str
    locality: str = ""


@dataclass(frozen=True)
class Version:
    number: int
    key: Key
    state: str
    fields: dict[str, str]
    note: str
    who: str
    at: str

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.state]


@dataclass
class CheckedFields:
    fields: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _create(session: Session) -> None:
    session.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        f"number {session.serial_key()}, kind TEXT NOT NULL, subject TEXT NOT NULL, "
        "period TEXT NOT NULL, locality TEXT NOT NULL, state TEXT NOT NULL, "
        "fields TEXT NOT NULL, note TEXT NOT NULL, who TEXT NOT NULL, at TEXT NOT NULL)"
    )
    session.append_only(TABLE)


def _index(session: Session) -> None:
    session.execute(
        f"CREATE INDEX IF NOT EXISTS {TABLE}_key ON {TABLE} (kind, subject, period, locality)"
    )


SCHEMA = Schema(
    "commentary",
    (
        Migration(1, "commentary versions, append-only", _create),
        Migration(2, "commentary versions found by what they are about", _index),
    ),
    ((TABLE, "number"),),
)


def check_fields(kind: str, values: Mapping[str, str]) -> CheckedFields:
    """The form's fields of ``kind``, trimmed; blank ones left out; too-long ones an error."""
    out = CheckedFields()
    for name in FIELDS[kind]:
        text = (values.get(name) or "").replace("\r\n", "\n").strip()
        if len(text) > MAX_FIELD_CHARS:
            out.errors[name] = f"Write at most {MAX_FIELD_CHARS} characters here"
        elif text:
            out.fields[name] = text
    if kind == AREA and not out.errors and not out.fields:
        out.errors["analysis"] = "Write the performance analysis"
    return out


def record(
    store: Path,
    key: Key,
    state: str,
    fields: Mapping[str, str],
    who: str,
    note: str = "",
    *,
    at: datetime | None = None,
) -> Version:
    """Append one version (committed before this returns), after checking that the change
    follows the workflow: returning or signing off needs a submitted latest version."""
    check_period(key.period)
    if state not in STATES:
        raise ValueError(f"unknown commentary state {state!r}")
    when = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = json.dumps(dict(fields), sort_keys=True)
    with council_database(store, SCHEMA, write=True) as session:
        latest = _latest(session, key)
        if state in (RETURNED, SIGNED_OFF) and (latest is None or latest.state != SUBMITTED):
            raise CommentaryRefused(
                "Only commentary submitted for sign-off can be signed off or returned; this "
                "commentary is "
                + ("not written yet" if latest is None else latest.state_name)
                + "."
            )
        number = session.insert(
            TABLE,
            {
                "kind": key.kind,
                "subject": key.subject,
                "period": key.period,
                "locality": key.locality,
                "state": state,
                "fields": text,
                "note": note,
                "who": who,
                "at": when,
            },
            "number",
        )
    # Every state shows in the pack (drafts marked as drafts), so a pack made before this
    # change no longer shows the month's words: the dashboard makes it again when asked.
    forget_made_packs(store)
    return Version(number, key, state, dict(fields), note, who, when)


def _version(row: tuple[Any, ...]) -> Version:
    number, kind, subject, period, locality, state, fields, note, who, at = row
    key = Key(kind, subject, period, locality)
    return Version(int(number), key, state, json.loads(fields), note, who, at)


_COLUMNS = "number, kind, subject, period, locality, state, fields, note, who, at"


def _latest(session: Session, key: Key) -> Version | None:
    row = session.one(
        f"SELECT {_COLUMNS} FROM {TABLE} WHERE kind = ? AND subject = ? AND period = ? "
        "AND locality = ? ORDER BY number DESC LIMIT 1",
        [key.kind, key.subject, key.period, key.locality],
    )
    return _version(row) if row else None


def history(store: Path, key: Key) -> list[Version]:
    """Every version of ``key``, newest first."""
    with council_database(store, SCHEMA) as session:
        rows = session.execute(
            f"SELECT {_COLUMNS} FROM {TABLE} WHERE kind = ? AND subject = ? AND period = ? "
            "AND locality = ? ORDER BY number DESC",
            [key.kind, key.subject, key.period, key.locality],
        )
    return [_version(r) for r in rows]


def all_versions(store: Path) -> list[Version]:
    """Every version of every key, oldest first."""
    with council_database(store, SCHEMA) as session:
        rows = session.execute(f"SELECT {_COLUMNS} FROM {TABLE} ORDER BY number")
    return [_version(r) for r in rows]


def latest_number(store: Path) -> int:
    """The number of the newest version (0 when none): changes whenever commentary does.
    Asked on every page view: after the process's first, one small read."""
    with council_database(store, SCHEMA) as session:
        row = session.one(f"SELECT max(number) FROM {TABLE}")
    return int(row[0] or 0) if row else 0


def latest_versions(store: Path, keep: Callable[[Key], bool] | None = None) -> dict[Key, Version]:
    """Each key's newest version; only of the keys ``keep`` accepts when given (the reader's
    scope, applied here so that nothing outside it reaches a page)."""
    latest = {v.key: v for v in all_versions(store)}
    return latest if keep is None else {k: v for k, v in latest.items() if keep(k)}


def for_pack(versions: list[Version]) -> list[Version]:
    """Per key, the latest signed-off version, else (never signed off) the latest version."""
    chosen: dict[Key, Version] = {}
    for v in versions:  # oldest first
        held = chosen.get(v.key)
        if v.state == SIGNED_OFF or held is None or held.state != SIGNED_OFF:
            chosen[v.key] = v
    return sorted(chosen.values(), key=lambda v: v.number)


def as_commentary(versions: list[Version], base: Commentary | None = None) -> Commentary:
    """The versions as a commentary model (over ``base``'s entries: these win), with
    ``status`` set on entries not signed off so that the pack marks them as drafts."""
    out = Commentary(
        council=base.council if base else None,
        indicators=list(base.indicators) if base else [],
        areas=list(base.areas) if base else [],
    )
    for v in versions:
        status = None if v.state == SIGNED_OFF else v.state
        locality = v.key.locality or None
        if v.key.kind == INDICATOR:
            out.indicators.append(
                IndicatorCommentary(
                    indicator_id=v.key.subject,
                    period=v.key.period,
                    locality=locality,
                    status=status,
                    **v.fields,
                )
            )
        elif v.fields.get("analysis"):
            out.areas.append(
                AreaCommentary(
                    area=v.key.subject,
                    period=v.key.period,
                    locality=locality,
                    status=status,
                    analysis=v.fields["analysis"],
                )
            )
    return out


def pack_commentary(store: Path, file: Path | None = None) -> Commentary:
    """What the pack shows: the commentary file's entries (when given), overlaid by the
    store's commentary (signed off, or marked as drafts)."""
    base = load_commentary(file) if file is not None else None
    return as_commentary(for_pack(all_versions(store)), base)


def import_file(store: Path, path: Path, who: str) -> int:
    """Record every entry of a commentary file as signed off (by ``who``, noting the file);
    returns how many were recorded."""
    model = load_commentary(path)
    note = f"imported from {path.name}"
    count = 0
    for entry in model.indicators:
        fields = entry.model_dump(
            exclude_none=True, exclude={"indicator_id", "period", "locality", "status"}
        )
        key = Key(INDICATOR, entry.indicator_id, entry.period, entry.locality or "")
        _record_signed(store, key, fields, who, note)
        count += 1
    for area in model.areas:
        key = Key(AREA, area.area, area.period, area.locality or "")
        _record_signed(store, key, {"analysis": area.analysis}, who, note)
        count += 1
    return count


def _record_signed(store: Path, key: Key, fields: dict[str, str], who: str, note: str) -> None:
    record(store, key, SUBMITTED, fields, who, note)
    record(store, key, SIGNED_OFF, fields, who, note)


def export_commentary(store: Path) -> Commentary:
    """The signed-off commentary (latest signed-off version of each key) as a file model."""
    signed = [v for v in for_pack(all_versions(store)) if v.state == SIGNED_OFF]
    return as_commentary(signed)
