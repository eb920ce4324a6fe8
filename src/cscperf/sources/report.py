"""The data-quality report: every problem as one CSV row, and a readable HTML page.

Owns the report's files (``report.csv``, ``report.html``, and ``reconciliation.csv`` when the
SSD was loaded with returns), the summary by rule and severity (counts only, never a child's
identifier) and the order problems are listed in (errors first, then by rule, file and row).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from cscperf import __version__
from cscperf.paths import package_data
from cscperf.sources.base import Problem, Severity
from cscperf.sources.quality import rule_catalogue
from cscperf.sources.reconcile import SOURCE_NAMES, Reconciliation
from cscperf.spreadsheet_safety import defuse

CSV_COLUMNS = ["severity", "rule", "file", "row", "table", "field", "value", "message"]
SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
HTML_ROWS_PER_RULE = 2000
RECONCILIATION_COLUMNS = [
    "source",
    "collection_year",
    "records",
    "in_ssd",
    "in_return",
    "in_both",
    "only_in_ssd",
    "only_in_return",
    "start_dates_differ",
    "end_dates_differ",
]


@dataclass(frozen=True)
class SummaryRow:
    severity: str
    rule: str
    count: int
    checks: str
    action: str


def sort_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(
        problems,
        key=lambda p: (
            SEVERITY_ORDER.get(p.severity, 3),
            p.rule,
            p.file,
            p.row or 0,
            p.field or "",
        ),
    )


def summarise(problems: list[Problem]) -> list[SummaryRow]:
    """Counts by severity and rule, with what each rule checks and what to do."""
    catalogue = rule_catalogue()
    counts = Counter((Severity(p.severity), p.rule) for p in problems)
    rows = []
    for (severity, rule), count in sorted(
        counts.items(), key=lambda item: (SEVERITY_ORDER[item[0][0]], item[0][1])
    ):
        entry = catalogue.get(rule)
        rows.append(
            SummaryRow(
                severity=severity.value,
                rule=rule,
                count=count,
                checks=entry.checks if entry else "",
                action=entry.action if entry else "",
            )
        )
    return rows


def severity_counts(problems: list[Problem]) -> dict[str, int]:
    counts = Counter(Severity(p.severity).value for p in problems)
    return {s.value: counts.get(s.value, 0) for s in Severity}


def write_csv(problems: list[Problem], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for p in sort_problems(problems):
            writer.writerow(
                defuse(cell)
                for cell in [
                    Severity(p.severity).value,
                    p.rule,
                    p.file,
                    "" if p.row is None else p.row,
                    p.table or "",
                    p.field or "",
                    p.value or "",
                    p.message,
                ]
            )


def write_reconciliation_csv(reconciliation: Reconciliation, path: Path) -> None:
    """The reconciliation's counts, one row per return, collection year and kind of record."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RECONCILIATION_COLUMNS)
        for c in reconciliation.counts:
            writer.writerow(
                [
                    SOURCE_NAMES.get(c.source, c.source),
                    c.year,
                    c.what,
                    c.in_ssd,
                    c.in_return,
                    c.matched,
                    c.only_in_ssd,
                    c.only_in_return,
                    c.starts_differ,
                    c.ends_differ,
                ]
            )


def write_report(
    problems: list[Problem],
    out_dir: Path,
    *,
    files: list[tuple[str, str]],
    outcome: str,
    council: str | None = None,
    reconciliation: Reconciliation | None = None,
) -> tuple[Path, Path]:
    """Write ``report.csv`` and ``report.html`` into ``out_dir``; returns both paths.

    With a ``reconciliation`` that compared anything, ``reconciliation.csv`` too, and the
    HTML has a reconciliation section."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = out_dir / "report.csv", out_dir / "report.html"
    write_csv(problems, csv_path)
    reconciled = reconciliation if reconciliation and reconciliation.notes else None
    if reconciled:
        write_reconciliation_csv(reconciled, out_dir / "reconciliation.csv")
    ordered = sort_problems(problems)
    groups = []
    truncated = False
    for row in summarise(problems):
        members = [
            p for p in ordered if p.rule == row.rule and Severity(p.severity).value == row.severity
        ]
        truncated = truncated or len(members) > HTML_ROWS_PER_RULE
        groups.append(
            {
                "rule": row.rule,
                "severity": row.severity,
                "count": row.count,
                "rows": members[:HTML_ROWS_PER_RULE],
            }
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(package_data("sources", "templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    html = env.get_template("quality_report.html.j2").render(
        council=council,
        outcome=outcome,
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        files=[{"path": p, "kind": k} for p, k in files],
        summary=summarise(problems),
        groups=groups,
        truncated=truncated,
        limit=HTML_ROWS_PER_RULE,
        reconciliation=reconciled,
        reconciled_lines=reconciled.lines() if reconciled else [],
        source_names=SOURCE_NAMES,
    )
    html_path.write_text(html, encoding="utf-8")
    return csv_path, html_path
