"""The audit log's pages, for administrators: the latest entries (optionally one action or one
person's) and the whole log as a CSV file whose cells a spreadsheet will not run as formulas, or
as JSON lines (exact, for ``cscperf audit verify --file``), written by the same function as
``cscperf audit export``. Exporting the log is itself written to the log."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

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

    def _export(request: Request, fmt: str, media_type: str) -> Response:
        user = current_user(request)
        require(user, ADMINISTER)
        return Response(
            audit.export(data.path, fmt, user.name),
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="cscperf-audit-log.{fmt}"'},
        )

    @app.get("/admin/audit.csv")
    def audit_csv(request: Request) -> Response:
        return _export(request, audit.CSV, "text/csv; charset=utf-8")

    @app.get("/admin/audit.jsonl")
    def audit_jsonl(request: Request) -> Response:
        return _export(request, audit.JSONL, "application/jsonl; charset=utf-8")
