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
- **Spark local**: the members' catalogues computed together on a local Spark session (at
  most 4 GB), as ``cscperf pool build --database spark://local`` computes them, for a sample
  of :data:`SPARK_SAMPLE` members chosen across sizes (``CSCPERF_BENCH_POOL_SPARK_MEMBERS``;
  the whole pool too with ``CSCPERF_BENCH_POOL_SPARK_ALL=1``), with where Spark's time goes
  (:class:`SparkClock`: JVM, Parquet, analysis, planning, running and Arrow transfer,
  checkpoints, Python; see docs/pools.md).

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
from collections.abc import Callable
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
SPARK_SAMPLE = int(os.environ.get("CSCPERF_BENCH_POOL_SPARK_MEMBERS", "20"))


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


def sample(stores: list[Path], count: int) -> list[Path]:
    """``count`` members chosen across sizes: the stores ordered by their children, evenly
    spaced from the smallest to the largest."""
    from cscperf.store import Store

    sizes = sorted((Store(s).get().table("ssd_person").height, s.name, s) for s in stores)
    if count >= len(sizes):
        return [s for _, _, s in sizes]
    picks = sorted({round(i * (len(sizes) - 1) / (count - 1)) for i in range(count)})
    return [sizes[i][2] for i in picks]


def run_spark(stores: list[Path]) -> dict[str, Any]:
    """The members' catalogues on Spark local, computed together in one pooled run, as
    ``cscperf pool build --database spark://local`` does (``indicators/pooled.py``), with
    where Spark's time goes (:class:`SparkClock`)."""
    from cscperf.indicators.pooled import each_pooled_result, spark_engine
    from cscperf.store import Store

    builds = {store.name: Store(store).get() for store in stores}
    children = sum(b.table("ssd_person").height for b in builds.values())
    groups: list[int] = []
    folder = CACHE / "spark-tables"
    shutil.rmtree(folder, ignore_errors=True)
    clock = SparkClock()
    started = time.perf_counter()
    with clock:
        engine = spark_engine(folder)
        # not written to the stores: the DuckDB run's results stay as they are
        found = each_pooled_result(builds, engine=engine, on_group=lambda c: groups.append(len(c)))
        rows = sum(frame.height for _, frame in found)
    seconds = time.perf_counter() - started - clock.measuring
    shutil.rmtree(folder, ignore_errors=True)
    return {"engine": "Spark local", "seconds": seconds, "rows": rows, "groups": groups,
            "members": len(stores), "children": children, "overhead": clock.report(seconds),
            **_usage()}  # fmt: skip


