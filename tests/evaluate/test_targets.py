"""The targets file: validation messages, which entry applies, trajectories, relative
thresholds, and the Excel import layout."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from cscperf.errors import ConfigError
from cscperf.evaluate.excel_import import import_targets_workbook
from cscperf.evaluate.rules import Rag, rag_rating
from cscperf.evaluate.targets import (
    dump_targets,
    example_targets_path,
    financial_year_of,
    load_targets,
    parse_targets,
    quarter_of,
)


def _targets(*entries: dict) -> dict:
    return {"kind": "cscperf-targets", "council": "Testshire", "targets": list(entries)}


def test_financial_year_and_quarter() -> None:
    assert financial_year_of(date(2025, 3, 31)) == "2024-25"
    assert financial_year_of(date(2025, 4, 30)) == "2025-26"
    assert quarter_of(date(2025, 4, 30)) == "Q1"
    assert quarter_of(date(2025, 12, 31)) == "Q3"
    assert quarter_of(date(2026, 3, 31)) == "Q4"


def test_quarterly_trajectory_and_monthly_override() -> None:
    targets = parse_targets(
        _targets(
            {
                "indicator_id": "lac.rate_per_10k",
                "financial_year": "2025-26",
                "target": 60,
                "quarters": {"Q1": 64, "Q2": 63, "Q3": 62, "Q4": 61},
                "months": {"2025-12": 61.5},
                "green": {"pct": 0},
                "red": {"pct": 5},
            }
        ),
        "t.yaml",
    )
    entry = targets.entry_for("lac.rate_per_10k", date(2025, 5, 31))
    assert entry is not None
    assert entry.target_for(date(2025, 5, 31)) == 64
    assert entry.target_for(date(2025, 12, 31)) == 61.5
    assert entry.target_for(date(2026, 2, 28)) == 61
    band = entry.band_for(date(2025, 5, 31), "low")
    # Low is good: green at or below 64, red above 64 * 1.05 = 67.2.
    assert band.green == 64
    assert band.red == pytest.approx(67.2)
    assert rag_rating(67.0, band, "low").rag == Rag.AMBER
    assert rag_rating(67.3, band, "low").rag == Rag.RED


def test_relative_points_on_high_measure_and_target_as_green() -> None:
    targets = parse_targets(
        _targets(
            {"indicator_id": "a.x_pct", "financial_year": "2025-26", "target": 90, "red": "5 pts"}
        ),
        "t.yaml",
    )
    entry = targets.entry_for("a.x_pct", date(2025, 6, 30))
    assert entry is not None
    band = entry.band_for(date(2025, 6, 30), "high")
    assert (band.green, band.red) == (90, 85)


def test_locality_entry_beats_county_and_revision_beats_original() -> None:
    targets = parse_targets(
        _targets(
            {"indicator_id": "a.x_pct", "financial_year": "2025-26", "target": 90},
            {
                "indicator_id": "a.x_pct",
                "financial_year": "2025-26",
                "target": 80,
                "breakdown_value": "North",
            },
            {
                "indicator_id": "a.x_pct",
                "financial_year": "2025-26",
                "target": 92,
                "effective_from": "2025-10-01",
            },
        ),
        "t.yaml",
    )
    assert targets.entry_for("a.x_pct", date(2025, 6, 30)).target == 90  # type: ignore[union-attr]
    assert targets.entry_for("a.x_pct", date(2025, 11, 30)).target == 92  # type: ignore[union-attr]
    north = targets.entry_for("a.x_pct", date(2025, 11, 30), "North")
    assert north is not None and north.target == 80
    assert targets.entry_for("a.x_pct", date(2026, 4, 30)) is None
    assert targets.entry_for("b.y_pct", date(2025, 6, 30)) is None


def test_effective_to_ends_an_entry() -> None:
    targets = parse_targets(
        _targets(
            {
                "indicator_id": "a.x_pct",
                "financial_year": "2025-26",
                "target": 90,
                "effective_to": "2025-09-30",
            }
        ),
        "t.yaml",
    )
    assert targets.entry_for("a.x_pct", date(2025, 9, 30)) is not None
    assert targets.entry_for("a.x_pct", date(2025, 10, 31)) is None


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"financial_year": "2025-27", "target": 1}, "financial year such as 2025-26"),
        ({"financial_year": "2025-26", "red": {"pct": 5}}, "relative to a target"),
        ({"financial_year": "2025-26", "target": 5, "green": 5, "lower_red": 2}, "not both"),
        ({"financial_year": "2025-26", "months": {"2026-04": 3}}, "not in financial year"),
        ({"financial_year": "2025-26", "lower_red": 40, "lower_green": 30}, "lower_red <="),
        ({"financial_year": "2025-26", "red": "lots"}, "not a number"),
    ],
)
def test_invalid_entries_are_named(entry: dict, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_targets(_targets({"indicator_id": "cp.rate_per_10k", **entry}), "t.yaml")
    message = str(caught.value)
    assert message.startswith("t.yaml: ")
    assert "entry 1 (cp.rate_per_10k" in message
    assert words in message


def test_example_targets_load_and_round_trip(tmp_path: Path) -> None:
    targets = load_targets(example_targets_path())
    assert "lac.rate_per_10k" in targets.vital_signs
    cp = targets.entry_for("cp.rate_per_10k", date(2025, 3, 31))
    assert cp is not None and cp.band_for(date(2025, 3, 31), "band").two_sided
    out = tmp_path / "again.yaml"
    dump_targets(targets, out)
    assert load_targets(out) == targets


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just a list\n")
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        load_targets(bad)


def test_excel_import(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Targets"
    sheet.append(
        [
            "Indicator",
            "Year",
            "Target",
            "Q1",
            "Q2",
            "Q3",
            "Q4",
            "Red",
            "Green",
            "Locality",
            "Budget lines",
            "Note",
        ]
    )
    sheet.append(
        [
            "lac.rate_per_10k",
            "2025-26",
            60,
            64,
            63,
            62,
            61,
            "5%",
            None,
            None,
            "placements; transport",
            "reduce",
        ]
    )
    sheet.append([None] * 12)
    sheet.append(
        [
            "assess.within_45wd_pct",
            "2025-26",
            88,
            None,
            None,
            None,
            None,
            78,
            88,
            "North",
            None,
            None,
        ]
    )
    vital = book.create_sheet("Vital signs")
    vital.append(["indicator_id"])
    vital.append(["lac.rate_per_10k"])
    settings = book.create_sheet("Settings")
    settings.append(["exception_margin_pct", 10])
    path = tmp_path / "targets.xlsx"
    book.save(path)

    targets = import_targets_workbook(path, council="Testshire")
    assert targets.council == "Testshire"
    assert targets.exception_margin_pct == 10
    assert targets.vital_signs == ["lac.rate_per_10k"]
    assert len(targets.targets) == 2
    lac, assess = targets.targets
    assert lac.quarters == {"Q1": 64, "Q2": 63, "Q3": 62, "Q4": 61}
    assert lac.red is not None and lac.red.pct == 5
    assert lac.budget_lines == ["placements", "transport"]
    assert assess.breakdown_value == "North"
    assert assess.band_for(date(2025, 6, 30), "high").red == 78

    sheet.append(
        ["x.y_pct", "2025-26", 1, None, None, None, None, None, None, None, None, None, "surplus"]
    )
    book.save(path)
    with pytest.raises(ConfigError, match="unknown column"):
        import_targets_workbook(path)


def test_example_file_is_plain_yaml() -> None:
    raw = yaml.safe_load(example_targets_path().read_text())
    assert raw["kind"] == "cscperf-targets"
