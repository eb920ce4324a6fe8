"""The audit log's pages, for administrators: the latest entries (optionally one action or one
person's) and the whole log as a CSV file whose cells a spreadsheet will not run as formulas.
Exporting the log is itself written to the log."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from cscperf.spreadsheet_safety import csv_rows_text
from cscperf.store import audit
from cscperf.web.forms import ADMINISTER, current_user, require

SHOWN = 500  # entries on the page; the CSV file has them all


def add_audit_routes(app: FastAPI, pages: Any) -> None:
    data = pages.data

    @app.get("/admin/audit", response_class=HTMLResponse)
    def audit_page(
        request: Request, action: str | None = None, who: str | None = None
    ) -> HTMLResponse:
        require(current_user(request), ADMINISTER)
        entries = audit.read_entries(data.path, action=action or None, who=who or None, limit=SHOWN)
        return pages.render(
            request,
            "audit.html",
            facts=pages.current_facts(),
            title="Audit log",
            entries=entries,
            action=action or "",
            who=who or "",
            shown=SHOWN,
        )

    @app.get("/admin/audit.csv")
    def audit_csv(request: Request) -> Response:
        user = current_user(request)
        require(user, ADMINISTER)
        audit.record(data.path, user.name, audit.AUDIT_EXPORT, "the whole log as CSV")
        entries = audit.read_entries(data.path)
        text = csv_rows_text(audit.AUDIT_HEADERS, (audit.entry_row(e) for e in entries))
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="cscperf-audit-log.csv"'},
        )
