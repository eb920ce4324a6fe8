"""Run the DfE's CIN Census validator (csc-validator-be-cin, package cin_validator) on CIN
Census XML files and print, as JSON, the rules each file fails.

Run with the validators' own Python (their virtual environment pins old pandas and numpy):

    .venv-validators/bin/python tests/synth/run_dfe_validator_cin.py cin_census_2024.xml ...

Each file is checked against the rule set of its collection year (read from the file's
CollectionDetails/Year: 2024 uses cin2023_24). Output, one object keyed by year:

    {"2024": {"ruleset": "cin2023_24", "failing": {"8770Q": 12, ...}, "crashed": []}}

``failing`` maps each failing rule code to the number of children it names (1 for a rule about
the whole return); ``crashed`` lists rules that raised an error instead of giving an answer
(a crash is not a pass). A year with no rule set in the installed package is reported with
``"ruleset": null``. Standard library and cin_validator only. Exit 0 when every file was
checked, 2 on misuse.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import re
import sys
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

CRASH = re.compile(r"^Error with rule (\S+):")


def ruleset_name(year: int) -> str:
    return f"cin{year - 1}_{year % 100:02d}"


def check(path: Path) -> tuple[int, dict[str, Any]]:
    warnings.simplefilter("ignore")  # the package's pandas deprecation noise
    from cin_validator import cin_validator

    root = ET.parse(path).getroot()
    year = int(root.findtext("Header/CollectionDetails/Year") or 0)
    name = ruleset_name(year)
    try:
        module = importlib.import_module(f"cin_validator.rules.{name}")
    except ModuleNotFoundError:
        return year, {"ruleset": None, "failing": {}, "crashed": []}
    data = cin_validator.process_data(cin_validator.convert_data(root))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        validator = cin_validator.CinValidator(data, module.registry)
    crashed = sorted(
        {m.group(1) for line in printed.getvalue().splitlines() if (m := CRASH.match(line))}
    )
    failing: dict[str, int] = {}
    issues = validator.full_issue_df
    for code, group in issues.groupby(issues["rule_code"].astype(str)):
        failing[code] = int(group["child_id"].dropna().astype(str).nunique()) or 1
    for code in validator.multichild_issues.get("rule_code", []):
        failing.setdefault(str(code), 1)
    return year, {"ruleset": name, "failing": dict(sorted(failing.items())), "crashed": crashed}


def main(argv: list[str]) -> int:
    if not argv or any(arg.startswith("-") for arg in argv):
        print(__doc__, file=sys.stderr)
        return 2
    missing = [arg for arg in argv if not Path(arg).is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {}
    for arg in argv:
        year, result = check(Path(arg))
        results[str(year)] = result
    json.dump(results, sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
