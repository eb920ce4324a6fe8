"""What a form the dashboard accepts must carry, and who is sending it.

**Cross-site request forgery.** Every form page sets a random token in a cookie
(``HttpOnly``, ``SameSite=Strict``) and the same token in a hidden field; a POST is accepted
only when the two match (compared in constant time) and, when the browser says where the form
came from (``Origin``), it came from this dashboard's own address. Another site can neither read
the cookie nor make the browser send it, so it cannot forge a change.

**Who.** Until the council's sign-in exists the dashboard is single-user: every request is
by one person, named in the settings (``risk.single_user``, "local user" by default), who may do
everything. Routes ask :func:`current_user` who is asking and :func:`require` whether they may;
sign-in will answer both from the session and the roles its provider gives, with no change to
the routes.
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
EDIT_RISKS = "risk.edit"
ALL_PERMISSIONS = frozenset({EDIT_RISKS})


class Forbidden(CscperfError):
    """A request the dashboard refuses (a forged form, or a person without the permission);
    the message is a whole sentence, shown as it is on the error page."""


@dataclass(frozen=True)
class User:
    name: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    single_user: bool = True


def current_user(request: Request, single_user_name: str) -> User:
    """Who is asking: in single-user mode the one named user, allowed everything."""
    return User(single_user_name or "local user", ALL_PERMISSIONS)


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
