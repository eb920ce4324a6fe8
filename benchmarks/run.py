"""Run every benchmark (``make bench``): each ``bench_*.py`` here exposes ``main()``.

Speed and memory goals are measured here, never in unit tests. Each benchmark prints one line
with its time, peak memory and target; this runner prints a closing summary.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    wanted = set(argv)
    failures = 0
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            result = _load(path).main()
        except Exception as exc:  # a broken benchmark must not hide the others
            print(f"{name}: failed: {type(exc).__name__}: {exc}", flush=True)
            failures += 1
            continue
        if result:
            failures += 1
        print(f"   ({time.perf_counter() - started:.1f} s wall)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
