"""One naming key: an indicator's ``area`` (as the shared specification gives it) names its
catalogue file, its module and its test file.

The id prefix is not the key: it is fixed by the specification and differs from the area for
some (``eh.*`` in early_help, ``assess.*`` in assessments, ``lac_health.*`` in
lac_health_education, ``yj.*`` in youth_justice). These tests read the packaged catalogue, the
registered functions and the text of this folder's test files.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

import cscperf.indicators.areas
from cscperf.errors import ConfigError
from cscperf.indicators.catalogue import catalogue_dir, load_catalogue
from cscperf.indicators.functions import registered
from cscperf.reports.layout import load_layout

TESTS = Path(__file__).parent
AREAS_PACKAGE = cscperf.indicators.areas.__name__
AREA_MODULES = Path(cscperf.indicators.areas.__file__).parent


def test_every_catalogue_file_holds_only_its_own_area() -> None:
    catalogue = load_catalogue()
    misplaced = sorted(
        (catalogue.files[d.id].name, d.id, d.area)
        for d in catalogue
        if catalogue.files[d.id].stem != d.area
    )
    assert misplaced == [], "entries whose area is not their file's name"
    # Every file holds entries (an empty or stray file would name no area).
    assert {p.stem for p in catalogue_dir().glob("*.yaml")} == {d.area for d in catalogue}


def test_every_computed_area_has_its_module_holding_its_functions() -> None:
    catalogue = load_catalogue()
    elsewhere = sorted(
        (indicator_id, function.__module__)
        for indicator_id, function in registered().items()
        if function.__module__ != f"{AREAS_PACKAGE}.{catalogue.get(indicator_id).area}"
    )
    assert elsewhere == [], "functions not in areas/<their area>.py"
    # No module is named after something that is not an area; imported-only areas (workforce)
    # may have none.
    modules = {p.stem for p in AREA_MODULES.glob("*.py") if not p.stem.startswith("_")}
    assert sorted(modules - {d.area for d in catalogue}) == []
    computed_areas = {catalogue.get(i).area for i in registered()}
    assert computed_areas <= modules
    assert "workforce" not in computed_areas  # imported only: the key allows no module


def test_every_computed_area_has_its_test_file_naming_its_ids() -> None:
    catalogue = load_catalogue()
    by_area: dict[str, set[str]] = defaultdict(set)
    for indicator_id in registered():
        by_area[catalogue.get(indicator_id).area].add(indicator_id)
    missing_files = sorted(a for a in by_area if not (TESTS / f"test_{a}.py").is_file())
    assert missing_files == [], "areas with no tests/indicators/test_<area>.py"
    unnamed = sorted(
        (area, indicator_id)
        for area, ids in by_area.items()
        for indicator_id in ids
        if f'"{indicator_id}"' not in (TESTS / f"test_{area}.py").read_text(encoding="utf-8")
    )
    assert unnamed == [], "computed ids their area's test file never names"


def test_loading_an_area_with_no_catalogue_file_is_an_error() -> None:
    # An old file name (child_protection for cp) must not silently load nothing.
    with pytest.raises(ConfigError, match="child_protection"):
        load_catalogue(areas=["cp", "child_protection"])
    assert {d.area for d in load_catalogue(areas=["cp"])} == {"cp"}


def test_the_pack_names_every_area_by_its_key_once() -> None:
    # The pack's topic pages (reports/layout.yaml) are ordered and titled by area id; an id
    # that is not an area (an old name such as child_protection) would never match a page.
    ids = [area.id for area in load_layout().areas]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted({d.area for d in load_catalogue()})
