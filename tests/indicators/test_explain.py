"""`indicators explain` text: catalogue prose re-flowed, facts in words, parameters, SQL."""

from __future__ import annotations

from datetime import date

from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.explain import WIDTH, explain_text, paragraphs


def test_wrapped_lines_are_joined_and_sentence_ends_start_a_new_line():
    text = (
        "As A1, but the moving-in date is\nthe start of the spell.\nSSDA903: AD1.FOSTER_CARE = 1."
    )
    assert paragraphs(text).splitlines() == [
        "  As A1, but the moving-in date is the start of the spell.",
        "  SSDA903: AD1.FOSTER_CARE = 1.",
    ]


def test_long_text_is_wrapped_to_the_page_and_indented():
    lines = paragraphs("word " * 60).splitlines()
    assert len(lines) > 1
    assert all(line.startswith("  ") and len(line) <= WIDTH for line in lines)


def test_explanation_names_the_facts_in_words_and_shows_the_sql():
    definition = load_catalogue().get("cin.plan_up_to_date_pct")
    text = explain_text(
        definition, date(2024, 3, 31), 2, {"cin_plan_due_wd": 45}, "SELECT 1", "duckdb"
    )
    assert text.startswith("cin.plan_up_to_date_pct\n")
    assert "Good performance: higher is better" in text
    assert "Definition version: cin.plan_up_to_date_pct@2" in text
    assert "Parameters in force at 2024-03-31\n  cin_plan_due_wd: 45" in text
    assert text.rstrip().endswith("SELECT 1")


def test_an_imported_measure_says_there_is_no_sql():
    imported = next(d for d in load_catalogue() if d.kind == "imported")
    text = explain_text(imported, date(2024, 3, 31), 1, {}, None, "duckdb")
    assert "no SQL to show" in text and "  none" in text
