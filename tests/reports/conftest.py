"""Fixtures of the report tests: the hand-built county pack, and its files written once."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.reports.fixtures import fixture_pack

from cscperf.reports.pack import Pack


@pytest.fixture(scope="session")
def county_pack() -> Pack:
    return fixture_pack()


@pytest.fixture(scope="session")
def county_files(county_pack: Pack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cscperf.reports.writer import write_pack_files

    out = tmp_path_factory.mktemp("county")
    write_pack_files(county_pack, out)
    return out
