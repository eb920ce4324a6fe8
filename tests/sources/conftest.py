"""Fixtures for the ingest tests: the tiny hand-built council and the synthetic council."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

# The helpers module sits beside this file; make it importable by the tests here.
sys.path.insert(0, str(Path(__file__).parent))

from ingest_council import write_council

# Three collection years of the synthetic council: returns 2023, 2024 and 2025.
SYNTH_START = date(2022, 4, 1)
SYNTH_END = date(2025, 3, 31)


@pytest.fixture
def council_dir(tmp_path: Path) -> Path:
    return write_council(tmp_path / "extract")


def _synthetic(out: Path, *, faults: bool) -> Path:
    synth = pytest.importorskip("cscperf.synth")
    synth.generate(out, seed=5, scale=0.02, start=SYNTH_START, end=SYNTH_END, faults=faults)
    return out


@pytest.fixture(scope="session")
def clean_council(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic council, about three years at 2% scale, without planted faults."""
    return _synthetic(tmp_path_factory.mktemp("clean"), faults=False)


@pytest.fixture(scope="session")
def faulty_council(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same council with planted faults listed in ``planted_faults.csv``."""
    return _synthetic(tmp_path_factory.mktemp("faulty"), faults=True)
