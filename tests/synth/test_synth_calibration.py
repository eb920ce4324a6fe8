"""Headline rates of the synthetic council against the England figures they were set from.

Counted directly from the written CSVs with polars (never through engine code), for the year
ending 31 March 2025, against the council's own mid-2024 population file. England 2025 figures
are from ../shared/data/benchmarks/ees/. Bands are wide enough for a 34,000-child council's
chance variation and narrow enough to catch a broken parameter.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cscperf.synth import generate

FY_START, FY_END = date(2024, 4, 1), date(2025, 3, 31)


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("calibration")
    generate(out, seed=11, scale=0.2, start=date(2023, 4, 1), end=date(2025, 3, 31))
    return out


def _table(out: Path, name: str) -> pl.DataFrame:
    frame = pl.read_csv(out / "ssd" / f"{name}.csv", infer_schema=False)
    dates = [c for c in frame.columns if c.endswith("_date") or c.endswith("_dob")]
    return frame.with_columns(pl.col(dates).str.to_date())


def _children(out: Path) -> int:
    pop = pl.read_csv(next((out / "population").glob("*.csv")), infer_schema=False)
    row = pop.filter(
        (pl.col("time_period") == "2024") & (pl.col("geographic_level") == "Local authority")
    )
    return int(row["population_estimate"][0])


def _per_10k(count: int, out: Path) -> float:
    return count / _children(out) * 10_000


def test_referrals_per_10k(council: Path) -> None:
    # England 2025: 632,830 referrals / 12,183,016 children = 519 per 10k (c1). Band +-20%.
    refs = _table(council, "ssd_cin_episodes")
    n = refs.filter(pl.col("cine_referral_date").is_between(FY_START, FY_END)).height
    assert 415 <= _per_10k(n, council) <= 623


def test_rereferrals_within_12_months(council: Path) -> None:
    # England 2025: 22.6% of referrals within 12 months of a previous one (c1). Band 17-28%.
    refs = _table(council, "ssd_cin_episodes").sort("cine_person_id", "cine_referral_date")
    refs = refs.with_columns(prev=pl.col("cine_referral_date").shift(1).over("cine_person_id"))
    year = refs.filter(pl.col("cine_referral_date").is_between(FY_START, FY_END))
    again = year.filter(pl.col("prev") >= pl.col("cine_referral_date").dt.offset_by("-12mo"))
    assert 0.17 <= again.height / year.height <= 0.28


def test_cp_plans_started_per_10k(council: Path) -> None:
    # England 2025: 61,840 plans started = 50.8 per 10k (d3). Band +-25%.
    plans = _table(council, "ssd_cp_plans")
    n = plans.filter(pl.col("cppl_cp_plan_start_date").is_between(FY_START, FY_END)).height
    assert 38 <= _per_10k(n, council) <= 64


def _cla_at_31_march(council: Path) -> pl.DataFrame:
    eps = _table(council, "ssd_cla_episodes")
    legal = _table(council, "ssd_legal_status")
    short_breaks = legal.filter(pl.col("lega_legal_status").is_in(["V3", "V4"]))
    eps = eps.join(
        short_breaks.select(
            pl.col("lega_person_id").alias("clae_person_id"),
            pl.col("lega_legal_status_start_date").alias("clae_cla_episode_start_date"),
            pl.lit(True).alias("short_break"),
        ),
        on=["clae_person_id", "clae_cla_episode_start_date"],
        how="left",
    ).filter(pl.col("short_break").is_null())
    return eps.filter(
        (pl.col("clae_cla_episode_start_date") <= FY_END)
        & (
            pl.col("clae_cla_episode_ceased_date").is_null()
            | (pl.col("clae_cla_episode_ceased_date") > FY_END)
        )
    )


def test_looked_after_at_31_march_per_10k(council: Path) -> None:
    # England 2025: 81,770 looked after at 31 March = 67 per 10k (cla_number_and_rate). +-25%.
    cla = _cla_at_31_march(council)
    assert 50 <= _per_10k(cla["clae_person_id"].n_unique(), council) <= 84


def test_share_in_foster_placements(council: Path) -> None:
    # England 2025: about 68% of children looked after at 31 March were fostered. Band 58-78%.
    cla = _cla_at_31_march(council)
    places = _table(council, "ssd_cla_placement").select(
        "clap_cla_placement_id", "clap_cla_placement_type"
    )
    typed = cla.join(places, left_on="clae_cla_placement_id", right_on="clap_cla_placement_id")
    assert typed.height == cla.height
    foster = typed.filter(pl.col("clap_cla_placement_type").str.starts_with("U")).height
    assert 0.58 <= foster / typed.height <= 0.78


def test_second_or_subsequent_cp_plans(council: Path) -> None:
    # England 2025: 15,130 of 61,840 plans started were a second or subsequent plan = 24.5%
    # (d3_cpps_subsequent_plan). A plan counts when the child has an earlier plan in the
    # extract (history goes back six years before the window). Band 18-31%.
    plans = _table(council, "ssd_cp_plans").sort("cppl_person_id", "cppl_cp_plan_start_date")
    plans = plans.with_columns(earlier=pl.int_range(pl.len()).over("cppl_person_id"))
    year = plans.filter(pl.col("cppl_cp_plan_start_date").is_between(FY_START, FY_END))
    assert year.height > 100
    assert 0.18 <= year.filter(pl.col("earlier") > 0).height / year.height <= 0.31


def test_three_or_more_placements_in_the_year(council: Path) -> None:
    # England 2025: 8,500 of 81,770 looked after at 31 March had 3+ placements during the
    # year = 10.4% (la_cla_placement_stability). Placements counted: every placement of those
    # children open at some time in the year. Band 6-15%.
    cla = _cla_at_31_march(council)
    children = cla["clae_person_id"].unique()
    places = _table(council, "ssd_cla_placement").filter(
        pl.col("clap_person_id").is_in(children.implode())
        & (pl.col("clap_cla_placement_start_date") <= FY_END)
        & (
            pl.col("clap_cla_placement_end_date").is_null()
            | (pl.col("clap_cla_placement_end_date") >= FY_START)
        )
    )
    three = places.group_by("clap_person_id").len().filter(pl.col("len") >= 3).height
    assert children.len() > 100
    assert 0.06 <= three / children.len() <= 0.15