class SparkClock:
    """Where a pooled run's time on Spark goes, measured by timing pyspark's own calls while
    the run is made (nothing is run twice): starting the JVM and session; writing the pooled
    tables as Parquet and registering them; for every query, Spark parsing and analysing its
    SQL (``session.sql``), optimising and planning it (the physical plan forced before the
    run), and running it with its Arrow transfer to Python (``toArrow``); and computing the
    shared blocks as local checkpoints. The Arrow transfer within the runs is worked out from
    the bytes fetched at a rate measured after the run on a frame already in Spark's memory.
    What is left is the host's: Ibis building and compiling each query, and the roll-up."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.fetched_bytes = 0
        self.jvm_peak_gb = 0.0
        self.jvm_cpu = 0.0
        self.transfer_mb_s = 0.0
        self.measuring = 0.0  # seconds spent measuring the transfer rate, not the run's
        self._undo: list[tuple[Any, str, Any]] = []

    def add(self, what: str, seconds: float) -> None:
        self.seconds[what] = self.seconds.get(what, 0.0) + seconds
        self.counts[what] = self.counts.get(what, 0) + 1

    def timed(self, what: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function``, its time added to ``what`` at each call."""

        def run(*args: Any, **kwargs: Any) -> Any:
            begun = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(what, time.perf_counter() - begun)

        return run

    def _patch(self, owner: Any, name: str, timed: Any) -> None:
        self._undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, timed)

    def __enter__(self) -> SparkClock:
        # pyspark and the Spark engine are optional and heavy: loaded only for this run.
        from pyspark.sql.classic.dataframe import DataFrame
        from pyspark.sql.session import SparkSession

        from cscperf.indicators import pooled
        from cscperf.indicators.backends.spark import SparkBackend

        clock = self
        sql, to_arrow = SparkSession.sql, DataFrame.toArrow
        checkpoint, local = DataFrame.localCheckpoint, SparkBackend.local_session
        pooled_spark, stop = pooled.pooled_spark, SparkBackend.stop

        def planned(frame: Any) -> None:
            begun = time.perf_counter()
            frame._jdf.queryExecution().executedPlan()
            clock.add("plan", time.perf_counter() - begun)

        def timed_arrow(frame: Any) -> Any:
            planned(frame)
            begun = time.perf_counter()
            table = to_arrow(frame)
            clock.add("run", time.perf_counter() - begun)
            clock.fetched_bytes += table.nbytes
            return table

        def timed_checkpoint(frame: Any, *args: Any, **kwargs: Any) -> Any:
            planned(frame)
            return clock.timed("checkpoint", checkpoint)(frame, *args, **kwargs)

        def measured_stop(session: Any) -> None:
            begun = time.perf_counter()
            clock.jvm_peak_gb, clock.jvm_cpu = _jvm_usage(session)
            clock.transfer_mb_s = _transfer_rate(session, checkpoint, to_arrow)
            clock.measuring += time.perf_counter() - begun  # not the run's
            stop(session)

        self._patch(SparkSession, "sql", self.timed("analyse", sql))
        self._patch(DataFrame, "toArrow", timed_arrow)
        self._patch(DataFrame, "localCheckpoint", timed_checkpoint)
        self._patch(SparkBackend, "local_session", staticmethod(self.timed("session", local)))
        self._patch(SparkBackend, "stop", staticmethod(measured_stop))
        self._patch(pooled, "pooled_spark", self.timed("tables", pooled_spark))
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)

    def report(self, total: float) -> dict[str, Any]:
        transfer = self.fetched_bytes / 1e6 / self.transfer_mb_s if self.transfer_mb_s else 0.0
        spark = sum(self.seconds.values())
        return {"seconds": self.seconds, "counts": self.counts, "host": total - spark,
                "fetched_mb": self.fetched_bytes / 1e6, "transfer_mb_s": self.transfer_mb_s,
                "transfer": transfer, "jvm_peak_gb": self.jvm_peak_gb,
                "jvm_cpu": self.jvm_cpu}  # fmt: skip


def _transfer_rate(session: Any, checkpoint: Any, to_arrow: Any) -> float:
    """MB per second of Arrow moving from Spark to Python: a frame of about 30 MB in
    Spark's memory (a local checkpoint) fetched with ``toArrow``, the best of three
    (pyspark's own methods, given as ``checkpoint`` and ``to_arrow``, not the timed ones)."""
    try:
        frame = session.range(1_000_000).selectExpr(
            "id", "cast(id as double) as num", "cast(id % 97 as string) as team",
            "date_add(date'2016-01-01', cast(id % 3650 as int)) as period_end",
        )  # fmt: skip
        frame = checkpoint(frame, eager=True)
        rates = []
        for _ in range(3):
            begun = time.perf_counter()
            table = to_arrow(frame)
            rates.append(table.nbytes / 1e6 / (time.perf_counter() - begun))
        frame.unpersist()
        return float(max(rates))
    except Exception:  # a measurement only: the run's own results are not affected
        return 0.0


def _jvm_usage(session: Any) -> tuple[float, float]:
    """The peak resident memory (GB) and CPU seconds so far of the session's JVM (local mode:
    driver and executors), which is not a child Python waits for, so not in its usage."""
    try:
        pid = session.sparkContext._gateway.proc.pid
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime and stime
        return peak / 1024 / 1024, ticks / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, StopIteration, ValueError):
        return 0.0, 0.0


