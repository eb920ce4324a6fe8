"""Shared test fixtures: where the shared reference files are, and how to run the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from cscperf.paths import shared_dir


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared reference folder (published DfE files, specs, samples). CI has it beside
    the checkout; without it these tests cannot say anything, so they fail loudly."""
    found = shared_dir()
    if found is None or not (found / "data").is_dir():
        pytest.fail("the shared reference folder was not found: set CSCPERF_SHARED")
    return found
