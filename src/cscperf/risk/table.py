"""The register as a table in the committee's layout, with every field, for the pack's
workbook, the CSV download and ``cscperf risk show``.

The columns follow Norfolk's register (risk number, name, description, date entered, current
likelihood, impact and score, tasks, progress, target likelihood, impact, score and date,
direction of travel, prospects, owner, reviewer, review date), then what cscperf adds: the
bands, last month's score, when the next review is due and whether it is overdue, the linked
indicators (with their RAG when known), the status and the record of the change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from cscperf.risk.register import DIRECTION_WORDS, PROSPECT_LABELS, Register, RegisterRow

HEADERS = (
    "Risk number",
    "Area",
    "Category",
    "Risk name",
    "Risk description",
    "Date entered on risk register",
    "Current likelihood",
    "Current impact",
    "Current risk score",
    "Current band",
    "Score last month",
    "Tasks to mitigate the risk",
    "Progress update",
    "Target likelihood",
    "Target impact",
    "Target risk score",
    "Target band",
    "Target date",
    "Direction of travel",
    "Prospects of meeting target score by target date",
    "Risk owner",
    "Reviewed and/or updated by",
    "Date of review and/or update",
    "Next review due",
    "Review overdue",
    "Linked indicators",
    "Status",
    "Direction as the council's file stated it",
    "Prospects as the council's file stated them",
    "Version",
    "Recorded (UTC)",
    "Recorded by",
    "Change",
    "Source",
)


def linked_text(row: RegisterRow, rag_of: Callable[[str], str | None] | None) -> str:
    """The linked indicators, each with its current RAG when it has one: ``lac.rate (Red)``."""
    parts = []
    for link in row.risk.links:
        rag = rag_of(link) if rag_of else None
        parts.append(f"{link} ({rag.capitalize()})" if rag and rag != "none" else link)
    return "; ".join(parts)


def row_values(row: RegisterRow, rag_of: Callable[[str], str | None] | None = None) -> list[Any]:
    """One register row's cells, in :data:`HEADERS` order (dates as dates)."""
    r = row.risk
    return [
        r.risk_id,
        r.area,
        r.category,
        r.name,
        r.description,
        r.entered,
        r.likelihood,
        r.impact,
        r.score,
        row.band.label,
        row.previous_score,
        r.tasks,
        r.progress,
        r.target_likelihood,
        r.target_impact,
        r.target_score,
        row.target_band.label,
        r.target_date,
        DIRECTION_WORDS[row.direction],
        PROSPECT_LABELS[row.prospects],
        r.owner,
        r.reviewed_by,
        r.reviewed_on,
        row.review_due,
        "Yes" if row.overdue else "No",
        linked_text(row, rag_of),
        r.status.capitalize(),
        r.stated_direction,
        r.stated_prospects,
        r.version,
        r.recorded_at,
        r.recorded_by,
        r.change,
        r.source,
    ]


def register_rows(
    register: Register, rag_of: Callable[[str], str | None] | None = None
) -> list[list[Any]]:
    return [row_values(row, rag_of) for row in register.rows]


def as_text(value: Any) -> str:
    """A cell for CSV or the terminal: dates as DD/MM/YYYY (the council's own way)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)
