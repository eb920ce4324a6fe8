"""Benchmarks against the published files: Norfolk 2025 worked out directly from the CSVs,
reorganised authorities, suppressed cells, code resolution and the ranking rules."""

from __future__ import annotations

import io
import statistics
from pathlib import Path

import polars as pl
import pytest

from cscperf.benchmarks.compare import (
    council_benchmarks,
    quartile_band,
    rank_of,
    resolve_council,
    top_quartile_threshold,
)
from cscperf.benchmarks.mapping import stand_ins
from cscperf.benchmarks.published import split_value
from cscperf.cli import main
from cscperf.errors import InputError

LAC = "Children looked after on 31 March each year"


@pytest.fixture(scope="module")
def data(shared: Path) -> Path:
    return shared / "data" / "benchmarks"


def _cla_2025(data: Path) -> pl.DataFrame:
    frame = pl.read_csv(
        data / "ees" / "cla_number_and_rate_per_10k_children.csv", infer_schema_length=0
    )
    return frame.filter(pl.col("time_period") == "2025", pl.col("population_type") == LAC)


def _norfolk_neighbours_2025(data: Path) -> list[str]:
    sn = pl.read_csv(data / "ees" / "sn_model_2025_wide.csv", infer_schema_length=0)
    row = sn.filter(pl.col(sn.columns[0]) == "926").row(0, named=True)
    return [row[f"SN_{n}"] for n in range(1, 11)]


def test_cli_reproduces_norfolk_2025(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmarks", "--la", "926", "--year", "2025", "--format", "csv"]) == 0
    out = pl.read_csv(io.StringIO(capsys.readouterr().out), infer_schema_length=0)
    lac = out.filter(pl.col("indicator_id") == "lac.rate_per_10k").row(0, named=True)
    assert float(lac["value"]) == 62

    cla = _cla_2025(data)
    neighbours = _norfolk_neighbours_2025(data)
    assert len(neighbours) == 10
    las = cla.filter(pl.col("geographic_level") == "Local authority")
    values = [
        float(v) for v in las.filter(pl.col("old_la_code").is_in(neighbours))["rate_per_10000"]
    ]
    assert len(values) == 10
    assert float(lac["sn_mean"]) == pytest.approx(sum(values) / 10)
    assert float(lac["sn_median"]) == pytest.approx(statistics.median(values))
    assert float(lac["sn_best"]) == min(values)
    england = cla.filter(pl.col("geographic_level") == "National")["rate_per_10000"][0]
    assert float(lac["england"]) == float(england)
    region = cla.filter(
        pl.col("geographic_level") == "Regional", pl.col("region_name") == "East of England"
    )["rate_per_10000"][0]
    assert float(lac["region_value"]) == float(region)
    # Rank among all councils publishing: 1 + the number with a lower (better) rate.
    everyone = [float(v) for v in las["rate_per_10000"] if v not in ("c", "k", "x", "z", "u")]
    assert int(lac["rank"]) == 1 + sum(1 for v in everyone if v < 62)
    assert int(lac["ranked_of"]) == len(everyone)

    # The spec's worked checks: CIN 4,643 / 171,830 and CP 454 / 171,830 per 10,000.
    cin = out.filter(pl.col("indicator_id") == "cin.rate_per_10k")["value"][0]
    assert round(float(cin), 1) == 270.2
    cp = out.filter(pl.col("indicator_id") == "cp.rate_per_10k")["value"][0]
    assert float(cp) == pytest.approx(454 / 171_830 * 10_000)
    eet = out.filter(pl.col("indicator_id") == "care_leavers.eet_19_21_pct")["value"][0]
    assert float(eet) == 57


def test_2021_model_and_median(data: Path) -> None:
    frame = council_benchmarks("926", data, 2025, model="2021", indicator_ids=["lac.count"])
    row = frame.row(0, named=True)
    sn = pl.read_csv(
        data / "ees" / "New_Statistical_Neighbour_Groupings_April_2021.csv",
        infer_schema_length=0,
        truncate_ragged_lines=True,
    )
    listed = sn.filter(pl.col(sn.columns[0]) == "926").row(0, named=True)
    codes = [listed[f"SN{n}"] for n in range(1, 11)]
    # 909 (Cumbria) was abolished in 2023: its successors 942 and 943 stand in.
    assert "909" in codes
    assert "942" in row["neighbours"] and "943" in row["neighbours"]
    assert "909 abolished" in row["note"]
    assert row["sn_count"] == 11


def test_reorganised_successor_shows_labelled_predecessor(data: Path) -> None:
    frame = council_benchmarks(
        "E06000063", data, indicator_ids=["lac.rate_per_10k"], all_years=True
    )
    by_year = {r["year"]: r for r in frame.iter_rows(named=True)}
    # Cumberland did not exist before April 2023: its cell is z and Cumbria's 82 stands in.
    assert by_year[2023]["value_code"] == "z"
    assert by_year[2023]["value_from"] == "909"
    assert by_year[2023]["value"] == 82
    assert by_year[2023]["rank"] is None
    assert by_year[2025]["value_from"] == "942"
    assert stand_ins("839", 2019) == (
        (),
        "839 not yet created (Dorset and Bournemouth, Christchurch and Poole 2019)",
    )


def test_abolished_council_has_suppressed_value(data: Path) -> None:
    frame = council_benchmarks("928", data, 2025, indicator_ids=["lac.rate_per_10k"])
    row = frame.row(0, named=True)
    assert row["value"] is None
    assert row["value_code"] == "z"
    assert "abolished" in row["note"]


def test_suppression_codes_are_null_with_code_kept() -> None:
    frame = pl.DataFrame({"v": ["12", "c", "k", "x", "z", "u", "1,069", None]})
    out = frame.select(split_value("v"))
    assert out["value"].to_list() == [12.0, None, None, None, None, None, 1069.0, None]
    assert out["code"].to_list() == [None, "c", "k", "x", "z", "u", None, None]


def test_city_of_london_suppressed(data: Path) -> None:
    frame = council_benchmarks("201", data, 2025, indicator_ids=["lac.rate_per_10k"])
    assert frame["value_code"][0] == "c"
    assert frame["value"][0] is None


def test_codes_resolve_and_unknown_code_is_clear(data: Path) -> None:
    assert resolve_council("E10000020", data).la_code == "926"
    assert resolve_council("926", data).name == "Norfolk"
    with pytest.raises(InputError, match="no English council has the code"):
        resolve_council("999", data)
    with pytest.raises(InputError, match="3-digit DfE LA number"):
        resolve_council("Norfolk", data)


def test_ranking_rules() -> None:
    assert rank_of(10, [5, 10, 20], "low") == 2
    assert rank_of(10, [5, 10, 20], "high") == 2
    assert quartile_band(1, 8) == "A" and quartile_band(2, 8) == "A"
    assert quartile_band(3, 8) == "B" and quartile_band(8, 8) == "D"
    # Nine councils: band A is ranks 1..3, so the threshold is the third best.
    values = [1.0, 2, 3, 4, 5, 6, 7, 8, 9]
    assert top_quartile_threshold(values, "low") == 3
    assert top_quartile_threshold(values, "high") == 7
    assert top_quartile_threshold([], "high") is None
