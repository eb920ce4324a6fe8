# ruff: noqa: E501  (the CSV and XML texts below are kept one record per line, as in a real file)
"""The SSD is the record; statutory returns for the same children are checked against it.

Hand-built SSD tables and returns describe the same three children. Expected counts are
worked out by hand beside each case; the synthetic council checks the whole folder loads.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from ingest_council import write_council
from rich.console import Console

from cscperf.app.load import ingest
from cscperf.sources.base import Problem, Severity
from cscperf.sources.ingest import IngestOutcome
from cscperf.sources.reconcile import _Record, collection_year_window, pair_records
from cscperf.sources.summary import summary_tables
from cscperf.store import Store

PERSON = """pers_person_id,pers_sex,pers_dob,pers_ethnicity
K1,M,2012-01-02,WBRI
K2,F,2013-04-03,WBRI
K3,F,2010-06-30,AIND
"""

# The SSD's looked-after episodes (the 2024 collection year is 1 April 2023 to 31 March 2024):
# K1: one episode from 1 June to 1 October 2023 (the return also has a second one after it);
# K2: from 1 May to 31 December 2023 (the return says it started on 3 May);
# K3: from 1 September 2023, open: K3 is not in the return at all.
SSD_EPISODES = """clae_cla_episode_id,clae_person_id,clae_cla_episode_start_date,clae_cla_episode_start_reason,clae_cla_primary_need_code,clae_cla_episode_ceased_date,clae_cla_episode_ceased_reason
E1,K1,2023-06-01,S,N1,2023-10-01,E4A
E2,K2,2023-05-01,S,N1,2023-12-31,E4A
E3,K3,2023-09-01,S,N2,,
"""

HEADER_903 = """CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB
K1,1,02/01/2012,WBRI,UN4,,
K2,2,03/04/2013,WBRI,UN4,,
"""

# Rows 2 and 3 (K1): the SSD's episode, then one the SSD does not have; row 4 (K2): 3 May.
EPISODES_903 = """CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN
K1,01/06/2023,S,C2,N1,U1,PR1,01/10/2023,X1,,,,
K1,01/10/2023,P,C2,N1,U4,PR1,,,,,,
K2,03/05/2023,S,C2,N1,U1,PR1,31/12/2023,E4A,,,,
"""

# The SSD's referrals and CP plans for the CIN Census 2024 case: K1's referral is in both;
# K2's referral is in both and its CP plan ends 1 March 2024 in the SSD, 15 March in the
# return; K3's referral is only in the SSD; the return has a second referral of K1 (2 February).
SSD_REFERRALS = """cine_referral_id,cine_person_id,cine_referral_date,cine_close_date,cine_cin_primary_need_code
R1,K1,2023-05-10,2023-08-30,N1
R2,K2,2023-06-01,,N1
R3,K3,2023-07-05,2023-09-01,N3
"""

SSD_CP_PLANS = """cppl_cp_plan_id,cppl_person_id,cppl_cp_plan_start_date,cppl_cp_plan_end_date,cppl_cp_plan_initial_category
CP1,K2,2023-07-01,2024-03-01,NEG
"""


def _child(child: str, dob: str, sex: str, referrals: str) -> str:
    return f"""    <Child>
      <ChildIdentifiers>
        <LAchildID>{child}</LAchildID>
        <PersonBirthDate>{dob}</PersonBirthDate>
        <GenderCurrent>{sex}</GenderCurrent>
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
        <Disabilities>
          <Disability>NONE</Disability>
        </Disabilities>
      </ChildCharacteristics>
{referrals}    </Child>
"""


def _referral(start: str, close: str = "", plan: str = "") -> str:
    closed = (
        f"        <CINclosureDate>{close}</CINclosureDate>\n        <ReasonForClosure>RC1</ReasonForClosure>\n"
        if close
        else ""
    )
    return f"""      <CINdetails>
        <CINreferralDate>{start}</CINreferralDate>
        <ReferralSource>6</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode>
{closed}        <ReferralNFA>0</ReferralNFA>
{plan}      </CINdetails>
"""


CP_PLAN_XML = """        <ChildProtectionPlans>
          <CPPstartDate>2023-07-01</CPPstartDate>
          <CPPendDate>2024-03-15</CPPendDate>
          <InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>
          <LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>
          <NumberOfPreviousCPP>0</NumberOfPreviousCPP>
        </ChildProtectionPlans>
"""

CIN_2024 = (
    """<?xml version='1.0' encoding='UTF-8'?>
