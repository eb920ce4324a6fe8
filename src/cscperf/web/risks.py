"""The risk register's pages: the register of a month (heat map and table), one risk with its
whole history, and the forms to add a risk, update its score and progress, and close it.

The register changes between builds, so these pages are never taken from the page cache.
Every change goes through the application layer (:mod:`cscperf.app.risk`), is checked field by
field (errors shown GOV.UK style, the form kept as typed) and is recorded with who made it and
when; a change is accepted only from a form this dashboard served (:mod:`cscperf.web.forms`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cscperf.app.risk import (
    record_add,
    record_close,
    record_update,
    register_for,
    risk_settings,
    user_name,
)
from cscperf.finance.month import month_finance
from cscperf.reports.risk_section import pack_rag, risk_section
from cscperf.risk.history import read_versions
from cscperf.risk.register import AMBER, GREEN, MET, RED, register_as_at
from cscperf.risk.table import HEADERS, as_text, register_rows
from cscperf.spreadsheet_safety import csv_rows_text
from cscperf.store import audit
from cscperf.web.data import NotFound
from cscperf.web.forms import (
    CSRF_FIELD,
    EDIT_RISKS,
    Forbidden,
    User,
    checked_form,
    csrf_token,
    current_user,
    require,
    set_csrf_cookie,
)
from cscperf.web.views import TAG_CLASS

PROSPECT_TAGS = {
    MET: "govuk-tag--blue",
    GREEN: "govuk-tag--green",
    AMBER: "govuk-tag--yellow",
    RED: "govuk-tag--red",
}
SAVED = {
    "added": "The risk was added to the register.",
    "updated": "The risk's score and progress were updated.",
    "closed": "The risk was closed.",
}
# the fields of each form, in the order the error summary lists them
FORM_FIELDS = {
    "add": (
        "risk_id",
        "name",
        "description",
        "owner",
        "likelihood",
        "impact",
        "target_likelihood",
        "target_impact",
        "target_date",
        "tasks",
        "progress",
        "links",
    ),
    "update": ("likelihood", "impact", "progress", "links"),
    "close": ("progress",),
}


def risk_url(risk_id: str, tail: str = "") -> str:
    return f"/risks/{quote(risk_id, safe='')}{tail}"


def add_risk_routes(app: FastAPI, pages: Any, today: Callable[[], date] = date.today) -> None:
    """The register's pages and forms on the dashboard ``app``."""
    data = pages.data

    def user(request: Request) -> User:
        return current_user(request, user_name(risk_settings(data.path)))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> HTMLResponse:
        return pages.render(
            request, "error.html", 403, title="You cannot do that", message=str(exc)
        )

    @app.get("/risks", response_class=HTMLResponse)
    def register_page(
        request: Request, build: str | None = None, period: str | None = None
    ) -> HTMLResponse:
        chosen = pages.selection(build, period, None)
        day = chosen["period_end"] if period else today()
        pack = chosen["pack"]
        register = register_for(data.path, day)
        titles = {ref: d.title for ref, d in data.definitions().items()}
        # read afresh, as the finance page does: finance can be imported into a build later
        finance = month_finance(data.build(chosen["facts"].id), chosen["period_end"])
        section = risk_section(register, pack_rag(pack, finance), titles)
        return pages.render(
            request,
            "risks.html",
            **chosen,
            risks=section,
            as_at_today=not period,
            held=bool(read_versions(data.path)),
            url_of=risk_url,
            rag_tags=TAG_CLASS,
            prospect_tags=PROSPECT_TAGS,
            saved=SAVED.get(request.query_params.get("saved", "")),
        )

    @app.get("/risks.csv")
    def register_csv(period: str | None = None) -> Response:
        _facts, period_end, _ = data.resolve(None, period, None)
        day = period_end if period else today()
        rows = register_rows(register_for(data.path, day))
        text = csv_rows_text(HEADERS, ([as_text(v) for v in r] for r in rows))
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="risk-register-{day}.csv"'},
        )

    _add_forms(app, pages, user, today)  # first: /risks/new before /risks/{risk_id}
    _add_risk_page(app, pages, today)


def _add_risk_page(app: FastAPI, pages: Any, today: Callable[[], date]) -> None:
    data = pages.data

    @app.get("/risks/{risk_id}", response_class=HTMLResponse)
    def risk_page(request: Request, risk_id: str) -> HTMLResponse:
        versions = read_versions(data.path, risk_id)
        if not versions:
            raise NotFound(f"the register has no risk {risk_id!r}; the register lists them")
        day = max(today(), *(v.reviewed_on for v in versions))
        register = register_as_at(versions, day, risk_settings(data.path))
        row = register.rows[0] if register.rows else None
        latest = max(versions, key=lambda v: (v.reviewed_on, v.version or 0))
        return pages.render(
            request,
            "risk.html",
            facts=pages.current_facts(),
            title=f"Risk {risk_id}",
            risk=latest,
            row=row,
            section=risk_section(register) if row else None,
            versions=list(reversed(versions)),
            url_of=risk_url,
            saved=SAVED.get(request.query_params.get("saved", "")),
        )


