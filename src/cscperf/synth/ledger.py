"""Eastshire's finance: a budget-monitoring extract for every month, and the month's registers.

Written into ``finance/``: ``finance.yaml`` (the column mapping and placement unit costs, as a
council would write it), ``ledger-YYYY-MM.csv`` for every month of the window, and for the last
month ``reserves.csv``, ``school_balances.csv``, ``savings.csv`` and ``actions.csv``.

Calibrated to published spending: each children's social care line costs what the council
Eastshire borrows its benchmarks from (``benchmark_as``) spent per child aged 0-17 in the
published revenue outturn (RO3 2024-25), times Eastshire's children (England's figures when
the published files are not at hand). Consistent with the placements: a placement line's
weekly rates are set so that the last 12 months' placement nights cost the line's share of
that spending; its actual spend to date is the nights since 1 April at those rates (plus 4%
for support packages no night holds), its budget funds last year's placements for another
year (the placements open on 1 April, before the data's second year), and its forecast adds
the open placements running on and the usual starts and ends.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from cscperf.benchmarks.published import default_data_dir, la_directory
from cscperf.calendar.months import add_months, month_end
from cscperf.errors import CscperfError
from cscperf.finance.costs import flows_by_kind, forecast_rest, nights_by_kind, placement_spells
from cscperf.finance.monitor import period_of
from cscperf.finance.outturn import spend_table
from cscperf.finance.settings import PROVIDERS, FinanceSettings, dump_finance_settings
from cscperf.settings import Settings

# England's net spend per child aged 0-17, 2024-25 (RO3 over the 0-17 population), pounds.
ENGLAND_PER_CHILD = {
    "sure_start": 36.51,
    "cla_residential": 294.61,
    "cla_fostering": 172.59,
    "cla_asylum": 25.03,
    "cla_other": 200.09,
    "other_family": 29.24,
    "family_support": 157.18,
    "youth_justice": 22.01,
    "safeguarding": 279.29,
    "young_people": 39.04,
}
SUPPORT_UPLIFT = 1.04  # placement spend beyond the nightly rate: support packages, one-offs
YEARLY_INFLATION = 0.03
HEADINGS = {
    "financial_year": "Financial Year",
    "period": "Period",
    "cost_centre": "Cost Centre",
    "division": "Service",
    "s251_line": "S251 Line",
    "subjective_code": "Subjective",
    "provision_type": "Provision",
    "funding_source": "Fund",
    "approved_budget": "Original Budget",
    "current_budget": "Current Budget",
    "actual_to_date": "Actual to Date",
    "commitments": "Commitments",
    "forecast_outturn": "Forecast Outturn",
    "previous_forecast": "Prior Month Forecast",
    "reason": "Variance Narrative",
}
FUNDS = {"GF": "council_fund", "DSG-HNB": "dsg_high_needs", "DSG-EYB": "dsg_early_years"}


@dataclass(frozen=True)
class PlacementLine:
    division: str
    s251: str
    ro3: str  # the RO3 line it is calibrated to
    share: float  # of that line
    provision: str
    kinds: tuple[tuple[str, str, float], ...]  # (placement type, provider, relative weekly cost)


PLACEMENT_LINES = (
    PlacementLine(
        "In-house fostering", "3.1.2", "cla_fostering", 0.9, "in_house",
        (("fostering", "in_house", 1.0),),
    ),
    PlacementLine(
        "Agency fostering", "3.1.2", "cla_fostering", 0.9, "agency",
        (("fostering", "agency", 2.2), ("fostering", "other_council", 1.6),
         ("fostering", "other", 1.0)),
    ),
    PlacementLine(
        "In-house residential", "3.1.1", "cla_residential", 0.95, "in_house",
        (("residential", "in_house", 0.8), ("secure", "in_house", 1.3)),
    ),
    PlacementLine(
        "Agency residential", "3.1.1", "cla_residential", 0.95, "agency",
        (("residential", "agency", 1.0), ("residential", "other_council", 0.9),
         ("residential", "other", 1.0), ("secure", "agency", 1.5),
         ("secure", "other_council", 1.5), ("secure", "other", 1.5)),
    ),
    PlacementLine(
        "Supported accommodation", "3.1.3", "cla_residential", 0.95, "agency",
        tuple(("supported_accommodation", p, 0.4) for p in PROVIDERS),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class OtherLine:
    """A line no placement drives: its spend per child and how far its forecast drifts."""

    division: str
    s251: str
    fund: str
    ro3: dict[str, float]  # RO3 line -> share of it; empty for DSG lines
    flat: float  # pounds a child a year when there is no RO3 line (the DSG's blocks)
    drift: tuple[float, float]  # the year's forecast variance is drawn from this range
    over: str  # the reason given for an overspend
    under: str  # ... and for an underspend


OTHER_LINES = (
    OtherLine("Fostering and residential staffing", "3.1.2", "GF",
              {"cla_fostering": 0.1, "cla_residential": 0.05}, 0, (-0.02, 0.02),
              "Agency staff covering vacant residential posts", "Vacancies in the in-house homes"),
    OtherLine("Other looked-after services", "3.1.3", "GF",
              {"cla_other": 0.65, "cla_asylum": 1.0}, 0, (-0.03, 0.03),
              "More care leavers supported in education", "Home Office grant above budget"),
    OtherLine("Social work and safeguarding", "3.3.1", "GF", {"safeguarding": 1.0}, 0,
              (-0.01, 0.04), "Agency social workers covering vacancies",
              "Vacancies held while recruiting"),
    OtherLine("Family support services", "3.4.4", "GF", {"family_support": 1.0}, 0,
              (-0.04, 0.01), "More families supported than planned",
              "Contract reviewed and re-phased"),
    OtherLine("Youth justice", "3.6.1", "GF", {"youth_justice": 1.0}, 0, (-0.03, 0.02),
              "Remand costs higher than budgeted", "Partner contributions above budget"),
    OtherLine("Children's centres and early years", "3.0.4", "GF", {"sure_start": 1.0}, 0,
              (-0.03, 0.0), "Premises costs above budget",
              "Phasing of spend over the life of the contracts"),
    OtherLine("Services for young people", "3.5.1", "GF", {"young_people": 1.0}, 0,
              (-0.03, 0.01), "Additional youth provision", "Vacancies held in the team"),
    OtherLine("Other children's and family services", "3.2.2", "GF", {"other_family": 1.0}, 0,
              (-0.02, 0.02), "Special guardianship allowances above budget",
              "Fewer special guardianship allowances"),
    OtherLine("High needs top-up funding", "1.2.1", "DSG-HNB", {}, 600, (0.02, 0.08),
              "More post-16 and mainstream top-up places", "Fewer top-up places"),
    OtherLine("Independent special school places", "1.2.2", "DSG-HNB", {}, 250, (0.0, 0.06),
              "More children placed in independent special schools", "Fewer places"),
    OtherLine("Early years entitlement", "1.3.1", "DSG-EYB", {}, 650, (-0.02, 0.0),
              "Take-up above the census count", "Take-up below the census count"),
)  # fmt: skip


def per_child_spend(settings: Settings) -> tuple[dict[str, float], str]:
    """Spend per child by RO3 line of the council Eastshire benchmarks as (a synthetic council
    with a real LA code: that council's), else England's."""
    code = settings.council.benchmark_as or settings.council.la_code
    try:
        data_dir = default_data_dir()
        ons = dict(la_directory(data_dir).select("la_code", "ons_code").iter_rows())
        rows = spend_table(data_dir).filter(pl.col("ons_code") == ons.get(code))
    except CscperfError:
        return ENGLAND_PER_CHILD, "England"
    if rows.is_empty():
        return ENGLAND_PER_CHILD, "England"
    row = rows.row(0, named=True)
    spend = {k: (row[k] or 0.0) / row["children"] for k in ENGLAND_PER_CHILD}
    return spend, str(row["la_name"])


def _rates(spells: pl.DataFrame, line_amounts: dict[str, float], end: date) -> dict:
    """Weekly rate of every kind at ``end``: each line's nights of the last 12 months cost its
    share of the published spending."""
    nights = nights_by_kind(spells, add_months(end, -12) + timedelta(days=1), end)
    rates: dict[tuple[str, str], float] = {}
    for line in PLACEMENT_LINES:
        amount = line_amounts[line.ro3] * line.share
        same_ro3 = [x for x in PLACEMENT_LINES if x.ro3 == line.ro3]
        weighted = sum(nights.get((t, p), 0) * w for x in same_ro3 for t, p, w in x.kinds)
        base = amount / weighted * 7 if weighted else 0.0
        for t, p, w in line.kinds:
            rates[(t, p)] = round(base * w, -1)
    return rates


def _cost(nights: Mapping[tuple[str, str], float], rates: dict, line: PlacementLine) -> float:
    return sum(nights.get((t, p), 0) * rates.get((t, p), 0) / 7 for t, p, _ in line.kinds)


def _placement_rows(
    spells: pl.DataFrame, rates_now: dict, end: date, months: list[date]
) -> list[dict[str, Any]]:
    """Every placement line, every month: budget, actuals, commitments and forecast."""
    rows: list[dict[str, Any]] = []
    previous: dict[tuple[int, str], float] = {}
    for last in months:
        year, period = period_of(last)
        factor = (1 + YEARLY_INFLATION) ** (year - period_of(end)[0])
        rates = {k: v * factor for k, v in rates_now.items()}
        april = date(year, 4, 1)
        budget_nights = _funded_nights(spells, april, months[0].replace(day=1))
        ytd = nights_by_kind(spells, april, last)
        rest = forecast_rest(spells, last, flows_by_kind(spells, last))
        following = month_end(*(add_months(last, 1).year, add_months(last, 1).month))
        next_month = nights_by_kind(spells, last + timedelta(days=1), following)
        for n, line in enumerate(PLACEMENT_LINES):
            budget = round(_cost(budget_nights, rates, line), -3)
            actual = _cost(ytd, rates, line) * SUPPORT_UPLIFT
            forecast = round(actual + _cost(rest, rates, line) * SUPPORT_UPLIFT, -2)
            prior = previous.get((year, line.division), budget) if period > 1 else budget
            previous[(year, line.division)] = forecast
            open_now = sum(_open_on(spells, last).get((t, p), 0) for t, p, _ in line.kinds)
            funded = round(sum(budget_nights.get((t, p), 0) for t, p, _ in line.kinds) / 365)
            rows.append(
                _row(year, period, f"CS1{n:02d}", line.division, line.s251, "5210",
                     line.provision, "GF", budget, round(actual, 2),
                     round(_cost(next_month, rates, line), 2), forecast, prior,
                     _placement_reason(forecast - budget, open_now, funded))
            )  # fmt: skip
    return rows


def _funded_nights(spells: pl.DataFrame, april: date, first: date) -> dict:
    """The nights a year's budget funds: last year's placements (their average number all
    year), or when the data start later, the placements open on 1 April all year."""
    before = april - timedelta(days=1)
    year_ago = add_months(april, -12)
    if year_ago >= first:
        return nights_by_kind(spells, year_ago, before)
    return {k: v * 365 for k, v in _open_on(spells, before).items()}


def _open_on(spells: pl.DataFrame, day: date) -> dict[tuple[str, str], int]:
    open_then = spells.filter(
        pl.col("start") <= day, pl.col("end").is_null() | (pl.col("end") > day)
    )
    counts = open_then.group_by("placement_type", "provider").len()
    return {(r[0], r[1]): int(r[2]) for r in counts.iter_rows()}


def _placement_reason(variance: float, open_now: int, funded: int) -> str:
    if abs(variance) < 1000:
        return ""
    more = "more" if open_now > funded else "fewer" if open_now < funded else "the same number of"
    return (
        f"{open_now} children placed at the month end against {funded} funded in the budget "
        f"({more} placements); forecast assumes current placements continue to 31 March"
    )


def _row(*values: Any) -> dict[str, Any]:
    return dict(zip(HEADINGS.values(), _with_year(values), strict=True))


def _with_year(values: tuple[Any, ...]) -> tuple[Any, ...]:
    year, period, cc, division, s251, subjective, provision, fund = values[:8]
    budget, actual, commitments, forecast, prior, reason = values[8:]
    label = f"{year}/{(year + 1) % 100:02d}"
    return (label, period, cc, division, s251, subjective, provision, fund, budget, budget,
            actual, commitments, forecast, prior, reason)  # fmt: skip


def _other_rows(
    per_child: dict[str, float], children: int, end: date, months: list[date], rng: random.Random
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    drifts: dict[tuple[int, str], float] = {}
    previous: dict[tuple[int, str], float] = {}
    for last in months:
        year, period = period_of(last)
        factor = (1 + YEARLY_INFLATION) ** (year - period_of(end)[0])
        for n, line in enumerate(OTHER_LINES):
            each = sum(per_child[k] * share for k, share in line.ro3.items()) or line.flat
            budget = round(each * children * factor, -3)
            drift = drifts.setdefault((year, line.division), rng.uniform(*line.drift))
            wobble = rng.gauss(0, 0.002) if period > 1 else 0.0
            forecast = round(budget * (1 + drift * min(1.0, period / 6) + wobble), -2)
            actual = round(forecast * period / 12 * rng.uniform(0.95, 1.0), 2)
            prior = previous.get((year, line.division), budget) if period > 1 else budget
            previous[(year, line.division)] = forecast
            reason = ""
            if abs(forecast - budget) >= 1000:
                reason = line.over if forecast > budget else line.under
            rows.append(
                _row(year, period, f"CS2{n:02d}", line.division, line.s251, "1000", "",
                     line.fund, budget, actual, 0.0, forecast, prior, reason)
            )  # fmt: skip
    return rows


def finance_settings(rates: dict[tuple[str, str], float], scale: float) -> FinanceSettings:
    """Eastshire's finance.yaml: its headings, its fund codes, its contract rates."""
    costs = []
    for line in PLACEMENT_LINES:
        for t, p, _ in line.kinds:
            derived = line.division == "Supported accommodation"
            costs.append(
                {
                    "placement_type": t,
                    "provider": p,
                    "divisions": [line.division],
                    **({} if derived else {"weekly_rate": rates.get((t, p), 0.0)}),
                }
            )
    change = max(1, round(10 * scale))
    return FinanceSettings.model_validate(
        {
            "ledger": {"columns": HEADINGS, "funding_sources": FUNDS},
            "unit_costs": costs,
            "what_if": [
                {"placement_type": "residential", "provider": "agency", "change": -change},
                {"placement_type": "fostering", "provider": "in_house", "change": change},
            ],
        }
    )


def write_ledger(
    tables: dict[str, pl.DataFrame],
    population: pl.DataFrame,
    settings: Settings,
    out_dir: Path,
    seed: int,
    scale: float,
    start: date,
    end: date,
) -> list[Path]:
    """Write ``finance/`` for Eastshire; returns the files written."""
    folder = out_dir / "finance"
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"ledger-{seed}")
    spells = placement_spells(
        tables["ssd_cla_placement"], tables.get("ssd_cla_episodes"), tables.get("ssd_legal_status")
    )
    latest = population.filter(pl.col("mid_year") == population["mid_year"].max())
    children = int(latest["children"].sum())
    per_child, _ = per_child_spend(settings)
    amounts = {k: v * children for k, v in per_child.items()}
    rates = _rates(spells, amounts, end)
    months = _month_ends(start, end)
    rows = _placement_rows(spells, rates, end, months) + _other_rows(
        per_child, children, end, months, rng
    )
    ledger = pl.DataFrame(rows)
    written = []
    for last in months:
        year, period = period_of(last)
        label = f"{year}/{(year + 1) % 100:02d}"
        path = folder / f"ledger-{last:%Y-%m}.csv"
        ledger.filter(
            pl.col(HEADINGS["financial_year"]) == label, pl.col(HEADINGS["period"]) == period
        ).write_csv(path)
        written.append(path)
    mapping = folder / "finance.yaml"
    dump_finance_settings(finance_settings(rates, scale), mapping)
    written.append(mapping)
    written.extend(_write_registers(folder, children, rng))
    return written


