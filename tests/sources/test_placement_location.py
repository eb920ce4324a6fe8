"""Whether a placement is inside the council's boundary: the cscperf extension field
``ssd_cla_placement.clap_cla_placement_location``, filled from the 903 ``PL_LOCATION`` column
when an export carries it, and optional (never reported missing) in SSD extracts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from files_903 import EPISODES, write

from cscperf.sources.canonical import table_spec
from cscperf.sources.ssd import check_columns
from cscperf.sources.ssda903 import SSDA903Reader


def _located(tmp_path: Path, *rows: str) -> Path:
    """A 2025 episodes table with the PL_LOCATION column after the DfE's own."""
    return write(tmp_path / "2025", "episodes.csv", EPISODES + ",PL_LOCATION", *rows)


def test_the_extension_field_is_documented_in_the_canonical_model() -> None:
    spec = table_spec("ssd_cla_placement")
    location = spec.field("clap_cla_placement_location")
    assert location.extension is True
    assert location.type == "string"
    assert location.required is False
    assert "PL_LOCATION" in location.description
    # No SSD field is an extension.
    assert [f.name for f in spec.fields if f.extension] == ["clap_cla_placement_location"]


def test_an_ssd_extract_without_the_extension_column_is_not_warned_about() -> None:
    spec = table_spec("ssd_cla_placement")
    ssd_fields = [f.name for f in spec.fields if not f.extension]
    assert check_columns(spec, ssd_fields, "placements.csv") == []
    # Leaving out an SSD field still warns, and names only that field.
    problems = check_columns(spec, [f for f in ssd_fields if f != "clap_cla_placement_urn"], "x")
    assert [p.field for p in problems] == ["clap_cla_placement_urn"]


def test_903_pl_location_fills_the_placement_location(tmp_path: Path) -> None:
    path = _located(
        tmp_path,
        "C1,01/06/2024,S,C2,N1,U4,PR4,10/10/2024,X1,CARPL,,,,OUT",
        # RNE L: legal status change only, same placement; its PL_LOCATION is not read.
        "C1,10/10/2024,L,C1,N1,U4,PR4,01/12/2024,X1,CARPL,,,,IN",
        "C1,01/12/2024,P,C1,N1,U6,PR1,,,,,,,IN",
        "C2,01/07/2024,S,V2,N1,U6,PR1,,,,,,,",
    )
    result = SSDA903Reader().read([path])
    assert not [p for p in result.problems if p.rule == "903.columns.extra"]
    rows = (
        result.tables["ssd_cla_placement"]
        .sort("clap_person_id", "clap_cla_placement_start_date")
        .select("clap_person_id", "clap_cla_placement_start_date", "clap_cla_placement_location")
        .rows()
    )
    assert rows == [
        ("C1", date(2024, 6, 1), "OUT"),
        ("C1", date(2024, 12, 1), "IN"),
        ("C2", date(2024, 7, 1), None),
    ]


def test_a_903_export_without_pl_location_is_not_warned_about(tmp_path: Path) -> None:
    path = write(tmp_path / "2025", "episodes.csv", EPISODES, "C1,01/06/2024,S,C2,N1,U4,PR4,,,,,,")
    result = SSDA903Reader().read([path])
    assert not [p for p in result.problems if p.rule == "903.columns.missing"]
    placements = result.tables["ssd_cla_placement"]
    assert placements["clap_cla_placement_location"].to_list() == [None]


def test_a_903_pl_location_outside_the_code_list_is_reported(tmp_path: Path) -> None:
    path = _located(tmp_path, "C1,01/06/2024,S,C2,N1,U4,PR4,,,,,,,FAR")
    result = SSDA903Reader().read([path])
    assert [p for p in result.problems if p.field == "PL_LOCATION" or "PL_LOCATION" in p.message]
