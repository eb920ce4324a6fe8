"""What `cscperf indicators explain` prints: one indicator's definition as a reader wants it.

Owns turning a catalogue entry, the parameters in force and the engine's SQL into plain text
(no colour or markup, so it pipes and pastes cleanly): the definition, numerator, denominator
and rules as paragraphs, the facts (unit, polarity, basis, breakdowns, sources, benchmark,
version) as labelled lines, then the parameters and the SQL.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import date
from typing import Any

import yaml

from cscperf.indicators.catalogue import IndicatorDefinition

WIDTH = 88
INDENT = "  "

POLARITY = {
    "high": "higher is better",
    "low": "lower is better",
    "info": "neither (for information)",
    "band": "within a band",
}
BASIS = {
    "in_month": "events in the month",
    "rolling_12m": "events in the 12 months to the month end",
    "ytd": "events in the financial year to date",
    "financial_year": "events in the financial year (reported at 31 March)",
    "snapshot_month_end": "a snapshot at the month end",
    "as_at_31_march": "a snapshot at 31 March",
}
UNIT = {
    "count": "count",
    "percent": "percentage",
    "rate_per_10k": "rate per 10,000 children aged 0 to 17",
    "rate_per_100k": "rate per 100,000 children aged 0 to 17",
    "days": "days (average)",
    "average": "average",
    "ratio": "ratio",
    "maximum": "maximum",
}
BENCHMARK = {
    "ees_csv": "DfE Explore Education Statistics files",
    "lait": "DfE LAIT",
    "national_only": "England figure only",
    "none": "no published comparator",
}


def paragraphs(text: str) -> str:
    """Catalogue text wrapped to the page and indented. A line of the catalogue that ends a
    sentence or a clause (. : ; ? !) ends a paragraph; other line breaks are the author's
    wrapping and are joined up."""
    blocks: list[str] = []
    current: list[str] = []
    for line in text.strip().splitlines():
        words = " ".join(line.split())
        if words:
            current.append(words)
        if current and (not words or words.endswith((".", ":", ";", "?", "!"))):
            blocks.append(" ".join(current))
            current = []
    if current:
        blocks.append(" ".join(current))
    return "\n".join(
        textwrap.fill(b, WIDTH, initial_indent=INDENT, subsequent_indent=INDENT)
        for b in blocks
        if b
    )


def bullet(text: str) -> str:
    return textwrap.fill(
        " ".join(text.split()), WIDTH, initial_indent=INDENT + "- ", subsequent_indent=INDENT * 2
    )


def facts(definition: IndicatorDefinition, version: int) -> list[str]:
    """The labelled one-line facts of an entry."""
    lines = [
        f"Area: {definition.area}",
        f"Kind: {definition.kind}",
        f"Unit: {UNIT[definition.unit]}",
        f"Good performance: {POLARITY[definition.polarity]}",
        f"Basis: {BASIS[definition.basis]}",
        f"Breakdowns: {', '.join(definition.breakdowns)}",
        f"Sources: {', '.join(definition.sources)}",
    ]
    benchmark = BENCHMARK[definition.benchmark.type]
    if definition.benchmark.note:
        benchmark += f" ({' '.join(definition.benchmark.note.split())})"
    lines.append(f"Benchmark: {benchmark}")
    if definition.lookback is not None:
        months = definition.lookback.months
        lines.append(
            "Looks back: all history" if months is None else f"Looks back: {months} months"
        )
    if definition.value_multiplier != 1.0:
        lines.append(f"Numerator multiplied by: {definition.value_multiplier:g}")
    lines.append(f"Definition version: {definition.id}@{version}")
    lines.append(f"Status: {definition.status.replace('_', ' ')}")
    if definition.references:
        lines.append(f"References: {'; '.join(definition.references)}")
    return lines


def explain_text(
    definition: IndicatorDefinition,
    period_end: date,
    version: int,
    parameters: Mapping[str, Any],
    sql: str | None,
    dialect: str,
) -> str:
    """The whole explanation; ``sql`` None for an indicator the engine does not compute."""
    parts = [definition.id, textwrap.fill(definition.title, WIDTH), ""]
    parts += [
        textwrap.fill(line, WIDTH, subsequent_indent=INDENT) for line in facts(definition, version)
    ]
    parts.append("")
    parts += ["Definition", paragraphs(definition.definition), ""]
    parts += ["Numerator", paragraphs(definition.numerator), ""]
    if definition.denominator:
        parts += ["Denominator", paragraphs(definition.denominator), ""]
    if definition.rules:
        parts += ["Rules", *(bullet(rule) for rule in definition.rules), ""]
    if definition.note:
        parts += ["Note", paragraphs(definition.note), ""]
    parts.append(f"Parameters in force at {period_end.isoformat()}")
    if parameters:
        dumped = yaml.safe_dump(dict(parameters), sort_keys=False, allow_unicode=True, width=80)
        parts.append(textwrap.indent(dumped.rstrip(), INDENT))
    else:
        parts.append(INDENT + "none")
    parts.append("")
    if sql is None:
        parts.append("Not computed by the engine: no SQL to show.")
    else:
        parts.append(f"SQL ({dialect}): the items, grouped by month and team")
        parts.append(sql)
    return "\n".join(parts) + "\n"
