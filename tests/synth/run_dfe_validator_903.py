"""Run the DfE's SSDA903 validator (csc-validator-be-903, package lac_validator) on a council's
903 returns and print, as JSON, which of its rules fail in each year.

Runs under the validators' own python (.venv-validators; see scripts/setup-validators.sh), so it
uses only the standard library and lac_validator. Usage:

    python run_dfe_validator_903.py RETURNS_DIR LA_CODE YEAR [YEAR ...]

RETURNS_DIR holds one folder per collection year (2024/header.csv, 2024/episodes.csv, ...), as
cscperf synth writes them under ssda903/. Each year is validated with the rule set of that
collection year and the previous year's CSV files (when written) as "last year", the way a
council uploads them. LA_CODE is the council's ONS code. The output maps each year to
{"failing": {rule code: rows flagged}, "crashed": [rule codes that raised]}. Exit code 0 when
the validator ran (whatever it found), 2 on misuse.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
from pathlib import Path


def validate_year(returns: Path, la_code: str, year: int) -> dict[str, object]:
    from lac_validator.lac_validator import LacValidator
    from lac_validator.rules.ruleset_utils import get_year_ruleset

    files = []
    for label, folder in (("This year", year), ("Prev year", year - 1)):
        for path in sorted((returns / str(folder)).glob("*.csv")):
            content = path.read_bytes()
            files.append({"name": path.name, "description": label, "file_content": content})
    metadata = {"collectionYear": str(year), "localAuthority": la_code}
    validator = LacValidator(metadata=metadata, files=files, registry=get_year_ruleset(str(year)))
    failing: dict[str, int] = {}
    for name, table in validator.ds_results.items():
        if name == "metadata":
            continue
        for column in table.columns:
            if str(column).startswith("ERR_"):
                flagged = int((table[column] == True).sum())  # noqa: E712 (pandas mask)
                if flagged:
                    code = str(column)[4:]
                    failing[code] = failing.get(code, 0) + flagged
    return {"failing": dict(sorted(failing.items())), "crashed": sorted(validator.fails)}


def main(argv: list[str]) -> int:
    if len(argv) < 3 or not all(a.isdigit() for a in argv[2:]):
        print(__doc__, file=sys.stderr)
        return 2
    returns, la_code, years = Path(argv[0]), argv[1], [int(a) for a in argv[2:]]
    missing = [y for y in years if not (returns / str(y)).is_dir()]
    if missing:
        print(f"no 903 return folder for {missing} in {returns}", file=sys.stderr)
        return 2
    logging.disable(logging.ERROR)  # the validator logs every rule; crashes are reported below
    with contextlib.redirect_stdout(io.StringIO()):  # some rules print what they look at
        result = {str(year): validate_year(returns, la_code, year) for year in years}
    print(json.dumps(result, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
