"""Page policies: inline blocks allowed by their exact hash, external scripts by origin."""

from __future__ import annotations

import base64
import hashlib

from cscperf.web.security import inline_hashes, page_policy, source_hash

PAGE = """<html><head><style>:root { --x: #123 }</style></head>
<body><script>document.body.className += ' js-enabled';</script>
<script type="module" src="/static/init.js"></script></body></html>"""


def test_a_hash_is_the_base64_sha256_of_the_exact_text():
    expected = base64.b64encode(hashlib.sha256(b"alert(1)").digest()).decode()
    assert source_hash("alert(1)") == f"'sha256-{expected}'"
    assert source_hash("alert(1) ") != source_hash("alert(1)")


def test_inline_blocks_are_hashed_and_external_scripts_are_not():
    scripts, styles = inline_hashes(PAGE)
    assert scripts == [source_hash("document.body.className += ' js-enabled';")]
    assert styles == [source_hash(":root { --x: #123 }")]


def test_the_policy_allows_only_this_origin_and_the_pages_own_blocks():
    policy = page_policy(PAGE)
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["script-src"].split() == [
        "'self'",
        source_hash("document.body.className += ' js-enabled';"),
    ]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
