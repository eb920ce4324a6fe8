"""A pool of every English council: the whole catalogue's time and peak memory on DuckDB and
on Spark local, side by side in one run (issue 20).

Set-up, made once and kept in ``benchmarks/.cache/pool-<scale>/``: ``cscperf synth
--all-england`` writes a synthetic council shaped by each English council's published figures
(ten financial years), and each is loaded into its own store, as each member of a real pool
loads its own data. Neither is timed: they are what the members do before pooling.

Timed, each in a fresh process so that its peak memory is its own:

- **DuckDB**: every member's whole catalogue computed afresh (each member's stored results
  removed first), all members at once: their canonical tables read into one table each with
  the council as a column, each indicator's query run once for every council with the
  council as the outermost grouping, and each council's grouped sums rolled up as its own
  run does (``indicators/pooled.py``); then ``cscperf pool``'s build of the pooled store
  (children's identifiers hashed, dates of birth coarsened, member results gathered). Goal:
  under 120 s and 6 GB.
- **Spark local**: the same catalogue computed on a local Spark session for a sample of
  members (the smallest, the median and the largest council), each on its own, and the
  pool's time estimated from them. A Spark job costs tens of milliseconds to plan and
  schedule whatever its size; each member's catalogue is over a hundred queries of a few
  thousand rows, so on one machine Spark's time is that overhead, not the work (see
  docs/pools.md).

``CSCPERF_BENCH_POOL_SCALE`` sets the councils' scale (default 0.02: about 170,000 children
across England, a council of a county's size about 3,400); ``CSCPERF_BENCH_POOL_SPARK=0``
leaves Spark out (for a machine without Java); ``CSCPERF_BENCH_POOL_CACHE`` names another
folder for the councils and their stores (the benchmark writes each member's results into its
store).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCALE = os.environ.get("CSCPERF_BENCH_POOL_SCALE", "0.02")
CACHE = Path(os.environ.get("CSCPERF_BENCH_POOL_CACHE") or HERE / ".cache" / f"pool-{SCALE}")
COUNCILS = CACHE / "councils"
STORES = CACHE / "stores"
POOL = CACHE / "pool"
KEY = b"benchmark pool key, not a secret: synthetic councils only"
JOBS = 2
SECONDS_GOAL = 120.0
MEMORY_GOAL_GB = 6.0
SPARK_SAMPLE = 3


def ensure_councils() -> list[Path]:
    """Every English council, synthetic, made once (``cscperf synth --all-england``)."""
    if not (COUNCILS / "councils.csv").is_file():
        command = [sys.executable, "-m", "cscperf", "synth", "--out", str(COUNCILS),
                   "--all-england", "--scale", SCALE, "--jobs", str(JOBS)]  # fmt: skip
        print("Making the synthetic councils (once):", " ".join(command[2:]), flush=True)
        subprocess.run(command, check=True)
    return sorted(p for p in COUNCILS.iterdir() if (p / "council.yaml").is_file())


def _load(folder: Path) -> str:
    from cscperf.app.pools import council_store

    return str(council_store(folder, STORES))


def ensure_stores(folders: list[Path]) -> list[Path]:
    """Each council loaded into its own store, once, two at a time."""
    missing = [f for f in folders if not (STORES / f.name / "current").is_file()]
    if missing:
        print(f"Loading {len(missing)} councils into their stores (once)", flush=True)
        with ProcessPoolExecutor(JOBS) as workers:
            for done, _ in enumerate(workers.map(_load, missing), start=1):
                if done % 10 == 0 or done == len(missing):
                    print(f"  {done}/{len(missing)} loaded", flush=True)
    return [STORES / f.name for f in folders]


def _compute(store: str, database: str | None = None) -> tuple[str, float, int]:
    """One member's whole catalogue, computed afresh: (store, seconds, result rows)."""
    from cscperf.indicators.results import RESULTS_FILE, results_for
    from cscperf.store import Store

    build = Store(Path(store)).get()
    (build.results_dir / RESULTS_FILE).unlink(missing_ok=True)
    started = time.perf_counter()
    results = results_for(build, database=database, show_progress=False)
    if database is not None:
        (build.results_dir / RESULTS_FILE).unlink(missing_ok=True)
    return store, time.perf_counter() - started, results.height


