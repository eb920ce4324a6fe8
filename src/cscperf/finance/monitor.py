"""Budget monitoring for one month: the committee's tables worked out from the ledger.

Variance is the forecast outturn less the current budget (overspend positive), as a share of
the current budget; movement is this month's forecast less last month's (the ledger's
previous-forecast column when it has one, else the forecast the previous month's extract
gave). Every line keeps its sums, so a total is the sum of its lines and a percentage can be
checked. The council fund and each Dedicated Schools Grant block are kept apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from cscperf.calendar.months import month_end
from cscperf.errors import InputError
from cscperf.finance.settings import FUNDING_SOURCES, MONEY_FIELDS, Thresholds
from cscperf.finance.store import FinanceData

SUMS = MONEY_FIELDS
COUNCIL_FUND = "council_fund"
# A forecast that moved by less than this (pounds) is unchanged: the committee's £m to three
# decimals shows it as 0.000.
UNCHANGED_BELOW = 500.0


def period_end(year: int, period: int) -> date:
    """The last day of accounting period ``period`` (1 = April) of the year starting ``year``."""
    month = (period + 2) % 12 + 1
    return month_end(year + (1 if month <= 3 else 0), month)


def period_of(day: date) -> tuple[int, int]:
    """(financial year start, period) of the month holding ``day``."""
    year = day.year if day.month >= 4 else day.year - 1
    return year, (day.month - 4) % 12 + 1


def fy_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


@dataclass(frozen=True)
class Line:
    """One line of a monitoring table, with the sums it was worked from."""

    label: str
    approved_budget: float
    current_budget: float
    actual_to_date: float
    commitments: float
    forecast_outturn: float
    previous_forecast: float | None
    reason: str
    rag: str
    group: str = ""

    @property
    def variance(self) -> float:
        return self.forecast_outturn - self.current_budget

    @property
    def variance_pct(self) -> float | None:
        """Variance as a percentage of the budget; None for a line with no budget."""
        if self.current_budget == 0:
            return None
        return 100 * self.variance / abs(self.current_budget)

    @property
    def movement(self) -> float | None:
        if self.previous_forecast is None:
            return None
        return self.forecast_outturn - self.previous_forecast

    @property
    def direction(self) -> str:
        """Improving when the forecast came down since last month (less spend), and so on."""
        movement = self.movement
        if movement is None:
            return "not comparable"
        if abs(movement) < UNCHANGED_BELOW:
            return "unchanged"
        return "worsening" if movement > 0 else "improving"


def rag_of(variance: float, budget: float, thresholds: Thresholds) -> str:
    """Red when the overspend is more than ``red_over_pct`` of the budget, amber when more
    than ``amber_over_pct``, green otherwise (an underspend is green)."""
    if variance <= 0:
        return "green"
    if budget == 0:
        return "red"
    pct = 100 * variance / abs(budget)
    if pct > thresholds.red_over_pct:
        return "red"
    if pct > thresholds.amber_over_pct:
        return "amber"
    return "green"


def total_line(label: str, lines: list[Line], thresholds: Thresholds) -> Line:
    """The sum of ``lines`` as one line (its RAG judged on the sums)."""
    prev = [line.previous_forecast for line in lines]
    budget = sum(line.current_budget for line in lines)
    forecast = sum(line.forecast_outturn for line in lines)
    return Line(
        label=label,
        approved_budget=sum(line.approved_budget for line in lines),
        current_budget=budget,
        actual_to_date=sum(line.actual_to_date for line in lines),
        commitments=sum(line.commitments for line in lines),
        forecast_outturn=forecast,
        previous_forecast=None if any(p is None for p in prev) or not lines else sum(prev),  # type: ignore[arg-type]
        reason="",
        rag=rag_of(forecast - budget, budget, thresholds),
    )


def _summed(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return frame.group_by(keys).agg(
        *[pl.col(c).fill_null(0).sum() for c in SUMS if c != "previous_forecast"],
        pl.col("previous_forecast").sum().alias("previous_forecast"),
        pl.col("previous_forecast").is_null().any().alias("_previous_missing"),
        pl.col("reason").drop_nulls().unique(maintain_order=True).str.join("; ").alias("reason"),
    )


def lines_by(
    month: pl.DataFrame, previous: pl.DataFrame | None, keys: list[str], thresholds: Thresholds
) -> list[Line]:
    """One line per value of ``keys`` (the first key labels it; a second one groups it)."""
    sums = _summed(month, keys)
    if previous is not None:
        last = previous.group_by(keys).agg(
            pl.col("forecast_outturn").fill_null(0).sum().alias("_last")
        )
        sums = sums.join(last, on=keys, how="left").with_columns(
            pl.when(pl.col("_previous_missing"))
            .then(pl.col("_last").fill_null(0))
            .otherwise(pl.col("previous_forecast"))
            .alias("previous_forecast"),
            pl.lit(False).alias("_previous_missing"),
        )
    lines = []
    for r in sums.sort(keys).iter_rows(named=True):
        label = r[keys[0]] if r[keys[0]] is not None else "(not given)"
        lines.append(
            Line(
                label=str(label),
                approved_budget=r["approved_budget"],
                current_budget=r["current_budget"],
                actual_to_date=r["actual_to_date"],
                commitments=r["commitments"],
                forecast_outturn=r["forecast_outturn"],
                previous_forecast=None if r["_previous_missing"] else r["previous_forecast"],
                reason=r["reason"] or "",
                rag=rag_of(
                    r["forecast_outturn"] - r["current_budget"], r["current_budget"], thresholds
                ),
                group=str(r[keys[1]]) if len(keys) > 1 else "",
            )
        )
    return lines


@dataclass(frozen=True)
class Table:
    """A committee table: forecast overspends, underspends and lines on budget, with totals."""

    title: str
    overspends: list[Line]
    underspends: list[Line]
    on_budget: list[Line]
    total: Line

    @property
    def lines(self) -> list[Line]:
        return [*self.overspends, *self.underspends, *self.on_budget]

    def subtotal(self, which: str, thresholds: Thresholds) -> Line:
        chosen = self.overspends if which == "over" else self.underspends
        label = "Sub-total of forecast " + ("overspends" if which == "over" else "underspends")
        return total_line(label, chosen, thresholds)


def committee_table(title: str, lines: list[Line], thresholds: Thresholds) -> Table:
    """Lines split as the committee reads them: overspends largest first, then underspends."""
    over = sorted((x for x in lines if x.variance >= 0.5), key=lambda x: -x.variance)
    under = sorted((x for x in lines if x.variance <= -0.5), key=lambda x: x.variance)
    level = [x for x in lines if abs(x.variance) < 0.5]
    return Table(title, over, under, level, total_line(f"Total {title}", lines, thresholds))


@dataclass(frozen=True)
class TrendPoint:
    """One month of the year: the council fund's budget, forecast and variance then."""

    period: int
    period_end: date
    current_budget: float
    forecast_outturn: float
    dsg_budget: float
    dsg_forecast: float
    direction: str  # of the council fund's variance against the month before

    @property
    def variance(self) -> float:
        return self.forecast_outturn - self.current_budget