<Message>
  <Header>
    <CollectionDetails>
      <Collection>CIN</Collection>
      <Year>2024</Year>
      <ReferenceDate>2024-03-31</ReferenceDate>
    </CollectionDetails>
    <Source>
      <SourceLevel>L</SourceLevel>
      <LEA>999</LEA>
      <SoftwareCode>test</SoftwareCode>
      <SerialNo>001</SerialNo>
    </Source>
  </Header>
  <Children>
"""
    + _child(
        "K1",
        "2012-01-02",
        "1",
        _referral("2023-05-10", "2023-08-30") + _referral("2024-02-02"),
    )
    + _child("K2", "2013-04-03", "2", _referral("2023-06-01", plan=CP_PLAN_XML))
    + """  </Children>
</Message>
"""
)


def _counts(outcome: IngestOutcome) -> dict[tuple[str, str, str], dict[str, int]]:
    with open(outcome.report_dir / "reconciliation.csv", newline="", encoding="utf-8") as f:
        return {
            (r["source"], r["collection_year"], r["records"]): {
                k: int(v) for k, v in r.items() if k not in ("source", "collection_year", "records")
            }
            for r in csv.DictReader(f)
        }


def _found(outcome: IngestOutcome, *rules: str) -> list[Problem]:
    return [p for p in outcome.problems if p.rule in rules]


def _no_child_ids(outcome: IngestOutcome) -> None:
    """The console lines and the messages never name a child."""
    text = " ".join([*outcome.reconciled, *(p.message for p in outcome.problems)])
    text += " ".join(p.value or "" for p in outcome.problems)
    for child in ("K1", "K2", "K3"):
        assert child not in text


def _episodes_in_ssd_and_903(tmp_path: Path, ssd_episodes: str, episodes_903: str) -> Path:
    """An extract folder: the SSD's people and looked-after episodes, and a 2024 SSDA903
    return (header and episodes) in ``ssda903/2024``."""
    folder = write_council(
        tmp_path / "extract",
        **{
            "ssd_person.csv": PERSON,
            "ssd_cin_episodes.csv": None,
            "ssd_cp_plans.csv": None,
            "ssd_cla_episodes.csv": ssd_episodes,
        },
    )
    ret = folder / "ssda903" / "2024"
    ret.mkdir(parents=True)
    (ret / "header.csv").write_text(HEADER_903, encoding="utf-8")
    (ret / "episodes.csv").write_text(episodes_903, encoding="utf-8")
    return folder


def test_ssd_and_903_for_the_same_children_reconcile_and_publish(tmp_path: Path) -> None:
    folder = _episodes_in_ssd_and_903(tmp_path, SSD_EPISODES, EPISODES_903)

    outcome = ingest(tmp_path / "store", [folder])

    assert [p for p in outcome.problems if p.severity == Severity.ERROR] == []
    assert outcome.published
    assert _found(outcome, "overlapping-episodes") == []
    counts = _counts(outcome)
    # Episodes: SSD E1, E2, E3; return K1 x2, K2. E1 = row 2, E2 ~ row 4 (start differs),
    # E3 only in the SSD, row 3 only in the return.
    assert counts[("SSDA903", "2024", "episodes")] == {
        "in_ssd": 3,
        "in_return": 3,
        "in_both": 2,
        "only_in_ssd": 1,
        "only_in_return": 1,
        "start_dates_differ": 1,
        "end_dates_differ": 0,
    }
    # Children: K1, K2, K3 in the SSD; K1, K2 in the return.
    assert counts[("SSDA903", "2024", "children")] == {
        "in_ssd": 3,
        "in_return": 2,
        "in_both": 2,
        "only_in_ssd": 1,
        "only_in_return": 0,
        "start_dates_differ": 0,
        "end_dates_differ": 0,
    }
    # Each difference is a warning at the record's own file and row.
    where = {
        (p.rule, Path(p.file).name, p.row, p.field)
        for p in _found(outcome, "only-in-return", "only-in-ssd", "date-differs-from-ssd")
    }
    assert where == {
        ("only-in-return", "episodes.csv", 3, "clae_cla_episode_start_date"),
        ("date-differs-from-ssd", "episodes.csv", 4, "clae_cla_episode_start_date"),
        ("only-in-ssd", "ssd_cla_episodes.csv", 4, "clae_cla_episode_start_date"),
        ("only-in-ssd", "ssd_cla_episodes.csv", 4, None),  # the child K3
    }
    assert {p.severity for p in _found(outcome, "only-in-return", "only-in-ssd")} == {
        Severity.WARNING
    }
    assert outcome.reconciled == [
        "SSD and SSDA903 2024: 1 child only in the SSD, 1 episode only in the return, "
        "1 episode only in the SSD, 1 episode start date differs "
        "(see the reconciliation section)"
    ]
    _no_child_ids(outcome)
    # The console shows the line under the problems.
    console = Console(record=True, width=200)
    for table in summary_tables(outcome):
        console.print(table)
    assert "1 episode start date differs" in console.export_text()

    # The SSD is the record: its episodes, under its own ids, are the build's.
    build = Store(tmp_path / "store").get(outcome.build_id)
    episodes = build.table("ssd_cla_episodes")
    assert sorted(episodes.get_column("clae_cla_episode_id")) == ["E1", "E2", "E3"]
    # The SSD has no placements table: the return's placements are used, and that is said.
    placements = build.table("ssd_cla_placement")
    assert placements.height == 3
    from_return = _found(outcome, "table-from-return")
    assert "ssd_cla_placement" in {p.table for p in from_return}
    assert {p.severity for p in from_return} == {Severity.INFO}
    html = (outcome.report_dir / "report.html").read_text(encoding="utf-8")
    assert "Reconciliation: the SSD and the returns" in html
    assert "ssd_cla_placement: the SSD extract has no such table" in html


def test_ssd_and_cin_census_for_the_same_children_reconcile(tmp_path: Path) -> None:
    folder = write_council(
        tmp_path / "extract",
        **{
            "ssd_person.csv": PERSON,
            "ssd_cin_episodes.csv": SSD_REFERRALS,
            "ssd_cp_plans.csv": SSD_CP_PLANS,
        },
    )
    (folder / "cin_census_2024.xml").write_text(CIN_2024, encoding="utf-8")

    outcome = ingest(tmp_path / "store", [folder])

    assert [p for p in outcome.problems if p.severity == Severity.ERROR] == []
    assert outcome.published
    counts = _counts(outcome)
    # Referrals: R1 = K1 10 May, R2 = K2 1 June; R3 (K3) only in the SSD; K1's 2 February
    # referral only in the return.
    assert counts[("CIN Census", "2024", "referrals")] == {
        "in_ssd": 3,
        "in_return": 3,
        "in_both": 2,
        "only_in_ssd": 1,
        "only_in_return": 1,
        "start_dates_differ": 0,
        "end_dates_differ": 0,
    }
    # The CP plan is in both; its end differs (1 March in the SSD, 15 March in the return).
    assert counts[("CIN Census", "2024", "CP plans")] == {
        "in_ssd": 1,
        "in_return": 1,
        "in_both": 1,
        "only_in_ssd": 0,
        "only_in_return": 0,
        "start_dates_differ": 0,
        "end_dates_differ": 1,
    }
    assert counts[("CIN Census", "2024", "children")]["only_in_ssd"] == 1
    ends = _found(outcome, "date-differs-from-ssd")
    assert [(p.field, p.value) for p in ends] == [("cppl_cp_plan_end_date", "2024-03-15")]
    assert outcome.reconciled == [
        "SSD and CIN Census 2024: 1 child only in the SSD, 1 referral only in the return, "
        "1 referral only in the SSD, 1 CP plan end date differs (see the reconciliation section)"
    ]
    _no_child_ids(outcome)


def test_returns_without_an_ssd_are_the_record(tmp_path: Path) -> None:
    """No SSD loaded: the return's tables are used as they are and nothing is reconciled."""
    folder = tmp_path / "returns" / "2024"
    folder.mkdir(parents=True)
    (folder / "header.csv").write_text(HEADER_903, encoding="utf-8")
    (folder / "episodes.csv").write_text(EPISODES_903, encoding="utf-8")

    outcome = ingest(tmp_path / "store", [tmp_path / "returns"])

    assert outcome.reconciled == []
    assert _found(outcome, "table-from-return", "checked-against-ssd", "only-in-return") == []
    assert not (outcome.report_dir / "reconciliation.csv").exists()
    assert outcome.row_counts["ssd_cla_episodes"] == 3


