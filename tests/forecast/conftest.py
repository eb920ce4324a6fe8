"""Small settings for hand-worked forecasts: one age band or two, two placement categories."""

from __future__ import annotations

import contextlib
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from cscperf.cli import main
from cscperf.forecast.settings import DEFAULTS, ForecastSettings

START, END = date(2021, 4, 1), date(2025, 3, 31)


def cli(*args: str | Path) -> tuple[int, str, str]:
    """Run a command; its exit code, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def settings_with(**changes: Any) -> ForecastSettings:
    data = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    data.update(changes)
    return ForecastSettings.model_validate(data)


@pytest.fixture
def two_states() -> ForecastSettings:
    """One age band (0 to 18) and two categories: fostering (U1-U6) and other."""
    return settings_with(
        age_bands=[{"name": "All ages", "from": 0, "to": 18}],
        placement_categories={"fostering": ["U1", "U2", "U3", "U4", "U5", "U6"], "other": []},
        weekly_unit_costs={"fostering": 700, "other": 1400},
        fit={"reference_months": 12, "entry_months": 12, "pooling_weight": 0},
    )


@pytest.fixture(scope="session")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from cscperf.synth import generate

    root = tmp_path_factory.mktemp("forecast")
    council = root / "council"
    generate(council, seed=11, scale=0.05, start=START, end=END)
    made = {"ssd": root / "ssd-store", "returns": root / "returns-store", "council": council}
    for args in (
        (
            "--store",
            made["ssd"],
            council / "ssd",
            council / "council.yaml",
            "--extract-date",
            "2025-04-01",
        ),
        ("--store", made["returns"], council / "ssda903"),
    ):
        code, _, err = cli("ingest", *args)
        assert code == 0, err[-2000:]
    return made
