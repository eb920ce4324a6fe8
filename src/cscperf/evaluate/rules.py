"""The judging rules, one decision per function: RAG against a band, direction of travel,
year to date by the spec's aggregation rules, and the exception rules.

Everything here is pure: plain numbers and small frozen records in, a small record out, so each
rule can be tested by hand and reused by the evaluation table, the reports and the web pages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

# Polarity values used by the indicator catalogue (spec indicators.yaml).
HIGH, LOW, INFO, BAND = "high", "low", "info", "band"
POLARITIES = (HIGH, LOW, INFO, BAND)

# Units whose value is num / den scaled, as the output contract computes them.
UNIT_SCALE = {
    "percent": 100.0,
    "rate_per_10k": 10_000.0,
    "rate_per_100k": 100_000.0,
    "days": 1.0,
    "average": 1.0,
    "ratio": 1.0,
}
RATE_UNITS = ("rate_per_10k", "rate_per_100k")


class Rag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    NONE = "none"


class Direction(StrEnum):
    IMPROVING = "improving"
    WORSENING = "worsening"
    UNCHANGED = "unchanged"
    NOT_COMPARABLE = "not comparable"


@dataclass(frozen=True)
class Band:
    """Resolved thresholds for one value, in the indicator's own units.

    One-sided: ``green`` is the level to reach (at or better is green), ``red`` the level past
    which the value is red (strictly worse is red); between them amber. "Better" follows the
    polarity. Two-sided: green from ``lower_green`` to ``upper_green`` inclusive, red strictly
    below ``lower_red`` or strictly above ``upper_red``, amber between.
    """

    green: float | None = None
    red: float | None = None
    lower_red: float | None = None
    lower_green: float | None = None
    upper_green: float | None = None
    upper_red: float | None = None
    target: float | None = None

    @property
    def two_sided(self) -> bool:
        return self.lower_green is not None or self.upper_green is not None


@dataclass(frozen=True)
class RagResult:
    rag: Rag
    reason: str = ""

    @property
    def label(self) -> str:
        """The text shown beside the colour, so a rating never depends on colour alone."""
        return {
            Rag.RED: "Red",
            Rag.AMBER: "Amber",
            Rag.GREEN: "Green",
            Rag.NONE: f"No rating: {self.reason}",
        }[self.rag]


@dataclass(frozen=True)
class DirectionResult:
    direction: Direction
    change: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class Aggregate:
    """A year-to-date (or other multi-month) view of monthly rows."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    months: int = 0
    reason: str = ""


@dataclass(frozen=True)
class MonthRow:
    """One stored monthly row of one indicator and breakdown (output contract fields)."""

    numerator: float | None
    denominator: float | None
    value: float | None


@dataclass(frozen=True)
class ExceptionResult:
    fired: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_exception(self) -> bool:
        return bool(self.fired)


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# ----------------------------------------------------------------------------- RAG


def rests_on(unit: str, numerator: float | None, denominator: float | None) -> float | None:
    """The count a value rests on (framework.yaml): the numerator of a count or a rate, the
    denominator of a percentage, average, days, ratio or maximum."""
    return numerator if unit == "count" or unit in RATE_UNITS else denominator


def is_small_number(
    unit: str, numerator: float | None, denominator: float | None, below: int
) -> bool:
    """True when the value rests on between 1 and ``below`` - 1 children or items."""
    n = rests_on(unit, numerator, denominator)
    return n is not None and not math.isnan(n) and 1 <= n < below


def small_number_label(below: int) -> str:
    """What every output says instead of a rating for a small number."""
    return f"fewer than {below}: not rated"


def rag_rating(value: float | None, band: Band | None, polarity: str) -> RagResult:
    """Red, amber or green for ``value`` against ``band``, or no rating with the reason."""
    if polarity == INFO:
        return RagResult(Rag.NONE, "information-only measure")
    if band is None:
        return RagResult(Rag.NONE, "no target applies")
    if _missing(value):
        return RagResult(Rag.NONE, "no value for the period")
    assert value is not None
    if band.two_sided:
        return _two_sided_rag(value, band)
    if polarity == BAND:
        return RagResult(Rag.NONE, "a two-sided measure needs a two-sided band")
    return _one_sided_rag(value, band, polarity)


def _better_or_equal(value: float, level: float, polarity: str) -> bool:
    return value >= level if polarity == HIGH else value <= level


def _one_sided_rag(value: float, band: Band, polarity: str) -> RagResult:
    if band.green is None and band.red is None:
        return RagResult(Rag.NONE, "the target has no thresholds")
    if band.green is not None and _better_or_equal(value, band.green, polarity):
        return RagResult(Rag.GREEN)
    if band.red is not None and not _better_or_equal(value, band.red, polarity):
        return RagResult(Rag.RED)
    if band.green is None:
        # Only a red line: anything not red is acceptable.
        return RagResult(Rag.GREEN)
    return RagResult(Rag.AMBER)


def _two_sided_rag(value: float, band: Band) -> RagResult:
    low_green = band.lower_green if band.lower_green is not None else -math.inf
    high_green = band.upper_green if band.upper_green is not None else math.inf
    if low_green <= value <= high_green:
        return RagResult(Rag.GREEN)
    low_red = band.lower_red if band.lower_red is not None else low_green
    high_red = band.upper_red if band.upper_red is not None else high_green
    if value < low_red or value > high_red:
        return RagResult(Rag.RED)
    return RagResult(Rag.AMBER)


# ----------------------------------------------------------------------------- direction


