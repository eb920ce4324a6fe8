"""Benchmark: load ten years of the default synthetic council and report time and peak memory.

The council is generated once into ``benchmarks/.cache/synth-default`` (delete it to
regenerate). The ingest runs in a child process so its peak resident memory can be read
with ``resource``. Target on a 2-core machine: under 60 seconds and 4 GB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

CACHE = Path(__file__).parent / ".cache" / "synth-default"
TARGET_SECONDS, TARGET_GB = 60.0, 4.0

CHILD = """
import json, resource, sys, time
from pathlib import Path
from cscperf.app.load import ingest
out, store = Path(sys.argv[1]), Path(sys.argv[2])
inputs = [out / "ssd", out / "council.yaml", *sorted((out / "population").glob("*.csv"))]
start = time.perf_counter()
outcome = ingest(store, inputs)
seconds = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_gb": peak_kb / 1024 / 1024,
                  "published": outcome.published, "rows": sum(outcome.row_counts.values())}))
"""


def ensure_council() -> Path:
    if not (CACHE / "ssd" / "ssd_person.csv").is_file():
        from cscperf.synth import generate

        CACHE.parent.mkdir(parents=True, exist_ok=True)
        generate(CACHE)  # defaults: scale 1.0, ten financial years
    return CACHE


def main() -> dict[str, float]:
    council = ensure_council()
    with tempfile.TemporaryDirectory() as store:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(council), str(Path(store) / "store")],
            capture_output=True,
            text=True,
            check=True,
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"ingest: {result['seconds']:.1f} s, peak {result['peak_gb']:.2f} GB "
        f"(target < {TARGET_SECONDS:.0f} s, < {TARGET_GB:.0f} GB); "
        f"{result['rows']:,} rows, published={result['published']}"
    )
    met = (
        result["published"] and result["seconds"] < TARGET_SECONDS and result["peak_gb"] < TARGET_GB
    )
    if not met:
        print("ingest: OVER TARGET or not published")
        sys.exit(1)
    return result


if __name__ == "__main__":
    main()
