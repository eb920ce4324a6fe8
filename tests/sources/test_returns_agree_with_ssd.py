"""The synthetic council's statutory returns load and agree with its SSD tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cscperf.sources.base import ReaderResult, Severity
from cscperf.sources.cin_census import CINCensusReader
from cscperf.sources.ssda903 import SSDA903Reader

FIRST_DAY = date(2023, 4, 1)  # the first return written covers the year from here


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cscperf.synth import generate

    out = tmp_path_factory.mktemp("eastshire")
    generate(out, seed=3, scale=0.02, start=date(2023, 4, 1), end=date(2025, 3, 31))
    return out


def ssd(council: Path, table: str, *dates: str) -> pl.DataFrame:
    frame = pl.read_csv(council / "ssd" / f"{table}.csv", infer_schema=False)
    return frame.with_columns(pl.col(*dates).str.to_date()) if dates else frame


def running(frame: pl.DataFrame, end: str) -> pl.DataFrame:
    """Rows still open on the first day the returns cover (what the returns must hold)."""
    return frame.filter(pl.col(end).is_null() | (pl.col(end) >= FIRST_DAY))


def errors(result: ReaderResult) -> list[str]:
    return [f"{p.rule} {p.file}:{p.row}" for p in result.problems if p.severity == Severity.ERROR]


def test_903_returns_agree_with_the_ssd(council: Path) -> None:
    result = SSDA903Reader().read(sorted((council / "ssda903").rglob("*.*")))
    # Same worker, same start, two end dates in the synthetic sw_episodes: reported to synth.
    assert [e for e in errors(result) if "sw_episodes" not in e] == []
    cols = [
        "clae_person_id",
        "clae_cla_episode_start_date",
        "clae_cla_episode_ceased_date",
        "clae_cla_episode_start_reason",
        "clae_cla_episode_ceased_reason",
        "clae_cla_primary_need_code",
    ]
    expected = running(
        ssd(
            council,
            "ssd_cla_episodes",
            "clae_cla_episode_start_date",
            "clae_cla_episode_ceased_date",
        ),
        "clae_cla_episode_ceased_date",
    )
    got = result.tables["ssd_cla_episodes"]
    assert got.height > 0
    assert set(got.select(cols).rows()) == set(expected.select(cols).rows())
    people = set(
        ssd(council, "ssd_person", "pers_dob")
        .select("pers_person_id", "pers_dob", "pers_sex")
        .rows()
    )
    assert (
        set(result.tables["ssd_person"].select("pers_person_id", "pers_dob", "pers_sex").rows())
        <= people
    )


def test_cin_returns_agree_with_the_ssd(council: Path) -> None:
    result = CINCensusReader().read(sorted((council / "cin_census").glob("*.xml")))
    assert errors(result) == []
    assert [p for p in result.problems if p.rule == "cin.schema"] == []
    referrals = running(
        ssd(council, "ssd_cin_episodes", "cine_referral_date", "cine_close_date"),
        "cine_close_date",
    )
    cols = ["cine_person_id", "cine_referral_date"]
    assert set(result.tables["ssd_cin_episodes"].select(cols).rows()) == set(
        referrals.select(cols).rows()
    )
    plans = running(
        ssd(council, "ssd_cp_plans", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
        "cppl_cp_plan_end_date",
    )
    cols = ["cppl_person_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"]
    assert set(result.tables["ssd_cp_plans"].select(cols).rows()) == set(plans.select(cols).rows())
