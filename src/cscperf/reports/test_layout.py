"""Numerators and denominators written for people."""

from __future__ import annotations

from cscperf.reports.layout import format_term


def test_whole_numbers_are_shown_whole_with_thousands_separated():
    assert format_term(170000.0) == "170,000"
    assert format_term(3.0) == "3"


def test_fractional_terms_keep_up_to_two_decimals():
    assert format_term(3.4) == "3.4"
    assert format_term(27.95) == "27.95"
    assert format_term(1234.567) == "1,234.57"
    assert format_term(0.1 + 0.2) == "0.3"
