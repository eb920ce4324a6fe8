"""Compiled indicator SQL, kept so that a run need not rebuild and recompile Ibis expressions.

Owns the cache of the one grouped query each indicator runs per run of months. Building and
compiling an indicator's Ibis expression costs far more than running it on DuckDB, and the SQL
does not depend on the data, only on what the expression was built from:

* the **base key** (:func:`base_key`): the code (the indicator and calendar packages' source
  and data, the Ibis and SQLGlot versions), the indicator's catalogue entry, its parameters,
  its months (the run key that names them, so that the SQL carries from one month's build to
  the next), the backend and whether the build is pooled;
* the **probes** its building made of the build, with their answers: which table names it
  looked up, what the manifest says is not supplied, whether a table holds rows, whether a
  column is ever filled, a table's schema (the only facts about the data an indicator
  function may ask; :meth:`BuildTables.recording` records them, a shared block's included).

An entry is kept under a hash of its base key and its probes' answers, and the set of probes
is kept beside it under the base key. To find SQL for a build, each probe set recorded for the
base key is asked of the build, and the entry kept for those answers, if any, is the SQL that
compiling on this build would give: building an expression is deterministic given the code
and the answers, and asks the next probe only from the answers before it. So SQL compiled for
one council or build is reused by any other whose answers match (another council's build of
the same schema, next month's build, a pool's members), while a changed answer (a column
never filled this time, a table now empty) is a miss and compiles again. Entries live in
memory (shared by every build of the process) and, when the build names a folder (the
store's ``cache/``, or any folder several stores share), on disk as small JSON files. An
entry also keeps the shared tables its query reads (``Context.shared``) with the SQL that
creates them, so a cached run creates them without building any Ibis expression. An
indicator the build cannot supply is kept too, as its reason (``Compiled.missing``, under
:func:`missing_key`), so that a run from the cache neither builds its expression nor the
shared blocks it asked for first.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import sqlglot

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cscperf.indicators.catalogue import IndicatorDefinition
    from cscperf.indicators.context import BuildTables, Probe

FORMAT = "cscperf-indicator-sql-4"
SCRATCH_TOKEN = "{{scratch}}"
MAX_PROBE_SETS = 32  # per base key: distinct paths through one indicator's code
_MEMORY: dict[str, Compiled] = {}
_PROBE_SETS: dict[str, list[tuple[Probe, ...]]] = {}
_INDEXES_READ: set[tuple[Path, str]] = set()


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
    # The questions its building asked of the data (Context.probes: which tables hold rows,
    # which columns are filled), which a pooled build checks per council.
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
    """A hash of the source and data of the indicator package (functions, blocks, code lists
    such as ``care_codes.yaml``, ``framework.yaml``) and of the calendar package (the tables
    the SQL joins), with the versions of Ibis and SQLGlot, which turn expressions into SQL:
    edited code, a changed code list or a new Ibis never reuses old SQL."""
    return source_fingerprint(Path(__file__).parent.parent)


def source_fingerprint(package: Path) -> str:
    """:func:`code_fingerprint` of the package folder ``package``."""
    digest = hashlib.sha256()
    digest.update(f"ibis {ibis.__version__} sqlglot {sqlglot.__version__}".encode())
    for part in ("indicators", "calendar"):
        root = package / part
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(package).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def base_key(
    build: BuildTables,
    definition: IndicatorDefinition,
    parameters_key: Any,
    months: Sequence[date] | str,
) -> str:
    """The hash of what an indicator's SQL depends on before any probe of the data: the code,
    the indicator's catalogue entry, its parameters, its months and the backend."""
    material = {
        "format": FORMAT,
        "code": code_fingerprint(),
        "definition": definition.model_dump_json(),
        "parameters": repr(parameters_key),
        # A run key (runs.Run.key) when the SQL reads its months from the runs table: then
        # next month's build, with the same key, reuses this month's SQL.
        "months": months if isinstance(months, str) else [d.isoformat() for d in months],
        "backend": build.backend.name,
        "shared_tables": build.materialises,
        # A pooled build computes every query per council (BuildTables.by_council).
        "partition": [build.partition, build.councils_table],
    }
    return _hash(material)


def missing_key(
    build: BuildTables,
    definition: IndicatorDefinition,
    parameters_key: Any,
    period_ends: Sequence[date],
) -> str:
    """The base key of an indicator's "not available" outcome: always by its months, not by
    run key, as an indicator may be unavailable for some months only (a month outside
    every school term)."""
    return base_key(build, definition, ("not available", parameters_key), period_ends)


def answered_key(base: str, probes: Mapping[Probe, Any]) -> str:
    """The hash naming one compiled entry: its base key and the probes made while it was
    built, with their answers (in any order)."""
    answered = sorted(
        json.dumps([list(p), a], sort_keys=True, default=str) for p, a in probes.items()
    )
    return _hash({"base": base, "probes": answered})


def _hash(material: Any) -> str:
    text = json.dumps(material, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def find(build: BuildTables, base: str) -> Compiled | None:
    """An entry compiled for ``base`` from the same answers this build gives: each set of
    probes recorded for ``base`` is asked of this build, and the entry for those answers, if
    kept, is the one compiling here would make."""
    for probes in probe_sets(build, base):
        answers = {probe: build.answer(probe) for probe in probes}
        found = lookup(build, answered_key(base, answers))
        if found is not None:
            return found
    return None


def keep(build: BuildTables, base: str, probes: Mapping[Probe, Any], compiled: Compiled) -> None:
    """Keep ``compiled`` under its base key and the answers to the probes made building it."""
    store(build, answered_key(base, probes), compiled)
    known = probe_sets(build, base)
    recorded = tuple(probes)
    if recorded in known:
        return
    known.insert(0, recorded)
    del known[MAX_PROBE_SETS:]
    folder = build.sql_cache_dir
    if folder is not None:
        _write_json(folder / f"{base}.probes", {"probe_sets": [list(map(list, s)) for s in known]})


def probe_sets(build: BuildTables, base: str) -> list[tuple[Probe, ...]]:
    """The sets of probes recorded for ``base``, newest first: those of this process, and
    those kept in the build's folder (read once per folder)."""
    known = _PROBE_SETS.setdefault(base, [])
    folder = build.sql_cache_dir
    if folder is not None and (folder, base) not in _INDEXES_READ:
        _INDEXES_READ.add((folder, base))
        path = folder / f"{base}.probes"
        try:
            raw = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
            kept = [tuple(tuple(p) for p in s) for s in raw.get("probe_sets", [])]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            kept = []  # a damaged index only means compiling again
        known.extend(s for s in kept if s not in known)
    return known


def forget_process_memory() -> None:
    """Forget what this process compiled or read (tests: as if the next run were another
    process, sharing only the folder)."""
    _MEMORY.clear()
    _PROBE_SETS.clear()
    _INDEXES_READ.clear()


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
    target = folder / f"{key}.json"
    payload = {
        "sql": general.sql,
        "extras": general.extras,
        "history": general.history,
        "shared": general.shared,
        "missing": general.missing,
        "probes": general.probes,
    }
    _write_json(target, payload)


def _write_json(target: Path, payload: Any) -> None:
    """Write ``payload`` to ``target`` atomically (a reader never sees half a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, target)
