"""CIN Census reader: schema years, mapping worked out by hand, bad files, samples."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cscperf.errors import InputError
from cscperf.sources.base import Severity
from cscperf.sources.cin_census import CINCensusReader


def census(year: int, children: str, lea: str = "926") -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Message>
  <Header>
    <CollectionDetails><Collection>CIN</Collection><Year>{year}</Year>
      <ReferenceDate>{year}-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>{lea}</LEA><SoftwareCode>test</SoftwareCode>
      <Release>1</Release><SerialNo>001</SerialNo><DateTime>{year}-05-01T10:00:00</DateTime>
    </Source>
  </Header>
  <Children>
{children}
  </Children>
</Message>
"""


def child(sex_element: str, details: str, child_id: str = "K1") -> str:
    return f"""    <Child>
      <ChildIdentifiers>
        <LAchildID>{child_id}</LAchildID>
        <UPN>A123456789012</UPN>
        <PersonBirthDate>2015-01-02</PersonBirthDate>
        {sex_element}
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
        <Disabilities><Disability>HAND</Disability></Disabilities>
      </ChildCharacteristics>
{details}
    </Child>"""


FULL_DETAILS = """      <CINdetails>
        <CINreferralDate>2024-05-01</CINreferralDate>
        <ReferralSource>1A</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode>
        <CINclosureDate>2025-02-01</CINclosureDate>
        <ReasonForClosure>RC1</ReasonForClosure>
        <DateOfInitialCPC>2024-06-10</DateOfInitialCPC>
        <Assessments>
          <AssessmentActualStartDate>2024-05-02</AssessmentActualStartDate>
          <AssessmentAuthorisationDate>2024-05-20</AssessmentAuthorisationDate>
          <FactorsIdentifiedAtAssessment>
            <AssessmentFactors>2A</AssessmentFactors>
            <AssessmentFactors>3A</AssessmentFactors>
          </FactorsIdentifiedAtAssessment>
        </Assessments>
        <CINPlanDates>
          <CINPlanStartDate>2024-12-01</CINPlanStartDate>
          <CINPlanEndDate>2025-02-01</CINPlanEndDate>
        </CINPlanDates>
        <Section47>
          <S47ActualStartDate>2024-05-03</S47ActualStartDate>
          <InitialCPCtarget>2024-05-31</InitialCPCtarget>
          <DateOfInitialCPC>2024-06-10</DateOfInitialCPC>
          <ICPCnotRequired>0</ICPCnotRequired>
        </Section47>
        <ReferralNFA>0</ReferralNFA>
        <ChildProtectionPlans>
          <CPPstartDate>2024-06-10</CPPstartDate>
          <CPPendDate>2024-12-01</CPPendDate>
          <InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>
          <LatestCategoryOfAbuse>EMO</LatestCategoryOfAbuse>
          <NumberOfPreviousCPP>0</NumberOfPreviousCPP>
          <Reviews><CPPreviewDate>2024-09-01</CPPreviewDate></Reviews>
        </ChildProtectionPlans>
      </CINdetails>"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_2026_return_maps_onto_the_canonical_tables(tmp_path: Path) -> None:
    path = write(tmp_path, "cin.xml", census(2025, child("<Sex>F</Sex>", FULL_DETAILS)))
    reader = CINCensusReader()
    assert reader.recognises(path, path.read_bytes()[:4096])
    result = reader.read([path])
    assert [p for p in result.problems if p.severity != Severity.INFO] == []
    assert (result.collection_year, result.la_code) == (2025, "926")
    t = result.tables
    assert t["ssd_person"].select("pers_person_id", "pers_sex", "pers_dob").rows() == [
        ("K1", "F", date(2015, 1, 2))
    ]
    assert t["ssd_disability"]["disa_disability_code"].to_list() == ["HAND"]
    ref = "K1/2024-05-01"
    assert t["ssd_cin_episodes"].select(
        "cine_referral_id",
        "cine_referral_source_code",
        "cine_cin_primary_need_code",
        "cine_referral_nfa",
        "cine_close_date",
        "cine_close_reason",
    ).rows() == [(ref, "1A", "N1", "N", date(2025, 2, 1), "RC1")]
    assert t["ssd_cin_assessments"].select(
        "cina_referral_id", "cina_assessment_start_date", "cina_assessment_auth_date"
    ).rows() == [(ref, date(2024, 5, 2), date(2024, 5, 20))]
    assert t["ssd_assessment_factors"]["cinf_assessment_factors_json"].to_list() == ['["2A", "3A"]']
    assert t["ssd_cin_plans"].select(
        "cinp_cin_plan_start_date", "cinp_cin_plan_end_date"
    ).rows() == [(date(2024, 12, 1), date(2025, 2, 1))]
    assert t["ssd_s47_enquiry"]["s47e_s47_start_date"].to_list() == [date(2024, 5, 3)]
    # One conference: the referral's DateOfInitialCPC is the same one as the enquiry's.
    icpc = t["ssd_initial_cp_conference"]
    assert icpc.select(
        "icpc_icpc_target_date", "icpc_icpc_date", "icpc_icpc_outcome_cp_flag", "icpc_cp_plan_id"
    ).rows() == [(date(2024, 5, 31), date(2024, 6, 10), "Y", "K1/CPP/2024-06-10")]
    assert t["ssd_cp_plans"].select(
        "cppl_cp_plan_start_date",
        "cppl_cp_plan_end_date",
        "cppl_cp_plan_initial_category",
        "cppl_cp_plan_latest_category",
    ).rows() == [(date(2024, 6, 10), date(2024, 12, 1), "NEG", "EMO")]
    assert t["ssd_cp_reviews"]["cppr_cp_review_date"].to_list() == [date(2024, 9, 1)]
    assert t["ssd_cin_episodes"]["_source_row"].to_list() == [22]


def test_an_older_schema_year_reads_gender_current(tmp_path: Path) -> None:
    details = """      <CINdetails>
        <CINreferralDate>2018-05-01</CINreferralDate>
        <ReferralSource>1A</ReferralSource>
        <PrimaryNeedCode>N4</PrimaryNeedCode>
        <ReferralNFA>1</ReferralNFA>
      </CINdetails>"""
    path = write(
        tmp_path, "c.xml", census(2019, child("<GenderCurrent>1</GenderCurrent>", details))
    )
    result = CINCensusReader().read([path])
    assert [p.rule for p in result.problems if p.severity != Severity.INFO] == []
    assert result.tables["ssd_person"]["pers_sex"].to_list() == ["M"]
    assert result.tables["ssd_cin_episodes"]["cine_referral_nfa"].to_list() == ["Y"]
    # The 2026 schema wants Sex, not GenderCurrent: the file is still read, with a warning.
    late = write(
        tmp_path, "d.xml", census(2026, child("<GenderCurrent>1</GenderCurrent>", details))
    )
    result = CINCensusReader().read([late])
    schema = [p for p in result.problems if p.rule == "cin.schema"]
    assert schema and all(p.severity == Severity.WARNING and p.row for p in schema)
    assert result.tables["ssd_person"]["pers_sex"].to_list() == ["M"]


def test_a_later_return_replaces_a_referral(tmp_path: Path) -> None:
    open_details = """      <CINdetails>
        <CINreferralDate>2024-03-01</CINreferralDate>
        <ReferralSource>1A</ReferralSource><PrimaryNeedCode>N4</PrimaryNeedCode>
        <ReferralNFA>0</ReferralNFA>
      </CINdetails>"""
    closed = open_details.replace(
        "<ReferralNFA>",
        "<CINclosureDate>2024-07-01</CINclosureDate>"
        "<ReasonForClosure>RC8</ReasonForClosure><ReferralNFA>",
    )
    y1 = write(tmp_path, "a.xml", census(2024, child("<Sex>M</Sex>", open_details)))
    y2 = write(tmp_path, "b.xml", census(2025, child("<Sex>M</Sex>", closed)))
    result = CINCensusReader().read([y2, y1])
    assert result.tables["ssd_cin_episodes"].select(
        "cine_referral_date", "cine_close_date"
    ).rows() == [(date(2024, 3, 1), date(2024, 7, 1))]


def test_bad_key_dates_are_errors_with_lines(tmp_path: Path) -> None:
    details = FULL_DETAILS.replace("<CPPstartDate>2024-06-10", "<CPPstartDate>10/06/2024x")
    path = write(tmp_path, "c.xml", census(2025, child("<Sex>F</Sex>", details)))
    result = CINCensusReader().read([path])
    errors = [p for p in result.problems if p.severity == Severity.ERROR]
    assert [(p.rule, p.field, p.row) for p in errors] == [("cin.value.date", "CPPstartDate", 49)]
    assert result.tables["ssd_cp_plans"].height == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "empty"),
        (census(2025, child("<Sex>F</Sex>", FULL_DETAILS))[:900], "not well-formed"),
        ("<?xml version='1.0'?><EXPSSDA903></EXPSSDA903>", "root element is EXPSSDA903"),
    ],
)
def test_unreadable_files_are_input_errors(tmp_path: Path, content: str, expected: str) -> None:
    path = write(tmp_path, "bad.xml", content)
    with pytest.raises(InputError) as failure:
        CINCensusReader().read([path])
    assert expected in str(failure.value) and str(path) in str(failure.value)
    if expected == "not well-formed":
        assert failure.value.row is not None and failure.value.row > 20


def test_the_samples_load_without_a_traceback(shared: Path) -> None:
    reader = CINCensusReader()
    for path in sorted((shared / "data" / "samples" / "cin").glob("*.xml")):
        assert reader.recognises(path, path.read_bytes()[:4096])
        result = reader.read([path])
        assert result.tables["ssd_person"].height > 0
        assert result.la_code is not None
        for problem in result.problems:
            assert problem.row is not None and problem.file == str(path)
    fake = reader.read([shared / "data" / "samples" / "cin" / "fake_CIN_data.xml"])
    assert (fake.collection_year, fake.la_code) == (2022, "975")
    assert fake.tables["ssd_person"].height == 332


def test_an_end_date_before_its_start_is_an_error_naming_both_dates(tmp_path: Path) -> None:
    # The referral closes on 1 April 2024, before it was made (1 May 2024); the plan ends on
    # 1 June 2024, before it started (10 June 2024). Both rows are still read.
    details = FULL_DETAILS.replace(
        "<CINclosureDate>2025-02-01</CINclosureDate>", "<CINclosureDate>2024-04-01</CINclosureDate>"
    ).replace("<CPPendDate>2024-12-01</CPPendDate>", "<CPPendDate>2024-06-01</CPPendDate>")
    path = write(tmp_path, "cin.xml", census(2025, child("<Sex>F</Sex>", details)))
    result = CINCensusReader().read([path])
    found = [
        (p.rule, p.severity, p.field, p.value, p.message)
        for p in result.problems
        if p.rule == "cin.dates.order"
    ]
    assert found == [
        (
            "cin.dates.order",
            Severity.ERROR,
            "CINclosureDate",
            "2024-04-01",
            "CINclosureDate is before CINreferralDate; correct one of the dates",
        ),
        (
            "cin.dates.order",
            Severity.ERROR,
            "CPPendDate",
            "2024-06-01",
            "CPPendDate is before CPPstartDate; correct one of the dates",
        ),
    ]
    assert all(p.row for p in result.problems if p.rule == "cin.dates.order")
    assert result.tables["ssd_cp_plans"]["cppl_cp_plan_end_date"].to_list() == [date(2024, 6, 1)]
