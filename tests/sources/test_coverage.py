"""What a load covers: tables no input supplied, the months it reports, and the council it is
when no council.yaml is loaded (cscperf.sources.coverage and cscperf.sources.council)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from cscperf.app.load import load_context
from cscperf.benchmarks.published import published_council
from cscperf.sources.base import ReaderResult, Severity
from cscperf.sources.council import derive_settings, localities_from
from cscperf.sources.coverage import combine_not_supplied, reporting_range

WINDOW = load_context().window  # the framework's activity dates and ten-year window


def _result(source: str, tables: dict[str, list[str]], not_supplied: dict[str, str], **kw):
    frames = {name: pl.DataFrame({c: ["x"] for c in columns}) for name, columns in tables.items()}
    return ReaderResult(source, [Path(f"{source}.file")], frames, not_supplied=not_supplied, **kw)


def test_a_table_one_return_lacks_and_the_other_supplies_is_not_marked_absent() -> None:
    ssda903 = _result(
        "ssda903",
        {"ssd_cla_episodes": ["clae_person_id", "clae_cla_episode_start_date"]},
        {
            "ssd_cin_episodes": "903 holds no referrals",
            "ssd_contacts": "903 holds no contacts",
            "ssd_cla_episodes.clae_referral_id": "903 does not link episodes to referrals",
            "ssd_cin_episodes.cine_referral_team": "903 has no teams",
        },
    )
    cin = _result(
        "cin_census",
        {"ssd_cin_episodes": ["cine_referral_id", "cine_referral_team"]},
        {
            "ssd_cla_episodes": "CIN holds no episodes",
            "ssd_contacts": "CIN holds no contacts",
            "ssd_cin_episodes.cine_referral_team": "CIN has no teams",
        },
    )
    combined = combine_not_supplied([ssda903, cin])
    # Each return supplies what the other lacks: neither table is absent.
    assert "ssd_cla_episodes" not in combined
    assert "ssd_cin_episodes" not in combined
    # Neither supplies contacts: both reasons are kept, once each.
    assert combined["ssd_contacts"] == "903 holds no contacts; CIN holds no contacts"
    # A field of a supplied table that no input carries stays absent.
    assert combined["ssd_cla_episodes.clae_referral_id"] == (
        "903 does not link episodes to referrals"
    )
    # The CIN reader's frame has the column but says it cannot fill it, and the 903 reader
    # has no such table: the field is absent with both reasons.
    assert combined["ssd_cin_episodes.cine_referral_team"] == "903 has no teams; CIN has no teams"


def test_a_field_supplied_by_the_ssd_is_not_marked_absent() -> None:
    ssda903 = _result(
        "ssda903",
        {"ssd_cla_episodes": ["clae_person_id"]},
        {"ssd_cla_episodes.clae_referral_id": "903 does not link episodes to referrals"},
    )
    ssd = _result("ssd", {"ssd_cla_episodes": ["clae_person_id", "clae_referral_id"]}, {})
    assert combine_not_supplied([ssda903, ssd]) == {}
    # The SSD file without the column supplies the table but not the field.
    thin = _result("ssd", {"ssd_cla_episodes": ["clae_person_id"]}, {})
    assert list(combine_not_supplied([ssda903, thin])) == ["ssd_cla_episodes.clae_referral_id"]


def test_a_field_only_a_return_carries_is_absent_when_the_ssd_supplies_the_table() -> None:
    # With the SSD loaded, a return's rows of a table the SSD supplies are checked against the
    # SSD's, not used: the field the SSD lacks does not reach the build.
    cin = _result(
        "cin_census",
        {"ssd_cin_episodes": ["cine_referral_id", "cine_referral_source_code"]},
        {"ssd_contacts": "CIN holds no contacts"},
    )
    ssd = _result(
        "ssd",
        {"ssd_cin_episodes": ["cine_referral_id"], "ssd_contacts": ["cont_contact_id"]},
        {"ssd_cin_episodes.cine_referral_source_code": "the SSD extract has no such column"},
    )
    assert combine_not_supplied([cin, ssd]) == {
        "ssd_cin_episodes.cine_referral_source_code": "the SSD extract has no such column"
    }


ACTIVITY = {
    "ssd_cin_episodes": pl.DataFrame({"cine_referral_date": [date(2022, 5, 3), date(2025, 3, 20)]}),
    "ssd_cla_episodes": pl.DataFrame({"clae_cla_episode_start_date": [date(2024, 1, 9)]}),
}


def test_returns_alone_report_to_the_latest_reference_date() -> None:
    results = [
        _result("ssda903", {}, {}, collection_year=2024),
        _result("cin_census", {}, {}, collection_year=2025),
    ]
    found = reporting_range(results, ACTIVITY, None, WINDOW)
    # 31 March 2025, the 2025 CIN Census reference date, though the latest referral is on
    # 20 March (a live extract would stop at February, the last complete month before it).
    # The first month is the first the returns hold completely: the 903 covers 2023-24 on,
    # the CIN Census only 2024-25, so April 2024, not May 2022 when the activity starts.
    assert (found.first, found.last) == (date(2024, 4, 30), date(2025, 3, 31))
    assert found.complete_from == date(2024, 4, 30)
    assert "2025 CIN Census" in found.reason and "31 March 2025" in found.reason
    assert "covers the year from April 2024" in found.reason
    assert found.describe().startswith("Months reported: April 2024 to March 2025;")


def test_returns_start_with_the_earliest_collection_year_their_rows_carry() -> None:
    episodes = pl.DataFrame({"clae_person_id": ["a", "b"], "_collection_year": [2023, 2025]})
    results = [ReaderResult("ssda903", [], {"ssd_cla_episodes": episodes}, collection_year=2025)]
    found = reporting_range(results, ACTIVITY, None, WINDOW)
    assert found.first == date(2022, 5, 31)  # activity starts after April 2022
    assert found.complete_from == date(2022, 4, 30)


def test_a_live_extract_reports_to_its_last_complete_month_and_a_given_date_wins() -> None:
    results = [_result("ssd", {}, {}), _result("ssda903", {}, {}, collection_year=2025)]
    live = reporting_range(results, ACTIVITY, None, WINDOW)
    assert live.last == date(2025, 2, 28)
    assert (live.first, live.complete_from) == (date(2022, 5, 31), None)
    assert "no extract date" in live.reason
    given = reporting_range(results, ACTIVITY, date(2025, 4, 3), WINDOW)
    assert given.last == date(2025, 3, 31)
    assert "03 April 2025" in given.reason


def test_an_annex_a_list_reports_to_its_extract_date() -> None:
    results = [_result("annex_a", {}, {}, extract_date="2024-11-30")]
    found = reporting_range(results, ACTIVITY, None, WINDOW)
    assert (found.first, found.last) == (date(2023, 12, 31), date(2024, 11, 30))
    assert "Annex A" in found.reason and "12 months" in found.reason


def test_no_dated_activity_has_no_months() -> None:
    found = reporting_range([_result("ssda903", {}, {}, collection_year=2025)], {}, None, WINDOW)
    assert found.first is None and found.last is None
    assert found.describe().startswith("No month can be reported")


def test_a_published_council_is_named_from_its_code(shared: Path) -> None:
    settings, notes = derive_settings("926", {}, published_council("926"))
    council = settings.council
    assert (council.name, council.ons_code, council.region) == (
        "Norfolk",
        "E10000020",
        "East of England",
    )
    assert settings.localities == []  # the data name no teams
    assert [(n.rule, n.severity) for n in notes] == [("council-derived", Severity.INFO)]


def test_an_unpublished_code_is_called_by_its_code_with_a_warning() -> None:
    settings, notes = derive_settings("999", {}, published_council("999"))
    assert settings.council.name == "LA 999"
    assert [(n.rule, n.severity) for n in notes] == [("council-not-published", Severity.WARNING)]
    assert "council.yaml" in notes[0].message


def test_localities_come_from_the_department_table_and_the_records() -> None:
    tables = {
        "ssd_department": pl.DataFrame(
            {
                "dept_team_id": ["T1", "T2", "T3", "N", "T4"],
                "dept_team_name": ["North A", "North B", "South A", "North", "Loose"],
                "dept_team_parent_id": ["N", "N", "S", None, None],
                "dept_team_parent_name": ["North", "North", None, None, None],
            }
        ),
        "ssd_cin_episodes": pl.DataFrame({"cine_referral_team": ["T1", "T9", None]}),
    }
    found = {
        loc.name: [(t.id, t.name) for t in loc.teams] for loc in localities_from(tables, "Shire")
    }
    assert found == {
        "North": [("T1", "North A"), ("T2", "North B")],
        "S": [("T3", "South A")],  # the parent's id when it has no name
        # N is a locality listed as a row (T1 and T2 name it as parent): not a team. A team
        # with no parent, and one named only on records, belong to the whole council.
        "Shire": [("T4", "Loose"), ("T9", "T9")],
    }


def test_annex_a_window_note_stands_only_without_a_case_system_extract() -> None:
    annex = _result("annex_a", {"ssd_contacts": ["cont_contact_id"]}, {"*": "12 months only"})
    assert combine_not_supplied([annex]) == {"*": "12 months only"}
    ssd = _result("ssd", {"ssd_contacts": ["cont_contact_id"]}, {})
    assert combine_not_supplied([annex, ssd]) == {}