def test_overlapping_episodes_within_the_ssd_are_still_an_error(tmp_path: Path) -> None:
    """E2 is changed to start inside E1 of the same child: the SSD's own overlap blocks."""
    overlapping = SSD_EPISODES.replace("E2,K2,2023-05-01", "E2,K1,2023-07-01")
    folder = _episodes_in_ssd_and_903(tmp_path, overlapping, EPISODES_903)

    outcome = ingest(tmp_path / "store", [folder])

    overlaps = _found(outcome, "overlapping-episodes")
    assert [(Path(p.file).name, p.row, p.severity) for p in overlaps] == [
        ("ssd_cla_episodes.csv", 3, Severity.ERROR)
    ]
    assert not outcome.published


def test_a_return_overlapping_itself_is_a_warning_when_the_ssd_is_the_record(
    tmp_path: Path,
) -> None:
    """K2's second episode in the return (row 5) starts inside its first (row 4, to 31
    December): the return is wrong, but its rows are not in the build."""
    overlapping = EPISODES_903 + "K2,01/06/2023,P,C2,N1,U4,PR1,,,,,,\n"
    folder = _episodes_in_ssd_and_903(tmp_path, SSD_EPISODES, overlapping)

    outcome = ingest(tmp_path / "store", [folder])

    overlaps = _found(outcome, "overlapping-episodes")
    assert [(Path(p.file).name, p.row, p.severity) for p in overlaps] == [
        ("episodes.csv", 5, Severity.WARNING)
    ]
    assert "in the SSDA903 return, which is checked against the SSD" in overlaps[0].message
    assert outcome.published


