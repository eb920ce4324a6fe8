"""SSDA903 files as councils send them: every year's columns, header columns on episodes,
XML beside CSV tables, the collection year from names only, same-day missing episodes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
import yaml
from files_903 import EPISODES, HEADER, MISSING, write

from cscperf.sources.base import Severity
from cscperf.sources.codesets import ssda903_spec, ssda903_year
from cscperf.sources.ssda903 import SSDA903Reader, match_table


def rules(result, severity: Severity | None = None) -> list[str]:
    return [p.rule for p in result.problems if severity is None or p.severity == severity]


def read(*paths: Path, **options):
    return SSDA903Reader().read(list(paths), **options)


# ---- Every column of every year ------------------------------------------------------


def a_value(table: str, column: str, year: int) -> str:
    """A valid value of one column in one year (dates inside the year, first code)."""
    found = ssda903_year(year).tables[table].columns[column]
    if found.kind in ("date", "permanence_date"):
        return f"01/06/{year - 1}"
    if found.kind == "code":
        return sorted(found.codes)[0]
    if found.kind == "integer":
        return str(found.min if found.min is not None else 1)
    if found.kind == "postcode":
        return "AB1 2CD"
    return "C1" if column == "CHILD" else "X1"


@pytest.mark.parametrize("year", range(2017, 2028))
def test_every_column_of_every_year_is_accepted(tmp_path: Path, year: int) -> None:
    """Each table of the year, written with every column the year declares (the DfE ones and
    the derived ones some exports add), is read without a problem; left without its optional
    columns it is read without a warning."""
    paths = []
    for table, layout in ssda903_year(year).tables.items():
        columns = list(layout.columns)
        row = [a_value(table, c, year) for c in columns]
        if table in ("episodes", "missing", "sw_episodes", "dolo", "placed_for_adoption"):
            ends = {"DEC", "MIS_END", "SW_DEC", "DOLO_END", "DATE_PLACED_CEASED"}
            row = ["" if c in ends else v for c, v in zip(columns, row, strict=True)]
        paths.append(write(tmp_path / str(year), f"{table}.csv", ",".join(columns), ",".join(row)))
        assert match_table(columns) == table
        dfe = [c for c in columns if not layout.columns[c].optional]
        assert match_table(dfe) == table
    result = read(*paths)
    assert [(p.rule, p.file) for p in result.problems if p.rule != "903.review.no_episode"] == []
    assert result.collection_year == year
    assert result.tables["ssd_cla_episodes"].height == 1
    # Only the derived columns left out: nothing to say.
    episodes = ssda903_year(year).tables["episodes"]
    dfe = [c for c, col in episodes.columns.items() if not col.optional]
    row = [a_value("episodes", c, year) if c not in ("DEC", "REC") else "" for c in dfe]
    path = write(tmp_path / f"{year}b", "episodes.csv", ",".join(dfe), ",".join(row))
    assert rules(read(path)) == []


def test_the_tables_and_columns_are_the_dfe_specification(shared: Path) -> None:
    """The DfE columns of each table, year by year, are those of the published 903 schema
    (the 2017 layout plus each year's diff); cscperf adds only columns marked optional."""
    folder = shared / "data" / "specs" / "ssda903"
    base = yaml.safe_load((folder / "SSDA903_schema_2017.yml").read_text())["column_map"]
    names = {"placed_adoption": "placed_for_adoption", "prev_perm": "previous_permanence"}
    expected = {names.get(t, t): list(cols) for t, cols in base.items()}
    added: dict[int, dict[str, list[str]]] = {}
    for diff in sorted(folder.glob("SSDA903_schema_*.diff.yml")):
        year = int(diff.name.split("_")[2].split(".")[0])
        for target, change in yaml.safe_load(diff.read_text()).items():
            if change["type"] == "add" and target.count(".") == 1:
                table = {"social_worker": "sw_episodes"}.get(target.split(".")[1])
                added.setdefault(year, {})[table or target] = list(change["value"])
    for year in range(2017, 2028):
        for y, tables in added.items():
            if y <= year:
                expected.update(tables)
        ours = {
            table: sorted(c for c, col in layout.columns.items() if not col.optional)
            for table, layout in ssda903_year(year).tables.items()
            if table != "dolo"  # DoLo (2026-27) is in the DfE validator, not in these diffs
        }
        assert ours == {t: sorted(cols) for t, cols in expected.items()}, year
    assert ssda903_spec().first_year == 2017


# ---- The child's header columns on every episode ------------------------------------


def test_a_header_with_mother_and_her_child_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path / "2025",
        "header.csv",
        HEADER,
        "C1,F,01/02/2008,WBRI,A123456789012,1,05/06/2024",
        "C2,M,01/02/2009,WBRI,A123456789013,,",
        "C3,F,01/02/2009,WBRI,A123456789014,0,",
    )
    result = read(path)
    assert rules(result) == []
    people = result.tables["ssd_person"].sort("pers_person_id")
    assert people["pers_is_mother"].to_list() == ["Y", None, "N"]
    mothers = result.tables["ssd_mother"]
    assert mothers.select("moth_person_id", "moth_childs_dob").rows() == [("C1", date(2024, 6, 5))]


