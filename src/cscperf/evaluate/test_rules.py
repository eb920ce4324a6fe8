"""Hand-built cases for the judging rules: each polarity, one- and two-sided bands, missing
targets and values, year-to-date aggregation and the exception rules."""

from __future__ import annotations

import pytest

from cscperf.evaluate.rules import (
    RULE_ADVERSE,
    RULE_LINKED,
    RULE_RED,
    RULE_WORSENED,
    Band,
    Direction,
    MonthRow,
    Rag,
    differs_beyond_rounding,
    direction_of_travel,
    exception_rules,
    has_worsened_consecutively,
    is_adverse_to_target,
    rag_rating,
    round_half_up,
    year_to_date,
)

# Norfolk 6.4 style: high is good, red below 80, green from 90.
HIGH_BAND = Band(green=90, red=80, target=95)
# Norfolk 7.2 style: low is good, green at or below 55, red above 65.
LOW_BAND = Band(green=55, red=65, target=55)
# A CP rate that can be too low as well as too high.
TWO_SIDED = Band(lower_red=25, lower_green=30, upper_green=40, upper_red=45, target=35)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(95, Rag.GREEN), (90, Rag.GREEN), (85, Rag.AMBER), (80, Rag.AMBER), (79.9, Rag.RED)],
)
def test_high_polarity_one_sided(value: float, expected: Rag) -> None:
    assert rag_rating(value, HIGH_BAND, "high").rag == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(50, Rag.GREEN), (55, Rag.GREEN), (60, Rag.AMBER), (65, Rag.AMBER), (65.7, Rag.RED)],
)
def test_low_polarity_one_sided(value: float, expected: Rag) -> None:
    assert rag_rating(value, LOW_BAND, "low").rag == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (20, Rag.RED),
        (27, Rag.AMBER),
        (30, Rag.GREEN),
        (35, Rag.GREEN),
        (40, Rag.GREEN),
        (42, Rag.AMBER),
        (45.1, Rag.RED),
    ],
)
def test_two_sided_band_is_judged_both_ways(value: float, expected: Rag) -> None:
    assert rag_rating(value, TWO_SIDED, "band").rag == expected
    # A two-sided band on a low-is-good measure is judged the same way.
    assert rag_rating(value, TWO_SIDED, "low").rag == expected


def test_info_measure_gets_no_rating_even_with_a_band() -> None:
    result = rag_rating(50, HIGH_BAND, "info")
    assert result.rag == Rag.NONE
    assert "information" in result.reason
    assert result.label.startswith("No rating")


def test_missing_target_and_missing_value_say_why() -> None:
    assert rag_rating(50, None, "high").reason == "no target applies"
    assert rag_rating(None, HIGH_BAND, "high").reason == "no value for the period"
    assert rag_rating(float("nan"), HIGH_BAND, "high").rag == Rag.NONE


def test_band_polarity_needs_two_sided_band() -> None:
    assert rag_rating(30, LOW_BAND, "band").rag == Rag.NONE


def test_red_only_threshold_is_green_or_red() -> None:
    band = Band(red=20)
    assert rag_rating(19, band, "low").rag == Rag.GREEN
    assert rag_rating(21, band, "low").rag == Rag.RED


@pytest.mark.parametrize(
    ("current", "previous", "polarity", "expected"),
    [
        (92, 90, "high", Direction.IMPROVING),
        (88, 90, "high", Direction.WORSENING),
        (60, 62, "low", Direction.IMPROVING),
        (64, 62, "low", Direction.WORSENING),
        (64, 62, "info", Direction.NOT_COMPARABLE),
        (62, 62, "info", Direction.UNCHANGED),
    ],
)
def test_direction_follows_polarity(
    current: float, previous: float, polarity: str, expected: Direction
) -> None:
    result = direction_of_travel(current, previous, polarity)
    assert result.direction == expected
    assert result.change == current - previous


def test_unchanged_threshold() -> None:
    assert direction_of_travel(62.4, 62.0, "low", 0.5).direction == Direction.UNCHANGED
    assert direction_of_travel(62.6, 62.0, "low", 0.5).direction == Direction.WORSENING


def test_band_direction_is_toward_target() -> None:
    # 28 -> 31 moves toward 35: improving even though the rate rose.
    assert direction_of_travel(31, 28, "band", 0, 35).direction == Direction.IMPROVING
    assert direction_of_travel(45, 41, "band", 0, 35).direction == Direction.WORSENING
    assert direction_of_travel(45, 41, "band").direction == Direction.NOT_COMPARABLE


