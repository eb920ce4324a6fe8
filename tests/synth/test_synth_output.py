"""The synthetic council's files: deterministic, shaped like the SSD, and internally consistent.

A small council (scale 0.02, three and a half years) is generated once per session; the checks
read the written CSVs with polars directly, never through engine code.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
import yaml

from cscperf.synth import generate
from cscperf.synth.days import WorkingDays, add_months, age_at, birthday, day_number

START, END = date(2022, 10, 1), date(2026, 3, 31)


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "a"
    generate(out, seed=5, scale=0.02, start=START, end=END)
    return out


def _read(small: Path, table: str) -> pl.DataFrame:
    return pl.read_csv(small / "ssd" / f"{table}.csv", infer_schema=False)


def test_same_seed_gives_byte_identical_files(small: Path, tmp_path: Path) -> None:
    again = tmp_path / "b"
    generate(again, seed=5, scale=0.02, start=START, end=END)
    first, second = _hashes(small), _hashes(again)
    assert len(first) > 30
    assert first == second


def test_different_seed_gives_different_files(small: Path, tmp_path: Path) -> None:
    other = tmp_path / "c"
    generate(other, seed=6, scale=0.02, start=START, end=END)
    a, b = _hashes(small), _hashes(other)
    assert a["ssd/ssd_cin_episodes.csv"] != b["ssd/ssd_cin_episodes.csv"]


def test_headers_are_the_specification_fields(small: Path, shared: Path) -> None:
    written = sorted((small / "ssd").glob("*.csv"))
    assert len(written) >= 30
    for path in written:
        spec = yaml.safe_load(
            (shared / "data/specs/ssd" / path.name.replace(".csv", ".yml")).read_text()
        )
        fields = [f["name"] for f in spec["nodes"][0]["fields"]]
        header = path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        assert header == fields, path.name


def test_every_person_in_event_tables_exists(small: Path) -> None:
    people = set(_read(small, "ssd_person")["pers_person_id"])
    for table, column in [
        ("ssd_contacts", "cont_person_id"), ("ssd_cin_episodes", "cine_person_id"),
        ("ssd_cin_assessments", "cina_person_id"), ("ssd_cp_plans", "cppl_person_id"),
        ("ssd_cla_episodes", "clae_person_id"), ("ssd_cla_placement", "clap_person_id"),
        ("ssd_care_leavers", "clea_person_id"), ("ssd_involvements", "invo_person_id"),
        ("ssd_early_help_episodes", "earl_person_id"), ("ssd_missing", "miss_person_id"),
    ]:  # fmt: skip
        ids = set(_read(small, table)[column])
        assert ids, table
        assert ids <= people, table


def test_episodes_end_on_or_after_they_start(small: Path) -> None:
    for table, s, e in [
        ("ssd_cin_episodes", "cine_referral_date", "cine_close_date"),
        ("ssd_cp_plans", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
        ("ssd_cin_plans", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date"),
        ("ssd_cla_episodes", "clae_cla_episode_start_date", "clae_cla_episode_ceased_date"),
        ("ssd_cla_placement", "clap_cla_placement_start_date", "clap_cla_placement_end_date"),
        ("ssd_cin_assessments", "cina_assessment_start_date", "cina_assessment_auth_date"),
    ]:
        frame = _read(small, table).with_columns(pl.col(s, e).str.to_date())
        bad = frame.filter(pl.col(e).is_not_null() & (pl.col(e) < pl.col(s)))
        assert bad.height == 0, table
        assert frame[s].null_count() == 0, table


def test_plans_lie_within_their_cin_episode(small: Path) -> None:
    episodes = _read(small, "ssd_cin_episodes").with_columns(
        pl.col("cine_referral_date", "cine_close_date").str.to_date()
    )
    for table, ref, s, e in [
        ("ssd_cp_plans", "cppl_referral_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
        ("ssd_cin_plans", "cinp_referral_id", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date"),
    ]:
        plans = _read(small, table).with_columns(pl.col(s, e).str.to_date())
        joined = plans.join(episodes, left_on=ref, right_on="cine_referral_id", how="left")
        assert joined["cine_referral_date"].null_count() == 0, table
        assert joined.filter(pl.col(s) < pl.col("cine_referral_date")).height == 0, table
        open_late = joined.filter(
            pl.col("cine_close_date").is_not_null()
            & (pl.col(e).is_null() | (pl.col(e) > pl.col("cine_close_date")))
        )
        assert open_late.height == 0, table


def test_consecutive_care_episodes_meet_and_only_the_last_leaves_care(small: Path) -> None:
    eps = _read(small, "ssd_cla_episodes").with_columns(
        pl.col("clae_cla_episode_start_date", "clae_cla_episode_ceased_date").str.to_date()
    )
    nxt = eps.with_columns(
        next_start=pl.col("clae_cla_episode_start_date").shift(-1).over("clae_cla_id")
    ).filter(pl.col("next_start").is_not_null())
    assert nxt.height > 0
    assert (nxt["next_start"] == nxt["clae_cla_episode_ceased_date"]).all()
    assert (nxt["clae_cla_episode_ceased_reason"] == "X1").all()


def test_dates_are_iso(small: Path) -> None:
    text = (small / "ssd" / "ssd_cla_episodes.csv").read_text().split("\n")[1]
    assert text.split(",")[2][4] == "-"


def test_population_file_has_council_and_locality_rows(small: Path, shared: Path) -> None:
    ours = pl.read_csv(next((small / "population").glob("*.csv")), infer_schema=False)
    theirs = pl.read_csv(
        shared / "data/benchmarks/ees/ons_mid-year_population_estimates_2012_to_2024.csv",
        infer_schema=False, n_rows=2,
    )  # fmt: skip
    assert ours.columns == theirs.columns
    mid2024 = ours.filter(pl.col("time_period") == "2024")
    council = mid2024.filter(pl.col("geographic_level") == "Local authority")
    localities = mid2024.filter(pl.col("geographic_level") == "Locality")
    assert council["old_la_code"].to_list() == ["999"]
    assert localities.height == 6
    # Localities add up to the council.
    assert localities["population_estimate"].cast(int).sum() == int(
        council["population_estimate"][0]
    )
    # Scale 0.02 of about 170,000.
    assert 3000 < int(council["population_estimate"][0]) < 3800


def test_settings_and_readme_written(small: Path) -> None:
    from cscperf.settings import load_settings

    settings = load_settings(small / "council.yaml")
    assert settings.council.la_code == "999"
    assert len([loc for loc in settings.localities if loc.name != "County-wide services"]) == 6
    assert "SYNTHETIC" in (small / "README.txt").read_text()


def test_faults_are_listed_where_they_are(tmp_path: Path) -> None:
    out = tmp_path / "f"
    generate(out, seed=3, scale=0.02, start=START, end=END, faults=True)
    faults = pl.read_csv(out / "planted_faults.csv", infer_schema=False)
    assert {"duplicate_row", "end_before_start", "referral_before_birth", "missing_date",
            "dd/mm/yyyy_date", "overlapping_episode"} <= set(faults["kind"])  # fmt: skip
    for row in faults.iter_rows(named=True):
        lines = (out / row["file"]).read_text(encoding="utf-8").split("\n")
        line = lines[int(row["row"]) - 1]
        if row["kind"] == "duplicate_row":
            assert line == lines[int(row["row"]) - 2]
        elif row["kind"] == "dd/mm/yyyy_date":
            assert any(len(v) == 10 and v[2] == "/" for v in line.split(","))
        elif row["kind"] == "missing_date":
            assert ",," in line
    # Same seed, same faults.
    again = tmp_path / "g"
    generate(again, seed=3, scale=0.02, start=START, end=END, faults=True)
    assert (again / "planted_faults.csv").read_bytes() == (out / "planted_faults.csv").read_bytes()


def test_working_day_helpers_follow_the_spec() -> None:
    wd = WorkingDays(2024, 2025)
    fri, sat, mon = (
        day_number(date(2024, 3, 22)),
        day_number(date(2024, 3, 23)),
        day_number(date(2024, 3, 25)),
    )
    import numpy as np

    # WD(Fri, next Mon) = 1; WD(Sat, Mon) = 1; WD(Fri, Sat) = 0 (spec section 4).
    assert wd.between(np.array([fri, sat, fri]), np.array([mon, mon, sat])).tolist() == [1, 1, 0]
    # ADD_WD(Thu 28 Mar 2024, 1) skips Good Friday and Easter Monday: Tue 2 Apr.
    assert wd.add(np.array([day_number(date(2024, 3, 28))]), 1)[0] == day_number(date(2024, 4, 2))
    # 31 Aug + 6 months = 29 Feb 2024 (leap year); 29 Feb birthday falls on 1 Mar.
    assert add_months(np.array([day_number(date(2023, 8, 31))]), 6)[0] == day_number(
        date(2024, 2, 29)
    )
    dob = np.array([day_number(date(2008, 2, 29))])
    assert birthday(dob, 18)[0] == day_number(date(2026, 3, 1))
    assert age_at(dob, np.array([day_number(date(2026, 2, 28))]))[0] == 17


def test_no_child_is_in_two_care_episodes_on_the_same_day(small: Path) -> None:
    # Short breaks included: each episode must end before (or, within one period of care,
    # exactly when) the child's next one starts.
    eps = (
        _read(small, "ssd_cla_episodes")
        .with_columns(
            pl.col("clae_cla_episode_start_date", "clae_cla_episode_ceased_date").str.to_date()
        )
        .sort("clae_person_id", "clae_cla_episode_start_date")
    )
    nxt = eps.with_columns(
        next_start=pl.col("clae_cla_episode_start_date").shift(-1).over("clae_person_id"),
        next_cla=pl.col("clae_cla_id").shift(-1).over("clae_person_id"),
    ).filter(pl.col("next_start").is_not_null())
    assert nxt.height > 0
    assert nxt["clae_cla_episode_ceased_date"].null_count() == 0
    same_period = nxt.filter(pl.col("next_cla") == pl.col("clae_cla_id"))
    assert (same_period["next_start"] == same_period["clae_cla_episode_ceased_date"]).all()
    new_period = nxt.filter(pl.col("next_cla") != pl.col("clae_cla_id"))
    assert new_period.height > 0
    assert (new_period["next_start"] > new_period["clae_cla_episode_ceased_date"]).all()


def test_short_breaks_never_overlap_at_full_size_in_miniature(tmp_path: Path) -> None:
    # Many disabled children with many stays: before the fix a stay could start while the
    # previous one (up to three nights) was still going.
    from cscperf.synth.council import eastshire_settings
    from cscperf.synth.simulate import simulate

    result = simulate(eastshire_settings(), seed=2, scale=0.05, start=START, end=END)
    eps = result.tables["ssd_cla_episodes"].filter(pl.col("clae_cla_episode_start_reason") == "S")
    stays = eps.filter(pl.col("clae_cla_episode_ceased_reason") == "E4A").sort(
        "clae_person_id", "clae_cla_episode_start_date"
    )
    prev_end = pl.col("clae_cla_episode_ceased_date").shift(1).over("clae_person_id")
    overlapping = stays.filter(pl.col("clae_cla_episode_start_date") <= prev_end)
    assert stays.height > 50
    assert overlapping.height == 0


def test_history_before_the_window_is_the_stated_history(small: Path) -> None:
    # Decided (docs/synthetic-council.md, "Extract"): the extract holds referrals (with all
    # their records) and allocations open at, or closed within six years before, the window
    # start; the simulation starts eight years before the window, so no event is older than
    # that (births are).
    warmup_start = date(START.year - 8, START.month, START.day)
    history_start = date(START.year - 6, START.month, START.day)
    for table, s, e in [
        ("ssd_cin_episodes", "cine_referral_date", "cine_close_date"),
        ("ssd_cp_plans", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
        ("ssd_cin_plans", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date"),
        ("ssd_cla_episodes", "clae_cla_episode_start_date", "clae_cla_episode_ceased_date"),
        ("ssd_contacts", "cont_contact_date", "cont_contact_date"),
        ("ssd_involvements", "invo_involvement_start_date", "invo_involvement_end_date"),
    ]:
        frame = _read(small, table).with_columns(pl.col(s, e).str.to_date())
        assert frame.filter(pl.col(s) < warmup_start - timedelta(days=3)).height == 0, table
        if table in ("ssd_cin_episodes", "ssd_involvements"):
            assert frame.filter(pl.col(e) < history_start).height == 0, table


def test_one_involvement_per_worker_child_and_start_day(small: Path) -> None:
    # The 903 social-worker episodes are built from these: two rows of one worker for one
    # child starting the same day became two sw_episodes rows with different end dates.
    inv = _read(small, "ssd_involvements")
    keys = ["invo_person_id", "invo_professional_id", "invo_involvement_start_date"]
    assert inv.height > 100
    assert inv.select(keys).is_duplicated().sum() == 0
    # Nor two open allocations of one team for one child at once.
    inv = inv.with_columns(
        pl.col("invo_involvement_start_date", "invo_involvement_end_date").str.to_date()
    ).sort("invo_person_id", "invo_professional_team", "invo_involvement_start_date")
    prev_end = (
        pl.col("invo_involvement_end_date")
        .shift(1)
        .over("invo_person_id", "invo_professional_team")
    )
    prev_start = (
        pl.col("invo_involvement_start_date")
        .shift(1)
        .over("invo_person_id", "invo_professional_team")
    )
    overlap = inv.filter(
        prev_start.is_not_null()
        & (prev_end.is_null() | (pl.col("invo_involvement_start_date") <= prev_end))
    )
    assert overlap.height == 0


def test_records_name_the_worker_and_team_allocated_at_that_date(small: Path) -> None:
    # Breakdowns by team read these fields: each must be the team of a worker who holds an
    # involvement with that child covering the record's date.
    inv = _read(small, "ssd_involvements").with_columns(
        pl.col("invo_involvement_start_date", "invo_involvement_end_date").str.to_date()
    )
    profs = _read(small, "ssd_professionals").select(
        "prof_professional_id", "prof_professional_department"
    )
    for table, person, day, worker, team in [
        ("ssd_cin_episodes", "cine_person_id", "cine_referral_date",
         "cine_referral_worker_id", "cine_referral_team"),
        ("ssd_cin_assessments", "cina_person_id", "cina_assessment_start_date",
         "cina_assessment_worker_id", "cina_assessment_team"),
        ("ssd_cin_plans", "cinp_person_id", "cinp_cin_plan_start_date",
         "cinp_cin_plan_worker_id", "cinp_cin_plan_team"),
        ("ssd_s47_enquiry", "s47e_person_id", "s47e_s47_start_date",
         "s47e_s47_completed_by_worker_id", "s47e_s47_completed_by_team"),
        ("ssd_initial_cp_conference", "icpc_person_id", "icpc_icpc_date",
         "icpc_icpc_worker_id", "icpc_icpc_team"),
    ]:  # fmt: skip
        rows = _read(small, table).with_columns(pl.col(day).str.to_date())
        assert rows.height > 0, table
        assert rows[worker].null_count() == 0, table
        teams = rows.join(profs, left_on=worker, right_on="prof_professional_id", how="left")
        assert (teams[team] == teams["prof_professional_department"]).all(), table
        recent = rows.filter(pl.col(day) >= date(START.year - 6, START.month, START.day))
        held = recent.join(
            inv, left_on=[person, worker], right_on=["invo_person_id", "invo_professional_id"]
        ).filter(
            (pl.col("invo_involvement_start_date") <= pl.col(day))
            & (
                pl.col("invo_involvement_end_date").is_null()
                | (pl.col("invo_involvement_end_date") >= pl.col(day))
            )
        )
        assert held.select(person, day, worker).unique().height == recent.height, table
    leavers = _read(small, "ssd_care_leavers")
    assert leavers.height > 0
    assert leavers["clea_care_leaver_worker_id"].null_count() == 0


def test_simulation_working_days_are_the_calendar_s() -> None:
    import numpy as np

    from cscperf.calendar import add_working_days, working_days_between

    wd = WorkingDays(2012, 2028)
    # Friday 16 Sep 2022; Monday 19 Sep 2022 was the State Funeral bank holiday.
    fri = np.array([day_number(date(2022, 9, 16))])
    assert wd.add(fri, 1)[0] == day_number(date(2022, 9, 20))
    starts = np.arange(day_number(date(2019, 12, 1)), day_number(date(2020, 1, 15)))
    for n in (0, 1, 10, 45):
        got = wd.add(starts, n)
        expected = [day_number(add_working_days(date(2019, 12, 1) + timedelta(int(i)), n))
                    for i in range(starts.size)]  # fmt: skip
        assert got.tolist() == expected
    ends = starts + 40
    expected_wd = [working_days_between(date(2019, 12, 1) + timedelta(int(i)),
                                        date(2019, 12, 1) + timedelta(int(i) + 40))
                   for i in range(starts.size)]  # fmt: skip
    assert wd.between(starts, ends).tolist() == expected_wd
    # Christmas Day 2019 (Wednesday) is not a working day: the next is Friday 27th.
    assert wd.next_working(np.array([day_number(date(2019, 12, 25))]))[0] == day_number(
        date(2019, 12, 27)
    )
