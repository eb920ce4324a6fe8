"""The synthetic council's ledger: every month, consistent with its placements, calibrated to
published spending; and the published spend-per-child benchmark."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cscperf.benchmarks.published import default_data_dir
from cscperf.finance.costs import nights_by_kind, placement_spells
from cscperf.finance.monitor import monitor
from cscperf.finance.outturn import spend_benchmark, spend_table
from cscperf.finance.settings import load_finance_settings
from cscperf.finance.store import read_finance_files
from cscperf.synth.council import eastshire_settings
from cscperf.synth.ledger import SUPPORT_UPLIFT, write_ledger
from cscperf.synth.simulate import simulate
from cscperf.synth.ssd import conform_all

START, END = date(2024, 4, 1), date(2025, 10, 31)


@pytest.fixture(scope="module")
def eastshire(tmp_path_factory: pytest.TempPathFactory):
    settings = eastshire_settings()
    result = simulate(settings, seed=3, scale=0.02, start=START, end=END)
    tables = conform_all(result.tables)
    out = tmp_path_factory.mktemp("eastshire")
    files = write_ledger(tables, result.population, settings, out, 3, 0.02, START, END)
    return tables, result.population, out / "finance", files


def test_a_ledger_for_every_month(eastshire) -> None:
    _, _, folder, files = eastshire
    ledgers = sorted(p.name for p in files if p.name.startswith("ledger-"))
    assert len(ledgers) == 19
    assert (ledgers[0], ledgers[-1]) == ("ledger-2024-04.csv", "ledger-2025-10.csv")
    settings = load_finance_settings(folder / "finance.yaml")
    data = read_finance_files(settings, sorted(folder.glob("*.csv")))
    assert set(data.registers) == {"reserves", "school_balances", "savings", "actions"}
    result = monitor(data)
    assert (result.year, result.period) == (2025, 7)
    assert [p.period for p in result.trend] == list(range(1, 8))
    assert {t.title for t in result.dsg_blocks} == {
        "DSG: high needs block",
        "DSG: early years block",
    }


def test_placement_spend_follows_the_placements(eastshire) -> None:
    """In-house fostering's actual to date = its nights since 1 April × its weekly rate ÷ 7,
    plus the 4% of support packages."""
    tables, _, folder, _ = eastshire
    settings = load_finance_settings(folder / "finance.yaml")
    rate = next(
        c.weekly_rate
        for c in settings.unit_costs
        if (c.placement_type, c.provider) == ("fostering", "in_house")
    )
    assert rate is not None and rate > 0
    spells = placement_spells(
        tables["ssd_cla_placement"], tables["ssd_cla_episodes"], tables["ssd_legal_status"]
    )
    nights = nights_by_kind(spells, date(2025, 4, 1), date(2025, 10, 31))[("fostering", "in_house")]
    ledger = pl.read_csv(folder / "ledger-2025-10.csv")
    actual = ledger.filter(pl.col("Service") == "In-house fostering")["Actual to Date"].item()
    assert actual == pytest.approx(nights * rate / 7 * SUPPORT_UPLIFT, abs=0.01)


def test_calibrated_to_published_spending(eastshire, shared: Path) -> None:
    """Social work and safeguarding costs Eastshire what Norfolk (its benchmark council) spent
    per child aged 0-17 in 2024-25: £18,401,000 over 171,830 children."""
    _, population, folder, _ = eastshire
    latest = population.filter(pl.col("mid_year") == population["mid_year"].max())
    children = int(latest["children"].sum())
    ledger = pl.read_csv(folder / "ledger-2025-10.csv")
    budget = ledger.filter(pl.col("Service") == "Social work and safeguarding")
    assert budget["Current Budget"].item() == round(18_401_000 / 171_830 * children, -3)


def test_norfolk_spend_per_child(shared: Path) -> None:
    """Norfolk 2024-25: children's social care £223.6m over 171,830 children aged 0-17 is
    £1,301.29 a child; looked-after children £144.396m over 1,069 is £135,075.77 a child."""
    data_dir = default_data_dir()
    table = spend_table(data_dir)
    norfolk = table.filter(pl.col("ons_code") == "E10000020").row(0, named=True)
    assert (norfolk["total"], norfolk["cla"]) == (223_600_000, 144_396_000)
    bench = spend_benchmark("926", data_dir)
    assert bench.council is not None
    assert bench.council.per_child == pytest.approx(1_301.29, abs=0.01)
    assert bench.council.per_looked_after == pytest.approx(135_075.77, abs=0.01)
    assert len(bench.neighbours) == 10
    assert bench.england.per_child == pytest.approx(15_556_137_154.71 / 12_183_016, rel=1e-9)
