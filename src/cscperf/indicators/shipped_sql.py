"""The compiled SQL shipped with the package, made at release for the usual shapes of input.

A first run with nothing cached compiles every indicator's Ibis expression (about 8 s of CPU
on the default county). The SQL depends only on the code and on the answers to the probes its
building made of the build (which tables hold rows, which columns are ever filled, what is
not supplied, a table's schema: see :mod:`cscperf.indicators.sql_cache`), so it can be
compiled ahead of time for the answers the usual inputs give and shipped, keyed exactly as
the cache keys it: a council whose answers match finds its SQL there; any other answer, or
other code, is a miss and compiles as before. Never wrong SQL, at worst no gain.

A **shape** (``shipped/shapes/<name>.json``, kept in git) is what a build answers: its
tables' names, what is not supplied, each table's schema, whether it holds rows and which
columns are ever filled, and its default reporting window (run keys name where parameters
change inside it). ``--shape-from STORE`` writes one from a store's current build (the
synthetic county, returns-only SSDA903 with the CIN Census); ``--shape-full-ssd`` declares
the full SSD (every canonical table, every column filled). ``--ship`` compiles the whole
catalogue for every shape, on empty tables of those schemas on an in-memory DuckDB whose
probes answer as the shape says, and writes ``shipped/sql.json.gz`` (not kept in git: made
by ``make sql-cache``, which ``make setup`` runs, and put in the wheel). ``--check`` exits 1
when that file is missing or was made by other code or other shapes.

    python -m cscperf.indicators.shipped_sql --shape-from STORE --name synthetic-county
    python -m cscperf.indicators.shipped_sql --ship
    python -m cscperf.indicators.shipped_sql --check
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ibis

from cscperf.indicators import sql_cache
from cscperf.indicators.context import BuildTables, Probe
from cscperf.indicators.engine import compute
from cscperf.indicators.imported import stored_frames, with_imported
from cscperf.indicators.results import (
    _complete_from,
    _extract_date,
    duckdb_tables,
    reporting_range,
)
from cscperf.indicators.testing import upload
from cscperf.sources.canonical import canonical_tables, empty_table
from cscperf.store import Store

SHAPES = sql_cache.SHIPPED_PATH.parent / "shapes"
FULL_SSD = "full-ssd"


# ---------------------------------------------------------------------------- shapes


def shape_of(tables: BuildTables, name: str, first: date, last: date) -> dict[str, Any]:
    """What ``tables`` answers to every probe an indicator may make, as a shape."""
    described = {}
    for table in sorted(tables.names):
        schema = tables.answer(("schema", table))
        described[table] = {
            "schema": schema,
            "nonempty": bool(tables.answer(("nonempty", table))),
            "filled": [c for c in schema if tables.answer(("filled", table, c))],
        }
    return {
        "name": name,
        "window": [first.isoformat(), last.isoformat()],
        "names": dict(sorted(tables.names.items())),
        "not_supplied": dict(sorted(tables.not_supplied.items())),
        "tables": described,
    }


def shape_from_store(store: Path, name: str) -> dict[str, Any]:
    """The shape of a store's current build, as ``cscperf indicators`` computes it (imported
    tables included) over its default reporting window."""
    build = Store(store).get()
    tables = duckdb_tables(build)
    tables = with_imported(tables, stored_frames(build))
    first, last = reporting_range(tables, _extract_date(build))
    first = max(first, _complete_from(build) or first)
    return shape_of(tables, name, first, last)


def full_ssd_shape(first: date, last: date) -> dict[str, Any]:
    """Every canonical table supplied, holding rows, every column filled."""
    con = ibis.duckdb.connect()
    made = BuildTables(con, upload(con, {t: empty_table(t) for t in canonical_tables()}))
    tables = {}
    for table in sorted(made.names):
        schema = made.answer(("schema", table))
        tables[table] = {"schema": schema, "nonempty": True, "filled": list(schema)}
    con.disconnect()
    return {
        "name": FULL_SSD,
        "window": [first.isoformat(), last.isoformat()],
        "names": {t: t for t in sorted(tables)},
        "not_supplied": {},
        "tables": tables,
    }


@dataclass
class ShapeTables(BuildTables):
    """Empty tables of a shape's schemas whose probes answer as the shape says."""

    shape: dict[str, Any] = field(default_factory=dict)

    def answer(self, probe: Sequence[str]) -> Any:
        kind, *args = probe
        if kind not in ("nonempty", "filled", "rows"):
            return super().answer(probe)
        table = self.shape["tables"].get(args[0]) if args[0] in self._names else None
        if kind == "nonempty":
            return bool(table and table["nonempty"])
        if kind == "filled":
            return bool(table and args[1] in table["filled"])
        raise ValueError(f"a shape says whether {args[0]} holds rows, not how many")


