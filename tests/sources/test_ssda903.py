"""SSDA903 CSV reader: recognition, yearly code sets, stitching across returns, samples."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from files_903 import EPISODES, HEADER, write

from cscperf.errors import InputError
from cscperf.sources.base import Severity
from cscperf.sources.returns_common import collection_year_from_path, parse_date, year_in_name
from cscperf.sources.ssda903 import SSDA903Reader, match_table


def episode(
    child: str,
    decom: str,
    rne: str,
    ls: str,
    place: str,
    dec: str = "",
    rec: str = "",
    cin: str = "N1",
    rpc: str = "",
) -> str:
    return f"{child},{decom},{rne},{ls},{cin},{place},PR1,{dec},{rec},{rpc},,,"


def rules(result, severity: Severity | None = None) -> list[str]:
    return [p.rule for p in result.problems if severity is None or p.severity == severity]


def read(*paths: Path, **options):
    return SSDA903Reader().read(list(paths), **options)


def test_year_from_names() -> None:
    assert year_in_name("2024-25") == 2025
    assert year_in_name("ssda903_2025") == 2025
    assert year_in_name("2025") == 2025
    assert year_in_name("903 return 2023_24 final") == 2024
    assert year_in_name("fake_903.xml") is None
    assert collection_year_from_path(Path("/x/returns/2024-25/episodes.csv")) == 2025


def test_dates_in_every_spelling() -> None:
    assert parse_date("05/04/2024") == (date(2024, 4, 5), "dmy")
    assert parse_date("5/4/2024") == (date(2024, 4, 5), "dmy")
    assert parse_date("2024-04-05") == (date(2024, 4, 5), "iso")
    assert parse_date("31/02/2024") == (None, "invalid")
    assert parse_date("45387", excel_serial=True) == (date(2024, 4, 5), "serial")


def test_tables_are_recognised_by_their_header() -> None:
    assert match_table(HEADER.split(",")) == "header"
    assert match_table(EPISODES.split(",")) == "episodes"
    assert match_table(["CHILD", "SEX", "DOB", "DUC"]) == "uasc"
    assert match_table(["CHILD", "DOB", "REVIEW"]) == "reviews"  # one column short
    assert match_table(["pers_person_id", "pers_dob"]) is None
    reader = SSDA903Reader()
    assert reader.recognises(Path("anything.csv"), f"\ufeff{EPISODES}\r\n".encode())
    assert not reader.recognises(Path("x.csv"), b"a,b,c\n1,2,3\n")
    assert not reader.recognises(Path("x.csv"), b"")


def test_an_open_episode_closed_in_the_next_return_is_one_episode(tmp_path: Path) -> None:
    # 2024 return: child C1 came into care on 1 June 2023 and is still in care at 31 March.
    y1 = write(
        tmp_path / "2024", "episodes.csv", EPISODES, episode("C1", "01/06/2023", "S", "C2", "U1")
    )
    # 2025 return: the same episode closed on 10 October 2024 (placement change), a new one.
    y2 = write(
        tmp_path / "2025",
        "episodes.csv",
        EPISODES,
        episode("C1", "01/06/2023", "S", "C2", "U1", dec="10/10/2024", rec="X1", rpc="CARPL"),
        episode("C1", "10/10/2024", "P", "C2", "U3"),
    )
    result = read(y1, y2)
    assert rules(result, Severity.ERROR) == []
    eps = result.tables["ssd_cla_episodes"].sort("clae_cla_episode_start_date")
    assert eps["clae_cla_episode_start_date"].to_list() == [date(2023, 6, 1), date(2024, 10, 10)]
    assert eps["clae_cla_episode_ceased_date"].to_list() == [date(2024, 10, 10), None]
    assert eps["clae_cla_episode_ceased_reason"].to_list() == ["X1", None]
    assert eps["clae_cla_id"].to_list() == ["C1/2023-06-01", "C1/2023-06-01"]
    assert eps["clae_entered_care_date"].to_list() == [date(2023, 6, 1)] * 2
    assert eps["_collection_year"].to_list() == [2025, 2025]
    assert eps["_source_row"].to_list() == [2, 3]
    placements = result.tables["ssd_cla_placement"].sort("clap_cla_placement_start_date")
    assert placements["clap_cla_placement_type"].to_list() == ["U1", "U3"]
    assert placements["clap_cla_placement_end_date"].to_list() == [date(2024, 10, 10), None]
    assert placements["clap_cla_placement_change_reason"].to_list() == ["CARPL", None]
    legal = result.tables["ssd_legal_status"]
    assert legal.select(
        "lega_legal_status", "lega_legal_status_start_date", "lega_legal_status_end_date"
    ).rows() == [("C2", date(2023, 6, 1), None)]
    assert result.collection_year == 2025


def test_a_later_return_corrects_and_withdraws(tmp_path: Path) -> None:
    y1 = write(
        tmp_path / "2023-24",
        "episodes.csv",
        EPISODES,
        episode("C1", "01/06/2023", "S", "C2", "U1", cin="N2"),
        episode("C2", "01/02/2024", "S", "V2", "U1"),
    )
    # The 2025 return recodes C1's need, and shows C2 starting a day later (a correction).
    y2 = write(
        tmp_path / "2024-25",
        "episodes.csv",
        EPISODES,
        episode("C1", "01/06/2023", "S", "C2", "U1", cin="N1"),
        episode("C2", "02/02/2024", "S", "V2", "U1"),
    )
    result = read(y1, y2)
    eps = result.tables["ssd_cla_episodes"].sort("clae_person_id")
    assert eps.select(
        "clae_person_id", "clae_cla_primary_need_code", "clae_cla_episode_start_date"
    ).rows() == [
        ("C1", "N1", date(2023, 6, 1)),
        ("C2", "N1", date(2024, 2, 2)),
    ]
    withdrawn = [p for p in result.problems if p.rule == "903.episode.withdrawn"]
    assert len(withdrawn) == 1 and withdrawn[0].row == 3 and "2023-24" in withdrawn[0].file


def test_rows_repeated_across_returns_are_one_fact(tmp_path: Path) -> None:
    line = "C1,1,01/01/2015,WBRI,A123456789012,,"
    y1 = write(tmp_path / "2024", "header.csv", HEADER, line)
    y2 = write(tmp_path / "2025", "header.csv", HEADER, line.replace(",1,", ",M,"))
    person = read(y1, y2).tables["ssd_person"]
    assert person.select("pers_person_id", "pers_sex", "pers_dob", "pers_ethnicity").rows() == [
        ("C1", "M", date(2015, 1, 1), "WBRI")
    ]


def test_codes_are_checked_against_the_collection_year(tmp_path: Path) -> None:
    rows = [EPISODES, episode("C1", "01/06/2023", "S", "C2", "P2", dec="01/07/2023", rec="E45")]
    old = read(write(tmp_path / "2018", "episodes.csv", *rows))
    new = read(write(tmp_path / "2025", "episodes.csv", *rows))
    mid = read(write(tmp_path / "2024", "episodes.csv", *rows))
    # P2 was withdrawn in 2025; E45 arrived in 2019.
    assert [(p.field, p.value) for p in old.problems if p.rule == "903.code.invalid_for_year"] == [
        ("REC", "E45")
    ]
    flagged = [p for p in new.problems if p.rule == "903.code.invalid_for_year"]
    assert [(p.field, p.value, p.row) for p in flagged] == [("PLACE", "P2", 2)]
    assert "2017-2024" in flagged[0].message
    assert rules(mid) == []
    # A code that is wrong is still kept: the fact may be corrected in the next return.
    assert new.tables["ssd_cla_placement"]["clap_cla_placement_type"].to_list() == ["P2"]


def test_the_option_overrides_the_folder_year(tmp_path: Path) -> None:
    path = write(
        tmp_path / "2025", "episodes.csv", EPISODES, episode("C1", "01/06/2017", "S", "C2", "H5")
    )
    assert read(path, collection_year=2018).collection_year == 2018
    assert "903.code.invalid_for_year" not in rules(read(path, collection_year=2018))
    assert "903.code.invalid_for_year" in rules(read(path))


def test_bad_values_are_reported_where_they_are(tmp_path: Path) -> None:
    path = write(
        tmp_path / "2025",
        "episodes.csv",
        EPISODES,
        episode("C1", "2024-06-01", "S", "C2", "U1"),  # ISO among dd/mm: read, warned
        episode("C2", "31/13/2024", "S", "C2", "U1"),  # no such date: row unusable
        episode("C3", "01/06/2024", "S", "C2", "U1", dec="01/05/2024", rec="E3"),  # end < start
        episode("", "01/06/2024", "S", "C2", "U1"),  # no child
        "C5,01/06/2024,S",  # too few values
    )
    result = read(path)
    found = {(p.rule, p.row, p.field, p.severity) for p in result.problems}
    assert ("mixed-date-formats", 2, "DECOM", Severity.WARNING) in found
    assert ("903.value.date", 3, "DECOM", Severity.ERROR) in found
    assert ("903.dates.order", 4, "DEC", Severity.ERROR) in found
    assert ("903.value.required", 5, "CHILD", Severity.ERROR) in found
    assert ("903.row.width", 6, None, Severity.ERROR) in found
    people = sorted(result.tables["ssd_cla_episodes"]["clae_person_id"].to_list())
    assert people == ["C1", "C3"]
    # Messages never carry the child's identifier.
    assert all("C1" not in p.message and "C3" not in p.message for p in result.problems)


def test_short_breaks_are_periods_of_their_own(tmp_path: Path) -> None:
    path = write(
        tmp_path / "2025",
        "episodes.csv",
        EPISODES,
        episode("C1", "01/05/2024", "S", "V3", "U1", dec="03/05/2024", rec="E8"),
        episode("C1", "03/05/2024", "S", "V3", "U1", dec="05/05/2024", rec="E8"),
        episode("C1", "01/06/2024", "S", "C1", "U1", dec="01/07/2024", rec="X1"),
        episode("C1", "01/07/2024", "L", "C2", "U1"),
    )
    result = read(path)
    eps = result.tables["ssd_cla_episodes"].sort("clae_cla_episode_start_date")
    assert eps["clae_entered_care_date"].to_list() == [
        date(2024, 5, 1),
        date(2024, 5, 3),
        date(2024, 6, 1),
        date(2024, 6, 1),
    ]
    # The legal-status-only change (L) keeps the child in the same placement.
    placements = result.tables["ssd_cla_placement"].sort("clap_cla_placement_start_date")
    assert placements["clap_cla_placement_start_date"].to_list() == [
        date(2024, 5, 1),
        date(2024, 5, 3),
        date(2024, 6, 1),
    ]
    assert result.tables["ssd_legal_status"].height == 4


def test_encodings_and_empty_files(tmp_path: Path) -> None:
    bom = write(tmp_path / "2025", "h.csv", "\ufeff" + HEADER, "C1,M,01/01/2015,WBRI,A1,,")
    cp = write(tmp_path / "2025b", "h.csv", HEADER, "C2,F,01/01/2015,WBRI,Ä1,,", encoding="cp1252")
    empty = tmp_path / "2025" / "empty.csv"
    empty.write_bytes(b"")
    result = read(bom, cp, empty)
    assert sorted(result.tables["ssd_person"]["pers_person_id"].to_list()) == ["C1", "C2"]
    assert "903.file.encoding" in rules(result, Severity.INFO)
    assert [p.file for p in result.problems if p.rule == "903.file.empty"] == [str(empty)]


def test_a_missing_key_column_rejects_the_table(tmp_path: Path) -> None:
    path = write(
        tmp_path / "2025",
        "e.csv",
        "CHILD,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN",
        "C1,S,C2,N1,U1,PR1,,,,,,",
    )
    result = read(path)
    assert rules(result, Severity.ERROR) == ["903.columns.missing_key"]
    assert result.tables["ssd_cla_episodes"].height == 0


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read(tmp_path / "2025" / "missing.csv")


def test_every_sample_table_loads_without_a_traceback(shared: Path) -> None:
    folder = shared / "data" / "samples" / "ssda903"
    reader = SSDA903Reader()
    csvs = [p for p in sorted(folder.glob("*.csv")) if reader.recognises(p, p.read_bytes()[:4096])]
    assert len(csvs) == len(list(folder.glob("*.csv")))  # every table recognised by content
    # No year in the folder or file names: each file is an error saying so, and not read.
    unknown = reader.read(csvs)
    assert [p.file for p in unknown.problems] == [str(p) for p in csvs]
    assert {p.rule for p in unknown.problems} == {"903.year.unknown"}
    assert "--year" in unknown.problems[0].message
    assert unknown.collection_year is None
    result = reader.read(csvs, collection_year=2018)
    assert result.collection_year == 2018
    assert result.tables["ssd_person"].height == 2675
    assert result.tables["ssd_cla_episodes"].height == 5050
    # The planted faults are reported with their place.
    for problem in result.problems:
        assert problem.file and problem.rule and problem.message
        if problem.severity == Severity.ERROR:
            assert problem.row is not None
    episodes = result.tables["ssd_cla_episodes"]
    assert episodes.schema["clae_cla_episode_start_date"] == pl.Date
    assert episodes.schema["clae_person_id"] == pl.String


XML_RETURN = """<?xml version='1.0' encoding='utf-8'?>
<EXPSSDA903>
<CHILD><HEADER><CHILDID>C1</CHILDID><UPN>A123456789012</UPN><SEX>M</SEX><DOB>01/01/2015</DOB>
<ETHNIC>WBRI</ETHNIC><UASC /><AREVIEW><REVIEW>01/09/2024</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE>
</AREVIEW><MOTHER /><MC_DOB /><PERMANENCE><PREV_PERM>Z1</PREV_PERM></PERMANENCE></HEADER>
<EPISODE><DECOM>01/06/2024</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U1</PL>
<PL_POST>AB1 2CD</PL_POST><HOME_POST /><URN>SC123</URN><PLACE_PROVIDER>PR1</PLACE_PROVIDER>
<DEC /><REC /><REASON_PLACE_CHANGE /></EPISODE>
</CHILD>
</EXPSSDA903>
"""


def test_the_xml_form_gives_the_same_canonical_rows(tmp_path: Path) -> None:
    folder = tmp_path / "ssda903_2025"
    folder.mkdir()
    path = folder / "return.xml"
    path.write_text(XML_RETURN, encoding="utf-8")
    reader = SSDA903Reader()
    assert reader.recognises(path, path.read_bytes()[:4096])
    result = reader.read([path])
    assert [p.rule for p in result.problems] == []
    assert result.collection_year == 2025
    placement = result.tables["ssd_cla_placement"]
    assert placement.select(
        "clap_cla_placement_type", "clap_cla_placement_postcode", "clap_cla_placement_urn"
    ).rows() == [("U1", "AB1 2CD", "SC123")]
    reviews = result.tables["ssd_cla_reviews"]
    assert reviews.select(
        "clar_cla_id", "clar_cla_review_date", "clar_cla_review_participation"
    ).rows() == [("C1/2024-06-01", date(2024, 9, 1), "PN1")]
    assert result.tables["ssd_cla_episodes"]["_source_row"].to_list() == [6]
    assert result.tables["ssd_cla_previous_permanence"][
        "lapp_previous_permanence_option"
    ].to_list() == ["Z1"]


def test_truncated_xml_is_an_input_error_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "2025" / "cut.xml"
    path.parent.mkdir()
    path.write_text(XML_RETURN[:400], encoding="utf-8")
    with pytest.raises(InputError) as failure:
        SSDA903Reader().read([path])
    assert str(path) in str(failure.value) and failure.value.row == 6


def test_the_sample_xml_return_loads(shared: Path) -> None:
    path = shared / "data" / "samples" / "ssda903" / "fake_903.xml"
    assert rules(SSDA903Reader().read([path])) == ["903.year.unknown"]
    result = SSDA903Reader().read([path], collection_year=2018)
    assert result.tables["ssd_person"].height == 253
    assert result.tables["ssd_cla_episodes"].height == 459
    assert result.tables["ssd_cla_reviews"].height == 1206


def test_a_return_given_as_csv_and_xml_is_read_once(tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    folder.mkdir()
    (folder / "return.xml").write_text(XML_RETURN, encoding="utf-8")
    write(folder, "episodes.csv", EPISODES, episode("C1", "01/06/2024", "S", "C2", "U1"))
    result = read(folder / "return.xml", folder / "episodes.csv")
    assert result.tables["ssd_cla_episodes"].height == 1
    assert "903.row.duplicate" not in rules(result)
    assert rules(result, Severity.INFO) == ["903.file.both_forms"]


def test_care_leaver_codes_yes_and_no_are_valid(tmp_path: Path) -> None:
    path = write(
        tmp_path / "2025",
        "oc3.csv",
        "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM",
        "C1,01/01/2006,YES,F1,B1",
        "C2,01/01/2006,NO,0,0",
    )
    result = read(path)
    assert rules(result) == []
    leavers = result.tables["ssd_care_leavers"].sort("clea_person_id")
    assert leavers.select(
        "clea_care_leaver_in_touch",
        "clea_care_leaver_accommodation",
        "clea_care_leaver_accom_suitable",
    ).rows() == [("YES", "B", "Y"), ("NO", "0", None)]
