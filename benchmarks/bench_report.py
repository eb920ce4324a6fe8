"""Time to write the whole committee pack (HTML, PDF, Excel) for the default council.

Uses the store named by ``CSCPERF_BENCH_STORE``, else ``demo/store`` (made by ``make demo``),
else makes one: synthetic Eastshire (``cscperf synth``), ingested into a temporary store. The
indicator results are computed first and not timed; the target is the report alone.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0
ROOT = Path(__file__).resolve().parent.parent


def _store() -> Path:
    given = os.environ.get("CSCPERF_BENCH_STORE")
    if given:
        return Path(given)
    demo = ROOT / "demo" / "store"
    if (demo / "current").is_file():
        return demo
    from cscperf.cli import main as cli

    work = Path(tempfile.mkdtemp(prefix="bench_report_"))
    if cli(["synth", "--out", str(work / "in")]) != 0:
        raise RuntimeError("cscperf synth failed")
    if cli(["ingest", str(work / "in"), "--store", str(work / "store")]) != 0:
        raise RuntimeError("cscperf ingest failed: no build to report on")
    return work / "store"


def main() -> int:
    from cscperf.indicators.results import results_for
    from cscperf.reports.writer import write_pack
    from cscperf.store.store import Store

    store = _store()
    build = Store(store).get()
    rows = results_for(build)  # computed once, not timed
    period = f"{rows['period_end'].max():%Y-%m}"
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        write_pack(store, period, Path(out))
        took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = took < TARGET_SECONDS
    print(
        f"report: whole pack for {period} in {took:.1f} s (target < {TARGET_SECONDS:.0f} s), "
        f"peak memory {peak:.0f} MB: {'ok' if ok else 'TOO SLOW'}",
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