def shape_tables(shape: dict[str, Any]) -> ShapeTables:
    """A shape's tables on a fresh in-memory DuckDB; an error when a table's schema there is
    not the shape's (its SQL would then not be what the shape's builds compile)."""
    con = ibis.duckdb.connect()
    con.raw_sql("SET enable_progress_bar = false")
    for table, backend_name in shape["names"].items():
        columns = shape["tables"][table]["schema"]
        con.create_table(
            backend_name, schema=ibis.schema({c: ibis.dtype(t) for c, t in columns.items()})
        )
    tables = ShapeTables(
        con=con, names=shape["names"], not_supplied=shape["not_supplied"], shape=shape
    )
    for table in shape["names"]:
        made = tables.answer(("schema", table))
        if made != shape["tables"][table]["schema"]:
            raise RuntimeError(
                f"shape {shape['name']}: table {table} is made with the schema {made}, not "
                f"the shape's {shape['tables'][table]['schema']}; write the shape again"
            )
    return tables


def shapes_in(folder: Path = SHAPES) -> list[dict[str, Any]]:
    """The shapes kept in ``folder``, by name."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def shapes_hash(shapes: Sequence[dict[str, Any]]) -> str:
    text = json.dumps(sorted(shapes, key=lambda s: s["name"]), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------- shipping


def ship(
    shapes: Sequence[dict[str, Any]],
    target: Path = sql_cache.SHIPPED_PATH,
    ids: Sequence[str] | None = None,
) -> dict[str, int]:
    """Compile the catalogue (or ``ids``) for every shape and write the shipped SQL to
    ``target``; how many probe sets and entries it holds."""
    with tempfile.TemporaryDirectory(prefix="cscperf-ship-") as name, sql_cache.without_shipped():
        folder = Path(name)
        sql_cache.forget_process_memory()
        try:
            for shape in shapes:
                tables = shape_tables(shape)
                tables.sql_cache_dir = folder
                first, last = (date.fromisoformat(d) for d in shape["window"])
                compute(tables, first, last, ids=ids)
                tables.con.disconnect()
        finally:
            sql_cache.forget_process_memory()
        probe_sets = {
            p.stem: json.loads(p.read_text(encoding="utf-8"))["probe_sets"]
            for p in sorted(folder.glob("*.probes"))
        }
        entries = {
            p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))
        }
    payload = {
        "format": sql_cache.FORMAT,
        "code": sql_cache.code_fingerprint(),
        "versions": {"ibis": ibis.__version__, "sqlglot": sql_cache.sqlglot.__version__},
        "shapes": shapes_hash(shapes),
        "probe_sets": probe_sets,
        "entries": entries,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(gzip.compress(json.dumps(payload, sort_keys=True).encode(), mtime=0))
    tmp.replace(target)
    return {"probe_sets": len(probe_sets), "entries": len(entries)}


def staleness(target: Path = sql_cache.SHIPPED_PATH, folder: Path = SHAPES) -> str | None:
    """Why the shipped SQL is not current (None when it is): missing, or made by other code,
    another Ibis or SQLGlot, or for other shapes."""
    raw = sql_cache.read_shipped(target)
    if raw is None:
        return f"{target} is missing or unreadable"
    if raw.get("format") != sql_cache.FORMAT or raw.get("code") != sql_cache.code_fingerprint():
        return f"{target} was compiled by other code (or another Ibis or SQLGlot)"
    if raw.get("shapes") != shapes_hash(shapes_in(folder)):
        return f"{target} was compiled for other shapes than those in {folder}"
    return None


def probes_of(raw: dict[str, Any]) -> list[Probe]:
    """Every probe the shipped SQL's entries were keyed by (for inspection)."""
    return sorted({tuple(p) for sets in raw["probe_sets"].values() for s in sets for p in s})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--ship", action="store_true", help="compile for every shape and write")
    mode.add_argument("--check", action="store_true", help="exit 1 unless the file is current")
    mode.add_argument("--shape-from", type=Path, metavar="STORE", help="write a store's shape")
    mode.add_argument(
        "--shape-full-ssd",
        nargs=2,
        metavar=("FIRST", "LAST"),
        help="write the full SSD shape for a window (YYYY-MM-DD)",
    )
    parser.add_argument("--name", help="the shape's name (with --shape-from)")
    parser.add_argument(
        "--if-stale", action="store_true", help="with --ship: only when not current"
    )
    args = parser.parse_args(argv)
    if args.check or (args.ship and args.if_stale):
        problem = staleness()
        if problem is None:
            print(f"{sql_cache.SHIPPED_PATH} is current")
            return 0
        if args.check:
            print(f"{problem}; run `make sql-cache`", file=sys.stderr)
            return 1
    if args.ship:
        shapes = shapes_in()
        if not shapes:
            print(f"no shapes in {SHAPES}", file=sys.stderr)
            return 1
        counts = ship(shapes)
        print(
            f"wrote {sql_cache.SHIPPED_PATH}: {counts['entries']} entries for {len(shapes)} shapes"
        )
        return 0
    if args.shape_from is not None:
        if not args.name:
            parser.error("--shape-from needs --name")
        shape = shape_from_store(args.shape_from, args.name)
    else:
        first, last = (date.fromisoformat(d) for d in args.shape_full_ssd)
        shape = full_ssd_shape(first, last)
    SHAPES.mkdir(parents=True, exist_ok=True)
    path = SHAPES / f"{shape['name']}.json"
    path.write_text(json.dumps(shape, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
