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
NOT_WRITTEN = "not_written"
# the list's status filter: value -> label
STATUS_FILTERS = {NOT_WRITTEN: "Not written", **STATE_NAMES}
PAGE_SIZE = 20


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
        request: Request,
        period: str | None = None,
        locality: str | None = None,
        area: str | None = None,
        status: str | None = None,
        page: str | None = None,
    ) -> HTMLResponse:
        who = user(request)
        chosen = pages.selection(None, period, locality)
        key_period = f"{chosen['period_end']:%Y-%m}"
        layout = load_layout()
        by_area: dict[str, list[Any]] = {}
        for definition in data.definitions().values():
            by_area.setdefault(definition.area, []).append(definition)
        # a person scoped to some areas reads only those areas' commentary (drafts included)
        mine = [a for a in sorted(by_area, key=layout.area_order) if who.may_see_area(a)]
        area = area or None
        if area is not None and area not in by_area:
            raise NotFound(f"there is no topic {area!r}; choose one from the list")
        if area is not None and area not in mine:
            raise Forbidden(f"{who.name} may not read the commentary on {area}.")
        status = status or None
        if status is not None and status not in STATUS_FILTERS:
            raise NotFound(f"there is no status {status!r}; choose one from the list")

        def make() -> dict[str, Any]:
            """The page's rows: made again only when commentary changes (the page is kept
            per person, filter, page number and commentary version)."""
            rows = _commentary_rows(
                latest_versions(data.path, keep=_readable(who, _area_of(data))),
                by_area,
                [area] if area else mine,
                Key(AREA, "", key_period, chosen["locality"] or ""),
                layout,
            )
            if status is not None:
                rows = [
                    r
                    for r in rows
                    if (r["version"].state if r["version"] else NOT_WRITTEN) == status
                ]
            number, pages_count = _page_number(page, len(rows))
            query = {
                "period": key_period,
                **({"locality": chosen["locality"]} if chosen["locality"] else {}),
                **({"area": area} if area else {}),
                **({"status": status} if status else {}),
            }
            return {
                "title": "Commentary",
                "rows": rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
                "total": len(rows),
                "first_shown": (number - 1) * PAGE_SIZE + 1,
                "page_number": number,
                "pagination": _pagination(query, number, pages_count),
                "topics": [(a, layout.area_title(a)) for a in mine],
                "topic": area,
                "statuses": STATUS_FILTERS,
                "chosen_status": status,
                "url_of": commentary_url,
                "state_names": STATE_NAMES,
                "state_tags": STATE_TAGS,
            }

        return pages.render_cached(
            request, "commentary.html", chosen, make, extra_key=(area, status, page)
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
        """The form and its history; as first shown (no answer to a form being sent) it is
        rendered once per person, piece of commentary and commentary version, and the
        person's own CSRF token put in on every request."""
        who = user(request)
        if not may_write(who, key) or not (
            who.may(WRITE_COMMENTARY) or who.may(SIGN_OFF_COMMENTARY)
        ):
            raise Forbidden(f"{who.name} may not write or sign off this commentary.")
        token = csrf_token(request)
        saved = SAVED.get(request.query_params.get("saved", ""))

        def make(values: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
            versions = history(data.path, key)
            latest = versions[0] if versions else None
            if values is None:
                values = dict(latest.fields) if latest else {}
            errors = extra.pop("errors", {})
            title = (
                data.definitions()[key.subject].title
                if key.kind == INDICATOR
                else load_layout().area_title(key.subject)
            )
            return {
                "facts": pages.current_facts(),
                "title": f"Commentary: {title}",
                "subject_title": title,
                "key": key,
                "month": date.fromisoformat(key.period + "-01"),
                "fields": [(f, *FIELD_LABELS[f]) for f in FIELDS[key.kind]],
                "values": values,
                "errors": errors,
                "error_list": [{"text": m, "href": f"#{f}"} for f, m in errors.items()],
                "versions": versions,
                "latest": latest,
                "may_write": who.may(WRITE_COMMENTARY),
                "may_sign": who.may(SIGN_OFF_COMMENTARY)
                and latest is not None
                and latest.state == SUBMITTED,
                "csrf_field": CSRF_FIELD,
                "state_names": STATE_NAMES,
                "state_tags": STATE_TAGS,
                "saved": saved,
                **extra,
            }

        if status == 200 and not context:
            version = (data.commentary_version(), pages.current_facts(), saved)
            response = pages.render_kept(
                request, "commentary_form.html", (who, key, version), make, fill={"csrf": token}
            )
        else:  # an answer to a form: what was typed, and what is wrong with it
            response = pages.render(
                request, "commentary_form.html", status, csrf=token, **make(**context)
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
            data.commentary_saved()
        except CommentaryRefused as exc:
            return page(request, key, 409, values=values, errors={"action": str(exc)})
        return RedirectResponse(commentary_url(saved.key, saved=action), status_code=303)


def _area_of(data: Any) -> Callable[[Key], str]:
    def area_of(key: Key) -> str:
        if key.kind == AREA:
            return key.subject
        definition = data.definitions().get(key.subject)
        return definition.area if definition is not None else ""

    return area_of


def _readable(who: User, area_of: Callable[[Key], str]) -> Callable[[Key], bool]:
    """Whether ``who`` may read a piece of commentary: in their areas and localities."""
    return lambda key: who.may_see_area(area_of(key)) and who.may_see_locality(key.locality or None)


def _commentary_rows(
    latest: dict[Key, Version],
    by_area: dict[str, list[Any]],
    areas: list[str],
    month: Key,
    layout: Any,
) -> list[dict[str, Any]]:
    """One row per piece of commentary of the month and place: each topic's analysis, then
    its indicators by title."""
    rows: list[dict[str, Any]] = []
    for area in areas:
        title = layout.area_title(area)
        keys = [("The topic's performance analysis", Key(AREA, area, month.period, month.locality))]
        keys += [
            (d.title, Key(INDICATOR, d.id, month.period, month.locality))
            for d in sorted(by_area[area], key=lambda d: d.title)
        ]
        rows += [
            {"topic": title, "label": label, "key": key, "version": latest.get(key)}
            for label, key in keys
        ]
    return rows


def _page_number(page: str | None, count: int) -> tuple[int, int]:
    """The page asked for (1 when none) and how many pages there are; a page that is not a
    number, or past the last, is a :class:`NotFound`."""
    pages_count = max(1, -(-count // PAGE_SIZE))
    if page in (None, ""):
        return 1, pages_count
    if not page.isdigit() or not 1 <= int(page) <= pages_count:
        raise NotFound(f"there is no page {page!r}; there are {pages_count}")
    return int(page), pages_count


def _pagination(query: dict[str, str], number: int, pages_count: int) -> dict[str, Any] | None:
    """The GOV.UK pagination component's parameters (None when everything fits one page)."""
    if pages_count == 1:
        return None

    def href(n: int) -> str:
        return "/commentary?" + urlencode({**query, "page": str(n)})

    return {
        "items": [
            {"number": n, "href": href(n), "current": n == number}
            for n in range(1, pages_count + 1)
        ],
        **({"previous": {"href": href(number - 1)}} if number > 1 else {}),
        **({"next": {"href": href(number + 1)}} if number < pages_count else {}),
        "landmarkLabel": "Commentary pages",
    }


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
