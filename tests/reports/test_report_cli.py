"""``cscperf report`` on a small hand-made store; commentary files; draft sentences."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.reports.fixtures import fixture_rows

from cscperf.cli import main
from cscperf.errors import ConfigError
from cscperf.reports.commentary import load_commentary
from cscperf.reports.drafts import against_benchmarks, locality_outliers
from cscperf.settings import dump_settings
from cscperf.synth.council import eastshire_settings


def _store(tmp_path: Path) -> Path:
    build = tmp_path / "store" / "builds" / "B1"
    (build / "results").mkdir(parents=True)
    (build / "manifest.json").write_text(
        json.dumps({"extract_date": "2025-07-08", "source_system": "Mosaic"})
    )
    settings = eastshire_settings()
    dump_settings(settings, build / "settings.yaml")
    (tmp_path / "store" / "current").write_text("B1")
    fixture_rows([loc.name for loc in settings.localities]).write_parquet(
        build / "results" / "indicators.parquet"
    )
    return tmp_path / "store"


def test_unknown_locality_is_one_sentence_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _store(tmp_path)
    code = main(
        [
            "report",
            "--store",
            str(store),
            "--period",
            "2025-06",
            "--out",
            str(tmp_path / "o"),
            "--locality",
            "Atlantis",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "no locality called 'Atlantis'" in err and "Harrowmere" in err


def test_report_command_writes_html_and_workbook(tmp_path: Path) -> None:
    store = _store(tmp_path)
    out = tmp_path / "pack"
    code = main(
        ["report", "--store", str(store), "--period", "2025-06", "--out", str(out), "--no-pdf"]
    )
    assert code == 0
    html = (out / "pack.html").read_text(encoding="utf-8")
    assert "Data from Mosaic, extracted 2025-07-08" in html
    assert "OFFICIAL-SENSITIVE" in html
    assert (out / "pack.xlsx").stat().st_size > 0


def test_commentary_file_errors_name_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "kind: cscperf-commentary\nindicators:\n  - {indicator_id: a, period: 2025-13}\n"
    )
    with pytest.raises(ConfigError, match=r"indicators\.0\.period"):
        load_commentary(path)


def test_commentary_month_entry_wins_over_any(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "kind: cscperf-commentary\nindicators:\n"
        "  - {indicator_id: a, period: any, why_it_matters: Always, action: Old}\n"
        "  - {indicator_id: a, period: 2025-06, action: New}\n"
    )
    entry = load_commentary(path).for_indicator("a", date(2025, 6, 30))
    assert entry is not None
    assert (entry.why_it_matters, entry.action) == ("Always", "New")
    assert load_commentary(path).for_indicator("a", date(2025, 5, 31)).action == "Old"  # type: ignore[union-attr]


def test_draft_sentences_judge_by_polarity() -> None:
    # lower is better: 30 against neighbours 25 is worse, against England 35 better
    text = against_benchmarks(30.0, 25.0, 35.0, 2025, "percent", "low")
    assert "worse than the statistical neighbour average of 25.0%" in text
    assert "better than England's 35.0%" in text
    assert "2024-25" in text
    # 20% of 50 is 10: 61 stands out, 59 does not
    text = locality_outliers(50.0, {"North": 61.0, "South": 59.0}, "days", "high", 20)
    assert "North (61 days, better than the county)" in text and "South" not in text


def test_counts_are_not_compared_with_england_or_the_county() -> None:
    # a locality's count is part of the county's, and England's count is of another size
    assert "not compared" in locality_outliers(50.0, {"North": 20.0}, "count", "high", 20)
    text = against_benchmarks(454.0, 518.0, 49420.0, 2025, "count", "low")
    assert "not compared" in text and "better" not in text


def test_long_sheet_names_are_cut_at_a_word() -> None:
    from cscperf.reports.excel import _sheet_name

    # Excel allows 31 characters: the 32nd is inside "after", so the cut falls before it
    taken: set[str] = set()
    assert _sheet_name("Health and education of looked after children", taken) == (
        "Health and education of looked"
    )
    assert _sheet_name("x" * 40, taken) == "x" * 31  # no word to cut at
    assert _sheet_name("x" * 40, taken) == "x" * 29 + " 2"  # a second one is numbered


def test_exception_rules_read_as_words() -> None:
    from cscperf.reports.layout import load_layout

    words = load_layout().exception_reasons("red,adverse_to_target,worsened_3_periods")
    assert words == (
        "rated red, worse than target by more than the exception margin and worsened in "
        "each of the last three months"
    )
    assert load_layout().exception_reasons("red") == "rated red"
    assert load_layout().exception_reasons("new_rule") == "new rule"