@dataclass
class Monitoring:
    """Everything the finance pages show for one month."""

    year: int
    period: int
    thresholds: Thresholds
    council_fund: Table
    dsg_blocks: list[Table]
    dsg_total: Line | None
    by_s251: list[Line]
    by_funding: list[Line]
    trend: list[TrendPoint]
    registers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def period_end(self) -> date:
        return period_end(self.year, self.period)

    @property
    def label(self) -> str:
        return f"{fy_label(self.year)} period {self.period} ({self.period_end:%B %Y})"


def _previous(ledger: pl.DataFrame, year: int, period: int) -> pl.DataFrame | None:
    if period == 1:
        return None
    last = ledger.filter(pl.col("financial_year") == year, pl.col("period") == period - 1)
    return last if last.height else None


def _trend(ledger: pl.DataFrame, year: int, period: int) -> list[TrendPoint]:
    months = ledger.filter(pl.col("financial_year") == year, pl.col("period") <= period)
    fund = pl.col("funding_source") == COUNCIL_FUND
    sums = (
        months.group_by("period")
        .agg(
            pl.col("current_budget").filter(fund).sum().alias("budget"),
            pl.col("forecast_outturn").filter(fund).sum().alias("forecast"),
            pl.col("current_budget").filter(~fund).sum().alias("dsg_budget"),
            pl.col("forecast_outturn").filter(~fund).sum().alias("dsg_forecast"),
        )
        .sort("period")
    )
    points: list[TrendPoint] = []
    for r in sums.iter_rows(named=True):
        variance = r["forecast"] - r["budget"]
        if not points or points[-1].period != r["period"] - 1:
            direction = "not comparable"
        else:
            change = variance - points[-1].variance
            direction = (
                "unchanged"
                if abs(change) < UNCHANGED_BELOW
                else "worsening"
                if change > 0
                else "improving"
            )
        points.append(
            TrendPoint(
                r["period"],
                period_end(year, r["period"]),
                r["budget"],
                r["forecast"],
                r["dsg_budget"],
                r["dsg_forecast"],
                direction,
            )
        )
    return points