def test_direction_without_previous_value() -> None:
    result = direction_of_travel(50, None, "high")
    assert result.direction == Direction.NOT_COMPARABLE
    assert result.change is None


def test_ytd_counts_sum_numerators() -> None:
    rows = [MonthRow(10, None, 10), MonthRow(12, None, 12), MonthRow(8, None, 8)]
    result = year_to_date(rows, "count", "in_month")
    assert result.value == 30
    assert result.months == 3


def test_ytd_percent_is_sum_num_over_sum_den_not_mean_of_months() -> None:
    # Months 1/2 = 50% and 9/10 = 90%: mean 70%, but YTD is 10/12 = 83.33%.
    rows = [MonthRow(1, 2, 50.0), MonthRow(9, 10, 90.0)]
    result = year_to_date(rows, "percent", "in_month")
    assert result.value == pytest.approx(100 * 10 / 12)
    assert (result.numerator, result.denominator) == (10, 12)


def test_ytd_snapshot_percent_norfolk_6_14() -> None:
    # Norfolk 6.14 YTD 76.7%: 1,564 / 2,039 over the month-end rows (split by hand).
    rows = [MonthRow(500, 600, None), MonthRow(520, 700, None), MonthRow(544, 739, None)]
    result = year_to_date(rows, "percent", "snapshot_month_end")
    assert result.value == pytest.approx(100 * 1564 / 2039)
    assert round(result.value or 0, 1) == 76.7


def test_ytd_rate_uses_population_of_period() -> None:
    # 536 CP starts over the year, population 171,830: 31.19 per 10,000.
    rows = [MonthRow(40, 171_830, None)] * 11 + [MonthRow(96, 171_830, None)]
    result = year_to_date(rows, "rate_per_10k", "in_month")
    assert result.value == pytest.approx(536 / 171_830 * 10_000)


def test_ytd_not_defined_for_snapshot_counts_rolling_and_maxima() -> None:
    rows = [MonthRow(5, None, 5)]
    assert year_to_date(rows, "count", "snapshot_month_end").value is None
    assert "snapshot" in year_to_date(rows, "count", "snapshot_month_end").reason
    assert year_to_date(rows, "percent", "rolling_12m").value is None
    assert year_to_date(rows, "maximum", "snapshot_month_end").value is None
    assert year_to_date([], "count", "in_month").reason == "no monthly values in the year"


def test_ytd_skips_missing_months_and_zero_denominator() -> None:
    rows = [MonthRow(None, None, None), MonthRow(3, 4, 75.0)]
    assert year_to_date(rows, "percent", "in_month").months == 1
    assert year_to_date([MonthRow(0, 0, None)], "percent", "in_month").value is None


def test_adverse_to_target_margin() -> None:
    # High: target 90, 5% allowance = 4.5, so 85.4 is adverse and 85.6 is not.
    assert is_adverse_to_target(85.4, 90, "high")
    assert not is_adverse_to_target(85.6, 90, "high")
    # Low: target 55, allowance 2.75.
    assert is_adverse_to_target(57.8, 55, "low")
    assert not is_adverse_to_target(57.7, 55, "low")
    assert is_adverse_to_target(30, 35, "band")
    assert not is_adverse_to_target(30, 35, "info")
    assert not is_adverse_to_target(None, 35, "low")
    assert not is_adverse_to_target(60, None, "low")


def test_worsened_three_consecutive_periods() -> None:
    w, i = Direction.WORSENING, Direction.IMPROVING
    assert has_worsened_consecutively([i, w, w, w])
    assert not has_worsened_consecutively([w, w, i])
    assert not has_worsened_consecutively([w, w])


def test_exception_records_each_rule_that_fired() -> None:
    w = Direction.WORSENING
    result = exception_rules(
        Rag.RED,
        70,
        55,
        "low",
        [w, w, w],
        links=["budget:placements"],
        flagged={"budget:placements"},
    )
    assert result.fired == (RULE_RED, RULE_ADVERSE, RULE_WORSENED, RULE_LINKED)
    quiet = exception_rules(Rag.GREEN, 54, 55, "low", [w, w], links=["risk:1"], flagged=set())
    assert not quiet.is_exception


def test_publisher_rounding() -> None:
    assert round_half_up(62.5, 0) == 63
    assert round_half_up(26.45, 1) == 26.5
    assert round_half_up(-2.5, 0) == -3
    # 62.2 rounds to 62: matches; 62.6 rounds to 63: differs.
    assert not differs_beyond_rounding(1069 / 171_830 * 10_000, 62, 0)
    assert differs_beyond_rounding(62.6, 62, 0)
    assert not differs_beyond_rounding(None, 62, 0)
