"""The dashboard's Content-Security-Policy: what a page may load and run.

Owns working out the policy of each HTML page from the page itself: scripts and styles only
from the dashboard's own address, plus the exact inline ``<script>`` and ``<style>`` blocks the
page carries (the GOV.UK template's "JavaScript is on" line, the council's colours), allowed by
their SHA-256 hashes, so that nothing injected into a page would run. Other responses (CSV,
PDF, JSON) get a policy that allows nothing at all. Also owns what a request must be to be
answered (a known Host name) and that nothing but static files is cached (:class:`RequestGuard`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

INLINE_BLOCK = re.compile(
    r"<(?P<tag>script|style)\b(?P<attrs>[^>]*)>(?P<body>.*?)</(?P=tag)\s*>",
    re.IGNORECASE | re.DOTALL,
)
# Downloads and JSON: nothing to load, run or frame.
NOTHING_ALLOWED = "default-src 'none'; frame-ancestors 'none'"


def source_hash(body: str) -> str:
    """A CSP hash source for the exact text of an inline block."""
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def inline_hashes(html: str) -> tuple[list[str], list[str]]:
    """Hash sources of the page's inline scripts and of its style blocks, in page order."""
    scripts: list[str] = []
    styles: list[str] = []
    for block in INLINE_BLOCK.finditer(html):
        tag = block["tag"].lower()
        if tag == "script" and re.search(r"\bsrc\s*=", block["attrs"], re.IGNORECASE):
            continue
        wanted = scripts if tag == "script" else styles
        source = source_hash(block["body"])
        if source not in wanted:
            wanted.append(source)
    return scripts, styles


def page_policy(html: str) -> str:
    """The Content-Security-Policy header value for one HTML page."""
    scripts, styles = inline_hashes(html)
    directives = [
        "default-src 'self'",
        " ".join(["script-src 'self'", *scripts]),
        " ".join(["style-src 'self'", *styles]),
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


# -- what a request must be -------------------------------------------------------------------
# A browser tricked by DNS rebinding sends a page's requests to 127.0.0.1 with the attacker's
# host name in the Host header; answering only the names we serve under stops it reading pages.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
NO_STORE = b"no-store"


def host_name(header: str) -> str:
    """The name of a Host header without its port, lower case (``[::1]:8000`` -> ``::1``)."""
    text = header.strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def allowed_host_names(extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The loopback names plus the names a council serves the dashboard under."""
    return frozenset([*LOOPBACK_NAMES, *(host_name(name) for name in extra if name)])


class RequestGuard:
    """Pure ASGI middleware: refuses unknown Host names (400), answers HEAD as GET without a
    body, and marks every response but the static files ``Cache-Control: no-store``, so figures
    marked OFFICIAL-SENSITIVE are not kept in a shared computer's browser cache."""

    def __init__(self, app: Any, allowed_hosts: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed_hosts

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        name = host_name(headers.get(b"host", b"").decode("latin-1"))
        if name not in self.allowed:
            await _refuse_host(send)
            return
        head = scope["method"] == "HEAD"
        static = scope["path"].startswith("/static/")

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start" and not static:
                kept = [(k, v) for k, v in message.get("headers", []) if k != b"cache-control"]
                message["headers"] = [*kept, (b"cache-control", NO_STORE)]
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"} if head else scope, receive, sending)


async def _refuse_host(send: Any) -> None:
    body = (
        b"This dashboard does not answer to that host name. Use the address it was started "
        b"with, or add the name with cscperf serve --allowed-host.\n"
    )
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", NO_STORE),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
