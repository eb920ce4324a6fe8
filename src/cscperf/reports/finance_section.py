"""The finance section of the pack and the dashboard, as plain rows.

Owns what the committee's finance pages show for a month, in the layout of the integrated
performance and finance reports (Norfolk's sections 4.4-4.9): the main points, the revenue
budget by division of service split into forecast overspends and underspends with sub-totals,
the Dedicated Schools Grant by block apart from it, forecast against budget month by month,
reserves and provisions, school balances, the savings programme, the management action plan,
then what the placements in the children's records cost beside the ledger, and the published
spend per child beside the statistical neighbours. Money is shown in £m to three decimals as
the committee reads it; every total is the sum of the lines above it. The HTML, the PDF, the
workbook and the dashboard all read these rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cscperf.finance.costs import PlacementCosts
from cscperf.finance.monitor import UNCHANGED_BELOW, Line, Monitoring, Table, Thresholds, fy_label
from cscperf.finance.month import MonthFinance
from cscperf.finance.registers import RESERVE_GROUPS
from cscperf.reports.pack import Pack

CHART_KEY = "finance:trend"
GROUP_TITLES = {"dsg": "Dedicated Schools Grant", "schools": "Schools"}
GROUP_TITLES["childrens_services"] = "Children's services"


def money(value: float | None, signed: bool = False) -> str:
    """Pounds as £m to three decimals (0.925), signed (+0.925, −0.465) for a variance."""
    if value is None:
        return "–"
    millions = round(value / 1e6, 3) + 0.0  # no "-0.000"
    if signed:
        text = f"{abs(millions):,.3f}"
        return ("+" if millions > 0 else "−" if millions < 0 else "") + text
    return f"{millions:,.3f}".replace("-", "−")


def percent(value: float | None) -> str:
    if value is None:
        return "n/a"
    shown = round(value, 1) + 0.0
    return (f"{shown:+.1f}%" if shown else "0.0%").replace("-", "−")


def pounds(value: float | None) -> str:
    return "–" if value is None else f"£{value:,.0f}"


@dataclass(frozen=True)
class MoneyRow:
    """A row of a budget table: a heading, a line, a sub-total or the total."""

    kind: str  # "heading", "line", "subtotal" or "total"
    label: str
    budget: float | None = None
    forecast: float | None = None
    variance: float | None = None
    variance_pct: float | None = None
    movement: float | None = None
    rag: str = ""
    direction: str = ""
    reason: str = ""
    actual: float | None = None


def money_row(line: Line, kind: str = "line") -> MoneyRow:
    return MoneyRow(
        kind,
        line.label,
        line.current_budget,
        line.forecast_outturn,
        line.variance,
        line.variance_pct,
        line.movement,
        line.rag,
        line.direction,
        line.reason,
        line.actual_to_date,
    )


def table_rows(table: Table, thresholds: Thresholds, title: str | None = None) -> list[MoneyRow]:
    """The committee's layout: overspends, their sub-total, underspends, theirs, the lines on
    budget, then the total."""
    rows = [MoneyRow("heading", title)] if title else []
    for which, lines, heading in (
        ("over", table.overspends, "Forecast overspends"),
        ("under", table.underspends, "Forecast underspends"),
    ):
        if lines:
            rows.append(MoneyRow("heading", heading))
            rows.extend(money_row(line) for line in lines)
            rows.append(money_row(table.subtotal(which, thresholds), "subtotal"))
    if table.on_budget:
        rows.append(MoneyRow("heading", "On budget"))
        rows.extend(money_row(line) for line in table.on_budget)
    rows.append(money_row(table.total, "total"))
    return rows


@dataclass
class FinanceSection:
    """Every table and sentence of the finance pages for one month."""

    title: str
    period_end: date
    missing: str = ""
    subtitle: str = ""  # the month and the accounting period, for the heading
    points: list[str] = field(default_factory=list)
    council_fund: list[MoneyRow] = field(default_factory=list)
    dsg: list[MoneyRow] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)
    by_s251: list[MoneyRow] = field(default_factory=list)
    by_funding: list[MoneyRow] = field(default_factory=list)
    registers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    costs: list[dict[str, Any]] = field(default_factory=list)
    reconciliation: list[dict[str, Any]] = field(default_factory=list)
    what_if: str = ""
    benchmark: list[dict[str, Any]] = field(default_factory=list)
    benchmark_note: str = ""
    thresholds_note: str = ""

    money = staticmethod(money)
    percent = staticmethod(percent)
    pounds = staticmethod(pounds)


def _points(m: Monitoring) -> list[str]:
    """The main points, as the report's paragraph 4.4 gives them."""
    fund = m.council_fund.total
    word = "overspend" if fund.variance > 0 else "underspend"
    points = [
        f"The children's services revenue budget (council fund) shows a projected {word} of "
        f"£{money(abs(fund.variance))}m for {fy_label(m.year)} "
        f"({percent(fund.variance_pct)} of the £{money(fund.current_budget)}m budget)"
        + ("" if fund.movement is None else f", {_moved(fund.movement)} since last month")
        + "."
    ]
    if m.dsg_total is not None:
        dsg = m.dsg_total
        word = "overspend" if dsg.variance > 0 else "underspend"
        points.append(
            f"The schools budget (Dedicated Schools Grant) shows a projected {word} of "
            f"£{money(abs(dsg.variance))}m, accounted for separately."
        )
    balances = m.registers.get("school_balances")
    if balances:
        total = sum(r["forecast_closing_balance"] for r in balances)
        points.append(f"The projected level of school balances at 31 March is £{money(total)}m.")
    reserves = m.registers.get("reserves")
    if reserves:
        total = sum(r["forecast_closing_balance"] for r in reserves)
        points.append(f"Reserves and provisions expected at 31 March: £{money(total)}m.")
    savings = m.registers.get("savings")
    if savings:
        short = sum(r["shortfall"] for r in savings)
        red = sum(1 for r in savings if r["rag"] == "red")
        points.append(
            f"Savings: £{money(sum(r['forecast_delivery'] for r in savings))}m of the "
            f"£{money(sum(r['target'] for r in savings))}m target forecast to be delivered, a "
            f"shortfall of £{money(short)}m; {red} saving{'s' if red != 1 else ''} rated red."
        )
    if m.registers.get("actions"):
        points.append("Management action is being taken to reduce the projected overspend.")
    return points


