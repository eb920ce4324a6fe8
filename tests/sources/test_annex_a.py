"""Annex A reader: spellings councils use, dates of every kind, bad workbooks, the sample."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from cscperf.app.load import ingest
from cscperf.cli import main
from cscperf.errors import InputError
from cscperf.sources.annex_a import AnnexAReader, code_in, code_of, flag_of
from cscperf.sources.base import Severity
from cscperf.sources.quality import check_required


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_values_as_councils_write_them() -> None:
    assert code_of("q) 6: Police") == "6"
    assert code_of("N1 - Abuse or Neglect") == "N1"
    assert code_of("a) WBRI") == "WBRI"
    assert code_of("f) U6: Foster placement - not FFA") == "U6"
    assert flag_of("a) Yes") == "Y" and flag_of("b) No") == "N" and flag_of("") is None


def test_lists_with_unusual_spellings(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "annex.xlsx",
        {
            "List 1": [
                ["Child ID", "Sex", "Ethnicity", "DOB", "Date of contact", "Source of contact"],
                [123.0, "Female", "a) WBRI", datetime(2015, 1, 2), "03/04/2024", "q) 6: Police"],
            ],
            "list_3": [
                ["Title row of a council's own export"],
                [
                    "Unique ID",
                    "Gender",
                    "Ethnicity",
                    "Date of Birth",
                    "Referral date",
                    "Referral Source",
                    "Referral NFA?",
                ],
                ["C9", "1 - Male", "WBRI", "", 45387, "5A", "b) No"],
            ],
            "List 7": [
                [
                    "Child Unique ID",
                    "Gender",
                    "Ethnicity",
                    "Date of Birth",
                    "Child Protection Plan Start Date",
                    "Initial Category of Abuse",
                    "Latest Category of Abuse",
                    "Child Protection Plan End Date",
                ],
                ["C9", "Male", "WBRI", "", date(2024, 5, 1), "Neglect", "Emotional abuse", ""],
            ],
        },
    )
    reader = AnnexAReader()
    assert reader.recognises(path, b"")
    result = reader.read([path])
    assert [p for p in result.problems if p.severity != Severity.INFO] == []
    contacts = result.tables["ssd_contacts"]
    assert contacts.select(
        "cont_person_id", "cont_contact_date", "cont_contact_source_code"
    ).rows() == [("123", date(2024, 4, 3), "6")]
    # 45387 is the Excel serial of 5 April 2024; the header was on the second row.
    referrals = result.tables["ssd_cin_episodes"]
    assert referrals.select(
        "cine_referral_date", "cine_referral_source_code", "cine_referral_nfa", "_source_row"
    ).rows() == [(date(2024, 4, 5), "5A", "N", 3)]
    plans = result.tables["ssd_cp_plans"]
    assert plans.select("cppl_cp_plan_initial_category", "cppl_cp_plan_latest_category").rows() == [
        ("NEG", "EMO")
    ]
    people = dict(result.tables["ssd_person"].select("pers_person_id", "pers_sex").rows())
    assert people == {"123": "F", "C9": "M"}


def test_a_list_without_its_key_column_is_reported(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "List 1": [["Child ID", "Gender"], ["1", "F"]],
            "List 2": [["Child ID"]],
            "List 3": [["Child ID"]],
        },
    )
    result = AnnexAReader().read([path])
    errors = [(p.rule, p.table) for p in result.problems if p.severity == Severity.ERROR]
    assert ("annex_a.columns.missing_key", "List 1") in errors


def test_a_damaged_workbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    assert not AnnexAReader().recognises(path, path.read_bytes())
    with pytest.raises(InputError):
        AnnexAReader().read([path])


def test_the_sample_workbook_loads(shared: Path) -> None:
    path = shared / "data" / "samples" / "annex_a" / "Annex_A_2024_Jan.xlsx"
    result = AnnexAReader().read([path])
    assert [p for p in result.problems if p.severity == Severity.ERROR] == []
    assert result.tables["ssd_contacts"].height == 5
    assert result.tables["ssd_cla_placement"]["clap_cla_placement_type"].to_list()[:2] == [
        "U6",
        "U1",
    ]
    assert "*" in result.not_supplied
    # columns with no canonical home are named, one line per list, not dropped silently
    not_loaded = {
        p.table: p.message for p in result.problems if p.rule == "annex_a.columns.not_loaded"
    }
    assert set(not_loaded) == {f"List {n}" for n in range(1, 11)}
    assert "Date of Last Social Work Visit" in not_loaded["List 8"]
    assert "Start date of current legal status" not in not_loaded["List 8"]
    assert "Date of Contact" not in not_loaded["List 1"]


HEAD = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)"]


def test_lettered_values_become_the_codes_of_the_definitions() -> None:
    assert code_in("g) Police", ["source"]) == "6"
    assert code_in("p1) 5D: LA services", ["source"]) == "5D"
    assert code_in("b) Former relevant child", ["eligibility"]) == "Former Relevant"
    assert code_in("f) Rhom", ["in_touch", "leaver_status"]) == "RHOM"
    assert code_in("a) With parents or relatives", ["accommodation"]) == "B"
    assert code_in("Y: Other accommodation", ["accommodation"]) == "Y"
    assert code_in("d) E1: Placement order granted", ["legal_status"]) == "E1"
    assert code_in("Interim care orders", ["legal_status"]) == "C1"
    assert code_in("b) Not suitable", ["suitability"]) == "2"
    assert code_in("a) WBRI", ["ethnicity"]) == "WBRI"
    assert code_in("White and Black Caribbean", ["ethnicity"]) == "MWBC"
    assert code_in("c) Not recorded", ["in_touch", "leaver_status"]) is None
    assert flag_of("Unknown") is None and flag_of("1") == "Y"


def test_no_two_rows_become_one_record_unless_they_are_one(tmp_path: Path) -> None:
    day = date(2024, 4, 3)
    path = workbook(
        tmp_path / "annex.xlsx",
        {
            "List 1": [
                [*HEAD, "Date of Contact", "Contact Source"],
                ["C1", "a) Male", "a) WBRI", date(2015, 1, 2), 9, day, "q) 6: Police"],
                ["C1", "a) Male", "a) WBRI", date(2015, 1, 2), 9, day, "e) 2A: Schools"],
                ["C1", "a) Male", "a) WBRI", date(2015, 1, 2), 9, day, "q) 6: Police"],
            ],
            "List 3": [
                [*HEAD, "Date of referral", "Referral Source", "Referral NFA?", "Allocated Team"],
                [
                    "C1",
                    "a) Male",
                    "a) WBRI",
                    date(2015, 1, 2),
                    9,
                    day,
                    "q) 6: Police",
                    "b) No",
                    "Duty",
                ],
            ],
            "List 6": [
                [
                    *HEAD,
                    "CIN Start Date",
                    "Primary Need Code",
                    "CIN Closure Date",
                    "Allocated Team",
                ],
                [
                    "C1",
                    "a) Male",
                    "a) WBRI",
                    date(2015, 1, 2),
                    9,
                    day,
                    "a) N1 - Abuse or neglect",
                    "",
                    "Locality 2",
                ],
            ],
        },
    )
    result = AnnexAReader().read([path])
    contacts = result.tables["ssd_contacts"].sort("cont_contact_id")
    # two contacts of one child on one day from two sources stay two; the exact repeat is one
    assert contacts.select(
        "cont_contact_id", "cont_contact_source_code", "cont_contact_source_desc", "_source_row"
    ).rows() == [("C1/2024-04-03", "6", "Police", 2), ("C1/2024-04-03/2", "2A", "Schools", 3)]
    assert [(p.rule, p.row) for p in result.problems if p.severity != Severity.INFO] == [
        ("annex_a.row.repeated", 4)
    ]
    # list 3's referral and list 6's episode of the same child and day are one record, even
    # though the team has changed since the referral
    (referral,) = result.tables["ssd_cin_episodes"].to_dicts()
    assert referral["cine_referral_source_code"] == "6"
    assert referral["cine_cin_primary_need_code"] == "N1"
    assert referral["cine_referral_team"] == "Duty"


def test_care_leaver_statuses_and_eligibility(tmp_path: Path) -> None:
    headers = [*HEAD, "Allocated Team", "Eligibility Category", "Latest Pathway Plan Review Date",
               "LA in Touch", "Latest Date of Contact", "Type of Accommodation",
               "Suitability of Accommodation", "Activity Status"]  # fmt: skip
    person = ["a) Male", "a) WBRI", date(2005, 1, 2), 19, "Leaving care"]
    path = workbook(
        tmp_path / "annex.xlsx",
        {
            "List 9": [
                headers,
                [
                    "L1",
                    *person,
                    "b) Former relevant child",
                    date(2024, 3, 1),
                    "a) Yes",
                    date(2024, 3, 2),
                    "Y: Other accommodation",
                    "a) Suitable",
                    "f) Rhom",
                ],
                ["L2", *person, "a) Relevant", "", "b) No", "", "e) NREQ", "", "F1"],
                ["L3", *person, "b) Former relevant", "", "f) Rhom", "", "", "", ""],
                [
                    "L4",
                    *person,
                    "d) Eligible",
                    "",
                    "a) In touch",
                    "",
                    "a) With parents or relatives",
                    "b) Not suitable",
                    "G5: Not in education, employment or training - other",
                ],
            ],
        },
    )
    result = AnnexAReader().read([path])
    assert [p for p in result.problems if p.severity != Severity.INFO] == []
    leavers = {
        r[0]: r[1:]
        for r in result.tables["ssd_care_leavers"]
        .select(
            "clea_person_id",
            "clea_care_leaver_eligibility",
            "clea_care_leaver_in_touch",
            "clea_care_leaver_accommodation",
            "clea_care_leaver_accom_suitable",
            "clea_care_leaver_activity",
        )
        .rows()
    }
    # RHOM and NREQ keep their codes where they are written and are the in-touch value, so
    # the definitions can leave RHOM out of the cohorts and NREQ out of the pathway plan measure
    assert leavers == {
        "L1": ("Former Relevant", "RHOM", "Y", "1", "RHOM"),
        "L2": ("Relevant", "NREQ", "NREQ", None, "F1"),
        "L3": ("Former Relevant", "RHOM", None, None, None),
        "L4": ("Eligible", "YES", "B", "2", "G5"),
    }


def test_conferences_name_the_plans_they_started(tmp_path: Path) -> None:
    person = ["a) Male", "a) WBRI", date(2015, 1, 2), 9]
    path = workbook(
        tmp_path / "annex.xlsx",
        {
            "List 3": [
                [*HEAD, "Date of referral", "Referral Source"],
                ["C1", *person, date(2024, 3, 1), "q) 6: Police"],
                ["C1", *person, date(2024, 4, 2), "q) 6: Police"],
            ],
            "List 5": [
                [
                    *HEAD,
                    "Strategy discussion initiating Section 47 Enquiry Start Date",
                    "Date of Initial Child Protection Conference",
                    "Did the Initial Child Protection Conference Result in a Child Protection Plan",
                ],
                ["C1", *person, date(2024, 4, 10), date(2024, 5, 1), "a) Yes"],
                ["C2", *person, date(2024, 4, 11), date(2024, 5, 2), "a) Yes"],
                ["C3", *person, date(2024, 4, 12), date(2024, 5, 3), "b) No"],
            ],
            "List 7": [
                [*HEAD, "Child Protection Plan Start Date", "Initial Category of Abuse"],
                ["C1", *person, date(2020, 1, 1), "a) Neglect"],  # an earlier plan
                ["C1", *person, date(2024, 5, 1), "a) Neglect"],  # started at the conference
                ["C2", *person, date(2024, 5, 6), "c) Sexual Abuse"],  # written up 4 days on
                ["C3", *person, date(2024, 5, 3), "a) Neglect"],  # not from the "no" conference
            ],
        },
    )
    result = AnnexAReader().read([path])
    assert [p for p in result.problems if p.severity != Severity.INFO] == []
    conferences = result.tables["ssd_initial_cp_conference"].sort("icpc_person_id")
    assert conferences.select("icpc_person_id", "icpc_cp_plan_id").rows() == [
        ("C1", "C1/CPP/2024-05-01"),
        ("C2", "C2/CPP/2024-05-06"),
        ("C3", None),
    ]
    plans = dict(result.tables["ssd_cp_plans"].select("cppl_cp_plan_id", "cppl_icpc_id").rows())
    assert plans == {
        "C1/CPP/2020-01-01": None,
        "C1/CPP/2024-05-01": "C1/S47/2024-04-10/ICPC",
        "C2/CPP/2024-05-06": "C2/S47/2024-04-11/ICPC",
        "C3/CPP/2024-05-03": None,
    }
    # the "no plan" conference has no plan id, and that is not a problem
    assert check_required("ssd_initial_cp_conference", conferences) == []
    # the enquiry, conference and new plan belong to C1's referral of 2 April, the latest one
    # before them; the 2020 plan to none of the lists' referrals
    referral = "C1/2024-04-02"
    assert result.tables["ssd_s47_enquiry"].filter(pl.col("s47e_person_id") == "C1")[
        "s47e_referral_id"
    ].to_list() == [referral]
    assert conferences["icpc_referral_id"].to_list() == [referral, None, None]
    assert dict(
        result.tables["ssd_cp_plans"].select("cppl_cp_plan_id", "cppl_referral_id").rows()
    ) == {
        "C1/CPP/2020-01-01": None,
        "C1/CPP/2024-05-01": referral,
        "C2/CPP/2024-05-06": None,
        "C3/CPP/2024-05-03": None,
    }


def test_legal_status_and_its_start_date_are_kept(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "annex.xlsx",
        {
            "List 8": [
                [
                    *HEAD,
                    "Date Started to be Looked After",
                    "Start date of current legal status",
                    "Child's Legal Status",
                    "Date of Last IRO Visit / Contact to the Child",
                    "Start Date of Most Recent Placement",
                    "Placement Type",
                    "Placement Provider",
                    "Placement Location",
                    "Date of Last Health Assessment",
                    "Date of Last Dental Check",
                ],
                [
                    "C1",
                    "b) Female",
                    "a) WBRI",
                    date(2012, 1, 2),
                    12,
                    date(2023, 1, 5),
                    date(2023, 6, 1),
                    "d) E1: Placement order granted",
                    date(2024, 2, 1),
                    date(2023, 1, 5),
                    "f) U6: Foster placement - not FFA",
                    "a) Own LA",
                    "b) Out",
                    date(2024, 1, 10),
                    "",
                ],
            ],
        },
    )
    result = AnnexAReader().read([path])
    assert [p for p in result.problems if p.severity != Severity.INFO] == []
    assert result.tables["ssd_legal_status"].select(
        "lega_person_id", "lega_legal_status", "lega_legal_status_start_date"
    ).rows() == [("C1", "E1", date(2023, 6, 1))]
    assert result.tables["ssd_cla_placement"].select(
        "clap_cla_placement_type", "clap_cla_placement_provider", "clap_cla_placement_location"
    ).rows() == [("U6", "PR1", "OUT")]
    assert result.tables["ssd_cla_episodes"]["clae_cla_last_iro_contact_date"].to_list() == [
        date(2024, 2, 1)
    ]
    # the latest health assessment is a completed check on its date; no dental check given
    assert result.tables["ssd_cla_health"].select(
        "clah_person_id",
        "clah_health_check_type",
        "clah_health_check_date",
        "clah_health_check_status",
    ).rows() == [("C1", "Health assessment", date(2024, 1, 10), "Completed")]


def _load(store: Path, path: Path) -> list[tuple[str, str, str]]:
    outcome = ingest(store, [path])
    assert outcome.published, outcome.reason
    return [
        (p.severity.value, p.rule, p.field or "")
        for p in outcome.problems
        if p.severity != Severity.INFO
    ]


def test_the_synthetic_councils_workbook_loads_alone(clean_council: Path, tmp_path: Path) -> None:
    (path,) = (clean_council / "annex_a").glob("*.xlsx")
    assert _load(tmp_path / "store", path) == []


def test_the_sample_workbook_loads_alone(shared: Path, tmp_path: Path) -> None:
    path = shared / "data" / "samples" / "annex_a" / "Annex_A_2024_Jan.xlsx"
    problems = _load(tmp_path / "store", path)
    # the sample's own faults, reported as warnings: an unknown need code, plans without an
    # open CIN episode, dates before birth, conferences whose plans list 7 does not hold;
    # and its name says January 2024 while its rows end in 2021
    assert {p for p in problems if p[0] == "error"} == set()
    assert sorted(set(problems)) == [
        ("warning", "annex_a.date.after_rows", ""),
        ("warning", "annex_a.value.code", "need"),
        ("warning", "code-not-valid", "cine_cin_primary_need_code"),
        ("warning", "date-before-birth", "clae_cla_episode_start_date"),
        ("warning", "date-before-birth", "cppl_cp_plan_start_date"),
        ("warning", "not-where-expected", "cppl_cp_plan_start_date"),
        ("warning", "required-field", "icpc_cp_plan_id"),
    ]


def test_annex_a_alone_gives_the_indicators_it_can_carry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cscperf ingest` of one workbook, then `cscperf indicators` for its month: values where
    Annex A has the facts, "not available" with Annex A's reason where it has not."""
    child = ["a) Male", "a) WBRI", date(2015, 1, 2), 9]
    path = workbook(
        tmp_path / "annex_a.xlsx",
        {
            "List 1": [
                [*HEAD, "Date of Contact", "Contact Source"],
                ["C1", *child, date(2024, 5, 3), "q) 6: Police"],
                ["C1", *child, date(2024, 5, 3), "e) 2A: Schools"],
                ["C2", *child, date(2024, 5, 20), "g) Police"],
                ["C2", *child, date(2024, 4, 20), "g) Police"],  # April: not counted in May
            ],
            "List 5": [
                [*HEAD, "Strategy discussion initiating Section 47 Enquiry Start Date",
                 "Date of Initial Child Protection Conference",
                 "Did the Initial Child Protection Conference Result in a Child Protection Plan"],
                ["C1", *child, date(2024, 4, 10), date(2024, 5, 1), "a) Yes"],
            ],
            "List 7": [
                [*HEAD, "Child Protection Plan Start Date", "Initial Category of Abuse",
                 "Child Protection Plan End Date"],
                ["C1", *child, date(2024, 5, 1), "a) Neglect", ""],
                ["C2", *child, date(2023, 1, 1), "a) Neglect", date(2024, 3, 1)],
            ],
        },
    )  # fmt: skip
    store = tmp_path / "store"
    # the workbook was made on 1 June 2024: May is its last complete month
    extract = ["--extract-date", "2024-06-01"]
    assert main(["ingest", str(path), "--store", str(store), *extract]) == 0
    ids = "contacts.count,cp.count,cp.icpc_count,s47.completed_count,cp.visits_in_timescale_pct"
    capsys.readouterr()
    assert main(["indicators", "--store", str(store), "--period", "2024-05", "--ids", ids]) == 0
    rows = {
        r["indicator_id"]: r
        for r in csv.DictReader(io.StringIO(capsys.readouterr().out))
        if r["breakdown"] == "all"
    }
    # May: C1's two contacts of 3 May (police, school) and C2's of 20 May
    assert rows["contacts.count"]["value"] == "3"
    assert rows["cp.count"]["value"] == "1"  # C1's plan is open at 31 May; C2's ended in March
    assert rows["cp.icpc_count"]["value"] == "1"
    assert rows["s47.completed_count"]["value"] == ""
    assert "Annex A gives the date an enquiry began" in rows["s47.completed_count"]["reason"]
    assert (
        "Annex A gives only the latest visit date" in rows["cp.visits_in_timescale_pct"]["reason"]
    )


