"""The dynamics planted in the synthetic council, recovered from the files it writes.

Each rate in ``parameters.yaml`` that gives the history a shape a forecast should find is
measured back from the written SSD tables, population file and council.yaml of Eastshire at
scale 0.25 (seed 1, April 2015 to March 2025), with polars only (no cscperf engine code), and
must come back within the stated tolerance (about two standard errors of its estimate at this
size: ten years of referrals; for placements, the sixteen collection years from 2009-10 that
the extract holds whole, since it keeps six years of history before the window):

* demand trend: referrals per child in each financial year, a log-linear fit: the annual
  growth is ``demand.trend_per_year`` within 0.8 percentage points;
* seasonality: referrals per day in each calendar month over the ten years, over the average
  day: each month is its ``demand.referral_seasonality`` multiplier within 0.06;
* localities: referrals per child in each locality over the county's (the referral's team
  names its locality): each is its ``demand.locality_demand`` multiplier, scaled so the county
  is 1, within 0.06;
* residential drift: of the placements started each year (short breaks and placements for
  adoption aside), the odds of a children's home (K2) grow by
  ``care.residential_growth_per_year`` a year within 2.5 points;
* fostering drift: of the mainstream foster placements (U4-U6) started each year, the share
  with an agency (PR4) has a linear slope of ``care.agency_fostering_change_per_year`` within
  0.007 a year and is ``care.agency_fostering_share`` within 0.04 in the collection year of
  ``care.drift_reference_day``.
"""

from __future__ import annotations

import calendar
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from cscperf.synth.params import load_parameters

YEARS = list(range(2016, 2026))  # collection years inside the council_25 window
# Placements are few (about 300 started a year at this size), so the drifts are measured over
# every collection year the extract holds whole: it keeps records open at the window start or
# closed in the six years before it (history_years), so every placement from April 2009 on.
DRIFT_YEARS = list(range(2010, 2026))
P = load_parameters()


def _table(council: Path, name: str) -> pl.DataFrame:
    frame = pl.read_csv(council / "ssd" / f"{name}.csv", infer_schema=False)
    dates = [c for c in frame.columns if c.endswith("_date")]
    return frame.with_columns(pl.col(dates).str.to_date())


def _collection_year(column: str) -> pl.Expr:
    day = pl.col(column)
    return (day.dt.year() + (day.dt.month() >= 4).cast(pl.Int32)).alias("year")


def _population(council: Path) -> pl.DataFrame:
    frame = pl.read_csv(next((council / "population").glob("*.csv")), infer_schema=False)
    return frame.with_columns(
        pl.col("time_period").cast(pl.Int32), pl.col("population_estimate").cast(pl.Int64)
    )


@pytest.fixture(scope="module")
def referrals(council_25: Path) -> pl.DataFrame:
    refs = _table(council_25, "ssd_cin_episodes").with_columns(
        _collection_year("cine_referral_date"), month=pl.col("cine_referral_date").dt.month()
    )
    return refs.filter(pl.col("year").is_in(YEARS))


@pytest.fixture(scope="module")
def placements(council_25: Path) -> pl.DataFrame:
    """Placements started in the collection years 2010 to 2025, short breaks (V4) and
    placements for adoption left out."""
    started = _table(council_25, "ssd_cla_placement").with_columns(
        _collection_year("clap_cla_placement_start_date")
    )
    legal = _table(council_25, "ssd_legal_status").filter(pl.col("lega_legal_status") == "V4")
    short = legal.select(
        clap_person_id="lega_person_id",
        clap_cla_placement_start_date="lega_legal_status_start_date",
    )
    started = started.join(
        short, on=["clap_person_id", "clap_cla_placement_start_date"], how="anti"
    )
    # placements for adoption (A3-A6) come from the adoption route, not the placement mix
    chosen = ~pl.col("clap_cla_placement_type").str.starts_with("A")
    return started.filter(pl.col("year").is_in(DRIFT_YEARS) & chosen)