def _moved(movement: float) -> str:
    if abs(movement) < UNCHANGED_BELOW:
        return "unchanged"
    return f"{'up' if movement > 0 else 'down'} £{money(abs(movement))}m"


def _register_rows(m: Monitoring) -> dict[str, list[dict[str, Any]]]:
    """The registers with their sub-totals and totals (an empty list for one not given)."""
    out: dict[str, list[dict[str, Any]]] = {
        name: [] for name in ("reserves", "school_balances", "savings", "actions")
    }
    reserves = m.registers.get("reserves", [])
    if reserves:
        rows: list[dict[str, Any]] = []
        for group in RESERVE_GROUPS:
            members = [r for r in reserves if r["group"] == group]
            if not members:
                continue
            rows.append({"kind": "heading", "reserve": GROUP_TITLES[group]})
            rows.extend({"kind": "line", **r} for r in members)
            rows.append(_summed(f"{GROUP_TITLES[group]} total", members, "subtotal"))
        rows.append(_summed("Total", reserves, "total"))
        out["reserves"] = rows
    balances = m.registers.get("school_balances", [])
    if balances:
        out["school_balances"] = [{"kind": "line", **r} for r in balances] + [
            _summed("Total", balances, "total", label_key="phase")
        ]
    savings = m.registers.get("savings", [])
    if savings:
        out["savings"] = [{"kind": "line", **r} for r in savings] + [
            _summed("Total", savings, "total", label_key="saving")
        ]
    if m.registers.get("actions"):
        out["actions"] = list(m.registers["actions"])
    return out


def _summed(
    label: str, rows: list[dict[str, Any]], kind: str, label_key: str = "reserve"
) -> dict[str, Any]:
    total: dict[str, Any] = {
        k: sum(r[k] or 0 for r in rows) if isinstance(v, int | float) else ""
        for k, v in rows[0].items()
    }
    return {**total, "kind": kind, label_key: label}


def _cost_rows(costs: PlacementCosts) -> tuple[list, list, str]:
    rows = [
        {
            "kind": line.title,
            "weekly_rate": line.weekly_rate,
            "source": {"settings": "finance settings", "ledger": "ledger ÷ nights"}.get(
                line.source, "no rate"
            ),
            "open_now": line.open_now,
            "nights_month": line.nights_month,
            "cost_month": line.cost_month,
            "cost_ytd": line.cost_ytd,
            "forecast_year": line.forecast_year,
        }
        for line in costs.lines
        if line.nights_ytd or line.open_now
    ]
    recon = [
        {
            "divisions": ", ".join(r.divisions),
            "ledger_actual": r.ledger_actual,
            "placements_actual": r.placements_actual,
            "actual_difference": r.actual_difference,
            "ledger_forecast": r.ledger_forecast,
            "placements_forecast": r.placements_forecast,
            "forecast_difference": r.forecast_difference,
        }
        for r in costs.reconciliations
    ]
    what_if = ""
    if costs.what_if is not None:
        w = costs.what_if
        change = "; ".join(
            f"{'+' if n > 0 else '−'}{abs(n)} {kind.lower()}" for kind, n, _ in w.changes
        )
        verb = "reduce" if w.full_year < 0 else "increase"
        what_if = (
            f"What if the placement mix changed from tomorrow ({change})? At the weekly rates "
            f"above it would {verb} spend by £{money(abs(w.in_year))}m to 31 March "
            f"({w.nights_left} nights) and by £{money(abs(w.full_year))}m in a full year."
        )
    return rows, recon, what_if


