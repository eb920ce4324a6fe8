"""Fixtures shared by the synthetic council's tests.

validators_python: the python of the DfE validators' own virtual environment (.venv-validators,
made by scripts/setup-validators.sh, which scripts/test.sh runs first). The validators pin
pandas <2 and numpy <1.25, so they cannot live in cscperf's environment; tests run them as a
separate process through this python. CSCPERF_VALIDATORS_PYTHON names another one.
"""

from __future__ import annotations

import os
from datetime import date
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


# The council the DfE validator tests read: returns for every year the validators have rules
# for (2022-23 to 2026-27) and the year before the first, as "last year".
COUNCIL_05_START, COUNCIL_05_END = date(2017, 4, 1), date(2027, 3, 31)


@pytest.fixture(scope="session")
def council_05(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eastshire at scale 0.05 (seed 1), April 2017 to March 2027, written once per session."""
    from cscperf.synth import generate

    out = tmp_path_factory.mktemp("council_05")
    # make validate-synthetic sets CSCPERF_VALIDATE_SCALE=1.0: the same checks at full size
    scale = float(os.environ.get("CSCPERF_VALIDATE_SCALE") or 0.05)
    generate(out, seed=1, scale=scale, start=COUNCIL_05_START, end=COUNCIL_05_END)
    return out


# Eastshire at scale 0.25 for ten years to March 2025: the council the plausibility and
# dynamics tests read (big enough for yearly rates to mean something, about 20 s to write).
COUNCIL_25_START, COUNCIL_25_END = date(2015, 4, 1), date(2025, 3, 31)


@pytest.fixture(scope="session")
def council_25(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eastshire at scale 0.25 (seed 1), April 2015 to March 2025, written once per session."""
    from cscperf.synth import generate

    out = tmp_path_factory.mktemp("council_25")
    generate(out, seed=1, scale=0.25, start=COUNCIL_25_START, end=COUNCIL_25_END)
    return out