def test_a_later_workbook_updates_the_same_records(tmp_path: Path) -> None:
    child = ["a) Male", "a) WBRI", date(2015, 1, 2), 9]
    plans = [*HEAD, "Child Protection Plan Start Date", "Latest Category of Abuse",
             "Child Protection Plan End Date"]  # fmt: skip
    contacts = [*HEAD, "Date of Contact", "Contact Source"]
    january = workbook(
        tmp_path / "january.xlsx",
        {
            "List 1": [contacts, ["C1", *child, date(2023, 11, 5), "q) 6: Police"]],
            "List 7": [plans, ["C1", *child, date(2023, 10, 1), "a) Neglect", ""]],
        },
    )
    june = workbook(
        tmp_path / "june.xlsx",
        {
            "List 1": [contacts, ["C1", *child, date(2024, 4, 5), "q) 6: Police"]],
            "List 7": [plans, ["C1", *child, date(2023, 10, 1), "d) Emotional Abuse",
                               date(2024, 5, 1)]],
        },
    )  # fmt: skip
    result = AnnexAReader().read([january, june])
    assert [p for p in result.problems if p.severity != Severity.INFO] == []
    # the plan is one plan, as June's workbook describes it; the two contacts are two
    assert result.tables["ssd_cp_plans"].select(
        "cppl_cp_plan_id", "cppl_cp_plan_latest_category", "cppl_cp_plan_end_date"
    ).rows() == [("C1/CPP/2023-10-01", "EMO", date(2024, 5, 1))]
    assert sorted(result.tables["ssd_contacts"]["cont_contact_date"].to_list()) == [
        date(2023, 11, 5),
        date(2024, 4, 5),
    ]
