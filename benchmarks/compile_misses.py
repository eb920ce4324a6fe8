"""Benchmark: a first run's compile with the SQL shipped with the package, on builds shaped
unlike any shipped shape, and which probe answers made each indicator miss the shipped SQL.

A real council's first run is never "nothing cached": the shipped SQL
(``indicators/shipped/sql.json.gz``, see :mod:`cscperf.indicators.shipped_sql`) is in the
package. What decides its compile is how many indicators' probe answers (which tables hold
rows, which columns are ever filled, what is not supplied, a table's schema) differ from every
shipped shape's. For each store given, in a fresh process with the shipped SQL read and an
empty compiled-SQL folder (never the store's own), this computes the whole catalogue and
prints the main thread's compile CPU (``Timings.compile_cpu``), the indicator runs compiled,
and for each the probes whose answers differ from the nearest shipped shape (the shape
differing in fewest of the probes its building made), or that nothing was shipped under its
base key at all (no shape ran it with these parameters and run keys, or, for an indicator the
build cannot supply, no shape lacked what this build lacks).

    python benchmarks/compile_misses.py STORE [STORE ...]

Exit 0, or 2 on misuse. Nothing is written into the stores.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench_indicators import child_json

from cscperf.indicators import sql_cache
from cscperf.indicators.aggregates import Timings
from cscperf.indicators.results import compute_build, duckdb_tables
from cscperf.indicators.shipped_sql import shapes_in, staleness
from cscperf.store import Store

NO_BASE = "no SQL shipped for its run keys or parameters"
NO_MISSING_BASE = "no shipped shape found it not available over its run keys"


def shape_answer(shape: Mapping[str, Any], probe: Sequence[str]) -> Any:
    """What a build of ``shape`` answers to ``probe`` (None for a count, which a shape does
    not hold)."""
    kind, *args = probe
    names, tables = shape["names"], shape["tables"]
    if kind == "names":
        return names.get(args[0])
    if kind == "not_supplied":
        return shape["not_supplied"].get(args[0])
    if kind == "names*":
        return sorted(names.items())
    if kind == "not_supplied*":
        return sorted(shape["not_supplied"].items())
    if kind == "schema":
        return tables[args[0]]["schema"] if args[0] in names else None
    if kind == "nonempty":
        return bool(args[0] in names and tables[args[0]]["nonempty"])
    if kind == "filled":
        return bool(args[0] in names and args[1] in tables[args[0]]["filled"])
    return None


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def nearest_shape(
    answers: Mapping[Any, Any], shapes: Sequence[Mapping[str, Any]]
) -> tuple[str, list[str]]:
    """The shipped shape whose answers differ from ``answers`` in the fewest probes, and those
    probes (written ``kind table [column]``)."""
    best: tuple[str, list[str]] | None = None
    for shape in shapes:
        differ = [
            " ".join(str(p) for p in probe)
            for probe, answer in answers.items()
            if not _same(shape_answer(shape, probe), answer)
        ]
        if best is None or len(differ) < len(best[1]):
            best = (shape["name"], sorted(differ))
    return best if best is not None else ("(no shapes)", [])


def measure(store: Path) -> dict[str, Any]:
    """The first run's compile of ``store``'s current build with the shipped SQL read and an
    empty compiled-SQL folder, and what each compiled indicator run missed on."""
    ids: dict[str, tuple[str, bool]] = {}
    kept: list[tuple[str, dict[Any, Any], bool]] = []
    base_key, keep = sql_cache.base_key, sql_cache.keep

    def recording_base_key(build: Any, definition: Any, parameters_key: Any, months: Any) -> str:
        base = base_key(build, definition, parameters_key, months)
        missing = isinstance(parameters_key, tuple) and parameters_key[:1] == ("not available",)
        ids[base] = (definition.id, missing)
        return base

    def recording_keep(build: Any, base: str, probes: Any, compiled: Any) -> None:
        kept.append((base, dict(probes), compiled.missing is not None))
        keep(build, base, probes, compiled)

    sql_cache.base_key = recording_base_key  # type: ignore[assignment]
    sql_cache.keep = recording_keep  # type: ignore[assignment]
    build = Store(store).get()
    with tempfile.TemporaryDirectory(prefix="cscperf-misses-") as folder:
        tables = duckdb_tables(build)
        tables.sql_cache_dir = Path(folder)
        timings = Timings()
        started = time.process_time()
        results = compute_build(build, tables, timings=timings)
        cpu = time.process_time() - started
    shipped = sql_cache.shipped()
    shapes = shapes_in()
    misses = []
    for base, answers, missing in kept:
        indicator, _ = ids.get(base, ("?", False))
        if shipped is None or base not in shipped.probe_sets:
            shape, differ = "-", [NO_MISSING_BASE if missing else NO_BASE]
        else:
            shape, differ = nearest_shape(answers, shapes)
        misses.append({"id": indicator, "not_available": missing, "shape": shape, "differ": differ})
    return {
        "store": str(store),
        "cpu": cpu,
        "compile_cpu": timings.compile_cpu,
        "rows": results.height,
        "ids": results["indicator_id"].n_unique(),
        "shipped": shipped is not None,
        "misses": misses,
    }


def run_child(store: Path) -> dict[str, Any]:
    """:func:`measure` in a fresh process (nothing compiled or imported before it)."""
    return child_json([__file__, "--one", str(store)], shipped="on")


def report(result: Mapping[str, Any]) -> None:
    misses = result["misses"]
    compiled = [m for m in misses if not m["not_available"]]
    print(
        f"{result['store']}: compile CPU {result['compile_cpu']:.2f} s (the run {result['cpu']:.1f}"
        f" s), {len(compiled)} indicator runs compiled, {len(misses) - len(compiled)} found "
        f"not available again; {result['ids']} indicators, {result['rows']:,} rows"
    )
    causes: Counter[str] = Counter()
    for miss in misses:
        causes.update(miss["differ"][:1] or ["(no probe differs: another path)"])
    for cause, count in causes.most_common(12):
        print(f"  {count:4d} runs first differ on: {cause}")
    for miss in compiled:
        shown = ", ".join(miss["differ"][:3]) + (" ..." if len(miss["differ"]) > 3 else "")
        print(f"    {miss['id']:<50} nearest {miss['shape']}: {shown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stores", type=Path, nargs="+", help="store folders (current build)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print()
        print(json.dumps(measure(args.stores[0])))
        return 0
    stale = staleness()
    if stale is not None:
        print(f"the shipped SQL is NOT CURRENT ({stale}); run `make sql-cache` first")
    for store in args.stores:
        if not (store / "current").is_file():
            parser.error(f"{store} is not a store with a current build")
        report(run_child(store))
    return 0


if __name__ == "__main__":
    sys.exit(main())
