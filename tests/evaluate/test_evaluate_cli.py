"""``cscperf evaluate`` on a small hand-made store, and ``cscperf targets import``."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cscperf.cli import main
from cscperf.indicators import catalogue
from cscperf.settings import dump_settings
from cscperf.synth.council import eastshire_settings

INDICATOR = "lac.rate_per_10k"


@pytest.fixture(autouse=True)
def _one_indicator_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command reads the packaged catalogue; these tests need only one entry's metadata,
    fixed here so they do not depend on the rest of the catalogue."""
    entry = catalogue.load_catalogue().get(INDICATOR)
    assert (entry.unit, entry.basis) == ("rate_per_10k", "snapshot_month_end")
    only = catalogue.Catalogue({INDICATOR: entry}, {})
    monkeypatch.setattr(catalogue, "load_catalogue", lambda: only)


def _store(tmp_path: Path) -> Path:
    build = tmp_path / "store" / "builds" / "B1"
    (build / "results").mkdir(parents=True)
    (build / "manifest.json").write_text(json.dumps({"council": {"name": "Eastshire"}}))
    dump_settings(eastshire_settings(), build / "settings.yaml")
    (tmp_path / "store" / "current").write_text("B1")
    months = [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
    rows = pl.DataFrame(
        {
            "indicator_id": [INDICATOR] * 3,
            "period_end": months,
            "breakdown": ["all"] * 3,
            "breakdown_value": ["all"] * 3,
            "numerator": [1000.0, 1050.0, 1100.0],
            "denominator": [170_000.0] * 3,
        }
    ).with_columns((pl.col("numerator") / pl.col("denominator") * 10_000).alias("value"))
    rows.write_parquet(build / "results" / "indicators.parquet")
    return tmp_path / "store"


def test_evaluate_csv_uses_example_targets_and_borrowed_benchmarks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _store(tmp_path)
    code = main(["evaluate", "--store", str(store), "--period", "2025-03", "--format", "csv"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "example targets" in captured.err
    out = pl.read_csv(io.StringIO(captured.out))
    row = out.row(0, named=True)
    # 1,100 / 170,000 * 10,000 = 64.7; Q4 target 62, red above 62 * 1.05 = 65.1: amber.
    assert row["target"] == 62
    assert row["rag"] == "amber"
    assert row["dot_month"] == "worsening"
    # Benchmarks borrowed from Norfolk (926): published 2025 rate 62.
    assert row["bm_la_value"] == 62
    # ... and labelled as Norfolk's, on the basis they were published on.
    assert row["bm_published_by"] == "Norfolk's published figures (borrowed for the demo)"
    assert row["bm_basis"] == "31 March 2025 snapshot"
    assert row["bm_own_value"] == pytest.approx(1100 / 170_000 * 10_000)  # the March value
    assert row["small_number"] is False
    assert row["recon_published"] == 62
    assert row["recon_differs"] is True  # 64.7 rounds to 65, not 62


def test_evaluate_json_without_benchmarks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _store(tmp_path)
    code = main(
        [
            "evaluate",
            "--store",
            str(store),
            "--period",
            "2025-02",
            "--format",
            "json",
            "--no-benchmarks",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["indicator_id"] == INDICATOR
    assert data[0]["bm_la_value"] is None


def test_evaluate_month_not_in_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _store(tmp_path)
    assert main(["evaluate", "--store", str(store), "--period", "2023-03", "--no-benchmarks"]) == 1
    assert "no indicator rows for 2023-03" in capsys.readouterr().err


def test_targets_import_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Targets"
    sheet.append(["indicator_id", "financial_year", "target", "red", "green"])
    sheet.append([INDICATOR, "2025-26", 60, "5%", 60])
    path = tmp_path / "t.xlsx"
    book.save(path)
    out = tmp_path / "t.yaml"
    assert main(["targets", "import", str(path), "--out", str(out), "--council", "X"]) == 0
    assert main(["targets", "check", str(out)]) == 0
    assert "valid; 1 targets for 2025-26" in " ".join(capsys.readouterr().err.split())


def test_store_wide_targets_file_is_used_for_every_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _store(tmp_path)
    (store / "targets.yaml").write_text(
        "kind: cscperf-targets\n"
        "council: Eastshire County Council\n"
        "targets:\n"
        "  - {indicator_id: lac.rate_per_10k, financial_year: 2024-25,"
        " target: 70, green: 70, red: 80}\n",
        encoding="utf-8",
    )
    args = ["evaluate", "--store", str(store), "--period", "2025-03", "--format", "csv"]
    assert main([*args, "--no-benchmarks"]) == 0
    captured = capsys.readouterr()
    assert "targets from the store's" in " ".join(captured.err.split())
    row = pl.read_csv(io.StringIO(captured.out)).row(0, named=True)
    # 64.7 against a target of 70 where lower is better and green is up to 70: green.
    assert row["target"] == 70
    assert row["rag"] == "green"


def test_evaluate_for_the_public_marks_suppression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _store(tmp_path)
    args = ["evaluate", "--store", str(store), "--period", "2025-03", "--no-benchmarks"]
    code = main([*args, "--audience", "public"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "shown as [c]" in captured.err
    row = pl.read_csv(io.StringIO(captured.out), infer_schema_length=0).row(0, named=True)
    assert row["suppressed"] is None  # 1,100 children: nothing to suppress
    assert float(row["value"]) == pytest.approx(1100 / 170_000 * 10_000)
    # An audience that is not one of the choices is a misuse of the command: exit 2.
    assert main([*args, "--audience", "press"]) == 2
    assert "council" in capsys.readouterr().err