def _add_forms(
    app: FastAPI, pages: Any, user: Callable[[Request], User], today: Callable[[], date]
) -> None:
    """GET shows a form (with a fresh token), POST checks and records it."""
    data = pages.data

    def form_page(request: Request, kind: str, status: int = 200, **context: Any) -> HTMLResponse:
        require(user(request), EDIT_RISKS)
        risk = context.get("risk")
        if risk is not None and not risk.is_open:
            return pages.render(
                request,
                "error.html",
                409,
                title="This risk is closed",
                message=f"Risk {risk.risk_id} was closed on {risk.reviewed_on:%-d %B %Y}; a "
                "closed risk is not changed (add it again under a new number if it returns).",
            )
        token = csrf_token(request)
        errors = context.pop("errors", {})
        ordered = [(f, errors[f]) for f in FORM_FIELDS[kind] if f in errors]
        response = pages.render(
            request,
            "risk_form.html",
            status,
            facts=pages.current_facts(),
            kind=kind,
            csrf_field=CSRF_FIELD,
            csrf=token,
            errors=dict(ordered),
            # a date's first box carries the field's id with "-day" after it
            error_list=[
                {"text": m, "href": f"#{f}-day" if f == "target_date" else f"#{f}"}
                for f, m in ordered
            ],
            scale=risk_settings(data.path).scale,
            url_of=risk_url,
            **context,
        )
        set_csrf_cookie(response, token)
        return response

    def latest_or_404(risk_id: str) -> Any:
        versions = read_versions(data.path, risk_id)
        if not versions:
            raise NotFound(f"the register has no risk {risk_id!r}; the register lists them")
        return max(versions, key=lambda v: (v.reviewed_on, v.version or 0))

    @app.get("/risks/new", response_class=HTMLResponse)
    def add_page(request: Request) -> HTMLResponse:
        return form_page(request, "add", title="Add a risk", values={})

    @app.post("/risks/new", response_class=HTMLResponse)
    async def add_post(request: Request) -> Response:
        who = user(request)
        require(who, EDIT_RISKS)
        values = await checked_form(request)
        result = record_add(data.path, values, user=who.name, today=today())
        if result.version is None:
            return form_page(
                request, "add", 400, title="Add a risk", values=values, errors=result.errors
            )
        audit.record(data.path, who.name, audit.RISK_EDIT, f"added risk {result.version.risk_id}")
        return _saved(result.version.risk_id, "added")

    for kind, record, title in (
        ("update", record_update, "Update the score and progress"),
        ("close", record_close, "Close the risk"),
    ):
        _add_change_form(app, form_page, latest_or_404, user, today, (kind, record, title))


def _add_change_form(
    app: FastAPI,
    form_page: Callable[..., HTMLResponse],
    latest_or_404: Callable[[str], Any],
    user: Callable[[Request], User],
    today: Callable[[], date],
    what: tuple[str, Callable[..., Any], str],
) -> None:
    """One form changing an existing risk: ``what`` is (kind, the recording function, title)."""
    kind, record, title = what
    path = "/risks/{risk_id}/" + kind

    @app.get(path, response_class=HTMLResponse, name=f"risk_{kind}_page")
    def change_page(request: Request, risk_id: str) -> HTMLResponse:
        latest = latest_or_404(risk_id)
        values = {
            "likelihood": str(latest.likelihood),
            "impact": str(latest.impact),
            "links": " ".join(latest.links),
            "progress": latest.progress if kind == "update" else "",
        }
        return form_page(request, kind, title=title, values=values, risk=latest)

    @app.post(path, response_class=HTMLResponse, name=f"risk_{kind}_post")
    async def change_post(request: Request, risk_id: str) -> Response:
        who = user(request)
        require(who, EDIT_RISKS)
        latest = latest_or_404(risk_id)
        values = await checked_form(request)
        if not latest.is_open:
            return form_page(request, kind, title=title, values=values, risk=latest)
        result = record(request.app.state.data.path, risk_id, values, user=who.name, today=today())
        if result.version is None:
            shown = {"title": title, "values": values, "risk": latest, "errors": result.errors}
            return form_page(request, kind, 400, **shown)
        audit.record(
            request.app.state.data.path, who.name, audit.RISK_EDIT, f"{kind} risk {risk_id}"
        )
        return _saved(risk_id, "closed" if kind == "close" else "updated")


def _saved(risk_id: str, what: str) -> RedirectResponse:
    """After a change, the risk's page (POST, redirect, GET: reloading sends nothing again)."""
    return RedirectResponse(risk_url(risk_id, f"?saved={what}"), status_code=303)
