"""Time to write the whole committee pack (HTML, PDF, Excel) for the default council.

The store is the one named by ``CSCPERF_BENCH_STORE``, else ``benchmarks/.cache/report-store``:
the default synthetic council (``benchmarks/.cache/synth-default``, shared with the ingest and
indicator benchmarks, generated when missing) ingested once, with its indicator results
computed and stored once, and the last month's published benchmarks and forecast kept with the
build as ``cscperf indicators`` keeps them (``app.kept``). Those steps are not timed; delete the
folder to rebuild it.

Timed: ``cscperf report`` for the latest month, in a fresh process as a user runs it (start-up
and imports included): the county pack with every chart drawn (the store's chart cache emptied
first, as for a new month), the same pack again (its charts from the cache, as when a pack is
rebuilt after commentary is signed off), and the first locality's pack. Each line gives wall
time, CPU time (the process's and any child's: on a busy machine the fairer figure), peak
memory and pages of the PDF. Target: the county pack under 10 seconds (issue 14), judged on
CPU time and on wall time, each printed with its verdict; the benchmark fails while the CPU
time of the first county pack misses it.

The runs use compiled bytecode, as an installed cscperf does (pip compiles every module when it
installs): Python writes it under ``benchmarks/.cache/pycache`` (``PYTHONPYCACHEPREFIX``) even
where ``PYTHONDONTWRITEBYTECODE`` is set, and one untimed run first compiles what a pack
imports. Without bytecode every run compiles WeasyPrint's, Altair's and cscperf's source
again, about 2 s of CPU that is no part of writing a pack.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

TARGET_SECONDS = 10.0
CACHE = Path(__file__).parent / ".cache"
COUNCIL = CACHE / "synth-default"
STORE = CACHE / "report-store"
PYCACHE = CACHE / "pycache"

CHILD = """
import json, resource, sys, time
start = time.perf_counter()
from pathlib import Path
from cscperf.app.month import write_pack
locality = sys.argv[4] or None
write_pack(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), locality=locality)
seconds = time.perf_counter() - start
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds,
                  "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                  "peak_mb": max(me.ru_maxrss, kids.ru_maxrss) / 1024}))
"""


def ensure_store() -> Path:
    """The benchmark store with its indicator results, made once (not timed)."""
    given = os.environ.get("CSCPERF_BENCH_STORE")
    store = Path(given) if given else STORE
    if not (store / "current").is_file():
        if not (COUNCIL / "ssd" / "ssd_person.csv").is_file():
            from cscperf.synth import generate

            COUNCIL.parent.mkdir(parents=True, exist_ok=True)
            generate(COUNCIL)  # defaults: scale 1.0, ten financial years
        from cscperf.app.load import ingest

        inputs = [COUNCIL / "ssd", COUNCIL / "council.yaml", COUNCIL / "population"]
        outcome = ingest(store, inputs)
        if outcome.reason:
            raise RuntimeError(f"the benchmark council could not be loaded: {outcome.reason}")
    from cscperf.app.kept import keep_month
    from cscperf.indicators.results import results_for
    from cscperf.store.store import Store

    build = Store(store).get()
    results_for(build)  # computed and stored once when absent
    keep_month(build)  # as `cscperf indicators` does: the month's benchmarks and forecast kept
    return store


def latest_period(store: Path) -> tuple[str, list[str]]:
    import polars as pl

    from cscperf.indicators.results import results_for
    from cscperf.store.store import Store

    build = Store(store).get()
    last: date = results_for(build)["period_end"].cast(pl.Date).max()  # type: ignore[assignment]
    return f"{last:%Y-%m}", [loc.name for loc in build.settings.localities]


def with_bytecode() -> dict[str, str]:
    """The environment of a timed run: bytecode kept (see the module's docstring); the PDF's
    child process inherits it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))
    return env


def time_pack(store: Path, period: str, locality: str | None) -> dict[str, Any]:
    """One ``cscperf report`` run in a fresh process; its time, CPU, memory and PDF pages."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(store), period, out, locality or ""],
            capture_output=True,
            text=True,
            check=True,
            env=with_bytecode(),
        )
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        result["pages"] = pdf_pages(Path(out) / "pack.pdf")
    return result


def pdf_pages(path: Path) -> str:
    """The PDF's page count as poppler's ``pdfinfo`` gives it, when it is installed."""
    import shutil

    if not shutil.which("pdfinfo"):
        return "?"
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    return next((ln.split()[-1] for ln in info.splitlines() if ln.startswith("Pages:")), "?")


def verdict(seconds: float) -> str:
    return "met" if seconds < TARGET_SECONDS else "MISSED"


def main() -> int:
    from cscperf.app.month import CHART_CACHE
    from cscperf.store.store import CACHE

    store = ensure_store()
    period, localities = latest_period(store)
    runs: list[tuple[str, str | None, bool]] = [
        ("county pack, charts drawn", None, True),
        ("county pack again, charts cached", None, False),
    ]
    runs += [(f"{name} pack", name, False) for name in localities[:1]]
    time_pack(store, period, None)  # untimed: compiles the bytecode of what a pack imports
    failed = False
    for label, locality, fresh in runs:
        if fresh:
            shutil.rmtree(store / CACHE / CHART_CACHE, ignore_errors=True)
        r = time_pack(store, period, locality)
        judged = ""
        if locality is None:
            judged = (
                f"; target < {TARGET_SECONDS:.0f} s: CPU {verdict(r['cpu'])}, "
                f"wall {verdict(r['seconds'])}"
            )
            failed = failed or (fresh and r["cpu"] >= TARGET_SECONDS)
        print(
            f"report: {label} for {period}: CPU {r['cpu']:.1f} s, wall {r['seconds']:.1f} s"
            f"{judged}; peak memory {r['peak_mb']:.0f} MB, {r['pages']} PDF pages",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
