"""What a form the dashboard accepts must carry, and who is sending it.

**Cross-site request forgery.** Every form page sets a random token in a cookie
(``HttpOnly``, ``SameSite=Strict``) and the same token in a hidden field; a POST is accepted
only when the two match (compared in constant time) and, when the browser says where the form
came from (``Origin``), it came from this dashboard's own address. Another site can neither read
the cookie nor make the browser send it, so it cannot forge a change.

**Who.** Routes ask :func:`current_user` who is asking and :func:`require` whether they may.
With sign-in configured (:mod:`cscperf.web.auth`), the user comes from the session: their name,
their roles (mapped from the identity provider's groups) and the localities and areas they are
scoped to. Without it the dashboard is single-user: every request is by one person, named in
the settings (``risk.single_user``, "local user" by default), who may do everything and sees
every locality (the server then listens on this computer only).

**Roles.** ``viewer`` sees aggregate figures; ``locality_manager`` their localities' figures and
children; ``head_of_service`` writes and submits commentary for their areas;
``performance_officer`` publishes builds, imports measures and targets, signs off commentary and
edits risks; ``administrator`` may do everything and reads the audit log. A person with several
roles has every permission of each.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fastapi import Request
from starlette.datastructures import FormData

from cscperf.errors import CscperfError
from cscperf.web.security import host_name

CSRF_COOKIE = "cscperf_csrf"
CSRF_FIELD = "csrf_token"
# -- permissions: what a route asks :func:`require` for ----------------------------------------
VIEW_FIGURES = "figures.view"
VIEW_CHILDREN = "children.view"
WRITE_COMMENTARY = "commentary.write"
SIGN_OFF_COMMENTARY = "commentary.sign_off"
PUBLISH = "builds.publish"  # publish builds, import measures and targets
EDIT_RISKS = "risk.edit"
ADMINISTER = "administer"  # the audit log, and everything else
ALL_PERMISSIONS = frozenset(
    {
        VIEW_FIGURES,
        VIEW_CHILDREN,
        WRITE_COMMENTARY,
        SIGN_OFF_COMMENTARY,
        PUBLISH,
        EDIT_RISKS,
        ADMINISTER,
    }
)

# -- roles: what each may do --------------------------------------------------------------------
VIEWER = "viewer"
LOCALITY_MANAGER = "locality_manager"
HEAD_OF_SERVICE = "head_of_service"
PERFORMANCE_OFFICER = "performance_officer"
ADMINISTRATOR = "administrator"
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    VIEWER: frozenset({VIEW_FIGURES}),
    LOCALITY_MANAGER: frozenset({VIEW_FIGURES, VIEW_CHILDREN}),
    HEAD_OF_SERVICE: frozenset({VIEW_FIGURES, WRITE_COMMENTARY}),
    PERFORMANCE_OFFICER: frozenset({VIEW_FIGURES, SIGN_OFF_COMMENTARY, PUBLISH, EDIT_RISKS}),
    ADMINISTRATOR: ALL_PERMISSIONS,
}
ROLES = tuple(ROLE_PERMISSIONS)
# the session key the signed-in user is kept under (see :mod:`cscperf.web.auth`)
SESSION_USER = "user"


class Forbidden(CscperfError):
    """A request the dashboard refuses (a forged form, or a person without the permission);
    the message is a whole sentence, shown as it is on the error page."""


class SignInNeeded(CscperfError):
    """A request without a signed-in user on a dashboard that has sign-in: the browser is sent
    to sign in (a page) or answered 401 (anything else)."""


def permissions_of(roles: frozenset[str] | tuple[str, ...]) -> frozenset[str]:
    """Every permission of every role (unknown role names give nothing)."""
    held: set[str] = set()
    for role in roles:
        held |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(held)


@dataclass(frozen=True)
class User:
    """Who is asking. ``localities`` and ``areas`` are the scope: ``None`` means all of them
    (the county, every area); a set means only those. Routes that query data ask
    :meth:`may_see_locality` (or use :func:`cscperf.web.auth.scoped_locality`)."""

    name: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    single_user: bool = True
    roles: frozenset[str] = field(default_factory=frozenset)
    localities: frozenset[str] | None = None
    areas: frozenset[str] | None = None
    subject: str = ""  # the provider's stable id for the person ("" in single-user mode)

    def may(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def whole_county(self) -> bool:
        """True when the user sees every locality and the county's own figures."""
        return self.localities is None

    def may_see_locality(self, locality: str | None) -> bool:
        """``None`` is the county as a whole: only for users scoped to the whole county."""
        if self.localities is None:
            return True
        return locality is not None and locality in self.localities

    def may_see_area(self, area: str | None) -> bool:
        if self.areas is None:
            return True
        return area is not None and area in self.areas


