"""Sign-in with the council's identity provider, and who may see which locality.

Owns the OpenID Connect sign-in (Authlib's Starlette client: ``/sign-in`` sends the browser to
the provider, ``/auth/callback`` takes it back, checks the ID token's signature, issuer,
audience, expiry and nonce, and keeps the person in a signed session cookie; ``/sign-out`` ends
it), the mapping from the provider's groups to cscperf roles and scope
(:class:`~cscperf.settings.SignInSettings`), the check every route of a signed-in dashboard
makes first (:func:`signed_in`), and the acting user's scope consulted where data is queried
(:func:`acting_user`, used by :class:`~cscperf.web.data.DashboardData`).

Without sign-in settings the dashboard is single-user (:func:`cscperf.web.forms.single_user`):
it listens on this computer only and says so on every page.
"""

from __future__ import annotations

import contextvars
import logging
import os
import warnings
from typing import Any
from urllib.parse import urlencode, urlsplit

from authlib.common.errors import AuthlibBaseError
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc.errors import JoseError
from starlette.middleware.sessions import SessionMiddleware

from cscperf.errors import ConfigError
from cscperf.settings import SignInSettings
from cscperf.store import audit
from cscperf.web.forms import (
    SESSION_USER,
    VIEW_FIGURES,
    Forbidden,
    SignInNeeded,
    User,
    current_user,
    permissions_of,
    require,
    session_record,
)

with warnings.catch_warnings():
    # Authlib 1.9 warns, on import, that its httpx module will be renamed; that is its
    # business, not the council's, so it is kept out of every command's output (its own
    # module first: importing it puts an "always show" filter ahead of ours)
    import authlib.deprecate  # noqa: F401

    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.starlette_client import OAuth

LOG = logging.getLogger(__name__)
SESSION_COOKIE = "cscperf_session"
PROVIDER = "council"
# pages anyone may reach: signing in and out, and the health check for monitoring
OPEN_PATHS = frozenset({"/sign-in", "/auth/callback", "/sign-out", "/signed-out", "/health"})
_ACTING: contextvars.ContextVar[User | None] = contextvars.ContextVar("acting", default=None)


def acting_user() -> User | None:
    """The user the current request is for (``None`` outside a request: the whole county)."""
    return _ACTING.get()


def scope_key() -> tuple[str, ...] | None:
    """The acting user's localities as a cache key part (``None``: every locality)."""
    user = _ACTING.get()
    if user is None or user.localities is None:
        return None
    return tuple(sorted(user.localities))


async def signed_in(request: Request) -> None:
    """The first check of every route: who is asking (a :class:`SignInNeeded` when nobody
    is signed in), that they may see figures at all, and their scope for the data queries."""
    if request.url.path in OPEN_PATHS:
        return
    user = current_user(request)
    require(user, VIEW_FIGURES)
    request.state.user = user
    _ACTING.set(user)


def grant(settings: SignInSettings, claims: dict[str, Any]) -> User | None:
    """The cscperf user a provider's claims give, or ``None`` when no group gives a role.
    Scopes add up across groups; a group without a limit gives every locality (or area)."""
    held = claims.get(settings.roles_claim) or []
    groups = [held] if isinstance(held, str) else [str(g) for g in held]
    roles: set[str] = set()
    localities: set[str] | None = set()
    areas: set[str] | None = set()
    for group in groups:
        given = settings.groups.get(group)
        if given is None:
            continue
        roles |= set(given.roles)
        localities = None if localities is None or given.localities is None else localities
        if localities is not None:
            localities |= set(given.localities or ())
        areas = None if areas is None or given.areas is None else areas
        if areas is not None:
            areas |= set(given.areas or ())
    if not roles:
        return None
    name = str(claims.get(settings.name_claim) or claims.get("email") or claims.get("sub"))
    return User(
        name=name,
        permissions=permissions_of(frozenset(roles)),
        single_user=False,
        roles=frozenset(roles),
        localities=None if localities is None else frozenset(localities),
        areas=None if areas is None else frozenset(areas),
        subject=str(claims.get("sub") or ""),
    )


def secret_from(env: str, what: str) -> str:
    value = os.environ.get(env, "")
    if not value:
        raise ConfigError(
            f"sign-in needs the {what} in the environment variable {env}; set it before "
            "starting cscperf serve"
        )
    return value