def _r(person: str, start: str, end: str | None, row: int) -> _Record:
    return _Record(
        person, date.fromisoformat(start), date.fromisoformat(end) if end else None, "f", row
    )


def test_records_pair_on_start_date_then_on_overlapping_dates() -> None:
    ssd = [
        _r("A", "2023-05-01", "2023-06-01", 1),
        _r("A", "2023-06-01", None, 2),
        _r("B", "2023-04-10", "2023-04-20", 3),
    ]
    returned = [
        _r("A", "2023-06-03", None, 10),  # overlaps row 2 only (row 1 ends 1 June)
        _r("A", "2023-05-01", "2023-06-01", 11),  # the same start as row 1
        _r("B", "2023-05-01", None, 12),  # B's only SSD record ended before: no pair
    ]
    pairs, only_ssd, only_return = pair_records(ssd, returned)
    assert sorted((s.row, r.row) for s, r in pairs) == [(1, 11), (2, 10)]
    assert [s.row for s in only_ssd] == [3]
    assert [r.row for r in only_return] == [12]


def test_a_collection_year_is_cut_at_the_ssd_extract_date() -> None:
    assert collection_year_window(2024, date(9999, 12, 31)) == (
        date(2023, 4, 1),
        date(2024, 3, 31),
    )
    assert collection_year_window(2024, date(2023, 12, 1)) == (date(2023, 4, 1), date(2023, 12, 1))
    assert collection_year_window(2025, date(2024, 3, 31)) is None


@pytest.fixture(scope="module")
def whole_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    synth = pytest.importorskip("cscperf.synth")
    out = tmp_path_factory.mktemp("eastshire")
    synth.generate(out, seed=2, scale=0.05, start=date(2022, 4, 1), end=date(2025, 3, 31))
    return out


def test_the_whole_synthetic_folder_publishes_without_overlap_errors(
    whole_folder: Path, tmp_path: Path
) -> None:
    """SSD, SSDA903, CIN Census and Annex A of one council, loaded together."""
    outcome = ingest(tmp_path / "store", [whole_folder])

    # The rules of merging and reconciling raise no error (other readers' rules may: they are
    # not this test's business, so publishing is not asserted).
    merge_rules = {
        "overlapping-episodes",
        "duplicate-key",
        "only-in-return",
        "only-in-ssd",
        "date-differs-from-ssd",
        "checked-against-ssd",
        "table-from-return",
    }
    errors = [p for p in outcome.problems if p.severity == Severity.ERROR]
    assert [p for p in errors if p.rule in merge_rules] == []
    assert _found(outcome, "overlapping-episodes") == []
    # The returns are made from the same records as the SSD: nothing differs.
    reconciled = _found(outcome, "only-in-return", "only-in-ssd", "date-differs-from-ssd")
    assert reconciled == []
    counts = _counts(outcome)
    years = {(source, year) for source, year, _ in counts}
    assert years == {(s, y) for s in ("SSDA903", "CIN Census") for y in ("2023", "2024", "2025")}
    assert all(c["in_ssd"] == c["in_return"] == c["in_both"] > 0 for c in counts.values())
    assert len(outcome.reconciled) == 6
    assert all("the return agrees with the SSD" in line for line in outcome.reconciled)
    # The SSD's tables are the build's; the tables the SSD lacks come from the returns.
    taken = {p.table for p in _found(outcome, "table-from-return")}
    assert "ssd_cla_previous_permanence" in taken
    assert "ssd_mother" not in taken  # the synthetic SSD has its own
    assert "ssd_person" not in taken
