"""Starting one of the pack's helper processes (the PDF's, the charts'): ``python -m`` a module
of this cscperf, importing nothing else first, so it starts quickly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO


def start_child(module: str, log: IO[bytes], stdout: int) -> subprocess.Popen[bytes] | None:
    """``module`` run as a child reading its job from its standard input, with this cscperf
    first on its path and its messages written to ``log``; None when no process can be
    started (the caller then does the work itself)."""
    package_root = str(Path(__file__).resolve().parents[2])  # the folder holding cscperf
    paths = [package_root, *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    try:
        return subprocess.Popen(
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=stdout,
            stderr=log,
            env=env,
        )
    except OSError:
        return None
