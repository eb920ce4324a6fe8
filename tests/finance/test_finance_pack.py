"""The finance section of the pack: the committee's tables from a hand-built ledger, in the
HTML and the workbook, and what the public pack and a month without an extract show.

The fixture pack reports June 2025: period 3 of 2025-26 in the hand-built ledger (ledgers.py),
whose council fund forecasts in June are 1,550,000 (agency fostering) + 2,000,000 + 800,000
+ 25,000 + 300,000 = 4,675,000 against a budget of 4,600,000: +£0.075m, +1.6%, red.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from tests.reports.fixtures import PERIOD_END, fixture_pack

sys.path.insert(0, str(Path(__file__).parent))

from ledgers import finance_settings, write_ledger

from cscperf.finance.monitor import monitor
from cscperf.finance.month import MonthFinance
from cscperf.finance.settings import load_finance_settings
from cscperf.finance.store import read_finance_files
from cscperf.reports.excel import write_workbook
from cscperf.reports.finance_section import finance_section, money, percent
from cscperf.reports.html import collect, render_html
from cscperf.reports.pack import public_pack


@pytest.fixture(scope="module")
def finance(tmp_path_factory: pytest.TempPathFactory) -> MonthFinance:
    folder = tmp_path_factory.mktemp("ledger")
    settings = load_finance_settings(finance_settings(folder / "finance.yaml"))
    data = read_finance_files(settings, [write_ledger(folder / "june.csv", 3)])
    assert PERIOD_END.isoformat() == "2025-06-30"
    return MonthFinance(PERIOD_END, monitor(data, 2025, 3), None, None)


def test_money_as_the_committee_reads_it() -> None:
    assert money(925_000) == "0.925"
    assert money(-465_000, True) == "−0.465"
    assert money(1_013_000, True) == "+1.013"
    assert money(-200, True) == "0.000"  # rounds to nothing: no sign
    assert percent(100 * 925 / 15_091) == "+6.1%"
    assert percent(None) == "n/a"


def test_section_rows(finance: MonthFinance) -> None:
    section = finance_section(finance)
    assert section.subtitle == "June 2025: period 3 of 2025-26"
    kinds = [(r.kind, r.label) for r in section.council_fund]
    assert kinds[0] == ("heading", "Forecast overspends")
    assert ("subtotal", "Sub-total of forecast overspends") in kinds
    total = section.council_fund[-1]
    assert (total.kind, total.budget, total.forecast, total.variance) == (
        "total",
        4_600_000,
        4_675_000,
        75_000,
    )
    assert total.rag == "red"
    assert section.points[0].startswith(
        "The children's services revenue budget (council fund) shows a projected overspend "
        "of £0.075m for 2025-26 (+1.6% of the £4.600m budget)"
    )
    assert [r.label for r in section.dsg if r.kind == "heading"][:2] == [
        "DSG: high needs block",
        "Forecast overspends",
    ]


def test_in_the_html_and_the_workbook(finance: MonthFinance, tmp_path: Path) -> None:
    pack = fixture_pack()
    pack.finance = finance
    content = collect(pack)
    assert "finance:trend" in content.charts
    html = render_html(content)
    assert '<h2 id="finance">' in html
    assert "<li>Finance monitoring</li>" in html
    assert "Total council fund" in html and "+0.075" in html
    assert "Revenue: schools budget (Dedicated Schools Grant)" in html
    write_workbook(content, tmp_path / "pack.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "pack.xlsx")["Finance"]
    rows = list(sheet.iter_rows(values_only=True))
    total = next(r for r in rows if r[1] == "Total council fund")
    assert total[2:5] == (4_600_000, 4_675_000, 75_000)
    # a native chart of the trend table: budget (column B) and forecast (C), June's row
    month_row = next(n for n, r in enumerate(rows, start=1) if r[0] == "Jun 2025")
    with zipfile.ZipFile(tmp_path / "pack.xlsx") as book:
        charts = [book.read(n).decode() for n in book.namelist() if "charts/chart" in n]
    finance_chart = next(c for c in charts if "Finance!" in c)
    assert f"Finance!$C${month_row}" in finance_chart


def test_public_pack_keeps_the_ledger_not_the_placements(finance: MonthFinance) -> None:
    pack = fixture_pack()
    pack.finance = MonthFinance(PERIOD_END, finance.monitoring, object(), None)  # type: ignore[arg-type]
    public = public_pack(pack)
    assert public.finance is not None
    assert public.finance.monitoring is finance.monitoring
    assert public.finance.costs is None


def test_a_month_without_an_extract_says_so() -> None:
    pack = fixture_pack()
    pack.finance = MonthFinance(PERIOD_END, None, None, None, missing="no extract for June")
    html = render_html(collect(pack))
    assert "No finance monitoring for this month: no extract for June." in html
