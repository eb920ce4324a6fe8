"""A month's finance for the pack and the dashboard: the monitoring, what the placements cost,
and the published spend per child, from the finance kept with a build."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from cscperf.benchmarks.published import default_data_dir
from cscperf.errors import CscperfError
from cscperf.finance.costs import PlacementCosts, placement_costs, placement_spells
from cscperf.finance.monitor import Monitoring, fy_label, monitor, period_of
from cscperf.finance.outturn import SpendBenchmark, spend_benchmark
from cscperf.finance.store import load_finance

if TYPE_CHECKING:
    from cscperf.store.store import Build


@dataclass(frozen=True)
class MonthFinance:
    """What the finance section shows for a month; ``missing`` says why there is no
    monitoring (no extract for the month) when ``monitoring`` is None."""

    period_end: date
    monitoring: Monitoring | None
    costs: PlacementCosts | None
    benchmark: SpendBenchmark | None
    benchmark_council: str = ""  # whose published spend it is, when borrowed
    missing: str = ""

    def public(self) -> MonthFinance:
        """For readers outside the council: the ledger's figures (public money), without the
        placement counts that could rest on a few children."""
        return replace(self, costs=None)


def _benchmark(build: Build) -> tuple[SpendBenchmark | None, str]:
    if not build.has_settings:
        return None, ""
    council = build.settings.council
    code = council.benchmark_as or council.la_code
    try:
        found = spend_benchmark(code, default_data_dir())
    except CscperfError:
        return None, ""
    if found.council is None:
        return None, ""
    borrowed = found.council.name if council.benchmark_as else ""
    return found, borrowed


def month_finance(build: Build, period_end: date) -> MonthFinance | None:
    """The month's finance, or None when no finance was imported into the build."""
    data = load_finance(build)
    if data is None:
        return None
    year, period = period_of(period_end)
    bench, borrowed = _benchmark(build)
    months = data.ledger.filter(
        (data.ledger["financial_year"] == year) & (data.ledger["period"] == period)
    )
    if months.is_empty():
        held = data.ledger.select("financial_year", "period").unique().sort("*").rows()
        latest = f"{fy_label(held[-1][0])} period {held[-1][1]}" if held else "none"
        why = (
            f"the ledger kept with this build has no extract for {period_end:%B %Y} "
            f"({fy_label(year)} period {period}; the latest is {latest}): import it with "
            "cscperf finance import"
        )
        return MonthFinance(period_end, None, None, bench, borrowed, why)
    spells = placement_spells(
        build.table("ssd_cla_placement"),
        build.table("ssd_cla_episodes"),
        build.table("ssd_legal_status"),
    )
    costs = None
    if data.settings.unit_costs:
        costs = placement_costs(data.settings, data.ledger, spells, year, period)
    return MonthFinance(period_end, monitor(data, year, period), costs, bench, borrowed)
