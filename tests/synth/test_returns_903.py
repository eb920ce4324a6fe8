"""SSDA903 return written from the hand-made SSD fixture: CSV headers and codes as each year's
DfE specification says, the episodes open in each year, the same facts in CSV and XML."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree
from pydantic import ValidationError
from tests.synth import returns_fixture as fx

from cscperf.sources.codesets import ssda903_year
from cscperf.synth.returns_903 import write_903
from cscperf.synth.returns_ssd import Ssda903Codes

YEARS = list(range(2017, 2028))
SPEC_TABLE_FILES = {
    "placed_adoption": "placed_for_adoption",
    "prev_perm": "previous_permanence",
    "social_worker": "sw_episodes",
}


def spec_for_year(shared: Path, year: int) -> dict[str, dict[str, Any]]:
    """The 903 column map of a year: the 2017 base with every later diff up to that year."""
    folder = shared / "data/specs/ssda903"
    columns = yaml.safe_load((folder / "SSDA903_schema_2017.yml").read_text())["column_map"]
    for diff_path in sorted(folder.glob("SSDA903_schema_*.diff.yml")):
        if int(diff_path.name.split("_")[2].split(".")[0]) > year:
            continue
        for path, change in yaml.safe_load(diff_path.read_text()).items():
            parts = path.split(".")[1:]
            if change["type"] == "add":
                columns[parts[0]] = change["value"]
            else:
                columns[parts[0]][parts[1]][parts[2]] = change["value"]
    return {SPEC_TABLE_FILES.get(name, name): table for name, table in columns.items()}


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ssda903")
    write_903(fx.ssd_tables(), fx.settings(), folder, YEARS)
    return folder / "ssda903"


def read(out: Path, year: int, table: str) -> list[dict[str, str]]:
    with (out / str(year) / f"{table}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("year", YEARS)
def test_headers_and_codes_follow_the_years_specification(
    out: Path, shared: Path, year: int
) -> None:
    spec = spec_for_year(shared, year)
    files = sorted(p.stem for p in (out / str(year)).glob("*.csv"))
    assert files == sorted(spec)
    for table, columns in spec.items():
        with (out / str(year) / f"{table}.csv").open(encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == list(columns), table
        for row in rows[1:]:
            for name, value in zip(rows[0], row, strict=True):
                rule = columns[name]
                if value == "":
                    assert rule["canbeblank"], (table, name)
                elif "category" in rule:
                    assert value in {str(c["code"]) for c in rule["category"]}, (table, name, value)


@pytest.mark.parametrize("year", [2023, 2024, 2026])
def test_the_files_are_the_readers_declaration_of_the_year(out: Path, year: int) -> None:
    """One declaration per return: the writer's files and headers are the reader's layout of
    the year (sw_episodes from 2024 on), less DoLo, which the SSD does not hold."""
    declared = ssda903_year(year).tables
    written = {p.name: p for p in (out / str(year)).glob("*.csv")}
    assert sorted(written) == sorted(t.file for n, t in declared.items() if n != "dolo")
    assert ("sw_episodes.csv" in written) == (year >= 2024)
    for table in declared.values():
        if table.file in written:
            header = written[table.file].read_text(encoding="utf-8").splitlines()[0]
            assert header.split(",") == table.dfe_columns, table.name
    assert "PL_LOCATION" not in declared["episodes"].dfe_columns  # derived, not written


def test_a_table_left_out_must_be_one_the_return_has() -> None:
    with pytest.raises(ValidationError, match="not_written names tables"):
        Ssda903Codes.model_validate({"not_written": {"doLo": "misspelt"}, "recodes": []})


def _episodes(out: Path, year: int) -> list[tuple[str, str]]:
    return [(r["CHILD"], r["DECOM"]) for r in read(out, year, "episodes")]


def test_episodes_are_those_open_in_the_year(out: Path) -> None:
    assert _episodes(out, 2017) == [("C6", "01/01/2014")]
    # C2's first episode ended 10/03/2018, before 2018-19 began
    assert _episodes(out, 2019) == [
        ("C1", "01/08/2018"),
        ("C1", "10/02/2019"),
        ("C2", "10/03/2018"),
        ("C6", "01/01/2014"),
    ]
    assert _episodes(out, 2022) == [
        ("C1", "15/01/2020"),
        ("C3", "01/10/2020"),
        ("C6", "01/01/2014"),
    ]
    assert _episodes(out, 2025) == [("C6", "01/01/2014"), ("C6", "01/02/2025")]
    assert _episodes(out, 2027) == [("C6", "01/02/2025")]


def test_future_endings_are_not_known(out: Path) -> None:
    c1 = [r for r in read(out, 2021, "episodes") if r["CHILD"] == "C1"]
    assert [(r["DEC"], r["REC"]) for r in c1] == [("", "")]  # ends 30/06/2021, in 2021-22
    c1 = [r for r in read(out, 2022, "episodes") if r["CHILD"] == "C1"]
    assert [(r["DEC"], r["REC"]) for r in c1] == [("30/06/2021", "E4A")]


def test_placement_move_short_break_and_codes(out: Path) -> None:
    rows = read(out, 2019, "episodes")
    short_break, first = rows[0], rows[1]
    assert (short_break["LS"], short_break["RNE"], short_break["DEC"]) == ("V3", "S", "05/08/2018")
    assert (first["LS"], first["PLACE"], first["REASON_PLACE_CHANGE"]) == ("V2", "U6", "")
    moved = read(out, 2020, "episodes")[0]
    assert (moved["DEC"], moved["REC"], moved["REASON_PLACE_CHANGE"]) == (
        "01/09/2019",
        "X1",
        "CARPL",
    )
    # K3 (supported accommodation) is written H5 before 2024-25
    assert read(out, 2021, "episodes")[-2]["PLACE"] == "H5"
    # Z13 is written Z1 before 2025-26, and needs no provider
    c6 = read(out, 2025, "episodes")[-1]
    assert (c6["PLACE"], c6["PLACE_PROVIDER"]) == ("Z1", "")
    assert read(out, 2026, "episodes")[-1]["PLACE"] == "Z13"
    # CUSTOD did not exist before 2018-19
    assert read(out, 2025, "episodes")[0]["REASON_PLACE_CHANGE"] == "CUSTOD"


def test_header_sex_changes_in_2025(out: Path) -> None:
    assert read(out, 2024, "header")[0]["SEX"] == "1"
    assert read(out, 2025, "header")[0]["SEX"] == "M"
    assert read(out, 2025, "header")[0]["ETHNIC"] == "NOBT"  # C6's code is not a DfE code
    assert read(out, 2025, "header")[0]["UPN"] == "UN1"


def test_adoption_tables(out: Path) -> None:
    assert read(out, 2020, "ad1") == []
    (ad1,) = read(out, 2021, "ad1")
    assert ad1 == {
        "CHILD": "C2", "DOB": "15/03/2017", "DATE_INT": "20/01/2018", "DATE_MATCH": "15/05/2019",
        "FOSTER_CARE": "0", "NB_ADOPTR": "2", "SEX_ADOPTR": "MF", "LS_ADOPTR": "L11",
    }  # fmt: skip
    assert [r["DATE_PLACED"] for r in read(out, 2018, "placed_for_adoption")] == ["20/01/2018"]
    assert read(out, 2022, "placed_for_adoption") == []  # C2 no longer looked after


def test_outcome_tables(out: Path) -> None:
    # C1 in care since 10/02/2019: 12 months at 31/03/2020; SDQ 14, health and teeth checked
    oc2 = {r["CHILD"]: r for r in read(out, 2020, "oc2")}
    assert set(oc2) == {"C2", "C6", "C1"}
    assert oc2["C1"]["SDQ_SCORE"] == "14"
    assert (oc2["C1"]["HEALTH_ASSESSMENT"], oc2["C1"]["TEETH_CHECK"]) == ("1", "1")
    assert oc2["C1"]["CONVICTED"] == ""  # aged 9
    assert oc2["C2"]["HEALTH_CHECK"] == "0"  # aged 3: health surveillance asked
    assert "C1" not in {r["CHILD"] for r in read(out, 2019, "oc2")}
    # C3 left care on his 18th birthday (01/07/2021): a young person leaving care on (or
    # after) the 17th or 18th birthday is not a care leaver of that birthday (DfE rule 1016),
    # and later returns do not hold him (no episode)
    assert read(out, 2021, "oc3") == []  # 17th birthday while still looked after
    assert [y for y in YEARS if read(out, y, "oc3")] == []


def test_uasc_reviews_missing_social_workers(out: Path) -> None:
    assert read(out, 2020, "uasc") == [
        {"CHILD": "C3", "SEX": "1", "DOB": "01/07/2003", "DUC": "01/07/2021"}
    ]
    reviews = [(r["REVIEW"], r["REVIEW_CODE"]) for r in read(out, 2020, "reviews")]
    assert reviews == [("20/08/2019", "PN1"), ("10/02/2020", "PN3")]  # 01/03/2020 cancelled
    assert [r["MIS_START"] for r in read(out, 2020, "missing")] == ["02/11/2019"]
    assert read(out, 2024, "sw_episodes") == [
        {"CHILD": "C6", "DOB": "20/01/2012", "SW_ID": "SW100002", "SW_DECOM": "01/05/2022",
         "SW_DEC": "", "SW_REASON": ""}
    ]  # fmt: skip


@pytest.mark.parametrize("year", [2020, 2021, 2025])
def test_xml_holds_the_same_facts_as_the_csv(out: Path, year: int) -> None:
    root = etree.parse(str(out / str(year) / f"ssda903_{year}.xml")).getroot()
    header = read(out, year, "header")
    assert [c.findtext("HEADER/CHILDID") for c in root.iter("CHILD")] == [
        r["CHILD"] for r in header
    ]
    xml_episodes = [
        (e.getparent().findtext("HEADER/CHILDID"), e.findtext("DECOM"), e.findtext("PL") or "",
         e.findtext("DEC") or "", e.findtext("REC") or "")
        for e in root.iter("EPISODE")
    ]  # fmt: skip
    csv_episodes = [
        (r["CHILD"], r["DECOM"], r["PLACE"], r["DEC"], r["REC"])
        for r in read(out, year, "episodes")
    ]
    assert xml_episodes == csv_episodes
    xml_reviews = [(r.findtext("REVIEW"), r.findtext("REVIEW_CODE")) for r in root.iter("AREVIEW")]
    assert xml_reviews == [(r["REVIEW"], r["REVIEW_CODE"]) for r in read(out, year, "reviews")]
    for child, row in zip(root.iter("CHILD"), header, strict=True):
        assert child.findtext("HEADER/SEX") == row["SEX"]
        assert child.findtext("HEADER/UPN") == row["UPN"]
    oc2 = {r["CHILD"]: r for r in read(out, year, "oc2")}
    for child in root.iter("CHILD"):
        element = child.find("HEADER/OC2")
        child_id = child.findtext("HEADER/CHILDID")
        assert (element is not None) == (child_id in oc2)


def test_output_is_byte_identical(out: Path, tmp_path: Path) -> None:
    again = write_903(fx.ssd_tables(), fx.settings(), tmp_path, [2021])
    for path in again:
        assert path.read_bytes() == (out / "2021" / path.name).read_bytes()
