"""The forecast in the committee pack: HTML, PDF source and workbook, and when it is left out."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from tests.forecast.conftest import cli

from cscperf.app.forecast import forecast_build, ledger_unit_costs
from cscperf.app.month import assemble_pack
from cscperf.reports.excel import write_workbook
from cscperf.reports.html import collect, render_html
from cscperf.store import Store

PERIOD = "2025-03"


@pytest.fixture(scope="module")
def scenario_store(stores: dict[str, Path]) -> Path:
    store = stores["ssd"]
    (store / "forecast.yaml").write_text(
        'scenarios:\n  - {name: "Step-down programme", from: "2025-06", step_down: 0.1}\n'
        "weekly_unit_costs: {fostering: 700, residential: 7000, supported: 2000, other: 1000}\n",
        encoding="utf-8",
    )
    return store


def test_the_pack_shows_the_forecast_beside_its_backtest(
    scenario_store: Path, tmp_path: Path
) -> None:
    pack = assemble_pack(scenario_store, PERIOD, benchmarks=False)
    assert (
        pack.forecast is not None
        and pack.forecast.history.month_ends[-1].isoformat() == "2025-03-31"
    )
    content = collect(pack)
    section = content.forecast
    assert "projected" in content.charts["forecast"].alt
    assert section is not None
    assert [row.category for row in section.projection][-1] == "All children looked after"
    # the store's forecast.yaml: its scenario and its unit costs reach the pack
    assert [s.name for s in section.scenarios] == ["Step-down programme"]
    assert section.scenarios[0].cost_difference < 0  # residential is dearer than fostering
    assert ("Residential", 7000, "from the forecast settings") in section.unit_costs
    assert {row.method for row in section.backtest} >= {"cscperf's model", "Last value held flat"}
    assert sum(row.best for row in section.backtest) >= 1
    html = render_html(content)
    assert "Forecast: children looked after and placement costs" in html
    assert "How accurate the forecast has been" in html and "Step-down programme" in html
    write_workbook(content, tmp_path / "pack.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "pack.xlsx")["Forecast"]
    values = [row for row in sheet.iter_rows(min_row=5, max_row=9, values_only=True)]
    assert values[0][1] == "Fostering" and isinstance(values[0][2], float)
    assert values[4][1] == "All children looked after"


def test_public_and_locality_packs_leave_the_forecast_out(scenario_store: Path) -> None:
    public = assemble_pack(scenario_store, PERIOD, benchmarks=False, audience="public")
    assert public.forecast is None and "left out of public packs" in public.forecast_note
    assert collect(public, draw=False).forecast is None
    locality = next(iter(assemble_pack(scenario_store, PERIOD, benchmarks=False).localities))
    assert (
        assemble_pack(scenario_store, PERIOD, benchmarks=False, locality=locality).forecast is None
    )


def test_with_a_ledger_the_forecast_costs_placements_at_finance_monitorings_rates(
    stores: dict[str, Path], tmp_path: Path
) -> None:
    council = stores["council"]
    store = tmp_path / "store"
    for args in (
        ("ingest", "--store", store, council / "ssd", council / "council.yaml",
         "--extract-date", "2025-04-01"),
        ("finance", "import", "--store", store, "--settings", council / "finance" / "finance.yaml",
         *sorted((council / "finance").glob("*.csv"))),
    ):  # fmt: skip
        code, _, err = cli(*args)
        assert code == 0, err[-2000:]
    build = Store(store).get()
    expected = ledger_unit_costs(build, date(2025, 3, 31))
    assert set(expected) >= {"fostering", "residential"}
    result = forecast_build(build, months=3, backtest=False)
    assert result.cost_sources["fostering"] == "ledger"
    assert result.settings.weekly_unit_costs["fostering"] == pytest.approx(expected["fostering"])
    # the month's cost is the projected children at those rates (nights x weekly / 7)
    fostering = result.categories.index("fostering")
    children = result.projection.by_category()[0, fostering]
    assert result.cost[0, fostering] == pytest.approx(children * expected["fostering"] * 30 / 7)
