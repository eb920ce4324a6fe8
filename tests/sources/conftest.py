"""Fixtures for the ingest tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The helpers module sits beside this file; make it importable by the tests here.
sys.path.insert(0, str(Path(__file__).parent))

from ingest_council import write_council


@pytest.fixture
def council_dir(tmp_path: Path) -> Path:
    return write_council(tmp_path / "extract")