def direction_of_travel(
    current: float | None,
    previous: float | None,
    polarity: str,
    unchanged_threshold: float = 0.0,
    target: float | None = None,
) -> DirectionResult:
    """Improving, worsening or unchanged from ``previous`` to ``current`` given the polarity.

    A change no larger than ``unchanged_threshold`` (in the indicator's units) is unchanged. For
    a two-sided (band) measure, improving means closer to ``target``.
    """
    if _missing(current) or _missing(previous):
        return DirectionResult(Direction.NOT_COMPARABLE, None, "no value to compare with")
    assert current is not None and previous is not None
    change = current - previous
    if abs(change) <= unchanged_threshold:
        return DirectionResult(Direction.UNCHANGED, change)
    if polarity == INFO:
        return DirectionResult(Direction.NOT_COMPARABLE, change, "information-only measure")
    if polarity == BAND:
        if target is None:
            return DirectionResult(Direction.NOT_COMPARABLE, change, "no target to move toward")
        closer = abs(current - target) < abs(previous - target)
        return DirectionResult(Direction.IMPROVING if closer else Direction.WORSENING, change)
    up_is_good = polarity == HIGH
    improving = (change > 0) == up_is_good
    return DirectionResult(Direction.IMPROVING if improving else Direction.WORSENING, change)


# ----------------------------------------------------------------------------- year to date


def year_to_date(rows: Sequence[MonthRow], unit: str, basis: str) -> Aggregate:
    """The year-to-date view of the monthly rows April..E (spec section 2).

    Counts: sum of numerators. Percentages, averages, days and ratios: sum of numerators over
    sum of denominators. Rates: sum of numerators over the population of the period (the
    denominator of the latest row). Snapshot percentages and averages: sum of month-end
    numerators over sum of month-end denominators. Snapshot counts and rates, rolling measures
    and maxima have no year-to-date view.
    """
    if basis in ("rolling_12m", "ytd", "financial_year", "as_at_31_march"):
        return Aggregate(None, reason=f"a {basis} measure has no year-to-date view")
    if unit == "maximum":
        return Aggregate(None, reason="a maximum has no year-to-date view")
    if basis == "snapshot_month_end" and (unit == "count" or unit in RATE_UNITS):
        return Aggregate(None, reason="a month-end snapshot count has no year-to-date view")
    present = [r for r in rows if not _missing(r.numerator)]
    if not present:
        return Aggregate(None, reason="no monthly values in the year")
    numerator = sum(float(r.numerator) for r in present if r.numerator is not None)
    if unit == "count":
        return Aggregate(numerator, numerator, None, len(present))
    scale = UNIT_SCALE.get(unit)
    if scale is None:
        return Aggregate(None, reason=f"unit {unit} has no year-to-date rule")
    if unit in RATE_UNITS:
        population = rows[-1].denominator if rows else None
        if _missing(population) or not population:
            return Aggregate(None, numerator, None, len(present), "no population for the period")
        return Aggregate(numerator / population * scale, numerator, population, len(present))
    denominator = sum(float(r.denominator) for r in present if r.denominator is not None)
    if denominator == 0:
        return Aggregate(None, numerator, denominator, len(present), "denominator is zero")
    return Aggregate(numerator / denominator * scale, numerator, denominator, len(present))


# ----------------------------------------------------------------------------- exceptions

RULE_RED = "red"
RULE_ADVERSE = "adverse_to_target"
RULE_WORSENED = "worsened_3_periods"
RULE_LINKED = "linked_flag"


def is_adverse_to_target(
    value: float | None, target: float | None, polarity: str, margin: float = 0.05
) -> bool:
    """True when the value is worse than the target by more than ``margin`` (a fraction of
    the target: 0.05 = 5%). Two-sided measures count distance either side of the target."""
    if _missing(value) or target is None or polarity == INFO:
        return False
    assert value is not None
    allowance = abs(target) * margin
    if polarity == HIGH:
        return value < target - allowance
    if polarity == LOW:
        return value > target + allowance
    return abs(value - target) > allowance


def has_worsened_consecutively(directions: Sequence[Direction], periods: int = 3) -> bool:
    """True when the last ``periods`` period-on-period directions are all worsening."""
    if len(directions) < periods:
        return False
    return all(d == Direction.WORSENING for d in directions[-periods:])


def has_flagged_link(links: Sequence[str], flagged: set[str] | frozenset[str]) -> bool:
    """True when any budget line or risk linked to the indicator is flagged."""
    return any(link in flagged for link in links)


def exception_rules(
    rag: Rag,
    value: float | None,
    target: float | None,
    polarity: str,
    directions: Sequence[Direction],
    links: Sequence[str] = (),
    flagged: set[str] | frozenset[str] = frozenset(),
    margin: float = 0.05,
    periods: int = 3,
) -> ExceptionResult:
    """Which exception rules fire for one value; it is an exception when any does."""
    fired: list[str] = []
    if rag == Rag.RED:
        fired.append(RULE_RED)
    if is_adverse_to_target(value, target, polarity, margin):
        fired.append(RULE_ADVERSE)
    if has_worsened_consecutively(directions, periods):
        fired.append(RULE_WORSENED)
    if has_flagged_link(links, flagged):
        fired.append(RULE_LINKED)
    return ExceptionResult(tuple(fired))


# ----------------------------------------------------------------------------- reconciliation


def round_half_up(value: float, decimals: int) -> float:
    """Round as publishers do (half away from zero), not banker's rounding."""
    factor = 10**decimals
    scaled = abs(value) * factor
    rounded = math.floor(scaled + 0.5 + 1e-9) / factor
    return math.copysign(rounded, value)


def differs_beyond_rounding(own: float | None, published: float | None, decimals: int) -> bool:
    """True when our value, rounded as the publisher rounds, is not the published figure."""
    if _missing(own) or _missing(published):
        return False
    assert own is not None and published is not None
    return abs(round_half_up(own, decimals) - published) > 0.5 * 10 ** (-decimals - 1)
