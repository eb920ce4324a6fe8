"""docs/statutory-returns.md's mapping tables against the readers' own declarations: every SSD
table and field the docs say a return fills is one its reader fills (``COLUMNS`` of
``ssda903_map``, ``cin_census`` and ``annex_a``), so the docs cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cscperf.sources import annex_a, cin_census, ssda903_map

DOC = Path(__file__).parents[2] / "docs" / "statutory-returns.md"
READERS = {
    "SSDA903": ssda903_map.COLUMNS,
    "CIN Census": cin_census.COLUMNS,
    "Ofsted Annex A": annex_a.COLUMNS,
}
# An SSD table, or a field: four letters (the table's prefix), underscore, the rest.
NAME = re.compile(r"\b(?:ssd_[a-z_]+|[a-z0-9]{4}_[a-z0-9_]+)\b")


def _named_in_mapping_table(section: str) -> set[str]:
    """The SSD names in the right-hand column of a section's mapping table."""
    rows = [line for line in section.splitlines() if line.startswith("|")]
    right = [line.split("|")[2] for line in rows if line.count("|") >= 3]
    return {name for cell in right for name in NAME.findall(cell)}


@pytest.mark.parametrize("return_name", sorted(READERS))
def test_the_docs_name_only_tables_and_fields_the_reader_fills(return_name: str) -> None:
    sections = {s.splitlines()[0]: s for s in re.split(r"^## ", DOC.read_text("utf-8"), flags=re.M)}
    (section,) = [text for title, text in sections.items() if title.startswith(return_name)]
    columns = READERS[return_name]
    named = _named_in_mapping_table(section)
    assert len(named) > 15  # the table is there and read (64, 29 and 21 names today)
    tables = {n for n in named if n.startswith("ssd_")}
    fields = named - tables
    assert sorted(tables - set(columns)) == []
    assert sorted(fields - {f for table in columns.values() for f in table}) == []
