"""Run every benchmark (``make bench``): each ``bench_*.py`` here runs as its own process.

Speed and memory goals are measured here, never in unit tests. Each benchmark prints its time,
peak memory and target, and exits non-zero when it misses its target.

Each runs in a fresh process because Linux counts a child's peak memory from the moment it is
forked: a child of a runner that had already done other benchmarks would inherit their peak.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    missed: list[str] = []
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(path)], check=False)
        if done.returncode != 0:
            missed.append(name)
        print(f"   ({time.perf_counter() - started:.1f} s wall)", flush=True)
    if missed:
        print(f"Missed their target or failed: {', '.join(missed)}", flush=True)
        return 1
    print("Every benchmark met its target.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
