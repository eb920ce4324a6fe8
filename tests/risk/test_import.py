"""Importing registers: Norfolk's committee layout typed from the seed, errors that name the
file, row and column, nothing half-loaded, xlsx, and the history kept in the store."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from cscperf.app.risk import import_register_file, register_for
from cscperf.cli import main
from cscperf.errors import InputError, StoreError
from cscperf.risk.history import append_versions, read_versions
from cscperf.risk.importer import read_register
from cscperf.risk.register import AMBER, GREEN, NO_HISTORY, changed
from cscperf.settings import RiskSettings
from cscperf.store.council_data import council_database, council_database_path

HERE = Path(__file__).parent
# Typed from the seed's "Risk Register - Norfolk County Council" (July 2017), as printed: the
# title block, the heading row, four risks and the heading repeated on the next page. The
# first risk's number is blank in the printed register; section 5.2 of the same report names
# it RM014a. The arrows the text rendered as "1" are typed as the seed's own symbol, ↔.
NORFOLK = HERE / "norfolk_register.csv"
# The fifth risk of the seed (the looked-after children's budget), whose number and name are
# not printed at all.
LAC_ROW = HERE / "norfolk_lac_budget_row.csv"
JULY_2017 = date(2017, 7, 31)


def test_norfolk_layout_reads_out_of_the_box() -> None:
    versions = read_register(NORFOLK, RiskSettings())
    assert [v.risk_id for v in versions] == ["RM014a", "RM14147", "RM14157", "RM14148"]
    first = versions[0]
    assert (first.likelihood, first.impact, first.score) == (4, 3, 12)
    assert (first.target_likelihood, first.target_impact, first.target_score) == (2, 2, 4)
    assert first.target_date == date(2018, 3, 31)
    assert first.entered == date(2015, 11, 4)
    assert first.owner == "Chris Snudden"
    assert first.reviewed_by == "Richard Snowden and Michael Bateman"
    assert first.reviewed_on == JULY_2017
    assert first.stated_prospects == "Amber" and first.category == "C"
    # RM14157's score is blank in the seed: worked out, 3 x 4 = 12
    assert versions[2].score == 12


def test_norfolk_register_derived_as_at_july_2017(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    added, read = import_register_file(store, NORFOLK, by="tester")
    assert (len(added), read) == (4, 4)
    register = register_for(store, JULY_2017, RiskSettings())
    rows = {r.risk.risk_id: r for r in register.rows}
    # target 31 March 2018 is 8 months on: never "near" (3 months); far = 6 points or more
    # RM014a 12 vs 4: 8 above, far: amber (Norfolk: Amber)
    # RM14147 10 vs 5: 5 above: green (Norfolk: Green)
    # RM14157 12 vs 3: 9 above, far: amber (Norfolk typed Green: its judgement, kept beside)
    # RM14148 8 vs 3: 5 above: green (Norfolk: Green)
    assert {k: r.prospects for k, r in rows.items()} == {
        "RM014a": AMBER,
        "RM14147": GREEN,
        "RM14157": AMBER,
        "RM14148": GREEN,
    }
    assert rows["RM14157"].risk.stated_prospects == "Green"
    # entered years before, and the first review held: direction not known yet
    assert {r.direction for r in rows.values()} == {NO_HISTORY}
    # reviewed 31 July 2017, due 31 October 2017
    assert all(r.review_due == date(2017, 10, 31) and not r.overdue for r in rows.values())
    assert all(r.overdue for r in register_for(store, date(2017, 11, 30)).rows)
    # bands: 12, 10, 12, 8 all medium; targets 4, 5, 3, 3 all low
    assert {r.band.name for r in rows.values()} == {"medium"}
    assert {r.target_band.name for r in rows.values()} == {"low"}


def test_importing_the_same_file_twice_adds_nothing(tmp_path: Path) -> None:
    import_register_file(tmp_path, NORFOLK, by="tester")
    added, read = import_register_file(tmp_path, NORFOLK, by="tester")
    assert (added, read) == ([], 4)
    assert len(read_versions(tmp_path)) == 4


def test_a_bad_row_loads_nothing_and_names_file_row_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "register.csv"
    text = NORFOLK.read_text(encoding="utf-8").splitlines()
    # row 7 (RM14147): current likelihood 2 -> 7; row 9 (RM14148): review date 31/13/2017
    text[6] = text[6].replace(",01/12/2013,2,5,10,", ",01/12/2013,7,5,10,")
    text[8] = text[8].replace("Don Evans,31/07/2017", "Don Evans,31/13/2017")
    bad.write_text("\n".join(text) + "\n" + LAC_ROW.read_text(encoding="utf-8"), "utf-8")
    store = tmp_path / "store"
    store.mkdir()
    with pytest.raises(InputError) as caught:
        import_register_file(store, bad, by="tester")
    message = str(caught.value)
    assert message.startswith(f"file {bad}: 4 problem(s), so nothing was loaded")
    assert "row 7, column 'Current Likelihood': '7' is not a whole number from 1 to 5" in message
    # the typed score 10 no longer matches; the likelihood error already says why
    assert "row 7, column 'Current Risk Score'" not in message
    assert "row 9, column 'Date of review and/or update': '31/13/2017' is not a date" in message
    # the LAC budget row, after the repeated heading row and a blank one, is row 12
    assert "row 12, column 'Risk Number': is blank" in message
    assert "row 12, column 'Risk Name': is blank" in message
    assert read_versions(store) == []
    assert not council_database_path(store).exists()


def test_a_typed_score_that_is_not_the_product_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "register.csv"
    bad.write_text(NORFOLK.read_text("utf-8").replace(",4,3,12,", ",4,3,16,"), "utf-8")
    with pytest.raises(
        InputError,
        match=r"row 6, column 'Current Risk Score': '16' is not "
        r"likelihood 4 x impact 3 = 12",
    ):
        read_register(bad, RiskSettings())


def test_missing_heading_and_wrong_file(tmp_path: Path) -> None:
    no_owner = tmp_path / "r.csv"
    no_owner.write_text(NORFOLK.read_text("utf-8").replace("Risk Owner", "Lead"), "utf-8")
    with pytest.raises(InputError, match=r"row 5.*has no column 'Risk Owner'; add it, or name"):
        read_register(no_owner, RiskSettings())
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", "utf-8")
    with pytest.raises(InputError, match="no heading row with 'Risk Number'"):
        read_register(other, RiskSettings())


def test_columns_mapped_in_settings_and_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "Register"
    ws.append(
        ["Ref", "Title", "L", "I", "Target L", "Target I", "By", "Owner", "Reviewed", "Indicators"]
    )
    ws.append(
        [
            "R-1",
            "Placement sufficiency",
            4,
            4,
            2,
            3,
            date(2026, 3, 31),
            "Head of CLA",
            date(2025, 6, 2),
            "placements.stability_3plus_pct, lac.rate_per_10k",
        ]
    )
    path = tmp_path / "register.xlsx"
    book.save(path)
    settings = RiskSettings(
        columns={
            "risk_id": "Ref",
            "name": "Title",
            "likelihood": "L",
            "impact": "I",
            "target_likelihood": "Target L",
            "target_impact": "Target I",
            "target_date": "By",
            "owner": "Owner",
            "reviewed_on": "Reviewed",
            "links": "Indicators",
        },
        sheet="Register",
    )
    known = {"placements.stability_3plus_pct", "lac.rate_per_10k"}
    (v,) = read_register(path, settings, known)
    assert (v.risk_id, v.score, v.target_score) == ("R-1", 16, 6)
    assert v.links == ("placements.stability_3plus_pct", "lac.rate_per_10k")
    with pytest.raises(InputError, match=r"row 2, column 'Indicators': lac\.rate_per_10k is not"):
        read_register(path, settings, {"placements.stability_3plus_pct"})


def test_history_is_append_only(tmp_path: Path) -> None:
    (first, *_rest) = read_register(NORFOLK, RiskSettings())
    stored = append_versions(tmp_path, [first], by="a", change="import", source="x.csv")
    later = changed(first, likelihood=3, reviewed_on=date(2017, 8, 31))
    append_versions(tmp_path, [later], by="b", change="updated", source="dashboard")
    versions = read_versions(tmp_path)
    assert [(v.version, v.score, v.recorded_by, v.change) for v in versions] == [
        (stored[0].version, 12, "a", "import"),
        (stored[0].version + 1, 9, "b", "updated"),
    ]
    with pytest.raises(StoreError, match="append-only"), council_database(tmp_path) as con:
        con.execute("UPDATE risk_versions SET likelihood = 1")
    with pytest.raises(StoreError, match="append-only"), council_database(tmp_path) as con:
        con.execute("DELETE FROM risk_versions")
    # July's register still says 12, August's 9: every month can be re-created
    assert register_for(tmp_path, JULY_2017, RiskSettings()).rows[0].risk.score == 12
    assert register_for(tmp_path, date(2017, 8, 31), RiskSettings()).rows[0].risk.score == 9
    with sqlite3.connect(council_database_path(tmp_path)) as con:
        assert con.execute("SELECT COUNT(*) FROM risk_versions").fetchone() == (2,)


def test_cli_import_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store"
    store.mkdir()
    assert main(["risk", "import", str(NORFOLK), "--store", str(store), "--by", "Don"]) == 0
    assert main(["risk", "show", "--store", str(store), "--period", "2017-07"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Risk number,Area,Category,Risk name")
    assert len(out) == 5 and out[1].startswith("RM014a,")
    assert ",Amber," in out[1] and ",Don,import,norfolk_register.csv" in out[1]
    bad = tmp_path / "bad.csv"
    shutil.copy(NORFOLK, bad)
    bad.write_text(bad.read_text("utf-8").replace(",04/11/2015,", ",4th Nov,"), "utf-8")
    assert main(["risk", "import", str(bad), "--store", str(store)]) == 1
    assert main(["risk", "import", "--store", str(store)]) == 2


def test_cli_import_with_the_councils_settings(tmp_path: Path) -> None:
    """council.yaml names the council's own headings and bands; the command uses them."""
    import yaml

    from cscperf.settings import dump_settings
    from cscperf.synth.council import eastshire_settings

    settings = eastshire_settings()
    settings.risk.columns = {**settings.risk.columns, "risk_id": "Ref", "owner": "Lead"}
    settings_file = tmp_path / "council.yaml"
    dump_settings(settings, settings_file)
    assert yaml.safe_load(settings_file.read_text("utf-8"))["risk"]["columns"]["risk_id"] == "Ref"
    renamed = tmp_path / "register.csv"
    text = NORFOLK.read_text("utf-8").replace(",Risk Number,", ",Ref,")
    renamed.write_text(text.replace(",Risk Owner,", ",Lead,"), "utf-8")
    store = tmp_path / "store"
    store.mkdir()
    # without the settings the headings are not found: exit 1, nothing stored
    assert main(["risk", "import", str(renamed), "--store", str(store)]) == 1
    assert read_versions(store) == []
    args = ["risk", "import", str(renamed), "--store", str(store), "--settings"]
    assert main([*args, str(settings_file)]) == 0
    assert read_versions(store)[0].owner == "Chris Snudden"
    # recorded by the settings' single user when no --by is given
    assert {v.recorded_by for v in read_versions(store)} == {"local user"}


def test_risk_numbers_that_cannot_name_a_page_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "register.csv"
    bad.write_text(NORFOLK.read_text("utf-8").replace(",RM14147,", ",RM/14147,"), "utf-8")
    expected = "row 7, column 'Risk Number': 'RM/14147' may not contain '/'"
    with pytest.raises(InputError, match=expected):
        read_register(bad, RiskSettings())
