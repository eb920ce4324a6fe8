"""Budget monitoring on a hand-built ledger: totals, variances, movements worked by hand.

The ledger (ledgers.py), July 2025 (period 4), council fund, in pounds:

  division            budget     forecast   June forecast  variance      %       movement
  Agency fostering    1,500,000  1,560,000  1,550,000      +60,000   +4.000     +10,000  red
  Agency residential  2,000,000  1,990,000  2,000,000      -10,000   -0.500     -10,000  green
  In-house fostering    800,000    804,000    800,000       +4,000   +0.500      +4,000  amber
  Staying put                 0     25,000     25,000      +25,000     n/a            0  red
  Youth justice         300,000    300,000    300,000            0    0              0  green
  Total               4,600,000  4,679,000  4,675,000      +79,000   +1.717...   +4,000  red

Overspends 60,000 + 25,000 + 4,000 = 89,000; underspends -10,000. DSG apart: high needs
5,000,000 -> 5,250,000 (+250,000, +5%, movement +50,000), early years 1,000,000 -> 990,000.
June's council-fund variance was 75,000, July's 79,000: worsening.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ledgers import finance_settings, write_csv, write_ledger

from cscperf.finance.monitor import monitor, period_end, period_of
from cscperf.finance.settings import load_finance_settings
from cscperf.finance.store import import_finance, load_finance, read_finance_files
from cscperf.store.store import Store


@pytest.fixture
def build(tmp_path: Path):
    store = Store(tmp_path / "store")
    store.publish({}, {}, None, None)
    return store.get()


@pytest.fixture
def both_months(tmp_path: Path) -> list[Path]:
    return [write_ledger(tmp_path / "june.csv", 3), write_ledger(tmp_path / "july.csv", 4)]


def _by_label(lines):
    return {line.label: line for line in lines}


def test_council_fund_table_worked_by_hand(tmp_path: Path, both_months: list[Path]) -> None:
    settings = load_finance_settings(finance_settings(tmp_path / "finance.yaml"))
    result = monitor(read_finance_files(settings, both_months))
    assert (result.year, result.period) == (2025, 4)
    assert result.period_end.isoformat() == "2025-07-31"
    table = result.council_fund
    assert [x.label for x in table.overspends] == [
        "Agency fostering",
        "Staying put",
        "In-house fostering",
    ]
    assert [x.label for x in table.underspends] == ["Agency residential"]
    assert [x.label for x in table.on_budget] == ["Youth justice"]
    lines = _by_label(table.lines)
    fostering = lines["Agency fostering"]
    assert fostering.current_budget == 1_500_000
    assert fostering.forecast_outturn == 1_560_000
    assert fostering.variance == 60_000
    assert fostering.variance_pct == pytest.approx(4.0)
    assert fostering.movement == 10_000
    assert fostering.direction == "worsening"
    assert fostering.rag == "red"
    assert fostering.reason == "More children with fostering agencies"
    assert lines["Agency residential"].variance_pct == pytest.approx(-0.5)
    assert lines["Agency residential"].direction == "improving"
    assert lines["Agency residential"].rag == "green"
    assert lines["In-house fostering"].rag == "amber"
    assert lines["Staying put"].variance_pct is None
    assert lines["Staying put"].rag == "red"
    assert lines["Staying put"].direction == "unchanged"
    total = table.total
    assert (total.current_budget, total.forecast_outturn) == (4_600_000, 4_679_000)
    assert total.variance == 79_000
    assert total.variance_pct == pytest.approx(100 * 79_000 / 4_600_000)
    assert total.movement == 4_000
    assert total.rag == "red"
    assert table.subtotal("over", result.thresholds).variance == 89_000
    assert table.subtotal("under", result.thresholds).variance == -10_000


def test_dsg_blocks_kept_apart(tmp_path: Path, both_months: list[Path]) -> None:
    settings = load_finance_settings(finance_settings(tmp_path / "finance.yaml"))
    result = monitor(read_finance_files(settings, both_months))
    assert [t.title for t in result.dsg_blocks] == [
        "DSG: high needs block",
        "DSG: early years block",
    ]
    high = result.dsg_blocks[0].total
    assert (high.variance, high.variance_pct, high.movement) == (250_000, 5.0, 50_000)
    assert result.dsg_total is not None
    assert result.dsg_total.variance == 240_000
    funding = _by_label(result.by_funding)
    assert funding["Council fund"].variance == 79_000
    assert funding["DSG: early years block"].variance == -10_000
    s251 = _by_label(result.by_s251)
    assert s251["3.1.3"].current_budget == 2_300_000
    assert s251["3.1.3"].variance == 64_000


def test_movement_from_last_months_extract(tmp_path: Path, both_months: list[Path]) -> None:
    """Without a previous-forecast column, June's own extract gives last month's forecast."""
    path = finance_settings(tmp_path / "finance.yaml", previous=False)
    result = monitor(read_finance_files(load_finance_settings(path), both_months))
    lines = _by_label(result.council_fund.lines)
    assert lines["Agency fostering"].movement == 10_000
    assert lines["Agency residential"].movement == -10_000
    assert result.council_fund.total.movement == 4_000
    only_july = read_finance_files(load_finance_settings(path), both_months[1:])
    assert monitor(only_july).council_fund.total.movement is None


def test_trend_and_direction_by_month(tmp_path: Path, both_months: list[Path]) -> None:
    settings = load_finance_settings(finance_settings(tmp_path / "finance.yaml"))
    result = monitor(read_finance_files(settings, both_months))
    assert [(p.period, p.variance, p.direction) for p in result.trend] == [
        (3, 75_000, "not comparable"),
        (4, 79_000, "worsening"),
    ]
    assert result.trend[1].dsg_forecast == 6_240_000
    june = monitor(read_finance_files(settings, both_months), 2025, 3)
    assert june.council_fund.total.variance == 75_000


def test_registers_worked_by_hand(tmp_path: Path, both_months: list[Path]) -> None:
    """Norfolk's own figures: primary schools 13.304 -> 9.348 with -1.796 to academies is
    -2.160 in year; grants and contributions 1.746 -> 1.353 is -0.393."""
    files = [
        *both_months,
        write_csv(
            tmp_path / "reserves.csv",
            ["reserve", "group", "opening_balance", "forecast_closing_balance", "reason"],
            [["Grants and contributions", "Children's services", "1746000", "1353000", "spent"]],
        ),
        write_csv(
            tmp_path / "schools.csv",
            ["phase", "opening_balance", "forecast_closing_balance", "academy_conversions"],
            [["Primary", "13304000", "9348000", "-1796000"], ["Nursery", "54000", "41000", ""]],
        ),
        write_csv(
            tmp_path / "savings.csv",
            ["saving", "target", "forecast_delivery", "rag", "reason"],
            [
                ["Placement mix", "500000", "250000", "", "late start"],
                ["Transport", "100000", "100000", "", ""],
                ["Troubled families", "300000", "300000", "Red", "grant at risk"],
            ],
        ),
        write_csv(
            tmp_path / "actions.csv",
            ["action", "expected_impact", "impact_amount"],
            [["Recruit foster carers", "fewer agency placements", "150000"]],
        ),
    ]
    settings = load_finance_settings(finance_settings(tmp_path / "finance.yaml"))
    registers = monitor(read_finance_files(settings, files)).registers
    assert registers["reserves"][0]["movement"] == -393_000
    assert registers["reserves"][0]["group"] == "childrens_services"
    primary, nursery = registers["school_balances"]
    assert primary["in_year"] == pytest.approx(-2_160_000)
    assert nursery["in_year"] == -13_000
    savings = registers["savings"]
    assert [(s["shortfall"], s["rag"]) for s in savings] == [
        (250_000, "amber"),
        (0, "green"),
        (0, "red"),
    ]
    assert registers["actions"][0]["impact_amount"] == 150_000


def test_import_keeps_finance_with_the_build(
    tmp_path: Path, build, both_months: list[Path]
) -> None:
    settings = finance_settings(tmp_path / "finance.yaml")
    import_finance(build, settings, both_months[:1])
    import_finance(build, settings, both_months[1:])
    kept = load_finance(build)
    assert kept is not None
    assert sorted(set(kept.ledger["period"].to_list())) == [3, 4]
    assert kept.ledger.height == 16
    # a month given again replaces the month kept
    import_finance(build, settings, both_months[1:])
    assert load_finance(build).ledger.height == 16  # type: ignore[union-attr]


def test_periods() -> None:
    assert period_end(2025, 1).isoformat() == "2025-04-30"
    assert period_end(2025, 12).isoformat() == "2026-03-31"
    assert period_of(period_end(2025, 10)) == (2025, 10)