def single_user(name: str | None = None) -> User:
    """The one person of a dashboard without sign-in: every permission, every locality."""
    return User(name or "local user", ALL_PERMISSIONS, roles=frozenset({ADMINISTRATOR}))


def current_user(request: Request, single_user_name: str | None = None) -> User:
    """Who is asking: the signed-in user from the session when sign-in is configured (a
    :class:`SignInNeeded` when nobody is), else the single user (named by
    ``single_user_name``, else by the app's ``single_user_name`` state)."""
    state = request.app.state
    if getattr(state, "sign_in", None) is None:
        name = single_user_name or getattr(state, "single_user_name", None)
        return single_user(name)
    held = request.session.get(SESSION_USER) if "session" in request.scope else None
    if not isinstance(held, dict):
        raise SignInNeeded("Sign in to use the dashboard.")
    return user_from_session(held)


def user_from_session(held: dict[str, object]) -> User:
    """The :class:`User` kept in a session cookie (see :func:`session_record`)."""

    def names(key: str) -> frozenset[str] | None:
        value = held.get(key)
        return None if value is None else frozenset(str(v) for v in value)  # type: ignore[attr-defined]

    roles = names("roles") or frozenset()
    return User(
        name=str(held.get("name") or "unknown"),
        permissions=permissions_of(roles),
        single_user=False,
        roles=roles,
        localities=names("localities"),
        areas=names("areas"),
        subject=str(held.get("sub") or ""),
    )


def session_record(user: User) -> dict[str, object]:
    """What of a :class:`User` is kept in the (signed) session cookie."""
    return {
        "name": user.name,
        "sub": user.subject,
        "roles": sorted(user.roles),
        "localities": None if user.localities is None else sorted(user.localities),
        "areas": None if user.areas is None else sorted(user.areas),
    }


def require(user: User, permission: str) -> None:
    if permission not in user.permissions:
        raise Forbidden(f"{user.name} may not do this ({permission}). Ask an administrator.")


def csrf_token(request: Request) -> str:
    """The browser's token (from its cookie), or a new one to set."""
    held = request.cookies.get(CSRF_COOKIE, "")
    return held if len(held) >= 32 else secrets.token_urlsafe(32)


def set_csrf_cookie(response: object, token: str) -> None:
    response.set_cookie(  # type: ignore[attr-defined]
        CSRF_COOKIE, token, httponly=True, samesite="strict", path="/"
    )


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form's fields, once the request is shown to come from our own page."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        ours = host_name(request.headers.get("host", ""))
        if host_name(urlsplit(origin).netloc) != ours:
            raise Forbidden(
                "The form was sent from another site. Changes are made only from this dashboard."
            )
    form: FormData = await request.form()
    sent = str(form.get(CSRF_FIELD) or "")
    held = request.cookies.get(CSRF_COOKIE, "")
    if not held or not sent or not secrets.compare_digest(sent, held):
        raise Forbidden(
            "The form has expired or did not come from this dashboard. Go back, reload the page "
            "and send it again."
        )
    return {k: str(v) for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}
