"""The synthetic council's targets file, one set of targets for every financial year it covers.

Eastshire's targets are the packaged example (``cscperf.evaluate`` keeps it, with the reasons
for each figure). The example is written for two financial years; the synthetic council's
window moves with today's date, so its latest year's targets are carried to every financial
year of the window, the way a council rolls its targets forward until it revises them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from cscperf.calendar import financial_year_of
from cscperf.evaluate.targets import example_targets_path

TARGETS_FILE = "targets.yaml"


def financial_year_labels(first: date, last: date) -> list[str]:
    """Labels ("2024-25") of every financial year from the one containing ``first`` to the
    one containing ``last``."""
    start = financial_year_of(first).ends_year
    end = financial_year_of(last).ends_year
    return [financial_year_of(date(year - 1, 4, 1)).label for year in range(start, end + 1)]


def rolled_targets(example: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    """The example with its latest year's targets repeated for each year in ``labels``."""
    targets = example["targets"]
    latest = max(entry["financial_year"] for entry in targets)
    template = [entry for entry in targets if entry["financial_year"] == latest]
    rolled = [{**entry, "financial_year": label} for label in labels for entry in template]
    return {**example, "targets": rolled}


def write_targets(out_dir: Path, first: date, last: date) -> Path:
    example = yaml.safe_load(example_targets_path().read_text(encoding="utf-8"))
    content = rolled_targets(example, financial_year_labels(first, last))
    path = out_dir / TARGETS_FILE
    header = (
        "# Targets of Eastshire County Council (synthetic): the packaged example's latest\n"
        "# year carried to every financial year of the synthetic data. Layout:\n"
        "# docs/targets-and-rag.md. Put a council's own file beside its store as targets.yaml.\n"
    )
    path.write_text(
        header + yaml.safe_dump(content, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return path
