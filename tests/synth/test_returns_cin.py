"""CIN Census XML written from the hand-made SSD fixture: valid against every year's XSD, the
expected children and episodes, codes mapped to each year's lists, byte-identical output."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import xmlschema
from lxml import etree
from tests.synth import returns_fixture as fx

from cscperf.errors import InputError
from cscperf.synth.returns_cin import write_cin_census

YEARS = list(range(2017, 2027))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    out = tmp_path_factory.mktemp("cin")
    paths = write_cin_census(fx.ssd_tables(), fx.settings(), out, YEARS)
    return {int(p.stem.rsplit("_", 1)[1]): p for p in paths}


def _children(path: Path) -> dict[str, list[etree._Element]]:
    root = etree.parse(str(path)).getroot()
    return {
        child.findtext("ChildIdentifiers/LAchildID"): child.findall("CINdetails")
        for child in root.iter("Child")
    }


@pytest.mark.parametrize("year", YEARS)
def test_every_year_validates_against_its_schema(
    written: dict[int, Path], shared: Path, year: int
) -> None:
    schema = xmlschema.XMLSchema(shared / f"data/specs/cin_census/CIN_schema_{year}.xsd")
    errors = list(schema.iter_errors(str(written[year])))
    assert errors == []


def test_children_and_episodes_are_those_open_in_the_year(written: dict[int, Path]) -> None:
    # 2016-17: C1 (open since 2015) and C4 (closed 01/09/2016); C2 was referred in 2017-18
    assert {k: len(v) for k, v in _children(written[2017]).items()} == {"C1": 1, "C4": 1}
    assert set(_children(written[2018])) == {"C1", "C2"}
    assert set(_children(written[2020])) == {"C1", "C2", "C3", "C5"}
    assert set(_children(written[2022])) == {"C1", "C3", "C4"}
    # C5's NFA referral of 01/06/2023 is in 2023-24 only
    assert set(_children(written[2024])) == {"C1", "C5"}
    assert set(_children(written[2026])) == {"C1"}


def test_episode_details_for_the_cin_child(written: dict[int, Path]) -> None:
    (episode,) = _children(written[2020])["C5"]
    assert episode.findtext("ReferralSource") == "5B"  # 5D did not exist before 2022-23
    assert episode.findtext("ReasonForClosure") == "RC8"  # nor RC9
    assert episode.findtext("CINclosureDate") == "2020-02-15"
    factors = [f.text for f in episode.iter("AssessmentFactors")]
    assert factors == ["18A", "20", "4B"]  # 18B -> 18A before 2020-21, 24A -> 20 before 2021-22
    assert episode.findtext("Section47/ICPCnotRequired") == "1"
    assert episode.find("CINPlanDates") is None  # CIN plans collected from 2021-22


def test_cp_plan_with_previous_plan_and_reviews(written: dict[int, Path]) -> None:
    (episode,) = _children(written[2022])["C4"]
    # the conference is recorded once, on its enquiry, not again on the episode (rule 2884)
    assert episode.findtext("DateOfInitialCPC") is None
    assert episode.findtext("Section47/DateOfInitialCPC") == "2021-06-01"
    assert episode.findtext("Section47/ICPCnotRequired") == "0"
    assert episode.findtext("Section47/InitialCPCtarget") == "2021-06-03"
    plan = episode.find("ChildProtectionPlans")
    assert plan is not None
    assert plan.findtext("CPPendDate") is None  # ends 15/09/2022, after 31 March 2022
    assert plan.findtext("InitialCategoryOfAbuse") == "NEG"
    assert plan.findtext("LatestCategoryOfAbuse") == "EMO"
    assert plan.findtext("NumberOfPreviousCPP") == "1"
    assert [r.text for r in plan.iter("CPPreviewDate")] == ["2021-08-20", "2022-02-10"]
    factors = [f.text for f in episode.iter("AssessmentFactors")]
    assert factors == ["3A", "18C", "24A"]
    (later,) = _children(written[2023])["C4"]
    assert later.findtext("ChildProtectionPlans/CPPendDate") == "2022-09-15"
    # the enquiry and its conference belong to 2021-22: neither is in the 2022-23 census
    assert later.find("Section47") is None
    assert later.findtext("DateOfInitialCPC") is None


def test_sex_element_changes_in_2025(written: dict[int, Path]) -> None:
    child = etree.parse(str(written[2024])).getroot().find("Children/Child")
    assert child is not None
    assert child.findtext("ChildIdentifiers/GenderCurrent") == "1"
    child = etree.parse(str(written[2025])).getroot().find("Children/Child")
    assert child is not None
    assert child.findtext("ChildIdentifiers/Sex") == "M"
    assert child.findtext("ChildIdentifiers/UPN") == "A12345678901B"


def test_header_and_cin_plans(written: dict[int, Path]) -> None:
    root = etree.parse(str(written[2022])).getroot()
    assert root.findtext("Header/Source/LEA") == "999"
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == "2022-03-31"
    (episode,) = _children(written[2022])["C1"]
    assert episode.findtext("CINPlanDates/CINPlanStartDate") == "2021-07-01"


def test_output_is_byte_identical(written: dict[int, Path], tmp_path: Path) -> None:
    again = write_cin_census(fx.ssd_tables(), fx.settings(), tmp_path, YEARS)
    for path in again:
        year = int(path.stem.rsplit("_", 1)[1])
        assert path.read_bytes() == written[year].read_bytes()


def test_a_year_without_children_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="31 March 2014"):
        write_cin_census(fx.ssd_tables(), fx.settings(), tmp_path, [2014])


@pytest.mark.skipif(
    importlib.util.find_spec("cscperf.synth.simulate") is None, reason="no simulation yet"
)
def test_tiny_generated_council_validates(shared: Path, tmp_path: Path) -> None:
    from datetime import date

    from cscperf.synth.council import eastshire_settings
    from cscperf.synth.simulate import simulate
    from cscperf.synth.ssd import conform_all

    settings = eastshire_settings()
    result = simulate(settings, seed=3, scale=0.01, start=date(2020, 4, 1), end=date(2024, 3, 31))
    tables = conform_all(result.tables)
    years = [2021, 2022, 2023, 2024]
    paths = write_cin_census(tables, settings, tmp_path, years)
    assert len(paths) == len(years)
    for year, path in zip(years, paths, strict=True):
        schema = xmlschema.XMLSchema(shared / f"data/specs/cin_census/CIN_schema_{year}.xsd")
        assert list(schema.iter_errors(str(path))) == [], year
        assert len(etree.parse(str(path)).getroot().findall("Children/Child")) > 10
