"""The output contract is declared once (:mod:`cscperf.indicators.contract`); the roll-up, the
writers, the command line and the documentation follow that one declaration."""

from __future__ import annotations

from pathlib import Path

from cscperf.indicators import output, rollup
from cscperf.indicators.contract import (
    BREAKDOWNS,
    CONTRACT_COLUMNS,
    OPTIONAL_COLUMNS,
    RESULT_SCHEMA,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"


def _documented_columns() -> dict[str, str]:
    """The first column and the meaning of each row of the table under "## The output"."""
    section = DOCS.read_text(encoding="utf-8").split("\n## The output\n", 1)[1]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            name, meaning = (cell.strip() for cell in line.strip("|").split("|", 1))
            rows[name.strip("`")] = meaning
        elif rows:
            break
    return rows


def test_the_seven_fields_the_specification_names():
    # Spec section 8: one row per (indicator_id, period_end, breakdown, breakdown_value).
    assert CONTRACT_COLUMNS == (
        "indicator_id",
        "period_end",
        "breakdown",
        "breakdown_value",
        "numerator",
        "denominator",
        "value",
    )
    assert list(RESULT_SCHEMA) == [*CONTRACT_COLUMNS, *OPTIONAL_COLUMNS]


def test_the_documentation_lists_the_declared_columns_in_order():
    assert list(_documented_columns()) == list(RESULT_SCHEMA)


def test_the_documentation_lists_the_declared_breakdowns():
    documented = _documented_columns()["breakdown"]
    assert [b.strip(" `") for b in documented.split(",")] == list(BREAKDOWNS)


def test_the_engine_and_the_writers_read_the_declaration():
    # One object, not copies that could drift apart.
    assert rollup.RESULT_SCHEMA is RESULT_SCHEMA
    assert output.CONTRACT_COLUMNS is CONTRACT_COLUMNS