def run_duckdb(stores: list[Path]) -> dict[str, Any]:
    """Every member's catalogue on DuckDB, all at once, then the pool's build; in this
    process."""
    from cscperf.app.pools import pool_councils
    from cscperf.indicators.pooled import each_council_result
    from cscperf.indicators.results import RESULTS_FILE
    from cscperf.store import Store

    shutil.rmtree(POOL, ignore_errors=True)
    builds = {store.name: Store(store).get() for store in stores}
    for build in builds.values():
        (build.results_dir / RESULTS_FILE).unlink(missing_ok=True)
    groups: list[int] = []
    started = time.perf_counter()
    # each member's results written to its store as they come and dropped, as a pool does
    found = each_council_result(builds, on_group=lambda codes: groups.append(len(codes)))
    rows = sum(frame.height for _, frame in found)
    computed = time.perf_counter() - started
    pooling_cpu = time.process_time()  # every thread of this process (it starts no other)
    pooled = pool_councils(POOL, stores, KEY, name="England (synthetic)")
    pooling_cpu = time.process_time() - pooling_cpu
    seconds = time.perf_counter() - started
    return {"engine": "DuckDB", "seconds": seconds, "catalogue_seconds": computed,
            "pooling_seconds": seconds - computed, "pooling_cpu": pooling_cpu, "rows": rows,
            "groups": groups, "members": len(pooled.pool.members()), **_usage()}  # fmt: skip


def run_spark(stores: list[Path]) -> dict[str, Any]:
    """The catalogue on Spark local for a sample of members; the pool's time estimated."""
    from cscperf.store import Store

    def children(store: Path) -> int:
        return Store(store).get().table("ssd_person").height

    sizes = sorted((children(s), s) for s in stores)
    picks = [sizes[0], sizes[len(sizes) // 2], sizes[-1]][:SPARK_SAMPLE]
    timed: list[dict[str, Any]] = []
    for size, store in picks:
        _, seconds, _ = _compute(str(store), "spark://local")
        timed.append({"store": store.name, "children": size, "seconds": seconds})
    per_child = sum(t["seconds"] for t in timed) / sum(t["children"] for t in timed)
    fixed = min(float(t["seconds"]) for t in timed)  # the overhead every member pays at least
    total_children = sum(size for size, _ in sizes)
    estimate = max(per_child * total_children, fixed * len(stores))
    return {"engine": "Spark local", "seconds": estimate, "estimated": True,
            "sample": timed, "members": len(stores), **_usage()}  # fmt: skip


def _usage() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    # Linux reports ru_maxrss in KiB; the process's own peak (it starts no workers).
    peak = max(own.ru_maxrss, kids.ru_maxrss) / 1024 / 1024
    return {"cpu": cpu, "peak_gb": peak, "load": os.getloadavg()[0]}


def child(engine: str) -> None:
    stores = [STORES / f.name for f in ensure_councils()]
    outcome = run_duckdb(stores) if engine == "duckdb" else run_spark(stores)
    print()  # the result on a line of its own, whatever the engine printed before
    print(json.dumps(outcome))


def measure(engine: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "child", engine],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the {engine} run failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def report(duck: dict[str, Any], spark: dict[str, Any] | None) -> bool:
    print(f"Pool of {duck['members']} synthetic English councils (scale {SCALE}), ten years, "
          f"{duck['rows']:,} result rows")  # fmt: skip
    met = duck["seconds"] < SECONDS_GOAL and duck["peak_gb"] < MEMORY_GOAL_GB
    print(f"  DuckDB       {duck['seconds']:7.1f} s wall ({duck['catalogue_seconds']:.1f} s the "
          f"members' catalogues, computed together in {len(duck['groups'])} pooled run(s) of "
          f"{', '.join(str(n) for n in duck['groups'])} councils; {duck['pooling_seconds']:.1f} s "
          f"pooling, of {duck['pooling_cpu']:.1f} s CPU), {duck['cpu']:.1f} s CPU, peak "
          f"{duck['peak_gb']:.2f} GB, load average {duck['load']:.1f}  goal < "
          f"{SECONDS_GOAL:.0f} s and < {MEMORY_GOAL_GB:.0f} GB: "
          f"{'met' if met else 'MISSED'}")  # fmt: skip
    if spark is None:
        print("  Spark local  not run (CSCPERF_BENCH_POOL_SPARK=0)")
        return met
    print(f"  Spark local  {spark['seconds']:7.1f} s estimated from {len(spark['sample'])} "
          f"members, peak {spark['peak_gb']:.2f} GB; {spark['seconds'] / duck['seconds']:.0f}x "
          "DuckDB")  # fmt: skip
    for item in spark["sample"]:
        print(f"      council {item['store']}: {item['children']:,} children, "
              f"{item['seconds']:.1f} s")  # fmt: skip
    print(
        "  Spark's time is its per-query overhead (planning and scheduling over a hundred "
        "small jobs per member), not the data; it pays off only on a cluster."
    )
    return met


def main() -> int:
    ensure_stores(ensure_councils())
    duck = measure("duckdb")
    spark = None if os.environ.get("CSCPERF_BENCH_POOL_SPARK") == "0" else measure("spark")
    return 0 if report(duck, spark) else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2])
    else:
        sys.exit(main())
