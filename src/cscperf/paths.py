"""Where the program finds packaged data and the shared reference files.

The published DfE files and specifications live outside the repository (``../shared`` beside a
checkout, or wherever ``CSCPERF_SHARED`` points); a council points the program at its own
downloads instead.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def package_data(*parts: str) -> Path:
    """A file shipped inside the package (catalogue, code sets, templates)."""
    return Path(str(resources.files("cscperf").joinpath(*parts)))


def shared_dir() -> Path | None:
    """The shared reference folder, if one can be found."""
    env = os.environ.get("CSCPERF_SHARED")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared"
        if (candidate / "data").is_dir():
            return candidate
        if (parent / "pyproject.toml").exists():
            candidate = parent.parent / "shared"
            return candidate if candidate.is_dir() else None
    return None
