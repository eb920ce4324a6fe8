"""``cscperf ingest`` end to end on hand-built SSD CSV files: round trip, bad input, the store."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from ingest_council import write_council

from cscperf.app.load import ingest
from cscperf.cli import main
from cscperf.errors import InputError
from cscperf.store import Store


def _load(store: Path, *paths: Path) -> int:
    return main(["ingest", "--store", str(store), *map(str, paths)])


def test_round_trip_of_ssd_csv(tmp_path, council_dir, capsys):
    store = tmp_path / "store"
    assert _load(store, council_dir) == 0
    build_id = capsys.readouterr().out.strip()
    build = Store(store).get()
    assert build.id == build_id
    person = build.table("ssd_person").sort("pers_person_id")
    assert person.get_column("pers_dob").to_list() == [
        date(2015, 1, 2),
        date(2016, 4, 3),  # written 03/04/2016: day first
        date(2010, 6, 30),
    ]
    cin = build.table("ssd_cin_episodes").sort("cine_referral_id")
    assert cin.get_column("cine_close_date").to_list() == [
        date(2024, 6, 30),
        None,
        date(2023, 9, 1),
    ]
    assert not any(c.startswith("_") for c in cin.columns)
    assert build.settings.council.la_code == "999"
    manifest = build.manifest
    assert manifest["council"]["la_code"] == "999"
    assert manifest["row_counts"]["ssd_person"] == 3
    assert manifest["problem_counts"]["error"] == 0
    assert all(len(i["sha256"]) == 64 and i["size"] > 0 for i in manifest["inputs"])
    assert "ssd_cla_episodes" in manifest["not_supplied"]
    # Population: only the council's rows, the locality row recognised from the settings.
    population = build.table("population").sort("area")
    assert population.select("area", "area_level", "population").rows() == [
        ("North", "locality", 60000),
        ("Testshire", "council", 100000),
    ]
    assert (build.quality_dir / "report.csv").is_file()
    assert (build.quality_dir / "report.html").is_file()


def test_encodings_and_delimiters(tmp_path):
    person = "pers_person_id;pers_sex;pers_dob;pers_forename\nP1;F;2015-01-02;Zoë\n"
    folder = write_council(tmp_path / "x")
    (folder / "ssd_person.csv").write_bytes(b"\xef\xbb\xbf" + person.encode("utf-8"))
    outcome = ingest(tmp_path / "s1", [folder])
    assert outcome.published
    assert Store(tmp_path / "s1").get().table("ssd_person").item(0, "pers_forename") == "Zoë"

    (folder / "ssd_person.csv").write_bytes(person.encode("cp1252"))
    outcome = ingest(tmp_path / "s2", [folder])
    assert outcome.published
    assert Store(tmp_path / "s2").get().table("ssd_person").item(0, "pers_forename") == "Zoë"
    assert any(p.rule == "encoding-not-utf8" for p in outcome.problems)


def test_table_recognised_from_header_when_file_name_says_nothing(tmp_path):
    folder = write_council(tmp_path / "x", **{"ssd_cp_plans.csv": None})
    (folder / "ssd_cp_plans.csv").unlink(missing_ok=True)
    (folder / "export_17.csv").write_text(
        "cppl_cp_plan_id,cppl_person_id,cppl_cp_plan_start_date\nCP1,P1,2024-03-01\n"
    )
    outcome = ingest(tmp_path / "s", [folder])
    assert outcome.published
    assert [f.description for f in outcome.files if f.path.name == "export_17.csv"] == [
        "SSD table ssd_cp_plans"
    ]


def _previous_build_kept(store: Path, before: str) -> None:
    assert Store(store).current_id() == before
    assert [b.id for b in Store(store).list_builds()] == [before]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("ssd_person.csv", "", "empty"),
        ("ssd_person.csv", "pers_sex,pers_dob\nM,2015-01-01\n", "pers_person_id"),
        (
            "ssd_cin_episodes.csv",
            "cine_referral_id,cine_person_id,cine_referral_date\nR1,P1,2024-01-01\nR2,P",
            "truncated",
        ),
    ],
    ids=["empty-file", "wrong-column-set", "truncated-file"],
)
def test_bad_file_fails_naming_it_and_keeps_previous_build(
    tmp_path, council_dir, capsys, name, text, expected
):
    store = tmp_path / "store"
    assert _load(store, council_dir) == 0
    before = Store(store).current_id()
    assert before is not None
    capsys.readouterr()
    bad = write_council(tmp_path / "bad", **{name: text})
    assert _load(store, bad) == 1
    err = capsys.readouterr().err
    assert "current build is unchanged" in " ".join(err.split())
    report = list(csv.DictReader((Path(_report_dir(err)) / "report.csv").open()))
    errors = [r for r in report if r["severity"] == "error"]
    assert errors and all(name in r["file"] for r in errors)
    assert any(expected in (r["message"] + r["field"]) for r in errors)
    _previous_build_kept(store, before)


def _report_dir(err: str) -> str:
    line = next(x for x in err.splitlines() if x.startswith("Data-quality report:"))
    return str(Path(line.split(":", 1)[1].strip()).parent)


def test_unknown_file_alone_fails_and_beside_data_warns(tmp_path, council_dir, capsys):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.csv").write_text("colour,size\nred,3\n")
    assert _load(tmp_path / "s1", junk) == 1
    assert "nothing could be read" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "s1" / "current").exists()

    (council_dir / "notes.csv").write_text("colour,size\nred,3\n")
    outcome = ingest(tmp_path / "s2", [council_dir])
    assert outcome.published
    assert [(p.rule, p.severity) for p in outcome.problems if "notes.csv" in p.file] == [
        ("unknown-file", "warning")
    ]


def test_missing_path_is_a_clear_message(tmp_path, capsys):
    assert _load(tmp_path / "s", tmp_path / "nope") == 1
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(InputError):
        ingest(tmp_path / "s", [tmp_path / "nope"])


def test_extra_and_missing_optional_columns_warn(tmp_path):
    folder = write_council(
        tmp_path / "x",
        **{"ssd_person.csv": "pers_person_id,pers_dob,favourite_colour\nP1,2015-01-02,red\n"},
    )
    outcome = ingest(tmp_path / "s", [folder])
    assert outcome.published
    rules = {(p.rule, p.severity) for p in outcome.problems if "ssd_person" in p.file}
    assert ("extra-columns", "warning") in rules
    assert ("missing-columns", "warning") in rules


def test_summary_and_report_never_show_child_ids(tmp_path, capsys):
    secret = "CHILDSECRET77"
    folder = write_council(
        tmp_path / "x",
        **{"ssd_person.csv": "pers_person_id,pers_dob\n" + f"{secret},2015-01-02\n" * 2},
    )
    assert _load(tmp_path / "s", folder) == 0
    err = capsys.readouterr().err
    assert secret not in err
    report_dir = Store(tmp_path / "s").get().quality_dir
    assert secret not in (report_dir / "report.csv").read_text()
    assert secret not in (report_dir / "report.html").read_text()


def test_builds_commands(tmp_path, council_dir, capsys):
    store = tmp_path / "store"
    assert _load(store, council_dir) == 0
    first = capsys.readouterr().out.strip()
    assert _load(store, council_dir) == 0
    second = capsys.readouterr().out.strip()
    assert first != second
    assert main(["builds", "list", "--store", str(store)]) == 0
    listing = capsys.readouterr().out
    assert first in listing and second in listing
    assert main(["builds", "use", first, "--store", str(store)]) == 0
    assert Store(store).current_id() == first
    assert main(["builds", "show", first, "--store", str(store)]) == 0
    assert '"build_id": "' + first in capsys.readouterr().out
    assert main(["builds", "show", "19990101T000000Z", "--store", str(store)]) == 1
    assert "no build 19990101T000000Z" in " ".join(capsys.readouterr().err.split())


def test_console_lists_where_the_blocking_errors_are(tmp_path, capsys, shared):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "empty.csv").write_bytes(b"")
    census = (shared / "data/samples/cin/fake_CIN_data.xml").read_bytes()
    (inputs / "cut.xml").write_bytes(census[:300])  # a CIN Census cut short
    assert _load(tmp_path / "store", inputs) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "Errors that stop the load" in err
    assert "empty.csv" in err and "the file is empty" in err
    assert "cut.xml" in err
