"""Compiled indicator SQL, kept so that a run need not rebuild and recompile Ibis expressions.

Owns the cache of the one grouped query each indicator runs per run of months. Building and
compiling an indicator's Ibis expression costs far more than running it on DuckDB, and the SQL
does not depend on the data, only on what the expression was built from: the indicator, its
definition version and parameters, the months (the run key that names them, so that the
SQL carries from one month's build to the next), the backend, the build's table names and
schemas, what the manifest says is not supplied, which tables hold rows and which columns are
ever filled (the only facts about the data an indicator function may ask), and the engine's own
source code. The key is a hash of all of these. Entries live in memory and, when the build
names a folder (the store's ``cache/``), on disk as small JSON files. An entry also keeps the
shared tables its query reads (``Context.shared``) with the SQL that creates them, so a cached
run creates them without building any Ibis expression. An indicator the build cannot supply
is kept too, as its reason (``Compiled.missing``, under :func:`missing_key`), so that a run
from the cache neither builds its expression nor the shared blocks it asked for first.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cscperf.indicators.context import BuildTables

FORMAT = "cscperf-indicator-sql-3"
SCRATCH_TOKEN = "{{scratch}}"
_MEMORY: dict[str, Compiled] = {}


@dataclass(frozen=True)
class Compiled:
    """One indicator's grouped query for one run of months, and what the engine needs
    besides it: the breakdown columns the items carry and the declared history dates."""

    sql: str
    extras: tuple[str, ...]
    history: tuple[tuple[str, str], ...]
    # Shared tables (name, SQL) the query reads, created in this order before it runs.
    shared: tuple[tuple[str, str], ...] = ()
    # Why the indicator is not available on this build (then there is no SQL).
    missing: str | None = None
    # The questions its building asked of the data (Context.probes).
    probes: tuple[tuple[str, str], ...] = ()

    def with_scratch(self, old: str, new: str) -> Compiled:
        """The same entry with the scratch name ``old`` written as ``new`` throughout."""
        return Compiled(
            self.sql.replace(old, new),
            self.extras,
            self.history,
            tuple((n.replace(old, new), q.replace(old, new)) for n, q in self.shared),
            self.missing,
            self.probes,
        )


@cache
def code_fingerprint() -> str:
    """A hash of the indicator package's Python source: edited code never reuses old SQL."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(
    build: BuildTables,
    indicator_id: str,
    parameters_key: Any,
    months: Sequence[date] | str,
) -> str:
    """The hash naming one compiled query (see the module docstring for what goes in)."""
    material = {
        "format": FORMAT,
        "code": code_fingerprint(),
        "indicator": indicator_id,
        "parameters": repr(parameters_key),
        # A run key (runs.Run.key) when the SQL reads its months from the runs table: then
        # next month's build, with the same key, reuses this month's SQL.
        "months": months if isinstance(months, str) else [d.isoformat() for d in months],
        "build": build.fingerprint(),
    }
    text = json.dumps(material, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def missing_key(
    build: BuildTables, indicator_id: str, parameters_key: Any, period_ends: Sequence[date]
) -> str:
    """The hash naming an indicator's "not available" outcome: always by its months, not by
    run key, as an indicator may be unavailable for some months only (a month outside
    every school term)."""
    return cache_key(build, indicator_id, ("not available", parameters_key), period_ends)


def lookup(build: BuildTables, key: str) -> Compiled | None:
    """The cached query for ``key`` with this build's scratch table names, if any."""
    found = _MEMORY.get(key)
    if found is None and build.sql_cache_dir is not None:
        path = build.sql_cache_dir / f"{key}.json"
        if path.is_file():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                found = Compiled(
                    sql=raw["sql"],
                    extras=tuple(raw["extras"]),
                    history=tuple((t, c) for t, c in raw["history"]),
                    shared=tuple((n, q) for n, q in raw["shared"]),
                    missing=raw.get("missing"),
                    probes=tuple((t, c) for t, c in raw.get("probes", [])),
                )
            except (OSError, ValueError, KeyError, TypeError):
                found = None  # a damaged entry is recompiled and rewritten
            if found is not None:
                _MEMORY[key] = found
    if found is None:
        return None
    return found.with_scratch(SCRATCH_TOKEN, build.scratch)


def store(build: BuildTables, key: str, compiled: Compiled) -> None:
    """Keep a compiled query, with this build's scratch names replaced by a token."""
    general = compiled.with_scratch(build.scratch, SCRATCH_TOKEN)
    _MEMORY[key] = general
    folder = build.sql_cache_dir
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{key}.json"
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    payload = {
        "sql": general.sql,
        "extras": general.extras,
        "history": general.history,
        "shared": general.shared,
        "missing": general.missing,
        "probes": general.probes,
    }
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, target)