def _benchmark_rows(finance: MonthFinance) -> tuple[list[dict[str, Any]], str]:
    b = finance.benchmark
    if b is None or b.council is None:
        return [], ""
    rows: list[dict[str, Any]] = [
        {"place": b.council.name, "per_child": b.council.per_child,
         "per_looked_after": b.council.per_looked_after},
        {"place": f"Statistical neighbours' mean ({len(b.neighbours)})",
         "per_child": b.neighbour_mean_per_child,
         "per_looked_after": b.neighbour_mean_per_looked_after},
        {"place": "England", "per_child": b.england.per_child,
         "per_looked_after": b.england.per_looked_after},
    ]  # fmt: skip
    note = (
        f"Net current expenditure on children's social care in {b.year} (revenue outturn, "
        "RO3), per child aged 0-17 and, for the children-looked-after line, per child looked "
        "after on 31 March."
    )
    if finance.benchmark_council:
        note += f" {finance.benchmark_council}'s published figures (borrowed for the demo)."
    return rows, note


def finance_section(finance: MonthFinance) -> FinanceSection:
    """The rows of the finance pages for the month."""
    m = finance.monitoring
    if m is None:
        return FinanceSection("Finance monitoring", finance.period_end, missing=finance.missing)
    t = m.thresholds
    dsg: list[MoneyRow] = []
    for table in m.dsg_blocks:
        dsg.extend(table_rows(table, t, table.title))
    if m.dsg_total is not None and len(m.dsg_blocks) > 1:
        dsg.append(money_row(m.dsg_total, "total"))
    section = FinanceSection(
        title=f"Finance monitoring: {m.label}",
        period_end=finance.period_end,
        subtitle=f"{m.period_end:%B %Y}: period {m.period} of {fy_label(m.year)}",
        points=_points(m),
        council_fund=table_rows(m.council_fund, t),
        dsg=dsg,
        trend=[
            {
                "month": p.period_end,
                "budget": p.current_budget,
                "forecast": p.forecast_outturn,
                "variance": p.variance,
                "direction": p.direction,
                "dsg_budget": p.dsg_budget,
                "dsg_forecast": p.dsg_forecast,
            }
            for p in m.trend
        ],
        by_s251=[money_row(line) for line in m.by_s251],
        by_funding=[money_row(line) for line in m.by_funding],
        registers=_register_rows(m),
        thresholds_note=(
            f"RAG: red when a line is forecast to overspend by more than {t.red_over_pct:g}% of "
            f"its budget, amber by more than {t.amber_over_pct:g}%, green otherwise."
        ),
    )
    if finance.costs is not None:
        section.costs, section.reconciliation, section.what_if = _cost_rows(finance.costs)
    section.benchmark, section.benchmark_note = _benchmark_rows(finance)
    return section


def pack_finance(pack: Pack) -> FinanceSection | None:
    return None if pack.finance is None else finance_section(pack.finance)


@dataclass(frozen=True)
class PlannedChart:
    """A chart to draw, in the shape the pack's chart drawing takes."""

    title: str
    unit: str
    design: Any
    alt: str
    with_county: bool = True


def trend_chart(section: FinanceSection) -> Any:
    """Forecast outturn against budget, month by month, £m (council fund)."""
    import altair as alt  # heavy: loaded only when a pack with finance is drawn

    data = [
        {"month": f"{r['month']:%Y-%m-15}", "series": series, "value": r[key] / 1e6}
        for r in section.trend
        for series, key in (("Budget", "budget"), ("Forecast outturn", "forecast"))
    ]
    domain = ["Budget", "Forecast outturn"]
    return (
        alt.Chart(alt.Data(values=data))
        .encode(
            x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0)),
            y=alt.Y("value:Q", title="£m", scale=alt.Scale(zero=False)),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=domain, range=["#505a5f", "#1d70b8"]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N", scale=alt.Scale(domain=domain, range=[[6, 3], [1, 0]]), legend=None
            ),
        )
        .mark_line(point=True, strokeWidth=2)
        .properties(width=300, height=140)
    )


def _over(variance: float) -> str:
    if round(variance / 1e6, 3) == 0:
        return "on budget"
    return f"£{money(abs(variance))}m {'over' if variance > 0 else 'under'}"


def trend_alt_text(section: FinanceSection) -> str:
    if not section.trend:
        return "No months to show."
    first, last = section.trend[0], section.trend[-1]
    worst = max(section.trend, key=lambda r: r["variance"])
    return (
        f"Council fund forecast outturn against budget from {first['month']:%B %Y} to "
        f"{last['month']:%B %Y}: in {last['month']:%B %Y} the forecast is "
        f"£{money(last['forecast'])}m against a budget of £{money(last['budget'])}m "
        f"({_over(last['variance'])}); the largest forecast variance was "
        f"{_over(worst['variance'])} in {worst['month']:%B %Y}. Figures in the table."
    )


def planned_charts(section: FinanceSection | None) -> dict[str, PlannedChart]:
    if section is None or not section.trend:
        return {}
    title = "Council fund: forecast outturn against budget, £m"
    return {CHART_KEY: PlannedChart(title, "£m", trend_chart(section), trend_alt_text(section))}
