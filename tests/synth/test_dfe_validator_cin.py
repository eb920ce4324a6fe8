"""The synthetic council's CIN Census returns pass the DfE's own validator.

csc-validator-be-cin (package cin_validator, pinned in scripts/setup-validators.sh) runs every
rule of each collection year's rule set, queries ("Q" rules) included, on each census of the
years it has rules for (2022-23 to 2026-27) of the scale-0.05 council the validator tests share
(fixture council_05). The validator lives in its own virtual environment, so it runs as a
separate process (run_dfe_validator_cin.py) through the ``validators_python`` fixture.

At this scale each census holds about 650 children, enough for every rule's
situation to arise (episodes cut short at 18 or by a move, enquiries and assessments open at
31 March, children found not in need, conferences in one year after enquiries in the last);
``make validate-synthetic`` runs the same check on a full-size council before a release.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from tests.synth import returns_fixture as fx

from cscperf.synth.returns_cin import write_cin_census

RUNNER = Path(__file__).with_name("run_dfe_validator_cin.py")
YEARS = [2023, 2024, 2025, 2026, 2027]  # cin_validator 0.1.13: cin2022_23 ... cin2026_27

# Rules the synthetic council fails by design, with the reason (docs/synthetic-returns.md).
# None: every rule, queries included, passes in every year.
EXPECTED_FAILING: dict[str, str] = {}


@pytest.fixture(scope="module")
def censuses(council_05: Path) -> dict[int, Path]:
    return {year: council_05 / "cin_census" / f"cin_census_{year}.xml" for year in YEARS}


@pytest.fixture(scope="module")
def results(validators_python: Path, censuses: dict[int, Path]) -> dict[str, dict[str, object]]:
    done = subprocess.run(
        [str(validators_python), str(RUNNER), *map(str, censuses.values())],
        capture_output=True,
        text=True,
        # minutes at scale 0.05; make validate-synthetic (full size) may take an hour a year
        timeout=None if os.environ.get("CSCPERF_VALIDATE_SCALE") else 900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded: dict[str, dict[str, object]] = json.loads(done.stdout)
    return loaded


def test_every_year_from_2023_is_checked(
    censuses: dict[int, Path], results: dict[str, dict[str, object]]
) -> None:
    assert all(path.is_file() for path in censuses.values())
    assert sorted(results) == [str(year) for year in YEARS]
    # each year against its own rule set (a missing one would mean nothing was checked)
    assert {y: r["ruleset"] for y, r in results.items()} == {
        "2023": "cin2022_23",
        "2024": "cin2023_24",
        "2025": "cin2024_25",
        "2026": "cin2025_26",
        "2027": "cin2026_27",
    }


@pytest.mark.parametrize("year", [str(year) for year in YEARS])
def test_no_rule_fails_but_those_documented(
    results: dict[str, dict[str, object]], year: str
) -> None:
    result = results[year]
    assert result["crashed"] == []  # a rule that raised gave no answer
    failing = result["failing"]
    assert isinstance(failing, dict)
    # on failure the message shows each failing rule with the number of children it names
    assert sorted(failing) == sorted(EXPECTED_FAILING), failing


def test_runner_reports_failing_rules_with_children_counted(
    validators_python: Path, tmp_path: Path
) -> None:
    # The runner must see a failure when there is one: the hand-made fixture's two UPNs
    # (C1 and C4, both in the 2022-23 census) have characters 2-4 "234", not an LA code.
    (path,) = write_cin_census(fx.ssd_tables(), fx.settings(), tmp_path, [2023])
    done = subprocess.run(
        [str(validators_python), str(RUNNER), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)["2023"]
    assert result["ruleset"] == "cin2022_23"
    assert result["failing"]["1530"] == 2