def monitor(data: FinanceData, year: int | None = None, period: int | None = None) -> Monitoring:
    """The month's monitoring; the latest month in the ledger unless one is named."""
    ledger = data.ledger
    if ledger.is_empty():
        raise InputError("the ledger kept with this build has no lines; import an extract")
    if year is None or period is None:
        year, period = ledger.select("financial_year", "period").sort("*").row(-1)
    month = ledger.filter(pl.col("financial_year") == year, pl.col("period") == period)
    if month.is_empty():
        held = ", ".join(
            f"{fy_label(y)} P{p}"
            for y, p in ledger.select("financial_year", "period").unique().sort("*").iter_rows()
        )
        raise InputError(
            f"the ledger has no lines for {fy_label(year)} period {period} (it holds {held}); "
            "import that month's extract with cscperf finance import"
        )
    thresholds = data.settings.thresholds
    previous = _previous(ledger, year, period)
    fund = pl.col("funding_source") == COUNCIL_FUND

    def part(frame: pl.DataFrame | None, condition: pl.Expr) -> pl.DataFrame | None:
        return None if frame is None else frame.filter(condition)

    fund_lines = lines_by(month.filter(fund), part(previous, fund), ["division"], thresholds)
    blocks = []
    for code, title in FUNDING_SOURCES.items():
        if code == COUNCIL_FUND:
            continue
        this = pl.col("funding_source") == code
        if month.filter(this).height:
            lines = lines_by(month.filter(this), part(previous, this), ["division"], thresholds)
            blocks.append(committee_table(title, lines, thresholds))
    by_funding = lines_by(month, previous, ["funding_source"], thresholds)
    by_funding = [
        Line(**{**line.__dict__, "label": FUNDING_SOURCES[line.label]}) for line in by_funding
    ]
    dsg_lines = [line for table in blocks for line in table.lines]
    return Monitoring(
        year=year,
        period=period,
        thresholds=thresholds,
        council_fund=committee_table("council fund", fund_lines, thresholds),
        dsg_blocks=blocks,
        dsg_total=total_line("Total Dedicated Schools Grant", dsg_lines, thresholds)
        if dsg_lines
        else None,
        by_s251=lines_by(month, previous, ["s251_line"], thresholds),
        by_funding=by_funding,
        trend=_trend(ledger, year, period),
        registers=register_rows(data, thresholds),
    )


def register_rows(data: FinanceData, thresholds: Thresholds) -> dict[str, list[dict[str, Any]]]:
    """The registers as rows with the figures worked from them (movement, shortfall, RAG)."""
    out: dict[str, list[dict[str, Any]]] = {}
    reserves = data.register("reserves")
    if reserves is not None:
        out["reserves"] = [
            {**r, "movement": r["forecast_closing_balance"] - r["opening_balance"]}
            for r in reserves.iter_rows(named=True)
        ]
    balances = data.register("school_balances")
    if balances is not None:
        out["school_balances"] = [
            {
                **r,
                "in_year": r["forecast_closing_balance"]
                - r["opening_balance"]
                - r["academy_conversions"],
            }
            for r in balances.iter_rows(named=True)
        ]
    savings = data.register("savings")
    if savings is not None:
        out["savings"] = [
            {
                **r,
                "shortfall": r["target"] - r["forecast_delivery"],
                "rag": r["rag"] or saving_rag(r["target"], r["forecast_delivery"], thresholds),
            }
            for r in savings.iter_rows(named=True)
        ]
    actions = data.register("actions")
    if actions is not None:
        out["actions"] = list(actions.iter_rows(named=True))
    return out


def saving_rag(target: float, forecast: float, thresholds: Thresholds) -> str:
    """Green when the forecast delivers at least ``savings_amber_pct`` of the target, amber at
    least ``savings_red_pct``, red below."""
    if target <= 0:
        return "green"
    share = 100 * forecast / target
    if share >= thresholds.savings_amber_pct:
        return "green"
    return "amber" if share >= thresholds.savings_red_pct else "red"
