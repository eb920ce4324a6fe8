"""Files as councils really write them, and files no council should: encodings and line ends,
damaged tables that must not be published, and the bounds every parser is held to."""

from __future__ import annotations

import contextlib
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from ingest_council import CIN_EPISODES, SETTINGS, write_council

from cscperf import limits
from cscperf.app.load import ingest
from cscperf.cli import main
from cscperf.console import err_console
from cscperf.encoding import decode_bytes
from cscperf.errors import ConfigError, InputError
from cscperf.sources.annex_a import AnnexAReader
from cscperf.sources.base import Severity
from cscperf.sources.cin_census import CINCensusReader
from cscperf.sources.csvtext import read_text_table
from cscperf.sources.returns_common import as_date
from cscperf.sources.ssd import SSDReader
from cscperf.sources.ssda903 import SSDA903Reader

PEOPLE = (
    "pers_person_id,pers_sex,pers_dob,pers_forename\nP1,F,2015-01-02,Zoë\nP2,M,2016-04-03,Siân\n"
)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "utf-16-le", "utf-16-be", "cp1252"]
LINE_ENDS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r"}


def encoded(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-be-bom":
        return b"\xfe\xff" + text.encode("utf-16-be")
    return text.encode(encoding)


def run(*args: str) -> tuple[int, str]:
    """The CLI's exit code and everything it wrote to standard error, on a wide console."""
    buffer = io.StringIO()
    width = err_console.width
    err_console.width = 400
    try:
        with contextlib.redirect_stderr(buffer):
            code = main(list(args))
    finally:
        err_console.width = width
    return code, buffer.getvalue()


def current(store: Path) -> str:
    return (store / "current").read_text(encoding="utf-8")


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A store that already serves a build of the tiny council."""
    store = tmp_path / "store"
    code, output = run("ingest", "--store", str(store), str(write_council(tmp_path / "first")))
    assert code == 0, output
    return store


# --- encodings and line ends ---------------------------------------------------------------


@pytest.mark.parametrize("ending", LINE_ENDS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_an_ssd_table_reads_the_same_in_every_encoding_and_line_end(
    tmp_path: Path, encoding: str, ending: str
) -> None:
    path = tmp_path / "ssd_person.csv"
    path.write_bytes(encoded(PEOPLE.replace("\n", LINE_ENDS[ending]), encoding))
    reader = SSDReader()
    assert reader.table_of(path, path.read_bytes()[:65536]) == "ssd_person"
    table, frame, problems = reader.read_file(path)
    assert table == "ssd_person" and frame is not None
    assert [p for p in problems if p.severity == Severity.ERROR] == []
    assert frame["pers_forename"].to_list() == ["Zoë", "Siân"]
    assert frame["_source_row"].to_list() == [2, 3]


@pytest.mark.parametrize("ending", LINE_ENDS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_903_table_reads_the_same_in_every_encoding_and_line_end(
    tmp_path: Path, encoding: str, ending: str
) -> None:
    lines = ["CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB", "C1,1,01/01/2015,WBRI,,,", ""]
    path = tmp_path / "2025" / "header.csv"
    path.parent.mkdir()
    path.write_bytes(encoded(LINE_ENDS[ending].join(lines), encoding))
    reader = SSDA903Reader()
    assert reader.recognises(path, path.read_bytes()[:65536])
    result = reader.read([path])
    assert [p.rule for p in result.problems if p.severity == Severity.ERROR] == []
    person = result.tables["ssd_person"]
    assert person["pers_dob"].cast(str).to_list() == ["2015-01-01"]
    assert person["_source_row"].to_list() == [2]


def test_bom_less_utf16_is_told_from_its_nul_bytes() -> None:
    assert decode_bytes("a,b\n1,2\n".encode("utf-16-le")) == ("a,b\n1,2\n", "utf-16-le")
    assert decode_bytes("a,b\n1,2\n".encode("utf-16-be")) == ("a,b\n1,2\n", "utf-16-be")
    assert decode_bytes("café".encode("cp1252")) == ("café", "cp1252")
    assert decode_bytes(b"\xef\xbb\xbfcaf\xc3\xa9") == ("café", "utf-8-sig")


def test_utf16_cut_short_is_an_error_naming_the_file(tmp_path: Path, published: Path) -> None:
    before = current(published)
    folder = write_council(tmp_path / "in")
    (folder / "ssd_cin_episodes.csv").write_bytes(CIN_EPISODES.encode("utf-16")[:-1])
    code, output = run("ingest", "--store", str(published), str(folder))
    assert code == 1
    assert "ssd_cin_episodes.csv" in output and "UTF-16" in output
    assert current(published) == before


# --- supplied but damaged tables -----------------------------------------------------------


def test_a_cr_only_table_is_read_row_by_row(tmp_path: Path) -> None:
    folder = write_council(tmp_path / "in")
    (folder / "ssd_cin_episodes.csv").write_bytes(CIN_EPISODES.replace("\n", "\r").encode())
    outcome = ingest(tmp_path / "store", [folder])
    assert outcome.published
    assert outcome.row_counts["ssd_cin_episodes"] == 3


def test_a_header_only_table_is_published_empty_with_a_warning(tmp_path: Path) -> None:
    folder = write_council(tmp_path / "in")
    (folder / "ssd_cin_episodes.csv").write_text(CIN_EPISODES.splitlines()[0] + "\n")
    outcome = ingest(tmp_path / "store", [folder])
    found = [p for p in outcome.problems if p.rule == "no-rows"]
    assert [(Path(p.file).name, p.severity, p.row) for p in found] == [
        ("ssd_cin_episodes.csv", Severity.WARNING, 1)
    ]
    assert outcome.published and outcome.row_counts["ssd_cin_episodes"] == 0


def test_a_table_that_cannot_be_split_into_columns_is_an_error(
    tmp_path: Path, published: Path
) -> None:
    before = current(published)
    folder = write_council(tmp_path / "in")
    spaced = CIN_EPISODES.replace(",", " ")
    (folder / "ssd_cin_episodes.csv").write_text(spaced)
    code, output = run("ingest", "--store", str(published), str(folder))
    assert code == 1
    assert "ssd_cin_episodes.csv" in output and "cannot be split" in output
    assert current(published) == before


def test_a_table_with_binary_bytes_is_an_error_not_an_unknown_file(tmp_path: Path) -> None:
    folder = write_council(tmp_path / "in")
    (folder / "ssd_cin_episodes.csv").write_bytes(CIN_EPISODES.encode()[:60] + b"\x00\x01\x02")
    outcome = ingest(tmp_path / "store", [folder])
    assert not outcome.published
    errors = [p for p in outcome.problems if p.severity == Severity.ERROR]
    assert [Path(p.file).name for p in errors] == ["ssd_cin_episodes.csv"]
    assert "NUL" in errors[0].message


def test_a_field_over_the_limit_is_an_error_with_its_row(tmp_path: Path) -> None:
    folder = write_council(tmp_path / "in")
    huge = "x" * (limits.MAX_CSV_FIELD_CHARS + 1)
    (folder / "ssd_cin_episodes.csv").write_text(CIN_EPISODES + f"R9,P1,2024-01-10,,{huge}\n")
    outcome = ingest(tmp_path / "store", [folder])
    errors = [p for p in outcome.problems if p.severity == Severity.ERROR]
    assert [(Path(p.file).name, p.row, p.field) for p in errors] == [
        ("ssd_cin_episodes.csv", 5, "cine_cin_primary_need_code")
    ]
    assert "MAX_CSV_FIELD_CHARS" in errors[0].message and not outcome.published


def test_an_unclosed_quote_in_a_903_table_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "2025" / "header.csv"
    path.parent.mkdir()
    body = 'CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nC1,1,"01/01/2015' + "x" * 140_000 + "\n"
    path.write_text(body)
    with pytest.raises(InputError) as failure:
        SSDA903Reader().read([path])
    assert failure.value.file == str(path) and failure.value.row == 2


# --- settings and other YAML ---------------------------------------------------------------


def test_an_unparseable_council_yaml_stops_the_load(tmp_path: Path, published: Path) -> None:
    before = current(published)
    folder = write_council(tmp_path / "in", **{"council.yaml": SETTINGS + "  - {id: [\n"})
    code, output = run("ingest", "--store", str(published), str(folder))
    assert code == 1
    assert "council.yaml, line 17" in output and "not valid YAML" in output
    assert current(published) == before


def test_an_unparseable_yaml_that_is_not_settings_is_only_a_warning(tmp_path: Path) -> None:
    folder = write_council(tmp_path / "in")
    (folder / "notes.yaml").write_text("a: [1, 2\n")
    outcome = ingest(tmp_path / "store", [folder])
    assert outcome.published
    assert [p.rule for p in outcome.problems if Path(p.file).name == "notes.yaml"] == [
        "unknown-file"
    ]


def test_deep_yaml_is_refused_with_the_limit_named(tmp_path: Path) -> None:
    path = tmp_path / "council.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match="MAX_YAML_DEPTH"):
        limits.load_yaml(path, "settings file")
    path.write_text("a: " + "[" * 100 + "]" * 100 + "\n")
    with pytest.raises(ConfigError, match="MAX_YAML_DEPTH"):
        limits.load_yaml(path, "settings file")


def test_yaml_aliases_expanding_past_the_limit_are_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    path = tmp_path / "targets.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="MAX_YAML_NODES"):
        limits.load_yaml(path, "targets file")


def test_a_yaml_file_over_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_YAML_BYTES", 100)
    path = tmp_path / "commentary.yaml"
    path.write_text("# " + "x" * 200 + "\n")
    with pytest.raises(ConfigError, match="MAX_YAML_BYTES") as failure:
        limits.load_yaml(path, "commentary file")
    assert str(path) in str(failure.value)


TARGETS = """# Objectifs révisés (written by Excel on Windows: Windows-1252)
kind: cscperf-targets
council: Testshire — £ and é
targets:
  - {indicator_id: cp.rate_per_10k, financial_year: 2024-25, target: 41}
"""


def test_a_cp1252_targets_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_bytes(TARGETS.encode("cp1252"))
    code, output = run("targets", "check", str(path))
    assert code == 0, output
    assert "1 targets" in output


def test_a_targets_workbook_that_is_really_a_cp1252_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "targets.xlsx"
    path.write_bytes(
        "indicator_id,financial_year,target\ncp.rate_per_10k,2024-25,41 £\n".encode("cp1252")
    )
    code, output = run("targets", "import", str(path), "--out", str(tmp_path / "t.yaml"))
    assert code == 1
    assert "targets.xlsx" in output and "Internal error" not in output


# --- workbooks -----------------------------------------------------------------------------

WORKBOOK_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
    'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="'
    'application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
    'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.'
    'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships"><sheets><sheet name="List 1" sheetId="1" r:id="rId1"/>'
    "</sheets></workbook>",
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships '
    'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
    'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}


def sheet_workbook(path: Path, rows: str, padding: int = 0) -> Path:
    """A one-sheet workbook written part by part, so its cells can be anything."""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
        f'org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData>'
        + " " * padding
        + "</worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in WORKBOOK_PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def test_a_zip_bomb_is_refused_before_the_xlsx_library_sees_it(tmp_path: Path) -> None:
    path = sheet_workbook(
        tmp_path / "annex_a.xlsx", f'<row r="1">{cell("A1", "x")}</row>', 8_000_000
    )
    assert path.stat().st_size < 100_000
    with pytest.raises(InputError, match="MAX_XLSX_MEMBER_RATIO") as failure:
        limits.check_workbook(path)
    assert failure.value.file == str(path)
    with pytest.raises(InputError, match="MAX_XLSX_MEMBER_RATIO"):
        AnnexAReader().read([path])


def test_a_workbook_expanding_past_the_total_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_XLSX_UNCOMPRESSED_BYTES", 50_000)
    path = sheet_workbook(tmp_path / "annex_a.xlsx", f'<row r="1">{cell("A1", "x")}</row>', 60_000)
    with pytest.raises(InputError, match="MAX_XLSX_UNCOMPRESSED_BYTES"):
        limits.check_workbook(path)


def test_a_cell_reference_beyond_excels_grid_is_refused(tmp_path: Path) -> None:
    rows = (
        f'<row r="1">{cell("A1", "x")}</row><row r="99999999999">{cell("A99999999999", "y")}</row>'
    )
    path = sheet_workbook(tmp_path / "annex_a.xlsx", rows)
    with pytest.raises(InputError, match="A99999999999, outside Excel's grid"):
        limits.check_workbook(path)


def test_cells_spanning_too_big_a_rectangle_are_refused(tmp_path: Path) -> None:
    rows = f'<row r="1">{cell("A1", "x")}</row><row r="1048576">{cell("XFD1048576", "y")}</row>'
    path = sheet_workbook(tmp_path / "annex_a.xlsx", rows)
    with pytest.raises(InputError, match="MAX_SHEET_CELLS"):
        limits.check_workbook(path)


def test_a_crafted_annex_a_workbook_stops_the_load_naming_it(
    tmp_path: Path, published: Path
) -> None:
    before = current(published)
    folder = write_council(tmp_path / "in")
    rows = (
        f'<row r="1">{cell("A1", "x")}</row><row r="99999999999">{cell("A99999999999", "y")}</row>'
    )
    sheet_workbook(folder / "annex_a.xlsx", rows)
    code, output = run("ingest", "--store", str(published), str(folder))
    assert code == 1
    assert "annex_a.xlsx" in output and "MAX_SHEET_ROWS" in output
    assert current(published) == before


def test_a_number_out_of_range_is_no_date() -> None:
    assert as_date(float("inf")) is None
    assert as_date(float("nan")) is None
    assert as_date(1e300) is None
    assert as_date(45382.0) is not None


# --- XML -----------------------------------------------------------------------------------

CIN = """<?xml version="1.0" encoding="utf-8"?>
{doctype}<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2025</Year>
</CollectionDetails><Source><LEA>999</LEA></Source></Header><Children>{children}</Children></Message>
"""


def test_a_doctype_in_cin_xml_is_refused(tmp_path: Path) -> None:
    doctype = '<!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    path = tmp_path / "cin.xml"
    path.write_text(CIN.format(doctype=doctype, children="<Child>&x;</Child>"))
    with pytest.raises(InputError, match="DOCTYPE") as failure:
        CINCensusReader().read([path])
    assert failure.value.file == str(path)


def test_entity_expansion_in_903_xml_is_refused_quickly(tmp_path: Path) -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    path = tmp_path / "2025" / "return.xml"
    path.parent.mkdir()
    path.write_text(
        f"<?xml version='1.0'?><!DOCTYPE EXPSSDA903 [{entities}]>"
        "<EXPSSDA903><CHILD><HEADER><CHILDID>&i;</CHILDID></HEADER></CHILD></EXPSSDA903>"
    )
    with pytest.raises(InputError, match="DOCTYPE"):
        SSDA903Reader().read([path])


def test_utf16_cin_xml_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "cin.xml"
    text = CIN.format(doctype="", children="").replace('encoding="utf-8"', 'encoding="UTF-16"')
    path.write_bytes(text.encode("utf-16"))
    assert CINCensusReader().recognises(path, path.read_bytes()[:65536])
    assert CINCensusReader().read([path]).la_code == "999"


def test_text_tables_name_their_file_when_unreadable() -> None:
    with pytest.raises(InputError, match="NUL") as failure:
        read_text_table(b"a,b\n1,\x00\n", "x.csv")
    assert failure.value.file == "x.csv"


# --- numbers out of range ------------------------------------------------------------------


def test_a_number_too_large_in_an_ssd_table_is_a_located_error() -> None:
    import polars as pl

    from cscperf.sources.canonical import conform

    frame = pl.DataFrame(
        {
            "clap_cla_placement_id": ["a", "b", "c"],
            "clap_cla_placement_distance": ["1E+400", "NaN", "2.5"],
            "_source_row": [2, 3, 4],
        }
    )
    out, problems = conform("ssd_cla_placement", frame, file="ssd_cla_placement.csv")
    assert out["clap_cla_placement_distance"].to_list() == [None, None, 2.5]
    assert [(p.rule, p.row, p.field) for p in problems] == [
        ("invalid-number", 2, "clap_cla_placement_distance"),
        ("invalid-number", 3, "clap_cla_placement_distance"),
    ]


def test_a_target_too_large_is_refused_naming_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(TARGETS.replace("target: 41", "target: 1E+400"))
    code, output = run("targets", "check", str(path))
    assert code == 1
    assert "targets.yaml" in output and "entry 1" in output and "finite" in output


def test_a_cin_header_year_that_is_no_year_is_not_read_as_one(tmp_path: Path) -> None:
    path = tmp_path / "cin.xml"
    path.write_text(
        CIN.format(doctype="", children="").replace("<Year>2025</Year>", "<Year>²</Year>")
    )
    result = CINCensusReader().read([path])
    assert "cin.header.year" in [p.rule for p in result.problems]
    assert result.collection_year == date.today().year  # no reference date: today's year


def test_a_targets_workbook_with_a_damaged_part_is_refused(tmp_path: Path) -> None:
    path = sheet_workbook(tmp_path / "targets.xlsx", f'<row r="1">{cell("A1", "x")}</row>', 5000)
    data = bytearray(path.read_bytes())
    start = data.find(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    data[start + 20 : start + 40] = b"\xff" * 20  # inside the compressed sheet
    path.write_bytes(bytes(data))
    code, output = run("targets", "import", str(path), "--out", str(tmp_path / "t.yaml"))
    assert code == 1, output
    assert "targets.xlsx" in output and "Internal error" not in output


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "cp1252"])
def test_an_imported_measures_file_reads_in_every_encoding(tmp_path: Path, encoding: str) -> None:
    from cscperf.indicators.imported import read_files

    path = tmp_path / "wf.csv"
    text = (
        "period_end,inpost_fte,agency_fte,vacancy_fte,leavers_fte_12m,agency_rate_pct\r"
        "2025-09-30,468.1,6,5,52.9,1.3\r"
    )
    path.write_bytes(text.encode(encoding))
    frames = read_files([path])
    assert frames["workforce"].height == 1


def ods_workbook(path: Path, rows: str) -> Path:
    """An OpenDocument spreadsheet with one sheet, List 1, holding the given rows."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:'
        'oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:'
        'opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:'
        'text:1.0"><office:body><office:spreadsheet><table:table table:name="List 1">'
        f"{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    return path


VALUE = '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'


def test_an_ods_sheet_repeating_a_value_past_the_limit_is_refused(tmp_path: Path) -> None:
    repeated = VALUE.replace(
        "<table:table-cell ", '<table:table-cell table:number-columns-repeated="3000" '
    )
    rows = f'<table:table-row table:number-rows-repeated="3000">{repeated}</table:table-row>'
    path = ods_workbook(tmp_path / "annex_a.ods", rows)
    with pytest.raises(InputError, match="MAX_SHEET_CELLS"):
        limits.check_workbook(path)


def test_an_ods_sheet_with_libreoffices_trailing_empty_rows_is_accepted(tmp_path: Path) -> None:
    rows = (
        f"<table:table-row>{VALUE}{VALUE}</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048575"><table:table-cell '
        'table:number-columns-repeated="1024"/></table:table-row>'
    )
    limits.check_workbook(ods_workbook(tmp_path / "annex_a.ods", rows))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_a_council_yaml_in_any_encoding_is_read(tmp_path: Path, encoding: str) -> None:
    from cscperf.settings import load_settings

    path = tmp_path / "council.yaml"
    path.write_bytes(SETTINGS.replace("North assessment", "Ynys Môn").encode(encoding))
    settings = load_settings(path)
    assert settings.team_names()["T1"] == "Ynys Môn"