def add_sign_in(app: FastAPI, settings: SignInSettings, pages: Any, store_path: Any) -> None:
    """Session cookies, the provider's client and the sign-in routes on ``app``."""
    session_secret = secret_from(settings.session_secret_env, "key that signs session cookies")
    if len(session_secret) < 32:
        raise ConfigError(
            f"the session key in {settings.session_secret_env} is too short; use at least 32 "
            "random characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret,
        session_cookie=SESSION_COOKIE,
        max_age=int(settings.session_hours * 3600),
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    oauth = OAuth()
    oauth.register(
        PROVIDER,
        client_id=settings.client_id,
        client_secret=secret_from(settings.client_secret_env, "client secret"),
        server_metadata_url=settings.discovery_url,
        client_kwargs={"scope": settings.scopes},
    )
    client = oauth.create_client(PROVIDER)

    def callback_url(request: Request) -> str:
        if settings.public_url:
            return settings.public_url.rstrip("/") + "/auth/callback"
        return str(request.url_for("auth_callback"))

    def refused(request: Request, status: int, why: str, who: str = "unknown") -> HTMLResponse:
        audit.record(store_path, who, audit.SIGN_IN_REFUSED, why)
        return pages.render(
            request,
            "error.html",
            status,
            title="You could not be signed in",
            message=f"{why} Try signing in again; if it keeps happening, ask the service's "
            "administrator.",
            sign_in_link=True,
        )

    @app.get("/sign-in", name="sign_in")
    async def sign_in(request: Request, next: str = "/") -> Response:
        request.session["next"] = next if _local_path(next) else "/"
        try:
            return await client.authorize_redirect(request, callback_url(request))
        except (OSError, AuthlibBaseError, ValueError) as exc:
            LOG.warning("identity provider unreachable: %s", type(exc).__name__)
            return pages.render(
                request,
                "error.html",
                503,
                title="Sign-in is not available just now",
                message="The council's identity provider did not answer. Try again in a few "
                "minutes; if it keeps happening, tell the service's administrator.",
            )

    @app.get("/auth/callback", name="auth_callback")
    async def auth_callback(request: Request) -> Response:
        try:
            token = await client.authorize_access_token(request)
        except (AuthlibBaseError, JoseError) as exc:
            # JoseError: the ID token's own checks (signature, expiry, issuer, audience, nonce)
            return refused(request, 401, _why(exc))
        except (OSError, ValueError) as exc:
            return refused(
                request, 401, f"The sign-in could not be checked ({type(exc).__name__})."
            )
        claims = token.get("userinfo")
        if not claims:
            return refused(request, 401, "The identity provider sent no ID token.")
        user = grant(settings, dict(claims))
        who = str(claims.get(settings.name_claim) or claims.get("sub") or "unknown")
        if user is None:
            return refused(
                request, 403, f"{who} has no role in this service (no group that gives one).", who
            )
        next_page = request.session.pop("next", "/")
        request.session.clear()
        request.session[SESSION_USER] = session_record(user)
        audit.record(
            store_path,
            user.name,
            audit.SIGN_IN,
            {"roles": sorted(user.roles), "localities": session_record(user)["localities"]},
        )
        return RedirectResponse(next_page if _local_path(next_page) else "/", status_code=303)

    @app.get("/sign-out", name="sign_out")
    def sign_out(request: Request) -> Response:
        held = request.session.get(SESSION_USER)
        if isinstance(held, dict):
            audit.record(store_path, str(held.get("name")), audit.SIGN_OUT, "")
        request.session.clear()
        return RedirectResponse("/signed-out", status_code=303)

    @app.get("/signed-out", response_class=HTMLResponse)
    def signed_out(request: Request) -> HTMLResponse:
        return pages.render(
            request,
            "error.html",
            200,
            title="You have signed out",
            message="You have signed out of the dashboard. Close the browser if others use it.",
            sign_in_link=True,
        )


def add_sign_in_errors(app: FastAPI, pages: Any) -> None:
    """Nobody signed in: a page sends the browser to sign in, anything else is a 401."""

    @app.exception_handler(SignInNeeded)
    async def needs_sign_in(request: Request, exc: SignInNeeded) -> Response:
        if request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", ""):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/sign-in?" + urlencode({"next": target}), status_code=303)
        return pages.render(
            request,
            "error.html",
            401,
            title="Sign in to use the dashboard",
            message="You are not signed in, or your session has ended. Sign in again.",
            sign_in_link=True,
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> HTMLResponse:
        return pages.render(
            request, "error.html", 403, title="You cannot do that", message=str(exc)
        )


def require_sign_in_everywhere(app: FastAPI) -> None:
    """Every route added after this first runs :func:`signed_in` (so new routes are covered
    without having to remember it)."""
    app.router.dependencies.append(Depends(signed_in))


def _local_path(target: str) -> bool:
    """Only a path on this dashboard may be where sign-in returns to (no open redirect)."""
    parts = urlsplit(target)
    return (
        target.startswith("/")
        and not target.startswith("//")
        and not parts.scheme
        and not parts.netloc
        and "\\" not in target
    )


def _why(exc: AuthlibBaseError | JoseError) -> str:
    """A sentence for a refused sign-in, from Authlib's error."""
    name = type(exc).__name__
    if "Expired" in name:
        return "The identity provider's token has expired."
    if "Signature" in name or "Decode" in name:
        return "The identity provider's token failed its signature check (it was altered)."
    if "mismatching_state" in str(exc) or "state" in str(getattr(exc, "error", "")):
        return "The sign-in was not started from this dashboard, or took too long."
    return f"The identity provider's answer was refused ({name})."
