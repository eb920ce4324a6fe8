"""Who is in a pool, from which month: ``membership.jsonl``, one line per join or leave.

The log is only ever appended to, so it is also the record of who agreed to what and when.
A join names the member's LA code, its council name, the store its published builds are read
from and the first month it is pooled for (``from``; empty: every month its builds hold); a
leave names the LA code and the first month it is no longer pooled for (empty: no month, in
every later re-pool). A council is a member for a month when its latest event
taking effect by then is a join.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cscperf.errors import StoreError

MEMBERSHIP_FILE = "membership.jsonl"


@dataclass(frozen=True)
class Member:
    """A council in the pool for some month."""

    la_code: str
    name: str
    store: Path
    since: date | None  # the last day of the first month it is pooled for; None: every month
    build: str | None = None  # a build pinned at joining; the store's current one otherwise


def read_events(pool_dir: Path) -> list[dict[str, Any]]:
    """Every join and leave, in the order they were recorded."""
    path = pool_dir / MEMBERSHIP_FILE
    if not path.is_file():
        return []
    events: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
            event["from"] = date.fromisoformat(event["from"]) if event["from"] else None
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"{path} line {number} is not a membership event ({exc}); the file is only "
                "written by cscperf pool join and leave: restore it from the pool's backup"
            ) from exc
        events.append(event)
    return events


def append_event(pool_dir: Path, event: dict[str, Any], who: str) -> None:
    """Record one join or leave (with when and by whom), flushed to disk."""
    line = {
        **event,
        "from": event["from"].isoformat() if event["from"] else None,
        "recorded": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "by": who,
    }
    with open(pool_dir / MEMBERSHIP_FILE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, sort_keys=False) + "\n")
        handle.flush()


def _effective(event: dict[str, Any]) -> date:
    """The month an event takes effect from (an event without one: from the start)."""
    return event["from"] or date.min


def members_at(events: list[dict[str, Any]], month: date) -> list[Member]:
    """The members for the month ending ``month`` (``date.max``: the latest events), by LA
    code."""
    latest: dict[str, dict[str, Any]] = {}
    for event in sorted(events, key=_effective):  # stable: log order within a month
        if _effective(event) <= month:
            latest[event["la_code"]] = event
    return [
        Member(
            la_code=code,
            name=str(event.get("name", code)),
            store=Path(event["store"]),
            since=event["from"],
            build=event.get("build"),
        )
        for code, event in sorted(latest.items())
        if event["action"] == "join"
    ]