def test_header_columns_on_every_episode_row_are_the_header(tmp_path: Path) -> None:
    columns = EPISODES + ",SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"
    episode = "{child},{decom},S,C2,N1,U1,PR1,,,,,,,F,01/02/2008,WBRI,A123456789012,{mother}"
    path = write(
        tmp_path / "2025",
        "episodes.csv",
        columns,
        episode.format(child="C1", decom="01/05/2024", mother="1,05/06/2024"),
        episode.format(child="C1", decom="01/06/2024", mother="1,05/06/2024"),
        episode.format(child="C2", decom="01/07/2024", mother=","),
        episode.format(child="C2", decom="01/08/2024", mother="0,"),  # differs: warned
    )
    assert match_table(columns.split(",")) == "episodes"
    result = read(path)
    assert "903.columns.extra" not in rules(result)
    assert [(p.rule, p.row) for p in result.problems] == [("903.header.carried_differs", 5)]
    assert result.tables["ssd_cla_episodes"].height == 4
    people = result.tables["ssd_person"].sort("pers_person_id")
    assert people.select("pers_person_id", "pers_sex", "pers_is_mother").rows() == [
        ("C1", "F", "Y"),
        ("C2", "F", None),
    ]
    assert result.tables["ssd_mother"]["moth_childs_dob"].to_list() == [date(2024, 6, 5)]
    # With a header table in the return, the header table is the one used.
    header = write(tmp_path / "2025", "header.csv", HEADER, "C1,M,01/02/2008,WBRI,A1,,")
    both = read(path, header)
    assert both.tables["ssd_person"].select("pers_person_id", "pers_sex").rows() == [("C1", "M")]


# ---- XML beside CSV tables -----------------------------------------------------------

XML = """<?xml version='1.0' encoding='utf-8'?>
<EXPSSDA903>
<CHILD><HEADER><CHILDID>C1</CHILDID><UPN>A123456789012</UPN><SEX>M</SEX><DOB>01/01/2015</DOB>
<ETHNIC>WBRI</ETHNIC><AREVIEW><REVIEW>01/09/2024</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE>
</AREVIEW><MOTHER /><MC_DOB /></HEADER>
<EPISODE><DECOM>01/06/2024</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>{place}</PL>
<PL_POST /><HOME_POST /><URN /><PLACE_PROVIDER>PR1</PLACE_PROVIDER>
<DEC /><REC /><REASON_PLACE_CHANGE /></EPISODE>
</CHILD>
</EXPSSDA903>
"""


