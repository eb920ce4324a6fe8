"""The FastAPI application behind ``cscperf serve``: routes, templates, errors, access logs.

Owns the URLs (dashboard, summary, indicator pages, builds, downloads, health), their
bookmarkable query parameters (``build``, ``period``, ``locality``, ``area``), the Jinja2
environment with the GOV.UK Frontend macros, the 404 page that says what to choose instead,
and one JSON line per request in the access log (path without query string, status, time).
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
)
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from markupsafe import Markup, escape

from cscperf import __version__
from cscperf.app.commentary import INDICATOR, Key
from cscperf.app.jobs import JobQueue, QueueFull
from cscperf.app.risk import risk_settings, user_name
from cscperf.errors import CscperfError
from cscperf.indicators.children import child_lists
from cscperf.reports.layout import format_term
from cscperf.settings import SignInSettings
from cscperf.web import views
from cscperf.web.audit_pages import add_audit_routes
from cscperf.web.auth import (
    acting_user,
    add_sign_in,
    add_sign_in_errors,
    require_sign_in_everywhere,
)
from cscperf.web.charts import chart_set
from cscperf.web.children import add_children_routes, children_url
from cscperf.web.commentary import add_commentary_routes, commentary_url
from cscperf.web.data import BeingPrepared, DashboardData, NotFound, set_patience
from cscperf.web.finance import add_finance_routes
from cscperf.web.forecast import add_forecast_routes
from cscperf.web.forms import Forbidden
from cscperf.web.packs import existing_pack, pack_folder, pack_job_key, start_pack_job
from cscperf.web.pool import add_pool_routes
from cscperf.web.risks import add_risk_routes
from cscperf.web.security import NOTHING_ALLOWED, RequestGuard, allowed_host_names, page_policy
from cscperf.web.theme import load_theme

HERE = Path(__file__).parent
ACCESS_LOG = logging.getLogger("cscperf.web.access")
PACK_JOBS_AT_ONCE = 4  # packs waiting or being made; one is made at a time
POLLING = (b"hx-trigger", b"being-prepared")  # the "being prepared" page asking again
PACK_FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def template_environment() -> Environment:
    """Our templates first, then the GOV.UK Frontend macros under ``govuk_frontend_jinja/``."""
    loader = ChoiceLoader(
        [
            FileSystemLoader(HERE / "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    # the templates ship with cscperf: read once, not checked for changes on every page
    env = Environment(
        loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True, auto_reload=False
    )
    env.filters["month"] = lambda d: f"{d:%B %Y}"
    env.filters["ym"] = lambda d: f"{d:%Y-%m}"
    env.filters["term"] = format_term
    return env


def access_line(method: str, path: str, status: int, millis: float) -> str:
    """One JSON access-log line. The query string is left out: it could carry identifiers."""
    return json.dumps(
        {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "method": method,
            "path": path,
            "status": status,
            "ms": round(millis, 1),
        }
    )


class AccessLog:
    """Pure ASGI middleware (cheaper than ``BaseHTTPMiddleware``): one JSON line per request
    and protective headers on every response (pages set their own Content-Security-Policy;
    anything else gets one that allows nothing)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        polling = POLLING in scope.get("headers", ())

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if polling and status == 200:
                    headers.append((b"hx-refresh", b"true"))  # ready: htmx reloads the page
                if not any(name.lower() == b"content-security-policy" for name, _ in headers):
                    headers.append((b"content-security-policy", NOTHING_ALLOWED.encode()))
                message["headers"] = [
                    *headers,
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            millis = (time.perf_counter() - started) * 1000
            if ACCESS_LOG.isEnabledFor(logging.INFO):
                ACCESS_LOG.info(access_line(scope["method"], scope["path"], status, millis))


def with_policy(html: str) -> tuple[str, str]:
    """A page and the Content-Security-Policy that lets exactly its own inline blocks run."""
    return html, page_policy(html)


def sentence(exc: Exception) -> str:
    """An error's message as a sentence for a page: capital first letter, full stop."""
    text = str(exc).strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def page_url(path: str, **params: str | None) -> str:
    """A bookmarkable URL: only the parameters that are set, in a fixed order."""
    kept = {k: v for k, v in params.items() if v}
    return f"{path}?{urlencode(kept)}" if kept else path


def create_app(
    store: Path,
    *,
    benchmarks: bool = True,
    commentary: Path | None = None,
    allowed_hosts: tuple[str, ...] = (),
    sign_in: SignInSettings | None = None,
    pool: Path | None = None,
    prepare_wait: float | None = None,
) -> FastAPI:
    """The dashboard for a store. ``benchmarks=False`` skips the published DfE figures; it
    answers to the loopback names and to ``allowed_hosts`` (and the sign-in settings' names).
    Without ``sign_in`` it is single-user; with it every route needs a signed-in person.
    ``pool`` adds the page of that pool's benchmarks (``/pool``).

    Results are prepared in the background (from the current build's publication, or a page's
    first use); a request waits at most ``prepare_wait`` seconds for what it needs, then the
    page says it is being prepared (``None``: it waits until ready, as tests and scripts do).
    """
    data = DashboardData(
        store,
        benchmarks=benchmarks,
        commentary=commentary,
        prepare_ahead=prepare_wait is not None,
    )
    app = FastAPI(title="cscperf dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.data = data
    app.state.sign_in = sign_in
    app.state.single_user_name = _single_user_name(store)
    require_sign_in_everywhere(app)  # before any route is added

    async def patient(request: Request) -> None:
        """How long this request may wait for results being prepared (for the data layer)."""
        set_patience(prepare_wait)  # in the request's own context: it ends with the request

    app.router.dependencies.append(Depends(patient))
    if sign_in is not None:
        allowed_hosts = (*allowed_hosts, *sign_in.allowed_hosts)
        if sign_in.public_url:
            allowed_hosts = (*allowed_hosts, urlsplit(sign_in.public_url).netloc)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    app.add_middleware(RequestGuard, allowed_hosts=allowed_host_names(allowed_hosts))
    app.add_middleware(AccessLog)

    pages = _Pages(data, template_environment())
    _add_error_pages(app, pages)
    add_sign_in_errors(app, pages)
    if sign_in is not None:
        add_sign_in(app, sign_in, pages, data.path)
    _add_pages(app, pages)
    jobs = JobQueue(workers=1, limit=PACK_JOBS_AT_ONCE)
    app.state.jobs = jobs
    app.router.on_shutdown.append(lambda: jobs.shutdown(wait=False))
    app.router.on_shutdown.append(data.close)
    _add_downloads(app, pages, jobs)
    add_risk_routes(app, pages)
    add_commentary_routes(app, pages)
    add_children_routes(app, pages)
    add_finance_routes(app, pages)
    add_forecast_routes(app, pages)
    if pool is not None:
        add_pool_routes(app, pages, pool)
    add_audit_routes(app, pages)
    _add_health(app, data)
    if prepare_wait is not None:
        _start_preparing(data)
    return app


def _start_preparing(data: DashboardData) -> None:
    """Start preparing the current build's results as the server starts."""
    try:
        current = data.store.current_id()
    except (OSError, CscperfError):
        return
    if current is not None:
        data.warm(current)


class _Pages:
    """Renders the dashboard's templates for one store's data, with a page cache for the pages
    of immutable builds."""

    def __init__(self, data: DashboardData, env: Environment) -> None:
        self.data = data
        self.env = env

    def render_cached(
        self,
        request: Request,
        name: str,
        chosen: dict[str, Any],
        make: Callable[[], dict[str, Any]],
        extra_key: tuple[Any, ...] = (),
    ) -> HTMLResponse:
        """A page of an immutable build is rendered once per page, build, month, locality,
        filter and commentary version (and htmx or not): those decide everything on it.
        ``make`` gives the rest of the context and runs only when the page is not yet cached;
        ``extra_key``: anything else the page depends on (filters not kept in its links)."""
        facts = chosen["facts"]
        key = (
            facts.id,
            facts.current,
            tuple(sorted((k, v or "") for k, v in chosen["params"].items())),
            self.data.commentary_version(),  # pages show the commentary as it is now
            extra_key,
        )
        return self.render_kept(request, name, key, lambda: {**chosen, **make()})

    def render_kept(
        self,
        request: Request,
        name: str,
        key: tuple[Any, ...],
        make: Callable[[], dict[str, Any]],
        fill: dict[str, str] | None = None,
    ) -> HTMLResponse:
        """A page rendered once per template, path, person (their name is in its header and
        their scope in its figures) and ``key`` (everything else its content depends on), then
        served from memory; ``make`` gives its context and runs only when it is not yet kept.
        ``fill``: per-request text (a form's CSRF token) rendered as a marker that no escaped
        text can contain, and put in place of the marker on every request."""
        markers = {field: Markup(f"<!--fill:{field}-->") for field in fill or {}}
        html, policy = self.data.cached(
            ("html", name, request.url.path, _user_key(), key),
            lambda: with_policy(self.render_html(request, name, **make(), **markers)),
        )
        for field, marker in markers.items():
            html = html.replace(marker, escape((fill or {})[field]))  # from a cookie: escaped
        return HTMLResponse(html, headers={"content-security-policy": policy})

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        html, policy = with_policy(self.render_html(request, name, **context))
        return HTMLResponse(html, status_code=status, headers={"content-security-policy": policy})

    def current_facts(self) -> Any:
        """The current build's facts for pages that have none (error pages), if any."""
        try:
            return self.data.facts(None)
        except CscperfError:
            return None

    def render_html(self, request: Request, name: str, **context: Any) -> str:
        facts = context.get("facts") or self.current_facts()
        la_code = facts.la_code if facts else None
        council = facts.council if facts else "Council"
        base = {
            "request": request,
            "council": council,
            "colours": _theme(la_code),
            "url": page_url,
            "version": __version__,
            "path": request.url.path,
            "user": getattr(request.state, "user", None) or acting_user(),
        }
        return self.env.get_template(name).render(**base, **context)

    def selection(
        self, build: str | None, period: str | None, locality: str | None
    ) -> dict[str, Any]:
        facts, period_end, chosen = self.data.resolve(build, period, locality)
        pack = self.data.pack(facts.id, period_end, chosen)
        # the URL keeps a build only when it is not the current one, so bookmarks follow
        # the current build unless someone chose an earlier one on purpose
        keep_build = None if facts.current else facts.id
        return {
            "facts": facts,
            "period_end": period_end,
            "locality": chosen,
            "pack": pack,
            "params": {"build": keep_build, "period": f"{period_end:%Y-%m}", "locality": chosen},
        }


def _add_error_pages(app: FastAPI, pages: _Pages) -> None:
    """Pages for a missing page or indicator (404) and for a failure (500)."""

    @app.exception_handler(BeingPrepared)
    async def being_prepared(request: Request, exc: BeingPrepared) -> HTMLResponse:
        """202: not ready yet; the page asks again (htmx) and reloads once it is."""
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        name = (
            "_being_prepared.html" if request.headers.get("HX-Request") else "being_prepared.html"
        )
        response = pages.render(request, name, 202, here=here)
        response.headers["cache-control"] = "no-store"
        return response

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> HTMLResponse:
        return pages.render(
            request, "error.html", 404, title="Page not found", message=sentence(exc)
        )

    @app.exception_handler(CscperfError)
    async def failed(request: Request, exc: CscperfError) -> HTMLResponse:
        return pages.render(
            request, "error.html", 500, title="Sorry, there is a problem", message=sentence(exc)
        )

    @app.exception_handler(404)
    async def no_route(request: Request, exc: Exception) -> HTMLResponse:
        return pages.render(
            request,
            "error.html",
            404,
            title="Page not found",
            message="There is no page at this address; start again from the dashboard.",
        )


def _add_pages(app: FastAPI, pages: _Pages) -> None:
    """The dashboard, the performance summary, one indicator's page and the list of builds."""
    data = pages.data

    @app.get("/", response_class=HTMLResponse)
    def dashboard(
        request: Request,
        build: str | None = None,
        period: str | None = None,
        locality: str | None = None,
    ) -> HTMLResponse:
        chosen = pages.selection(build, period, locality)
        pack = chosen["pack"]

        def make() -> dict[str, Any]:
            return {
                "counts": views.rag_counts(views.focus_rows(pack)),
                "vital": views.vital_sign_lines(pack),
                "exceptions": [line for line in views.summary_lines(pack) if line.exception],
            }

        name = "_dashboard_body.html" if request.headers.get("HX-Request") else "dashboard.html"
        return pages.render_cached(request, name, chosen, make)

    @app.get("/summary", response_class=HTMLResponse)
    def summary(
        request: Request,
        build: str | None = None,
        period: str | None = None,
        locality: str | None = None,
        area: str | None = None,
    ) -> HTMLResponse:
        chosen = pages.selection(build, period, locality)
        titles = views.area_titles()
        if area and area not in titles:
            raise NotFound(f"there is no area called {area!r}; choose one from the list")
        chosen["params"] = {**chosen["params"], "area": area or None}

        def make() -> dict[str, Any]:
            lines = views.summary_lines(chosen["pack"], area or None)
            return {"lines": lines, "area": area or None, "areas": titles}

        name = "_summary_table.html" if request.headers.get("HX-Request") else "summary.html"
        return pages.render_cached(request, name, chosen, make)

    @app.get("/indicators/{indicator_id}", response_class=HTMLResponse)
    def indicator(
        request: Request,
        indicator_id: str,
        build: str | None = None,
        period: str | None = None,
        locality: str | None = None,
        asked: str | None = None,
    ) -> Response:
        chosen = pages.selection(build, period, locality)
        asked_for = views.asked_month(asked, chosen["period_end"])
        if asked_for:
            chosen["params"] = {**chosen["params"], "asked": f"{asked_for:%Y-%m}"}
        chosen["asked"] = asked_for
        facts = chosen["facts"]
        if indicator_id not in data.definitions():
            raise NotFound(
                f"there is no indicator {indicator_id!r} in the catalogue; find it in the "
                "performance summary"
            )
        rows = data.rows(data.build(facts.id))
        where = (facts.id, chosen["period_end"], chosen["locality"], indicator_id)
        page = data.prepared(
            ("page", *where, data.commentary_version()),
            lambda: views.indicator_page(chosen["pack"], rows, indicator_id),
        )
        if page is None:
            by = data.prepared(
                ("by", facts.id, chosen["period_end"], indicator_id),
                lambda: views.breakdown_page(
                    rows,
                    data.definitions()[indicator_id],
                    chosen["period_end"],
                    list(chosen["pack"].months),
                ),
            )
            if by is None:
                # a measure published quarterly or yearly (youth justice, imported): its latest
                # figure, with a sentence saying why the month moved
                latest = views.latest_month_with(
                    rows, indicator_id, chosen["period_end"], chosen["locality"]
                )
                if latest is None:
                    raise NotFound(
                        f"indicator {indicator_id} has no figure for "
                        f"{chosen['period_end']:%B %Y} in this build; choose another month"
                    )
                return RedirectResponse(
                    page_url(
                        f"/indicators/{indicator_id}",
                        **{**chosen["params"], "period": f"{latest:%Y-%m}"},
                        asked=f"{chosen['period_end']:%Y-%m}",
                    ),
                    status_code=303,
                )
            area = views.area_titles().get(by.definition.area, by.definition.area)
            return pages.render_cached(
                request, "indicator_by.html", chosen, lambda: {"page": by, "area_title": area}
            )

        def make() -> dict[str, Any]:
            assert page is not None
            month = f"{chosen['period_end']:%Y-%m}"
            key = Key(INDICATOR, indicator_id, month, chosen["locality"] or "")
            return {
                "page": page,
                # drawn from the figures only, so kept across commentary versions
                "charts": data.prepared(
                    ("charts", *where, data.targets_stamp(facts.id)), lambda: chart_set(page)
                ),
                "area_title": views.area_titles().get(page.definition.area, page.definition.area),
                "commentary_url": commentary_url(key),
                "children_url": children_url(indicator_id, month, chosen["locality"])
                if indicator_id in child_lists()
                else None,
            }

        return pages.render_cached(request, "indicator.html", chosen, make)

    @app.get("/builds", response_class=HTMLResponse)
    def builds(request: Request, build: str | None = None) -> HTMLResponse:
        facts = data.facts(build)
        every = data.all_facts()
        return pages.render_kept(
            request,
            "builds.html",
            (facts.id, tuple((b.id, b.current) for b in every)),
            lambda: {
                "facts": facts,
                "builds": every,
                "params": {"build": None if facts.current else facts.id},
            },
        )


def _add_downloads(app: FastAPI, pages: _Pages, jobs: JobQueue) -> None:
    """An indicator's rows, the results and the committee pack as files (the pack made in the
    background on ``jobs``)."""
    data = pages.data

    @app.get("/indicators/{indicator_id}/rows.csv")
    def indicator_csv(
        indicator_id: str, build: str | None = None, period: str | None = None
    ) -> PlainTextResponse:
        facts, period_end, _ = data.resolve(build, period, None)
        if indicator_id not in data.definitions():
            raise NotFound(f"there is no indicator {indicator_id!r} in the catalogue")
        text = data.cached(
            ("rows.csv", facts.id, period_end, indicator_id),
            lambda: views.indicator_rows_csv(
                data.rows(data.build(facts.id)), indicator_id, period_end
            ),
        )
        name = f"{indicator_id}-{period_end:%Y-%m}.csv"
        return _download(text, name)

    @app.get("/downloads/results.csv")
    def results_csv(build: str | None = None, period: str | None = None) -> PlainTextResponse:
        facts, period_end, _ = data.resolve(build, period, None)
        pack = data.pack(facts.id, period_end, None)
        text = data.cached(
            ("results.csv", facts.id, period_end), lambda: views.csv_text(pack.current)
        )
        return _download(text, f"results-{period_end:%Y-%m}.csv")

    @app.get("/downloads/pack.{fmt}")
    def pack_file(
        request: Request,
        fmt: str,
        build: str | None = None,
        period: str | None = None,
        locality: str | None = None,
    ) -> Response:
        """The pack file when it is made; else its job is started (or joined) and a page
        follows its progress: the request never waits for the pack itself."""
        if fmt not in PACK_FORMATS:
            raise NotFound(f"the pack comes as pdf or xlsx, not {fmt!r}")
        whole_county_only()
        facts, period_end, chosen = data.resolve(build, period, locality)
        folder = pack_folder(data.path, facts.id, period_end, chosen)
        found = existing_pack(folder, fmt)
        if found is not None:
            return FileResponse(found, media_type=PACK_FORMATS[fmt], filename=found.name)
        return _pack_progress(request, fmt, build, period, locality, start=True)

    @app.get("/downloads/pack-progress")
    def pack_progress(
        request: Request,
        fmt: str = "pdf",
        build: str | None = None,
        period: str | None = None,
        locality: str | None = None,
    ) -> Response:
        if fmt not in PACK_FORMATS:
            raise NotFound(f"the pack comes as pdf or xlsx, not {fmt!r}")
        whole_county_only()
        return _pack_progress(request, fmt, build, period, locality, start=False)

    def _pack_progress(
        request: Request,
        fmt: str,
        build: str | None,
        period: str | None,
        locality: str | None,
        *,
        start: bool,
    ) -> Response:
        facts, period_end, chosen = data.resolve(build, period, locality)
        key = pack_job_key(facts.id, period_end, chosen)
        job = jobs.get(key)
        if start or job is None:
            try:
                job = start_pack_job(jobs, data, facts.id, period_end, chosen)
            except QueueFull as exc:
                return pages.render(
                    request,
                    "error.html",
                    503,
                    facts=facts,
                    title="The pack cannot be made just now",
                    message=sentence(exc),
                )
        params = {
            "build": None if facts.current else facts.id,
            "period": f"{period_end:%Y-%m}",
            "locality": chosen,
        }
        context: dict[str, Any] = {
            "job": job,
            "fmt": fmt,
            "facts": facts,
            "params": params,
            "period_end": period_end,
            "scope": chosen or "the whole county",
        }
        if request.headers.get("HX-Request"):
            return pages.render(request, "_pack_progress.html", **context)
        status = 200 if job.state == "done" else 202
        return pages.render(request, "pack_progress.html", status, **context)


def _add_health(app: FastAPI, data: DashboardData) -> None:
    """A health check for monitoring: the current build, how many builds there are, and
    whether results are being prepared in the background."""

    @app.get("/health")
    def health() -> JSONResponse:
        try:
            current = data.store.current_id()
            count = len(data.store.build_ids())
        except OSError as exc:
            return JSONResponse({"status": "error", "detail": str(exc)}, status_code=503)
        status = "ok" if current else "no current build"
        results = "being prepared" if data.preparing() else "ready"
        return JSONResponse(
            {
                "status": status,
                "version": __version__,
                "current_build": current,
                "builds": count,
                "results": results,
            },
            status_code=200 if current else 503,
        )


def _user_key() -> tuple[Any, ...] | None:
    """Who a cached page is for: its header names them and its figures follow their scope."""
    user = acting_user()
    if user is None:
        return None
    localities = None if user.localities is None else tuple(sorted(user.localities))
    areas = None if user.areas is None else tuple(sorted(user.areas))  # the commentary they read
    return (user.name, user.subject, tuple(sorted(user.roles)), localities, areas)


def _single_user_name(store: Path) -> str:
    """Who everything is done as without sign-in: the settings' ``risk.single_user``."""
    try:
        return user_name(risk_settings(store))
    except (CscperfError, OSError):
        return user_name(None)


def whole_county_only() -> None:
    """The committee pack compares every locality (even a locality's pack), so it is not for
    a person limited to some localities."""
    user = acting_user()
    if user is not None and not user.whole_county:
        raise Forbidden(
            "The committee pack compares every locality, so it is for people who see the whole "
            "county. Your localities' figures are on the dashboard's pages and downloads."
        )


def _download(text: str, name: str) -> PlainTextResponse:
    return PlainTextResponse(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@functools.cache
def _theme(la_code: str | None) -> Any:
    """The council's colours, read once per process (the theme file ships with cscperf)."""
    return load_theme(la_code)
