"""What the placements in the children's records cost, set beside the ledger's placement lines.

A placement costs its weekly unit cost for every night the child spends in it: nights × weekly
rate ÷ 7, a night counted on the day it begins (the day a placement starts is its first night,
the day it ends is not a night in it). Placements are grouped by kind, the placement type and
the provider from the SSDA903 codes the SSD carries (``KIND_OF_TYPE``, ``KIND_OF_PROVIDER``);
short breaks (legal status V3/V4) are left out, as the short-breaks budget pays for them.

A kind's weekly rate comes from the finance settings, or, when the settings name only the
ledger divisions that pay for it, from the ledger: those divisions' actual spend to date ÷ the
nights of their placements since 1 April × 7. The forecast to 31 March is the cost so far,
plus the placements open now running on (to their recorded end, else to the year end), plus
expected starts less expected ends (per month, the settings' or the last 12 months' average,
each taken at mid-month). Nothing here holds a child's identifier: every output is a sum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from cscperf.calendar.months import add_months
from cscperf.finance.monitor import period_end
from cscperf.finance.settings import FinanceSettings, MixChange, UnitCost

# SSDA903 placement types (PLACE) by the kinds a budget is held for.
KIND_OF_TYPE = {
    **{code: "fostering" for code in ("U1", "U2", "U3", "U4", "U5", "U6")},
    **{code: "residential" for code in ("K2", "R1", "S1", "P3", "R2")},
    **{code: "secure" for code in ("K1", "R5")},
    **{code: "supported_accommodation" for code in ("H5", "K3", "P2", "P4")},
    "P1": "placed_with_parents",
    **{code: "adoption" for code in ("A3", "A4", "A5", "A6")},
}
# SSDA903 placement providers (PLACE_PROVIDER).
KIND_OF_PROVIDER = {
    "PR1": "in_house",
    "PR2": "other_council",
    "PR4": "agency",
    "PR5": "agency",
}
SHORT_BREAK_STATUSES = ("V3", "V4")
KIND = ["placement_type", "provider"]
TITLES = {
    "fostering": "fostering",
    "residential": "residential",
    "secure": "secure",
    "supported_accommodation": "supported accommodation",
    "placed_with_parents": "placed with parents",
    "adoption": "placed for adoption",
    "other": "other placements",
    "in_house": "In-house",
    "agency": "Agency",
    "other_council": "Other council",
}


def kind_title(placement_type: str, provider: str) -> str:
    if provider == "other":
        return TITLES[placement_type].capitalize() + " (other provider)"
    return f"{TITLES[provider]} {TITLES[placement_type]}"


def year_end(year: int) -> date:
    return date(year + 1, 3, 31)


def placement_spells(
    placements: pl.DataFrame,
    episodes: pl.DataFrame | None = None,
    legal_status: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Placements as (start, end, placement_type, provider), short breaks left out."""
    frame = placements.select(
        pl.col("clap_cla_placement_id").alias("placement_id"),
        pl.col("clap_cla_placement_start_date").cast(pl.Date).alias("start"),
        pl.col("clap_cla_placement_end_date").cast(pl.Date).alias("end"),
        pl.col("clap_cla_placement_type")
        .str.strip_chars()
        .str.to_uppercase()
        .replace_strict(KIND_OF_TYPE, default="other")
        .alias("placement_type"),
        pl.col("clap_cla_placement_provider")
        .str.strip_chars()
        .str.to_uppercase()
        .replace_strict(KIND_OF_PROVIDER, default="other")
        .alias("provider"),
    ).filter(
        pl.col("start").is_not_null(), pl.col("end").is_null() | (pl.col("end") >= pl.col("start"))
    )
    short = short_break_placements(episodes, legal_status)
    if short is not None:
        frame = frame.join(short, on="placement_id", how="anti")
    return frame.drop("placement_id")


def short_break_placements(
    episodes: pl.DataFrame | None, legal_status: pl.DataFrame | None
) -> pl.DataFrame | None:
    """The placements of short-break episodes (legal status V3 or V4 open at the episode's
    start), as ``placement_id``: the children in them are not counted as looked after."""
    if episodes is None or legal_status is None or episodes.is_empty():
        return None
    breaks = legal_status.filter(pl.col("lega_legal_status").is_in(SHORT_BREAK_STATUSES)).select(
        pl.col("lega_person_id").alias("person"),
        pl.col("lega_legal_status_start_date").cast(pl.Date).alias("ls_start"),
        pl.col("lega_legal_status_end_date").cast(pl.Date).alias("ls_end"),
    )
    eps = episodes.select(
        pl.col("clae_person_id").alias("person"),
        pl.col("clae_cla_episode_start_date").cast(pl.Date).alias("ep_start"),
        pl.col("clae_cla_placement_id").alias("placement_id"),
    )
    matched = eps.join(breaks, on="person").filter(
        pl.col("ls_start") <= pl.col("ep_start"),
        pl.col("ls_end").is_null() | (pl.col("ls_end") >= pl.col("ep_start")),
    )
    return matched.select("placement_id").drop_nulls().unique()


