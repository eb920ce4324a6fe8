"""Chart titles that fit, and legends that name only what is drawn."""

from __future__ import annotations

from datetime import date

from cscperf.reports.charts import TREND_SIZE, title_lines, trend_chart

LONG = (
    "Average days from entering care to moving in with the adoptive family, foster-carer "
    "adoptions adjusted (A10, rolling 12 months)"
)


def test_a_long_title_is_broken_into_lines_not_cut_off():
    lines = title_lines(LONG, TREND_SIZE[0], 11)
    assert 1 < len(lines) <= 3
    assert " ".join(lines) == LONG
    assert all(len(line) <= TREND_SIZE[0] / (11 * 0.55) for line in lines)


def test_a_very_long_title_keeps_three_lines_and_says_it_was_shortened():
    lines = title_lines(LONG * 3, TREND_SIZE[0], 11)
    assert len(lines) == 3 and lines[-1].endswith("…")


def test_a_short_title_stays_on_one_line():
    assert title_lines("Referrals", TREND_SIZE[0], 11) == ["Referrals"]


def _legend(targets):
    months = [date(2025, 1, 31), date(2025, 2, 28)]
    spec = trend_chart("Referrals", months, [1.0, 2.0], targets, "count").to_dict()
    return spec["encoding"]["color"]["scale"]["domain"]


def test_the_legend_names_the_target_only_when_there_is_one():
    assert _legend([None, None]) == ["Value"]
    assert _legend([1.5, None]) == ["Value", "Target"]
