"""Time and peak memory of ``cscperf synth`` at the default size (scale 1.0, ten years).

The work runs in a child process so its peak resident memory (numpy and polars included, which
tracemalloc cannot see) is read from ``getrusage(RUSAGE_CHILDREN)``. Target: under 60 seconds
and under 2 GB on a 2-core machine.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time

TARGET_SECONDS = 60.0
TARGET_GB = 2.0
CHILD = """
import sys
from pathlib import Path
from cscperf.synth import generate
generate(Path(sys.argv[1]), seed=1, scale=1.0)
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", CHILD, f"{folder}/out"], check=True)
        seconds = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_gb = usage.ru_maxrss / 1024**2  # KiB on Linux
    # CPU time too: on a shared machine the wall-clock time depends on the neighbours.
    cpu = usage.ru_utime + usage.ru_stime
    ok = seconds < TARGET_SECONDS and peak_gb < TARGET_GB
    print(
        f"synth scale=1.0 years=10: {seconds:.1f} s ({cpu:.1f} s CPU), peak {peak_gb:.1f} GB "
        f"(target < {TARGET_SECONDS:.0f} s, < {TARGET_GB:.0f} GB){'' if ok else '  OVER TARGET'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