def nights_between(spells: pl.DataFrame, first: date, last: date) -> pl.Expr:
    """Each spell's nights on the days ``first`` to ``last`` (both included)."""
    begin = pl.max_horizontal(pl.col("start"), pl.lit(first))
    # the last night in the spell is the day before it ends; an open spell runs past ``last``
    stop = pl.min_horizontal(
        pl.col("end").fill_null(last + timedelta(days=1)) - timedelta(days=1), pl.lit(last)
    )
    return pl.max_horizontal((stop - begin).dt.total_days() + 1, pl.lit(0))


def nights_by_kind(spells: pl.DataFrame, first: date, last: date) -> dict[tuple[str, str], int]:
    """Nights on the days ``first`` to ``last`` by (placement type, provider)."""
    if spells.is_empty():
        return {}
    sums = (
        spells.with_columns(nights_between(spells, first, last).alias("nights"))
        .group_by(KIND)
        .agg(pl.col("nights").sum())
    )
    return {(r[0], r[1]): int(r[2]) for r in sums.iter_rows()}


def flows_by_kind(spells: pl.DataFrame, last: date) -> dict[tuple[str, str], tuple[float, float]]:
    """(starts, ends) a month by kind over the 12 months to ``last``."""
    first = add_months(last, -12) + timedelta(days=1)
    if spells.is_empty():
        return {}
    sums = spells.group_by(KIND).agg(
        pl.col("start").is_between(first, last).sum().alias("starts"),
        pl.col("end").is_between(first, last).sum().alias("ends"),
    )
    return {(r[0], r[1]): (r[2] / 12, r[3] / 12) for r in sums.iter_rows()}


@dataclass(frozen=True)
class Rate:
    placement_type: str
    provider: str
    weekly_rate: float | None
    source: str  # "settings", "ledger" (derived), or "none"
    divisions: tuple[str, ...]


def _group_sums(month: pl.DataFrame, divisions: Iterable[str], column: str) -> float:
    chosen = month.filter(pl.col("division").is_in(list(divisions)))
    return float(chosen[column].fill_null(0).sum())


def unit_rates(
    costs: list[UnitCost], month: pl.DataFrame, nights_ytd: dict[tuple[str, str], int]
) -> list[Rate]:
    """Each kind's weekly rate: the settings', else derived from the ledger's actuals."""
    rates = []
    for cost in costs:
        key = (cost.placement_type, cost.provider)
        if cost.weekly_rate is not None:
            rates.append(Rate(*key, cost.weekly_rate, "settings", tuple(cost.divisions)))
            continue
        # kinds paid from the same divisions share one derived rate
        sharing = [c for c in costs if set(c.divisions) == set(cost.divisions) and c.divisions]
        nights = sum(nights_ytd.get((c.placement_type, c.provider), 0) for c in sharing)
        spent = _group_sums(month, cost.divisions, "actual_to_date")
        if nights and cost.divisions:
            rates.append(Rate(*key, spent / nights * 7, "ledger", tuple(cost.divisions)))
        else:
            rates.append(Rate(*key, None, "none", tuple(cost.divisions)))
    return rates


@dataclass(frozen=True)
class CostLine:
    """One kind of placement: nights, cost and forecast, in pounds."""

    placement_type: str
    provider: str
    weekly_rate: float | None
    source: str
    open_now: int
    nights_month: int
    nights_ytd: int
    forecast_nights_rest: float

    def _cost(self, nights: float) -> float | None:
        return None if self.weekly_rate is None else nights * self.weekly_rate / 7

    @property
    def title(self) -> str:
        return kind_title(self.placement_type, self.provider)

    @property
    def cost_month(self) -> float | None:
        return self._cost(self.nights_month)

    @property
    def cost_ytd(self) -> float | None:
        return self._cost(self.nights_ytd)

    @property
    def forecast_year(self) -> float | None:
        return self._cost(self.nights_ytd + self.forecast_nights_rest)


@dataclass(frozen=True)
class Reconciliation:
    """The ledger's lines for some kinds of placement against what the placements cost."""

    divisions: tuple[str, ...]
    kinds: tuple[str, ...]
    ledger_actual: float
    placements_actual: float
    ledger_forecast: float
    placements_forecast: float

    @property
    def actual_difference(self) -> float:
        return self.ledger_actual - self.placements_actual

    @property
    def forecast_difference(self) -> float:
        return self.ledger_forecast - self.placements_forecast


@dataclass(frozen=True)
class WhatIf:
    """A change in placement mix, costed from the month after the report to 31 March and for a
    full year."""

    changes: tuple[tuple[str, int, float | None], ...]  # (kind, change, weekly rate)
    nights_left: int

    @property
    def in_year(self) -> float:
        return sum(n * (r or 0) / 7 * self.nights_left for _, n, r in self.changes)

    @property
    def full_year(self) -> float:
        return sum(n * (r or 0) / 7 * 365 for _, n, r in self.changes)