def test_demand_trend(council_25: Path, referrals: pl.DataFrame) -> None:
    county = _population(council_25).filter(pl.col("geographic_level") == "Local authority")
    rates = []
    for year in YEARS:
        children = county.filter(pl.col("time_period") == year - 1)["population_estimate"][0]
        rates.append(referrals.filter(pl.col("year") == year).height / children)
    growth = float(np.exp(np.polyfit(YEARS, np.log(rates), 1)[0]) - 1)
    assert abs(growth - P.demand.trend_per_year) <= 0.008, (growth, rates)


def test_referral_seasonality(referrals: pl.DataFrame) -> None:
    days = {
        m: sum(calendar.monthrange(y - 1 if m >= 4 else y, m)[1] for y in YEARS)
        for m in range(1, 13)
    }
    counts = dict(referrals.group_by("month").len().iter_rows())
    average = sum(counts.values()) / sum(days.values())
    found = [counts[m] / days[m] / average for m in range(1, 13)]
    planted = P.demand.referral_seasonality
    off = {
        calendar.month_abbr[m + 1]: (round(f, 3), p)
        for m, (f, p) in enumerate(zip(found, planted, strict=True))
        if abs(f - p) > 0.06
    }
    assert not off, f"months off their planted multiplier (found, planted): {off}"


def test_locality_demand(council_25: Path, referrals: pl.DataFrame) -> None:
    settings = yaml.safe_load((council_25 / "council.yaml").read_text(encoding="utf-8"))
    team_place = {t["id"]: loc["name"] for loc in settings["localities"] for t in loc["teams"]}
    pop = _population(council_25).filter(
        pl.col("time_period").is_between(YEARS[0] - 1, YEARS[-1] - 1)
    )
    county_children = pop.filter(pl.col("geographic_level") == "Local authority")[
        "population_estimate"
    ].sum()
    places = pop.filter(pl.col("geographic_level") == "Locality")
    children = dict(places.group_by("la_name").agg(pl.col("population_estimate").sum()).iter_rows())
    wanted = P.demand.locality_demand
    raw = {name: wanted.get(name, 1.0) for name in children}
    mean = sum(raw[n] * children[n] for n in children) / county_children
    by_team = referrals.with_columns(
        place=pl.col("cine_referral_team").replace_strict(team_place, default=None)
    )
    counts = dict(by_team.group_by("place").len().iter_rows())
    county_rate = referrals.height / county_children
    off = {}
    for name, n in children.items():
        found = counts.get(name, 0) / n / county_rate
        if abs(found - raw[name] / mean) > 0.06:
            off[name] = (round(found, 3), round(raw[name] / mean, 3))
    assert len(children) == 6
    assert not off, f"localities off their planted ratio (found, planted): {off}"


def test_residential_drift(placements: pl.DataFrame) -> None:
    odds = []
    for year in DRIFT_YEARS:
        started = placements.filter(pl.col("year") == year)
        homes = started.filter(pl.col("clap_cla_placement_type") == "K2").height
        odds.append(homes / (started.height - homes))
    growth = float(np.exp(np.polyfit(DRIFT_YEARS, np.log(odds), 1)[0]) - 1)
    assert abs(growth - P.care.residential_growth_per_year) <= 0.025, (growth, odds)


def test_agency_fostering_drift(placements: pl.DataFrame) -> None:
    shares = []
    for year in DRIFT_YEARS:
        fostered = placements.filter(
            (pl.col("year") == year) & pl.col("clap_cla_placement_type").is_in(["U4", "U5", "U6"])
        )
        agency = fostered.filter(pl.col("clap_cla_placement_provider") == "PR4").height
        shares.append(agency / fostered.height)
    slope, level = np.polyfit(DRIFT_YEARS, shares, 1)
    reference = P.care.drift_reference_day
    ref_year = reference.year + (1 if reference.month >= 4 else 0)
    at_reference = slope * ref_year + level
    assert abs(slope - P.care.agency_fostering_change_per_year) <= 0.007, (slope, shares)
    assert abs(at_reference - P.care.agency_fostering_share) <= 0.04, (at_reference, shares)