def _month_ends(start: date, end: date) -> list[date]:
    out = []
    day = month_end(start.year, start.month)
    while day <= end:
        out.append(day)
        nxt = add_months(day.replace(day=1), 1)
        day = month_end(nxt.year, nxt.month)
    return out


# Norfolk-sized registers (its 2017 report), scaled to Eastshire's children.
RESERVES = (
    ("Dedicated Schools Grant reserve", "dsg", 0, -1_200_000, "High needs overspend carried"),
    ("Schools non-teaching activities", "schools", 733_000, 733_000, "Funds held for schools"),
    ("Building maintenance pool", "schools", 2_001_000, 1_850_000, "Funds held for schools"),
    ("Grants and contributions", "childrens_services", 1_746_000, 1_353_000, "Grants spent"),
    ("Repairs and renewals fund", "childrens_services", 176_000, 176_000, ""),
    ("Transport days equalisation", "childrens_services", 101_000, 494_000, "Fewer days"),
)
SCHOOL_BALANCES = (
    ("Nursery schools", 54_000, 41_000, 0),
    ("Primary schools", 13_304_000, 9_348_000, -1_796_000),
    ("Secondary schools", 1_291_000, 471_000, -631_000),
    ("Special schools", 1_225_000, 1_449_000, 0),
)
# (saving, target, forecast share range, rag, reason)
SAVINGS = (
    ("In-house foster carers: placement mix", 1_500_000, (0.4, 0.8), "", "Recruitment slower"),
    ("Edge-of-care service reducing entries to care", 800_000, (0.85, 1.0), "", ""),
    ("Commissioning review of supported accommodation", 400_000, (1.0, 1.0), "", ""),
    ("Review of home-to-school transport", 600_000, (0.0, 0.0), "Red", "Consultation delayed"),
)
ACTIONS = (
    (
        "Recruitment campaign for in-house foster carers",
        "Shift the placement mix from agency to in-house fostering",
        450_000,
        "Head of Corporate Parenting",
    ),
    (
        "Placement panel to review every agency residential placement",
        "Step children down to fostering where that is right for them",
        300_000,
        "Assistant Director, Social Care",
    ),
    (
        "Review commissioned contracts and partnership arrangements",
        "In-year reductions and clawbacks due",
        150_000,
        "Head of Commissioning",
    ),
    (
        "Hold non-essential vacancies in central teams",
        "Offset part of the placements overspend this year",
        100_000,
        "Director of Children's Services",
    ),
)