def _usage() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    # Linux reports ru_maxrss in KiB; the process's own peak (it starts no workers).
    peak = max(own.ru_maxrss, kids.ru_maxrss) / 1024 / 1024
    return {"cpu": cpu, "peak_gb": peak, "load": os.getloadavg()[0]}


def child(engine: str) -> None:
    stores = [STORES / f.name for f in ensure_councils()]
    if engine == "duckdb":
        outcome = run_duckdb(stores)
    else:
        # Spark's driver (in local mode, the whole of Spark) gets at most 4 GB.
        os.environ.setdefault("PYSPARK_SUBMIT_ARGS", "--driver-memory 4g pyspark-shell")
        outcome = run_spark(stores if engine == "spark-all" else sample(stores, SPARK_SAMPLE))
    print()  # the result on a line of its own, whatever the engine printed before
    print(json.dumps(outcome))


def measure(engine: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "child", engine],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the {engine} run failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def report(duck: dict[str, Any], sparks: list[dict[str, Any]]) -> bool:
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
    if not sparks:
        print("  Spark local  not run (CSCPERF_BENCH_POOL_SPARK=0)")
    for spark in sparks:
        report_spark(spark, duck)
    return met


def report_spark(spark: dict[str, Any], duck: dict[str, Any]) -> None:
    """One pooled run on Spark local, and where its time went."""
    which = "the whole pool" if spark["members"] == duck["members"] else "a sample"
    print(f"  Spark local  {spark['seconds']:7.1f} s wall for {spark['members']} members "
          f"({which}, chosen across sizes: {spark['children']:,} children), the members' "
          f"catalogues only, computed together in {len(spark['groups'])} pooled run(s) of "
          f"{', '.join(str(n) for n in spark['groups'])} councils; {spark['rows']:,} result "
          f"rows; {spark['cpu']:.1f} s CPU in Python and {spark['overhead']['jvm_cpu']:.1f} s in "
          f"Spark's JVM, peak {spark['peak_gb']:.2f} GB in Python and "
          f"{spark['overhead']['jvm_peak_gb']:.2f} GB in Spark's JVM (at most 4 GB given), load "
          f"average {spark['load']:.1f}")  # fmt: skip
    cost = spark["overhead"]
    seconds, counts = cost["seconds"], cost["counts"]
    parts = [
        ("starting Spark's JVM and session", "session", ""),
        ("writing the pooled tables as Parquet and reading them in", "tables", ""),
        ("parsing and analysing SQL", "analyse", " statements"),
        ("optimising and planning queries", "plan", " queries"),
        ("running queries and fetching them as Arrow", "run", " queries"),
        ("computing shared blocks as local checkpoints", "checkpoint", " blocks"),
    ]
    for label, key, unit in parts:
        count = f" ({counts.get(key, 0):,}{unit})" if unit else ""
        print(f"      {seconds.get(key, 0.0):8.1f} s {label}{count}")
        if key == "run":
            print(
                f"               of which moving {cost['fetched_mb']:,.0f} MB of Arrow to "
                f"Python, about {cost['transfer']:.1f} s at {cost['transfer_mb_s']:,.0f} MB/s "
                "(the rate measured after the run)"
            )
    print(
        f"      {cost['host']:8.1f} s in Python: building and compiling each query (Ibis), "
        "the council rewrite, and rolling each council's rows up (Polars)"
    )


def main() -> int:
    ensure_stores(ensure_councils())
    duck = measure("duckdb")
    sparks = []
    if os.environ.get("CSCPERF_BENCH_POOL_SPARK") != "0":
        sparks.append(measure("spark"))
        if os.environ.get("CSCPERF_BENCH_POOL_SPARK_ALL") == "1":
            sparks.append(measure("spark-all"))
    return 0 if report(duck, sparks) else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2])
    else:
        sys.exit(main())
