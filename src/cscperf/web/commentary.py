"""The commentary pages: the month's commentary by topic and indicator with its state, and the
form to write, submit, return or sign off one piece of it, with its whole history.

Commentary lives in the store's council database (:mod:`cscperf.app.commentary`), never in a
build, so these pages are never taken from the page cache. Writers (``commentary.write``) save
drafts and submit them, for the areas and localities they are scoped to; a signer
(``commentary.sign_off``) signs off or returns what was submitted. Every change is checked
(errors shown GOV.UK style, the form kept as typed), accepted only from a form this dashboard
served (:mod:`cscperf.web.forms`), and written to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cscperf.app.commentary import (
    AREA,
    DRAFT,
    FIELDS,
    INDICATOR,
    RETURNED,
    SIGNED_OFF,
    STATE_NAMES,
    SUBMITTED,
    CommentaryRefused,
    Key,
    Version,
    check_fields,
    history,
    latest_versions,
    record,
)
from cscperf.reports.layout import load_layout
from cscperf.store import audit
from cscperf.web.data import NotFound
from cscperf.web.forms import (
    CSRF_FIELD,
    SIGN_OFF_COMMENTARY,
    WRITE_COMMENTARY,
    Forbidden,
    User,
    checked_form,
    csrf_token,
    current_user,
    require,
    set_csrf_cookie,
)

FIELD_LABELS = {
    "analysis": ("Performance analysis", "For the topic page of the pack."),
    "why_it_matters": ("Why is this important?", ""),
    "background": (
        "What is the background to current performance?",
        "Replaces the pack's automatic draft sentences.",
    ),
    "success": ("What will success look like?", ""),
    "action": ("Action required", ""),
    "lead_officer": ("Lead officer", ""),
    "data_owner": ("Data owner", ""),
}
STATE_TAGS = {
    DRAFT: "govuk-tag--grey",
    SUBMITTED: "govuk-tag--blue",
    RETURNED: "govuk-tag--orange",
    SIGNED_OFF: "govuk-tag--green",
}
# the form's buttons: action -> (state recorded, permission, message when saved)
ACTIONS = {
    "save": (DRAFT, WRITE_COMMENTARY, "The draft was saved."),
    "submit": (SUBMITTED, WRITE_COMMENTARY, "The commentary was submitted for sign-off."),
    "return": (RETURNED, SIGN_OFF_COMMENTARY, "The commentary was returned to its writer."),
    "sign_off": (SIGNED_OFF, SIGN_OFF_COMMENTARY, "The commentary was signed off."),
}
SAVED = {action: message for action, (_s, _p, message) in ACTIONS.items()}


def commentary_url(key: Key, **extra: str) -> str:
    query = {"period": key.period, **({"locality": key.locality} if key.locality else {})}
    query.update(extra)
    return f"/commentary/{key.kind}/{quote(key.subject, safe='')}?{urlencode(query)}"


def add_commentary_routes(app: FastAPI, pages: Any) -> None:
    """The commentary list and form on the dashboard ``app``."""
    data = pages.data

    def user(request: Request) -> User:
        return current_user(request)

    @app.get("/commentary", response_class=HTMLResponse)
    def commentary_list(
        request: Request, period: str | None = None, locality: str | None = None
    ) -> HTMLResponse:
        chosen = pages.selection(None, period, locality)
        key_period = f"{chosen['period_end']:%Y-%m}"
        latest = latest_versions(data.path)
        place = chosen["locality"] or ""
        topics = []
        layout = load_layout()
        by_area: dict[str, list[Any]] = {}
        for definition in data.definitions().values():
            by_area.setdefault(definition.area, []).append(definition)
        for area in sorted(by_area, key=layout.area_order):
            topic_key = Key(AREA, area, key_period, place)
            rows = [("The topic's performance analysis", topic_key, latest.get(topic_key))]
            for d in sorted(by_area[area], key=lambda d: d.title):
                key = Key(INDICATOR, d.id, key_period, place)
                rows.append((d.title, key, latest.get(key)))
            topics.append({"title": layout.area_title(area), "rows": rows})
        return pages.render(
            request,
            "commentary.html",
            **chosen,
            title="Commentary",
            topics=topics,
            url_of=commentary_url,
            state_names=STATE_NAMES,
            state_tags=STATE_TAGS,
        )

    _add_form(app, pages, user)


def _add_form(app: FastAPI, pages: Any, user: Callable[[Request], User]) -> None:
    data = pages.data

    def key_of(kind: str, subject: str, period: str | None, locality: str | None) -> Key:
        definitions = data.definitions()
        if kind == INDICATOR and subject not in definitions:
            raise NotFound(f"there is no indicator {subject!r}; the summary lists them")
        if kind == AREA and subject not in {d.area for d in definitions.values()}:
            raise NotFound(f"there is no topic {subject!r}; the commentary page lists them")
        if kind not in (INDICATOR, AREA):
            raise NotFound("commentary is written for an indicator or a topic")
        _facts, period_end, place = data.resolve(None, period, locality)
        return Key(kind, subject, f"{period_end:%Y-%m}", place or "")

    def area_of(key: Key) -> str:
        return key.subject if key.kind == AREA else data.definitions()[key.subject].area

    def may_write(who: User, key: Key) -> bool:
        return who.may_see_area(area_of(key)) and who.may_see_locality(key.locality or None)

    def page(request: Request, key: Key, status: int = 200, **context: Any) -> HTMLResponse:
        who = user(request)
        if not may_write(who, key) or not (
            who.may(WRITE_COMMENTARY) or who.may(SIGN_OFF_COMMENTARY)
        ):
            raise Forbidden(f"{who.name} may not write or sign off this commentary.")
        versions = history(data.path, key)
        latest = versions[0] if versions else None
        values = context.pop("values", None)
        if values is None:
            values = dict(latest.fields) if latest else {}
        errors = context.pop("errors", {})
        token = csrf_token(request)
        title = (
            data.definitions()[key.subject].title
            if key.kind == INDICATOR
            else load_layout().area_title(key.subject)
        )
        response = pages.render(
            request,
            "commentary_form.html",
            status,
            facts=pages.current_facts(),
            title=f"Commentary: {title}",
            subject_title=title,
            key=key,
            month=date.fromisoformat(key.period + "-01"),
            fields=[(f, *FIELD_LABELS[f]) for f in FIELDS[key.kind]],
            values=values,
            errors=errors,
            error_list=[{"text": m, "href": f"#{f}"} for f, m in errors.items()],
            versions=versions,
            latest=latest,
            may_write=who.may(WRITE_COMMENTARY),
            may_sign=who.may(SIGN_OFF_COMMENTARY)
            and latest is not None
            and latest.state == SUBMITTED,
            csrf_field=CSRF_FIELD,
            csrf=token,
            state_names=STATE_NAMES,
            state_tags=STATE_TAGS,
            saved=SAVED.get(request.query_params.get("saved", "")),
            **context,
        )
        set_csrf_cookie(response, token)
        return response

    @app.get("/commentary/{kind}/{subject}", response_class=HTMLResponse)
    def commentary_page(
        request: Request,
        kind: str,
        subject: str,
        period: str | None = None,
        locality: str | None = None,
    ) -> HTMLResponse:
        return page(request, key_of(kind, subject, period, locality))

    @app.post("/commentary/{kind}/{subject}", response_class=HTMLResponse)
    async def commentary_post(
        request: Request,
        kind: str,
        subject: str,
        period: str | None = None,
        locality: str | None = None,
    ) -> Response:
        key = key_of(kind, subject, period, locality)
        who = user(request)
        values = await checked_form(request)
        action = values.pop("action", "")
        if action not in ACTIONS:
            return page(request, key, 400, values=values, errors={})
        state, permission, _ = ACTIONS[action]
        require(who, permission)
        if not may_write(who, key):
            raise Forbidden(f"{who.name} may not write or sign off this commentary.")
        note = values.pop("note", "").strip()
        checked = check_fields(key.kind, values)
        if state == RETURNED and not note:
            checked.errors["note"] = "Say what should change before returning it"
        if checked.errors:
            return page(request, key, 400, values=values, errors=checked.errors)
        try:
            saved = _record(data.path, key, state, checked.fields, who, note)
        except CommentaryRefused as exc:
            return page(request, key, 409, values=values, errors={"action": str(exc)})
        return RedirectResponse(commentary_url(saved.key, saved=action), status_code=303)


def _record(
    store: Any, key: Key, state: str, fields: dict[str, str], who: User, note: str
) -> Version:
    """Record the version and write the change to the audit log."""
    saved = record(store, key, state, fields, who.name, note)
    audit.record(
        store,
        who.name,
        f"commentary.{state}",
        {
            "kind": key.kind,
            "subject": key.subject,
            "period": key.period,
            "locality": key.locality,
            "version": saved.number,
        },
    )
    return saved
