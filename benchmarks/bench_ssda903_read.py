"""Reading SSDA903 CSV tables into checked tables: cscperf against the DfE validator's reader.

Both read the same files of the default synthetic council (``benchmarks/.cache/synth-default``,
shared with the other benchmarks and generated when missing; or the ``ssda903`` folder named
by ``CSCPERF_BENCH_SSDA903``): the latest year's CSV tables, and every year's.

- cscperf: :func:`cscperf.sources.ssda903.read_returns` (every value typed and checked against
  its year's columns and codes, problems located).
- The validator: ``lac_validator.ingress.read_from_text`` from csc-validator-be-903 0.1.17,
  once per year (it reads one year at a time), in the validators' own environment
  (``.venv-validators/bin/python`` in the checkout, made by ``scripts/setup-validators.sh``,
  or the interpreter named by ``CSCPERF_VALIDATORS_PYTHON``).

Each side runs in its own process; interpreter start-up and imports are not timed. The first
run is timed on its own (what a single ingest pays: cscperf's code sets and checks are built
on first use); the warm time is the median of seven runs after it. Each is both wall clock and
the process's CPU time (all its threads). The CPU time is the figure to trust: on a busy
machine the wall clock mostly measures waiting for a core. Target: cscperf at least five times
faster (warm CPU time) on both. Measured on the scale-1.0 county (nine years) on a busy
two-core machine: one year 10-12 ms against 70-80 ms (6-7x), all years about 0.1 s against
0.7-1.0 s (8-9x); a first run for a year 33 ms against 77 ms.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).parent / ".cache" / "synth-default"
TARGET_RATIO = 5.0
RUNS = 7

TIMER = """
import json, statistics, sys, time
from pathlib import Path
folders = [Path(p) for p in sys.argv[1:]]
{setup}
def timed():
    walls, cpus = [], []
    for _ in range({runs}):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)
first_wall, first_cpu = time.perf_counter(), time.process_time()
run()
first_wall, first_cpu = time.perf_counter() - first_wall, time.process_time() - first_cpu
wall, cpu = timed()
print(json.dumps({{"wall": wall, "cpu": cpu, "first_wall": first_wall, "first_cpu": first_cpu}}))
"""

CSCPERF = """
from cscperf.sources.returns_common import ProblemLog
from cscperf.sources.ssda903 import read_returns
paths = [p for folder in folders for p in sorted(folder.glob("*.csv"))]
def run():
    log = ProblemLog()
    returns = read_returns(paths, log)
    assert returns and all(r.tables for r in returns)
"""

VALIDATOR = """
from lac_validator.ingress import read_from_text
def run():
    for folder in folders:
        files = [
            {"name": p.name, "file_content": p.read_bytes(), "description": "This year"}
            for p in sorted(folder.glob("*.csv"))
        ]
        read_from_text(files)
"""


def validators_python() -> Path | None:
    named = os.environ.get("CSCPERF_VALIDATORS_PYTHON")
    candidates = [Path(named)] if named else [ROOT / ".venv-validators" / "bin" / "python"]
    return next((c for c in candidates if c.is_file()), None)


def year_folders() -> list[Path]:
    named = os.environ.get("CSCPERF_BENCH_SSDA903")
    if named:
        folder = Path(named)
    else:
        if not (CACHE / "ssda903").is_dir():
            from cscperf.synth import generate

            CACHE.parent.mkdir(parents=True, exist_ok=True)
            generate(CACHE)  # defaults: scale 1.0, ten financial years
        folder = CACHE / "ssda903"
    folders = sorted(p for p in folder.iterdir() if (p / "episodes.csv").is_file())
    if not folders:
        sys.exit(f"ssda903 read: no year folders with episodes.csv under {folder}")
    return folders


def measure(python: str, body: str, folders: list[Path]) -> dict[str, float]:
    script = TIMER.format(setup=body, runs=RUNS)
    env = dict(os.environ)
    if python == sys.executable:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
        )
    done = subprocess.run(
        [python, "-c", script, *map(str, folders)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=str(ROOT),
    )
    if done.returncode != 0:
        sys.exit(f"ssda903 read: the timing process failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _times(result: dict[str, float]) -> str:
    return (
        f"warm {result['cpu']:.3f} s ({result['wall']:.3f} s), "
        f"first {result['first_cpu']:.3f} s ({result['first_wall']:.3f} s)"
    )


def main() -> None:
    folders = year_folders()
    python = validators_python()
    cases = {
        f"one year ({folders[-1].name})": folders[-1:],
        f"all {len(folders)} years": folders,
    }
    missed = False
    print(
        "ssda903 read: times are CPU seconds (the figure to trust on a busy machine), wall "
        "clock in brackets; warm = median of later runs, first = the first run in a process"
    )
    for label, chosen in cases.items():
        ours = measure(sys.executable, CSCPERF, chosen)
        line = f"ssda903 read, {label}: cscperf {_times(ours)}"
        if python is None:
            print(line)
            continue
        theirs = measure(str(python), VALIDATOR, chosen)
        ratio = theirs["cpu"] / ours["cpu"]
        print(
            f"{line}; DfE validator reader {_times(theirs)}: cscperf {ratio:.1f}x faster warm "
            f"(cpu; wall {theirs['wall'] / ours['wall']:.1f}x), "
            f"{theirs['first_cpu'] / ours['first_cpu']:.1f}x on a first run (cpu); "
            f"target >= {TARGET_RATIO:.0f}x warm cpu"
        )
        missed = missed or ratio < TARGET_RATIO
    if python is None:
        print(
            "ssda903 read: DfE validator comparison skipped: validators' environment not "
            "installed (run scripts/setup-validators.sh)"
        )
    if missed:
        print("ssda903 read: UNDER TARGET")
        sys.exit(1)


if __name__ == "__main__":
    main()
