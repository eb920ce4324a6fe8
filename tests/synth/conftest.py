"""Fixtures shared by the synthetic council's tests.

validators_python: the python of the DfE validators' own virtual environment (.venv-validators,
made by scripts/setup-validators.sh, which scripts/test.sh runs first). The validators pin
pandas <2 and numpy <1.25, so they cannot live in cscperf's environment; tests run them as a
separate process through this python. CSCPERF_VALIDATORS_PYTHON names another one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def validators_python() -> Path:
    """The python that can import lac_validator (SSDA903) and cin_validator (CIN Census).

    Without it the tests that need it skip locally and fail under CI (CI=true), where a
    missing validator would otherwise pass silently."""
    named = os.environ.get("CSCPERF_VALIDATORS_PYTHON")
    found = Path(named) if named else _ROOT / ".venv-validators" / "bin" / "python"
    if found.is_file() and os.access(found, os.X_OK):
        return found
    if named:
        reason = f"CSCPERF_VALIDATORS_PYTHON names {named}, which is not an executable file"
    else:
        reason = (
            f"the DfE validators are not installed ({found} is missing): "
            "run bash scripts/setup-validators.sh, or set CSCPERF_VALIDATORS_PYTHON"
        )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)