def _write_registers(folder: Path, children: int, rng: random.Random) -> list[Path]:
    """The month's reserves, school balances, savings and actions, scaled to Eastshire."""
    size = children / 170_000

    def money(amount: float) -> float:
        return round(amount * size, -3)

    frames = {
        "reserves": pl.DataFrame(
            [(n, g, money(a), money(b), r) for n, g, a, b, r in RESERVES],
            schema=["reserve", "group", "opening_balance", "forecast_closing_balance", "reason"],
            orient="row",
        ),
        "school_balances": pl.DataFrame(
            [(n, money(a), money(b), money(c)) for n, a, b, c in SCHOOL_BALANCES],
            schema=["phase", "opening_balance", "forecast_closing_balance", "academy_conversions"],
            orient="row",
        ),
        "savings": pl.DataFrame(
            [(n, money(t), money(t * rng.uniform(*share)), g, r) for n, t, share, g, r in SAVINGS],
            schema=["saving", "target", "forecast_delivery", "rag", "reason"],
            orient="row",
        ),
        "actions": pl.DataFrame(
            [(a, e, money(i), o) for a, e, i, o in ACTIONS],
            schema=["action", "expected_impact", "impact_amount", "owner"],
            orient="row",
        ),
    }
    written = []
    for name, frame in frames.items():
        path = folder / f"{name}.csv"
        frame.write_csv(path)
        written.append(path)
    return written
