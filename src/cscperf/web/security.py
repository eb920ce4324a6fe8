"""The dashboard's Content-Security-Policy: what a page may load and run.

Owns working out the policy of each HTML page from the page itself: scripts and styles only
from the dashboard's own address, plus the exact inline ``<script>`` and ``<style>`` blocks the
page carries (the GOV.UK template's "JavaScript is on" line, the council's colours), allowed by
their SHA-256 hashes, so that nothing injected into a page would run. Other responses (CSV,
PDF, JSON) get a policy that allows nothing at all.
"""

from __future__ import annotations

import base64
import hashlib
import re

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
