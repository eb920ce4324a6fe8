"""The summary an analyst sees after ``cscperf ingest``: files, rows, problems (Rich tables).

Counts only: no child's identifier ever appears here.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.table import Table

from cscperf.sources.base import Problem, Severity
from cscperf.sources.ingest import IngestOutcome

MAX_FILES_LISTED = 60
MAX_ERRORS_LISTED = 10


def summary_tables(outcome: IngestOutcome) -> list[Table]:
    files = Table(title="Files read", title_justify="left")
    files.add_column("File")
    files.add_column("Recognised as")
    for item in outcome.files[:MAX_FILES_LISTED]:
        files.add_row(str(item.path), item.description)
    if len(outcome.files) > MAX_FILES_LISTED:
        files.add_row(f"... and {len(outcome.files) - MAX_FILES_LISTED} more", "")

    rows = Table(title="Rows per table", title_justify="left")
    rows.add_column("Table")
    rows.add_column("Rows", justify="right")
    for name, count in outcome.row_counts.items():
        rows.add_row(name, f"{count:,}")

    problems = Table(title="Problems by severity and rule", title_justify="left")
    problems.add_column("Severity")
    problems.add_column("Rule")
    problems.add_column("Count", justify="right")
    counts = Counter((Severity(p.severity).value, p.rule) for p in outcome.problems)
    order = {"error": 0, "warning": 1, "info": 2}
    for (severity, rule), count in sorted(counts.items(), key=lambda i: (order[i[0][0]], i[0][1])):
        problems.add_row(severity, rule, f"{count:,}")
    if not counts:
        problems.add_row("-", "no problems found", "0")
    tables = [files, rows, problems]
    if outcome.reconciled:
        reconciled = Table(
            title="The SSD and the returns (the SSD is the record)", title_justify="left"
        )
        reconciled.add_column("What the returns say against the SSD")
        for line in outcome.reconciled:
            reconciled.add_row(line)
        tables.append(reconciled)
    errors = [p for p in outcome.problems if Severity(p.severity) is Severity.ERROR]
    if errors:
        tables.append(_first_errors(errors))
    return tables


def _first_errors(errors: list[Problem]) -> Table:
    """Where the blocking problems are, so the analyst can start fixing without the report."""
    shown = errors[:MAX_ERRORS_LISTED]
    title = "Errors that stop the load"
    if len(errors) > len(shown):
        title += f" (first {len(shown)} of {len(errors):,}; all are in the report)"
    table = Table(title=title, title_justify="left")
    table.add_column("File", overflow="fold")
    table.add_column("Row", justify="right")
    table.add_column("Field", overflow="fold")
    table.add_column("What is wrong", ratio=1)
    for problem in shown:
        table.add_row(
            Path(problem.file).name,  # the full path is in the report
            "" if problem.row is None else str(problem.row),
            problem.field or "",
            problem.message,
        )
    return table
