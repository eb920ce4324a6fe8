"""Benchmark: the whole indicator catalogue for every month and breakdown of ten years of the
default synthetic council, with its time, peak memory and ratio to one scan of the tables.

The council is generated once into ``benchmarks/.cache/synth-default`` (shared with the ingest
benchmark) and loaded once into ``benchmarks/.cache/indicators-store``; delete either to
rebuild. The computation runs in a child process so its peak resident memory can be read with
``resource``. The floor is DuckDB reading every column of every table of the build once.
Target on a 2-core machine: under 30 seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CACHE = Path(__file__).parent / ".cache"
COUNCIL = CACHE / "synth-default"
STORE = CACHE / "indicators-store"
TARGET_SECONDS = 30.0

CHILD = """
import json, resource, sys, time
from cscperf.store import Store
from cscperf.indicators.results import compute_build, duckdb_tables
build = Store(sys.argv[1]).get()
tables = duckdb_tables(build)
con = tables.con
start = time.perf_counter()
for name in tables.names:
    con.raw_sql(f'SELECT * FROM "{name}"').fetch_arrow_table()
scan = time.perf_counter() - start
start = time.perf_counter()
results = compute_build(build, tables)
seconds = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "scan": scan, "peak_gb": peak_kb / 1024 / 1024,
                  "rows": results.height, "ids": results["indicator_id"].n_unique()}))
"""


def ensure_store() -> Path:
    """Generate the default council and load it into the benchmark store, once."""
    if not (COUNCIL / "ssd" / "ssd_person.csv").is_file():
        from cscperf.synth import generate

        COUNCIL.parent.mkdir(parents=True, exist_ok=True)
        generate(COUNCIL)  # defaults: scale 1.0, ten financial years
    if not (STORE / "current").is_file():
        from cscperf.sources.ingest import ingest

        inputs = [COUNCIL / "ssd", COUNCIL / "council.yaml", COUNCIL / "population"]
        outcome = ingest(STORE, inputs)
        if outcome.reason:
            raise RuntimeError(f"the benchmark council could not be loaded: {outcome.reason}")
    return STORE


def main() -> dict[str, float]:
    store = ensure_store()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(store)], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    ratio = result["seconds"] / result["scan"] if result["scan"] > 0 else float("inf")
    print(
        f"indicators: {result['seconds']:.1f} s, peak {result['peak_gb']:.2f} GB, "
        f"ratio to scan {ratio:.0f} (target < {TARGET_SECONDS:.0f} s); "
        f"{result['ids']} indicators, {result['rows']:,} rows"
    )
    return result


if __name__ == "__main__":
    main()