def test_xml_and_csv_tables_in_one_folder_are_both_read(tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    folder.mkdir()
    xml = folder / "ssda903.xml"
    xml.write_text(XML.format(place="U1"), encoding="utf-8")
    csv = write(folder, "episodes.csv", EPISODES, "C1,01/06/2024,S,C2,N1,U1,PR1,,,,,,")
    result = read(xml, csv)
    assert [(p.rule, p.severity, p.file) for p in result.problems] == [
        ("903.file.both_forms", Severity.INFO, str(xml))
    ]
    assert "CSV tables are used for episodes" in result.problems[0].message
    # Episodes once (from the CSV), the header and reviews from the XML.
    episodes = result.tables["ssd_cla_episodes"]
    assert episodes["_source_file"].to_list() == [str(csv)]
    assert result.tables["ssd_person"]["_source_file"].to_list() == [str(xml)]
    assert result.tables["ssd_cla_reviews"]["clar_cla_id"].to_list() == ["C1/2024-06-01"]


def test_an_xml_that_differs_from_the_csv_tables_is_warned_about(tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    folder.mkdir()
    xml = folder / "ssda903.xml"
    xml.write_text(XML.format(place="U3"), encoding="utf-8")
    csv = write(folder, "episodes.csv", EPISODES, "C1,01/06/2024,S,C2,N1,U1,PR1,,,,,,")
    result = read(xml, csv)
    differ = [p for p in result.problems if p.rule == "903.file.forms_differ"]
    assert [(p.file, p.row, p.table, p.severity) for p in differ] == [
        (str(xml), 6, "episodes", Severity.WARNING)
    ]
    assert "1 row(s) of the XML are not in the CSV table" in differ[0].message
    assert result.tables["ssd_cla_placement"]["clap_cla_placement_type"].to_list() == ["U1"]


def test_an_xml_of_another_year_beside_csv_tables_is_its_own_year(tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    folder.mkdir()
    xml = folder / "ssda903_2023-24.xml"
    text = XML.format(place="U1").replace("01/06/2024", "01/06/2023")
    xml.write_text(text.replace("<SEX>M</SEX>", "<SEX>1</SEX>"), "utf-8")  # 1/2 before 2025
    csv = write(folder, "episodes.csv", EPISODES, "C1,01/06/2023,S,C2,N1,U1,PR1,,,,,,")
    result = read(xml, csv)
    assert rules(result) == []
    assert result.tables["ssd_cla_episodes"]["_collection_year"].to_list() == [2025]
    assert result.tables["ssd_person"]["_collection_year"].to_list() == [2024]


# ---- The collection year -------------------------------------------------------------

REVIEWS = "CHILD,DOB,REVIEW,REVIEW_CODE"


def test_a_reviews_only_file_takes_its_year_from_its_name(tmp_path: Path) -> None:
    # A review date typed as 2031 must not make this a 2031 return: the name says 2025.
    path = write(
        tmp_path / "returns",
        "reviews_2024-25.csv",
        REVIEWS,
        "C1,01/01/2015,01/09/2024,PN1",
        "C1,01/01/2015,01/03/2031,PN1",
    )
    result = read(path)
    assert result.collection_year == 2025
    assert result.tables["ssd_cla_reviews"]["_collection_year"].to_list() == [2025, 2025]


def test_a_file_whose_year_cannot_be_known_is_an_error_naming_the_option(tmp_path: Path) -> None:
    path = write(tmp_path / "returns", "reviews.csv", REVIEWS, "C1,01/01/2015,01/03/2031,PN1")
    result = read(path)
    assert [(p.rule, p.severity, p.file) for p in result.problems] == [
        ("903.year.unknown", Severity.ERROR, str(path))
    ]
    assert "--year" in result.problems[0].message
    assert result.collection_year is None
    assert result.tables["ssd_cla_reviews"].height == 0
    given = read(path, collection_year=2025)
    assert given.collection_year == 2025
    assert given.tables["ssd_cla_reviews"].height == 1


# ---- Missing episodes starting the same day ----------------------------------------


def test_missing_twice_on_one_day_is_two_episodes(tmp_path: Path) -> None:
    path = write(
        tmp_path / "2025",
        "missing.csv",
        MISSING,
        "C1,01/01/2008,M,26/11/2024,26/11/2024",  # missing, back the same day
        "C1,01/01/2008,M,26/11/2024,01/12/2024",  # missing again that day, back 1 December
        "C1,01/01/2008,M,03/01/2025,",
        "C2,01/01/2008,A,28/08/2024,28/08/2024",  # away and back, then missing and back
        "C2,01/01/2008,M,28/08/2024,28/08/2024",
        "C2,01/01/2008,M,28/08/2024,28/08/2024",  # the same row again: counted once
    )
    result = read(path)
    assert [(p.rule, p.row) for p in result.problems] == [("903.row.duplicate", 7)]
    assert sorted(
        result.tables["ssd_missing"]
        .filter(pl.col("miss_person_id") == "C2")["miss_table_id"]
        .to_list()
    ) == ["C2/2024-08-28/2024-08-28/A", "C2/2024-08-28/2024-08-28/M"]
    missing = (
        result.tables["ssd_missing"]
        .filter(pl.col("miss_person_id") == "C1")
        .sort("miss_missing_episode_end_date", nulls_last=True)
    )
    assert missing.select("miss_table_id", "miss_missing_episode_end_date").rows() == [
        ("C1/2024-11-26/2024-11-26/M", date(2024, 11, 26)),
        ("C1/2024-11-26", date(2024, 12, 1)),
        ("C1/2025-01-03", None),
    ]


def test_overlapping_missing_episodes_with_one_start_are_a_located_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "2025",
        "missing.csv",
        MISSING,
        "C7,01/01/2008,M,26/11/2024,28/11/2024",
        "C7,01/01/2008,M,26/11/2024,01/12/2024",
    )
    result = read(path)
    errors = [p for p in result.problems if p.severity == Severity.ERROR]
    assert [(p.rule, p.file, p.row, p.table) for p in errors] == [
        ("903.row.conflict", str(path), 3, "missing")
    ]
    assert "overlap" in errors[0].message and "line 2" in errors[0].message
    assert "C7" not in errors[0].message
    assert result.tables["ssd_missing"]["miss_missing_episode_end_date"].to_list() == [
        date(2024, 12, 1)
    ]


def test_a_same_day_missing_episode_open_at_year_end_closes_in_the_next(tmp_path: Path) -> None:
    first = write(
        tmp_path / "2025",
        "missing.csv",
        MISSING,
        "C1,01/01/2008,M,30/03/2025,30/03/2025",
        "C1,01/01/2008,M,30/03/2025,",
    )
    second = write(
        tmp_path / "2026", "missing.csv", MISSING, "C1,01/01/2008,M,30/03/2025,02/04/2025"
    )
    result = read(first, second)
    assert rules(result) == []
    missing = result.tables["ssd_missing"].sort("miss_missing_episode_end_date")
    assert missing.select("miss_missing_episode_end_date", "_collection_year").rows() == [
        (date(2025, 3, 30), 2025),
        (date(2025, 4, 2), 2026),
    ]


# ---- Reading the text exactly --------------------------------------------------------


def test_rows_of_the_wrong_width_are_found_even_when_they_balance(tmp_path: Path) -> None:
    # One row a value short and one a value long: as many commas in all as the header asks.
    path = write(
        tmp_path / "2025",
        "missing.csv",
        MISSING,
        "C1,01/01/2008,M,26/11/2024",
        "C2,01/01/2008,M,26/11/2024,27/11/2024,extra",
        "C3,01/01/2008,M,26/11/2024,27/11/2024",
    )
    result = read(path)
    assert [(p.rule, p.row) for p in result.problems] == [
        ("903.row.width", 2),
        ("903.row.width", 3),
    ]
    assert result.tables["ssd_missing"]["miss_person_id"].to_list() == ["C3"]


@pytest.mark.parametrize("quoted", [False, True])
def test_spaces_around_values_are_not_part_of_them(tmp_path: Path, quoted: bool) -> None:
    line = " C1 , 01/01/2008,m ,26/11/2024 ," if not quoted else '"C1 ", 01/01/2008,m ,26/11/2024,'
    path = write(tmp_path / "2025", "missing.csv", MISSING, line, "", "C2,01/01/2008,A,01/12/2024,")
    result = read(path)
    assert rules(result) == []
    missing = result.tables["ssd_missing"].sort("miss_person_id")
    assert missing.select(
        "miss_person_id",
        "miss_missing_episode_type",
        "miss_missing_episode_start_date",
        "_source_row",
    ).rows() == [("C1", "M", date(2024, 11, 26), 2), ("C2", "A", date(2024, 12, 1), 4)]


def test_a_row_of_blank_values_is_skipped_and_lines_keep_their_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "2025",
        "missing.csv",
        MISSING,
        "C1,01/01/2008,M,26/11/2024,27/11/2024",
        ",,,,",
        "C2,01/01/2008,M,2024-11-26,",
    )
    result = read(path)
    assert [(p.rule, p.row, p.field) for p in result.problems] == [
        ("mixed-date-formats", 4, "MIS_START")
    ]
    assert result.tables["ssd_missing"].sort("miss_person_id")["_source_row"].to_list() == [2, 4]


def test_dates_in_other_spellings_are_checked_for_order_too(tmp_path: Path) -> None:
    path = write(
        tmp_path / "2025",
        "episodes.csv",
        EPISODES,
        "C1,01/06/2024,S,C2,N1,U1,PR1,1.5.2024,E3,,,,",  # ends before it starts
        "C2,2.4.2025 10:00,S,C2,N1,U1,PR1,,,,,,",  # starts after 31 March 2025
        "C3,01/06/2024,S,C2,N1,U1,PR1,02/06/2024,E3,,,,",
    )
    result = read(path)
    found = [(p.rule, p.row, p.field, p.value) for p in result.problems if p.severity == "error"]
    assert found == [
        ("903.dates.order", 2, "DEC", "01/05/2024"),
        ("903.dates.after_year", 3, "DECOM", "02/04/2025"),
    ]
    assert result.tables["ssd_cla_episodes"].height == 3
