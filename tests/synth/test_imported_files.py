"""The synthetic council's imported-measure files: the documented headers, a clean
``cscperf import-measures`` into a store of that council, plausible indicator values after it,
and the same bytes from the same seed.

A small council (scale 0.05, three and a half years) is generated once for the module.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cscperf.cli import main
from cscperf.indicators.results import compute_build
from cscperf.store import Store
from cscperf.synth import generate

START, END = date(2022, 10, 1), date(2026, 3, 31)
HEADERS = {
    "pep.csv": ["person_id", "pep_date", "pep_status"],
    "foster_register.csv": [
        "household_id",
        "carer_type",
        "approval_date",
        "approval_kind",
        "deregistration_date",
    ],
    "workforce.csv": ["period_end", "inpost_fte", "agency_fte", "vacancy_fte", "leavers_fte_12m"],
    "youth_justice.csv": [
        "measure",
        "period_start",
        "period_end",
        "numerator",
        "denominator",
        "value",
        "publisher",
    ],
}
IDS = [
    "lac_health.pep_up_to_date_pct",
    "fostering.approved_households_count",
    "workforce.agency_rate_pct",
    "yj.fte_count",
]


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth_imported") / "a"
    generate(out, seed=3, scale=0.05, start=START, end=END)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_each_file_has_the_documented_header(council: Path) -> None:
    for name, header in HEADERS.items():
        first_line = (council / "imported" / name).read_text(encoding="utf-8").split("\n", 1)[0]
        assert first_line.split(",") == header, name
        assert _rows(council / "imported" / name), name


def test_dates_lie_up_to_the_end_of_the_data(council: Path) -> None:
    folder = council / "imported"
    dated = {
        "pep.csv": ["pep_date"],
        "foster_register.csv": ["approval_date", "deregistration_date"],
        "workforce.csv": ["period_end"],
        "youth_justice.csv": ["period_start", "period_end"],
    }
    for name, columns in dated.items():
        for row in _rows(folder / name):
            for column in columns:
                assert not row[column] or date.fromisoformat(row[column]) <= END, (name, row)
    # One workforce row for every month end of the window.
    assert len(_rows(folder / "workforce.csv")) == 42


def test_files_import_and_feed_the_indicators(
    council: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    ingest = ["ingest", "--store", str(store), "--extract-date", "2026-04-10"]
    inputs = [council / "ssd", council / "population", council / "council.yaml"]
    assert main([*ingest, *map(str, inputs)]) == 0
    files = sorted((council / "imported").glob("*.csv"))
    assert len(files) == 4
    assert main(["import-measures", "--store", str(store), *map(str, files)]) == 0
    capsys.readouterr()
    # The engine call behind ``cscperf indicators``, for these ids only: the whole catalogue
    # would take four times as long as the rest of this module.
    results = compute_build(Store(store).get(None), ids=IDS)
    last3 = results.filter(
        (pl.col("breakdown") == "all") & (pl.col("period_end") >= date(2026, 1, 31))
    )
    assert last3["value"].null_count() == 0
    values = {i: last3.filter(pl.col("indicator_id") == i)["value"].to_list() for i in IDS}
    # Three month ends, except the youth justice figure published at the quarter end.
    assert [len(values[i]) for i in IDS] == [3, 3, 3, 1]
    assert all(50 <= v <= 100 for v in values["lac_health.pep_up_to_date_pct"])
    # A few hundred households at scale 1: about 20 at scale 0.05.
    assert all(8 <= v <= 40 for v in values["fostering.approved_households_count"])
    assert all(5 <= v <= 30 for v in values["workforce.agency_rate_pct"])
    assert all(1 <= v <= 30 for v in values["yj.fte_count"])
    imported = last3.filter(pl.col("indicator_id").is_in(IDS[2:]))
    assert all(flags.to_list() == ["imported"] for flags in imported["flags"])


def test_same_seed_gives_the_same_bytes(council: Path, tmp_path: Path) -> None:
    again = tmp_path / "b"
    generate(again, seed=3, scale=0.05, start=START, end=END)
    for name in HEADERS:
        first = (council / "imported" / name).read_bytes()
        assert first == (again / "imported" / name).read_bytes(), name
