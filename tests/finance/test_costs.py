"""Placement costs worked by hand: nights × weekly rate ÷ 7.

Placements (SSD columns), report month July 2025 (period 4 of 2025-26):

  A  U4 PR1 in-house fostering   1 Jun 2025 - open        £350 a week (settings) = £50 a night
  B  K2 PR4 agency residential  10 Jul 2025 - 20 Jul 2025  £4,900 a week (settings) = £700
  C  K2 PR5 agency residential   1 Apr 2025 -  1 Jul 2025
  D  K2 PR4, a short break (legal status V3): left out
  E  U1 PR4 agency fostering    25 Jul 2025 - open        rate from the ledger: £1,050 spent
                                                          to date over 7 nights = £1,050 a week

July nights: A 31, B 10 (10th-19th), C 0 (ends 1 July), E 7 (25th-31st).
July cost: 31 × 50 + 10 × 700 + 7 × 150 = 1,550 + 7,000 + 1,050 = £9,600.
Since April: A 61 nights (June 30 + July 31) £3,050; residential 91 (C) + 10 (B) = 101,
£70,700; E 7, £1,050. 1 August to 31 March is 243 nights, so the open placements forecast
A 243 × 50 = £12,150 more (year £15,200), E 243 × 150 (year 250 × 150 = £37,500).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from cscperf.finance.costs import forecast_rest, placement_costs, placement_spells
from cscperf.finance.settings import FinanceSettings

SETTINGS = {
    "ledger": {
        "columns": {
            "financial_year": "y",
            "period": "p",
            "division": "d",
            "funding_source": "f",
            "current_budget": "b",
            "forecast_outturn": "o",
        }
    },
    "unit_costs": [
        {
            "placement_type": "fostering",
            "provider": "in_house",
            "weekly_rate": 350,
            "divisions": ["In-house fostering"],
            "starts_per_month": 0,
            "ends_per_month": 0,
        },
        {
            "placement_type": "residential",
            "provider": "agency",
            "weekly_rate": 4900,
            "divisions": ["Agency residential"],
            "starts_per_month": 0,
            "ends_per_month": 0,
        },
        {
            "placement_type": "fostering",
            "provider": "agency",
            "divisions": ["Agency fostering"],
            "starts_per_month": 0,
            "ends_per_month": 0,
        },
    ],
    "what_if": [
        {"placement_type": "residential", "provider": "agency", "change": -1},
        {"placement_type": "fostering", "provider": "in_house", "change": 1},
    ],
}


def _placements() -> pl.DataFrame:
    rows = [
        ("A", date(2025, 6, 1), None, "U4", "PR1"),
        ("B", date(2025, 7, 10), date(2025, 7, 20), "K2", "PR4"),
        ("C", date(2025, 4, 1), date(2025, 7, 1), "K2", "PR5"),
        ("D", date(2025, 7, 1), date(2025, 7, 5), "K2", "PR4"),
        ("E", date(2025, 7, 25), None, "U1", "PR4"),
    ]
    return pl.DataFrame(
        rows,
        schema={
            "clap_cla_placement_id": pl.String,
            "clap_cla_placement_start_date": pl.Date,
            "clap_cla_placement_end_date": pl.Date,
            "clap_cla_placement_type": pl.String,
            "clap_cla_placement_provider": pl.String,
        },
        orient="row",
    )


def _spells() -> pl.DataFrame:
    episodes = pl.DataFrame(
        {
            "clae_person_id": ["p4"],
            "clae_cla_episode_start_date": [date(2025, 7, 1)],
            "clae_cla_placement_id": ["D"],
        }
    )
    legal = pl.DataFrame(
        {
            "lega_person_id": ["p4"],
            "lega_legal_status": ["V3"],
            "lega_legal_status_start_date": [date(2025, 7, 1)],
            "lega_legal_status_end_date": [date(2025, 7, 5)],
        }
    )
    return placement_spells(_placements(), episodes, legal)


def _ledger(agency_residential_actual: float = 75_000) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "financial_year": [2025, 2025, 2025],
            "period": [4, 4, 4],
            "division": ["In-house fostering", "Agency residential", "Agency fostering"],
            "actual_to_date": [3_000.0, agency_residential_actual, 1_050.0],
            "forecast_outturn": [15_000.0, 80_000.0, 40_000.0],
        }
    )


def test_short_breaks_left_out() -> None:
    assert _spells().height == 4
    assert placement_spells(_placements()).height == 5


def test_costs_worked_by_hand() -> None:
    settings = FinanceSettings.model_validate(SETTINGS)
    costs = placement_costs(settings, _ledger(), _spells(), 2025, 4)
    lines = {(x.placement_type, x.provider): x for x in costs.lines}
    in_house = lines[("fostering", "in_house")]
    residential = lines[("residential", "agency")]
    agency_fostering = lines[("fostering", "agency")]
    assert (in_house.nights_month, in_house.cost_month) == (31, 1_550)
    assert (residential.nights_month, residential.cost_month) == (10, 7_000)
    assert agency_fostering.source == "ledger"
    assert agency_fostering.weekly_rate == pytest.approx(1_050)
    assert agency_fostering.cost_month == pytest.approx(1_050)
    assert (in_house.nights_ytd, in_house.cost_ytd) == (61, 3_050)
    assert (residential.nights_ytd, residential.cost_ytd) == (101, 70_700)
    assert (in_house.open_now, residential.open_now, agency_fostering.open_now) == (1, 0, 1)
    assert in_house.forecast_year == pytest.approx(15_200)
    assert agency_fostering.forecast_year == pytest.approx(37_500)
    assert residential.forecast_year == pytest.approx(70_700)
    assert [round(cost) for _, cost in costs.monthly] == [21_000, 21_700, 22_500, 9_600]
    recon = {r.divisions: r for r in costs.reconciliations}
    res = recon[("Agency residential",)]
    assert res.actual_difference == pytest.approx(75_000 - 70_700)
    assert res.forecast_difference == pytest.approx(80_000 - 70_700)
    # what if: one fewer agency residential, one more in-house fostering, 243 nights left
    assert costs.what_if is not None
    assert costs.what_if.nights_left == 243
    assert costs.what_if.in_year == pytest.approx((-700 + 50) * 243)
    assert costs.what_if.full_year == pytest.approx((-700 + 50) * 365)


def test_expected_starts_add_nights_from_mid_month() -> None:
    """One agency residential start a month from August: nights from each 15th to 31 March
    are 229 + 198 + 168 + 137 + 107 + 76 + 45 + 17 = 977."""
    spells = _spells().filter(pl.col("placement_type") == "residential")
    rest = forecast_rest(spells, date(2025, 7, 31), {("residential", "agency"): (1.0, 0.0)})
    assert rest[("residential", "agency")] == 977
    fewer = forecast_rest(spells, date(2025, 7, 31), {("residential", "agency"): (0.0, 1.0)})
    assert fewer[("residential", "agency")] == 0  # never below none