@dataclass
class PlacementCosts:
    year: int
    period: int
    lines: list[CostLine]
    monthly: list[tuple[date, float]]  # each month of the year so far: cost of placements
    reconciliations: list[Reconciliation]
    what_if: WhatIf | None


def forecast_rest(
    spells: pl.DataFrame, last: date, flows: dict[tuple[str, str], tuple[float, float]]
) -> dict[tuple[str, str], float]:
    """Nights from the day after ``last`` to 31 March: placements open now running on (to
    their recorded end), plus expected starts less ends, each at the middle of its month."""
    year = last.year if last.month >= 4 else last.year - 1
    end = year_end(year)
    rest = {k: float(v) for k, v in nights_by_kind(spells, last + timedelta(days=1), end).items()}
    month = last
    while (month := add_months(month.replace(day=1), 1)) <= end:
        mid = month.replace(day=15)
        left = (end - mid).days + 1
        for key, (starts, ends) in flows.items():
            rest[key] = rest.get(key, 0.0) + (starts - ends) * left
    return {k: max(v, 0.0) for k, v in rest.items()}


def placement_costs(
    settings: FinanceSettings,
    ledger: pl.DataFrame,
    spells: pl.DataFrame,
    year: int,
    period: int,
) -> PlacementCosts:
    """The month's placement costs, forecast, reconciliation and "what if"."""
    last = period_end(year, period)
    first = date(year, 4, 1)
    month = ledger.filter(pl.col("financial_year") == year, pl.col("period") == period)
    ytd = nights_by_kind(spells, first, last)
    this_month = nights_by_kind(spells, last.replace(day=1), last)
    open_now = (
        spells.filter(pl.col("start") <= last, pl.col("end").is_null() | (pl.col("end") > last))
        .group_by(KIND)
        .len()
    )
    open_counts = {(r[0], r[1]): int(r[2]) for r in open_now.iter_rows()}
    flows = flows_by_kind(spells, last)
    for cost in settings.unit_costs:
        key = (cost.placement_type, cost.provider)
        starts, ends = flows.get(key, (0.0, 0.0))
        flows[key] = (
            starts if cost.starts_per_month is None else cost.starts_per_month,
            ends if cost.ends_per_month is None else cost.ends_per_month,
        )
    rest = forecast_rest(spells, last, flows)
    rates = unit_rates(settings.unit_costs, month, ytd)
    lines = [
        CostLine(
            r.placement_type,
            r.provider,
            r.weekly_rate,
            r.source,
            open_counts.get((r.placement_type, r.provider), 0),
            this_month.get((r.placement_type, r.provider), 0),
            ytd.get((r.placement_type, r.provider), 0),
            rest.get((r.placement_type, r.provider), 0.0),
        )
        for r in rates
    ]
    return PlacementCosts(
        year,
        period,
        lines,
        _monthly(spells, rates, year, period),
        _reconcile(lines, rates, month),
        _what_if(settings.what_if, rates, last),
    )


def _monthly(spells: pl.DataFrame, rates: list[Rate], year: int, period: int) -> list[tuple]:
    out = []
    for p in range(1, period + 1):
        end = period_end(year, p)
        nights = nights_by_kind(spells, end.replace(day=1), end)
        cost = sum(
            nights.get((r.placement_type, r.provider), 0) * r.weekly_rate / 7
            for r in rates
            if r.weekly_rate is not None
        )
        out.append((end, cost))
    return out


def _reconcile(lines: list[CostLine], rates: list[Rate], month: pl.DataFrame) -> list:
    groups: dict[tuple[str, ...], list[CostLine]] = {}
    for line, rate in zip(lines, rates, strict=True):
        if rate.divisions:
            groups.setdefault(tuple(sorted(rate.divisions)), []).append(line)
    return [
        Reconciliation(
            divisions,
            tuple(line.title for line in members),
            _group_sums(month, divisions, "actual_to_date"),
            sum(line.cost_ytd or 0 for line in members),
            _group_sums(month, divisions, "forecast_outturn"),
            sum(line.forecast_year or 0 for line in members),
        )
        for divisions, members in groups.items()
    ]


def _what_if(changes: list[MixChange], rates: list[Rate], last: date) -> WhatIf | None:
    if not changes:
        return None
    by_kind = {(r.placement_type, r.provider): r.weekly_rate for r in rates}
    year = last.year if last.month >= 4 else last.year - 1
    return WhatIf(
        tuple(
            (
                kind_title(c.placement_type, c.provider),
                c.change,
                by_kind.get((c.placement_type, c.provider)),
            )
            for c in changes
        ),
        (year_end(year) - last).days,
    )
