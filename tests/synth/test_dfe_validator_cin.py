"""The synthetic council's CIN Census returns pass the DfE's own validator.

csc-validator-be-cin (package cin_validator, pinned in scripts/setup-validators.sh) runs every
rule of each collection year's rule set, queries ("Q" rules) included, on each census from
2022-23 (the first year the package has rules for) to the last whole year of a synthetic
council at scale 0.05. The validator lives in its own virtual environment, so it runs as a
separate process (run_dfe_validator_cin.py) through the ``validators_python`` fixture.

At this scale the council has about 2,000 children in need a year, enough for every rule's
situation to arise (episodes cut short at 18 or by a move, enquiries and assessments open at
31 March, children found not in need, conferences in one year after enquiries in the last);
``make validate-synthetic`` runs the same check on a full-size council before a release.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from cscperf.synth.run import generate

RUNNER = Path(__file__).with_name("run_dfe_validator_cin.py")
FIRST_RULE_YEAR = 2023  # cin2022_23, the package's oldest rule set
START, END = date(2021, 4, 1), date(2026, 3, 31)

# Rules the synthetic council fails by design, with the reason (docs/synthetic-returns.md).
# None: every rule, queries included, passes in every year.
EXPECTED_FAILING: dict[str, str] = {}


@pytest.fixture(scope="module")
def censuses(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    out = tmp_path_factory.mktemp("validator_cin")
    generate(out, seed=4, scale=0.05, start=START, end=END)
    found = {int(p.stem.rsplit("_", 1)[1]): p for p in (out / "cin_census").glob("*.xml")}
    return {year: path for year, path in sorted(found.items()) if year >= FIRST_RULE_YEAR}


@pytest.fixture(scope="module")
def results(validators_python: Path, censuses: dict[int, Path]) -> dict[str, dict[str, object]]:
    done = subprocess.run(
        [str(validators_python), str(RUNNER), *map(str, censuses.values())],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded: dict[str, dict[str, object]] = json.loads(done.stdout)
    return loaded


def test_every_year_from_2023_is_checked(
    censuses: dict[int, Path], results: dict[str, dict[str, object]]
) -> None:
    assert sorted(censuses) == [2023, 2024, 2025, 2026]
    assert sorted(results) == ["2023", "2024", "2025", "2026"]
    # each year against its own rule set (a missing one would mean nothing was checked)
    assert {y: r["ruleset"] for y, r in results.items()} == {
        "2023": "cin2022_23",
        "2024": "cin2023_24",
        "2025": "cin2024_25",
        "2026": "cin2025_26",
    }


@pytest.mark.parametrize("year", ["2023", "2024", "2025", "2026"])
def test_no_rule_fails_but_those_documented(
    results: dict[str, dict[str, object]], year: str
) -> None:
    result = results[year]
    assert result["crashed"] == []  # a rule that raised gave no answer
    failing = result["failing"]
    assert isinstance(failing, dict)
    # on failure the message shows each failing rule with the number of children it names
    assert sorted(failing) == sorted(EXPECTED_FAILING), failing
