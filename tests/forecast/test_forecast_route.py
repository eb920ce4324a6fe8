"""``cscperf forecast`` end to end: synthetic council files -> ingest -> forecast, by the SSD
route and the returns route, and the errors a user meets."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from tests.forecast.conftest import cli as _cli

from cscperf.app.forecast import forecast_build
from cscperf.store import Store


def test_forecast_writes_projection_backtest_and_scenarios(
    stores: dict[str, Path], tmp_path: Path
) -> None:
    code, _, err = _cli(
        "forecast", "--store", stores["ssd"], "--months", "12", "--out", tmp_path,
        "--scenario", "step down:from=2025-06,step-down=0.2",
    )  # fmt: skip
    assert code == 0, err[-2000:]
    assert "projected from March 2025" in err and "Backtest" in err
    forecast = pl.read_csv(tmp_path / "forecast.csv")
    assert forecast["month_end"].unique().sort().to_list()[0] == "2025-04-30"
    assert forecast.height == 12 * 5  # four categories and the total
    totals = forecast.filter(pl.col("placement_category") == "total")
    assert (totals["low"] <= totals["expected_children"]).all()
    assert (totals["expected_children"] <= totals["high"]).all()
    backtest = pl.read_csv(tmp_path / "backtest.csv")
    assert set(backtest["method"]) == {"cscperf", "reference-window Markov", "last value",
                                       "linear trend", "seasonal naive"}  # fmt: skip
    scenarios = pl.read_csv(tmp_path / "scenarios.csv")
    late = scenarios.filter(pl.col("month_end") == "2026-03-31")
    residential = late.filter(pl.col("placement_category") == "residential").row(0, named=True)
    assert residential["scenario_children"] < residential["baseline_children"]
    assert residential["scenario_cost"] < residential["baseline_cost"]


def test_no_child_identifier_reaches_the_output(stores: dict[str, Path], tmp_path: Path) -> None:
    code, out, err = _cli("forecast", "--store", stores["ssd"], "--no-backtest", "--months", "3")
    assert code == 0
    people = Store(stores["ssd"]).get().table("ssd_person")["pers_person_id"].to_list()
    assert people and not any(person in out or person in err for person in people)


def test_the_returns_alone_give_the_same_recent_history(stores: dict[str, Path]) -> None:
    ssd = forecast_build(Store(stores["ssd"]).get(), months=1, backtest=False)
    returns = forecast_build(Store(stores["returns"]).get(), months=1, backtest=False)
    assert ssd.history.month_ends[-12:] == returns.history.month_ends[-12:]
    assert (ssd.history.stock[-12:] == returns.history.stock[-12:]).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "2001-01"), "outside the build's months"),
        (("--scenario", "no colon"), "write it as NAME:from=YYYY-MM"),
        (("--scenario", "x:from=2025-06,entries=lots"), "is not a number"),
        (("--scenario", "x:entries=0.9"), "say from=YYYY-MM"),
    ],
)
def test_mistakes_get_exit_1_and_a_sentence(
    stores: dict[str, Path], args: tuple[str, ...], message: str
) -> None:
    code, _, err = _cli("forecast", "--store", stores["ssd"], "--no-backtest", *args)
    assert code == 1 and message in err.replace("\n", " ")


def test_a_bad_settings_file_names_the_key(stores: dict[str, Path], tmp_path: Path) -> None:
    settings = tmp_path / "forecast.yaml"
    settings.write_text("weekly_unit_costs:\n  fostering: lots\n", encoding="utf-8")
    code, _, err = _cli("forecast", "--store", stores["ssd"], "--settings", settings)
    assert code == 1 and "weekly_unit_costs.fostering" in err


@pytest.mark.parametrize("route", ["ssd", "returns"])
def test_the_history_counts_the_children_the_catalogue_counts(
    stores: dict[str, Path], route: str
) -> None:
    """Month by month, the forecast's starting point is the catalogue's lac.count: the same
    children looked after (short breaks left out) at the same month ends."""
    code, out, err = _cli(
        "indicators", "--store", stores[route], "--period", "2025-03", "--months", "12",
        "--ids", "lac.count", "--by", "all",
    )  # fmt: skip
    assert code == 0, err[-2000:]
    counts = pl.read_csv(io.StringIO(out)).filter(pl.col("breakdown") == "all")
    expected = dict(zip(counts["period_end"].to_list(), counts["value"].to_list(), strict=True))
    history = forecast_build(Store(stores[route]).get(), months=1, backtest=False).history
    seen = {
        day.isoformat(): int(history.stock[index].sum())
        for index, day in enumerate(history.month_ends)
        if day.isoformat() in expected
    }
    assert len(seen) == 12 and seen == {k: int(v) for k, v in expected.items()}
