"""Bad ledgers are refused precisely (file, row, field, what to do), and nothing is kept."""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ledgers import HEADING, finance_settings, ledger_rows, write_csv, write_ledger

from cscperf.cli import main
from cscperf.errors import ConfigError, InputError
from cscperf.finance.settings import load_finance_settings
from cscperf.finance.store import load_finance, read_finance_files
from cscperf.store.store import Store


def _read(tmp_path: Path, rows: list[list[object]]):
    settings = load_finance_settings(finance_settings(tmp_path / "finance.yaml"))
    return read_finance_files(settings, [write_ledger(tmp_path / "bad.csv", 4, rows)])


def _changed(row: int, column: int, value: object) -> list[list[object]]:
    rows = ledger_rows(4)
    rows[row - 2][column] = value  # row 1 is the heading
    return rows


@pytest.mark.parametrize(
    ("row", "column", "value", "field", "words"),
    [
        (3, 12, "lots", "forecast_outturn", "is not an amount"),
        (5, 9, "", "current_budget", "write 0 when there is none"),
        (4, 7, "Capital", "funding_source", "add it to ledger.funding_sources"),
        (2, 1, 13, "period", "1 (April) to 12 (March)"),
        (6, 0, "2025-27", "financial_year", "write it as 2025-26"),
        (7, 3, " ", "division", "division of service is blank"),
    ],
)
def test_a_bad_cell_is_named(
    tmp_path: Path, row: int, column: int, value: object, field: str, words: str
) -> None:
    with pytest.raises(InputError) as caught:
        _read(tmp_path, _changed(row, column, value))
    error = caught.value
    assert (error.file, error.row, error.field) == ("bad.csv", row, field)
    assert words in str(error)


def test_amounts_in_ledger_spellings(tmp_path: Path) -> None:
    rows = _changed(2, 12, "£1,060,000.00")
    rows[1][12] = "(500,000)"
    ledger = _read(tmp_path, rows).ledger
    assert ledger["forecast_outturn"].to_list()[:2] == [1_060_000, -500_000]


def test_missing_column_names_it_and_the_columns_there(tmp_path: Path) -> None:
    heading = [h for h in HEADING if h != "Revised Budget"]
    rows = [r[:9] + r[10:] for r in ledger_rows(4)]
    settings = load_finance_settings(finance_settings(tmp_path / "finance.yaml"))
    with pytest.raises(InputError, match="no column 'Revised Budget' \\(for current_budget\\)"):
        read_finance_files(settings, [write_csv(tmp_path / "short.csv", heading, rows)])


def test_a_month_given_twice(tmp_path: Path) -> None:
    settings = load_finance_settings(finance_settings(tmp_path / "finance.yaml"))
    files = [write_ledger(tmp_path / "a.csv", 4), write_ledger(tmp_path / "b.csv", 4)]
    with pytest.raises(InputError, match=r"period 4 of 2025-26 is also in a\.csv"):
        read_finance_files(settings, files)


def test_an_unrecognised_file(tmp_path: Path) -> None:
    settings = load_finance_settings(finance_settings(tmp_path / "finance.yaml"))
    other = write_csv(tmp_path / "other.csv", ["name", "value"], [["x", "1"]])
    with pytest.raises(InputError, match="neither a ledger extract"):
        read_finance_files(settings, [other])


def test_settings_checked(tmp_path: Path) -> None:
    wrong = {"red_over_pct": 1, "amber_over_pct": 2}
    path = finance_settings(tmp_path / "f.yaml", thresholds=wrong)
    with pytest.raises(ConfigError, match="amber_over_pct must not be above red_over_pct"):
        load_finance_settings(path)
    bad = tmp_path / "g.yaml"
    bad.write_text(
        "kind: cscperf-finance-settings\nledger:\n  columns: {period: P, division: D}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="name the column that holds financial_year"):
        load_finance_settings(bad)


def test_workbook_ledger_reads_like_csv(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADING)
    for row in ledger_rows(4):
        sheet.append(row)
    book.save(tmp_path / "july.xlsx")
    settings = load_finance_settings(finance_settings(tmp_path / "finance.yaml"))
    from_book = read_finance_files(settings, [tmp_path / "july.xlsx"]).ledger
    from_csv = read_finance_files(settings, [write_ledger(tmp_path / "july.csv", 4)]).ledger
    assert from_book.drop("file").equals(from_csv.drop("file"))


def test_cli_refuses_and_keeps_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(tmp_path / "store")
    store.publish({}, {}, None, None)
    settings = finance_settings(tmp_path / "finance.yaml")
    good = write_ledger(tmp_path / "june.csv", 3)
    bad = write_ledger(tmp_path / "july.csv", 4, _changed(3, 12, "lots"))
    args = ["finance", "import", "--store", str(store.path), "--settings", str(settings)]
    assert main([*args, str(good), str(bad)]) == 1
    assert "file july.csv, row 3, field forecast_outturn" in capsys.readouterr().err
    assert load_finance(store.get()) is None
    assert main([*args, str(good)]) == 0
    assert main(["finance", "show", "--store", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert '"Total council fund","council fund",4600000.00,4675000.00,75000.00,1.6' in out
    assert main(["finance", "show", "--store", str(store.path), "--period", "2025-06"]) == 0
    assert "2025-26 period 3 (June 2025)" in capsys.readouterr().out
    assert main(["finance", "show", "--store", str(store.path), "--period", "June"]) == 2
    assert main(["finance", "show", "--store", str(store.path), "--period", "2025-09"]) == 1
    assert "no lines for 2025-26 period 6" in capsys.readouterr().err
    assert main(["finance", "import", "--store", str(store.path)]) == 2
