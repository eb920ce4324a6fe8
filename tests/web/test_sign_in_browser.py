"""Signing in through the mock identity provider in Chromium, as each role.

A real uvicorn server with sign-in, the mock provider's own authorisation page filled in and
submitted as a person would, and back on the dashboard: who is signed in, what they are
offered, and what they are refused.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.test_browser import browser, serve_in_thread
from tests.web.test_sign_in import HARROWMERE_FIGURE, PEOPLE, provider, sign_in_settings

from cscperf.web.app import create_app

__all__ = ["browser"]  # the Chromium of the dashboard's browser tests

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def server(web_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("browser-signin") / "store"
    shutil.copytree(web_store, store)
    with pytest.MonkeyPatch.context() as patch, provider() as issuer:
        patch.setenv("CSCPERF_OIDC_CLIENT_SECRET", "test-client-secret")
        patch.setenv("CSCPERF_SESSION_SECRET", "b" * 48)
        app = create_app(store, benchmarks=False, sign_in=sign_in_settings(issuer, secure=False))
        yield from serve_in_thread(app)


@pytest.mark.parametrize("role", list(PEOPLE))
def test_each_role_signs_in_through_the_provider(browser: Any, server: str, role: str) -> None:
    subject, name, _group = PEOPLE[role]
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(server + "/summary")
        # the provider's own page: type who you are and authorise
        page.fill("input[name=sub]", subject)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(server + "/summary*")
        line = page.locator("#signed-in").inner_text()
        assert f"Signed in as {name}" in line and role.replace("_", " ") in line
        assert page.locator("#single-user").count() == 0
        audit_link = page.get_by_role("link", name="Audit log")
        if role == "administrator":
            audit_link.click()
            page.wait_for_url(server + "/admin/audit")
            assert f"{name}" in page.locator("#audit-log").inner_text()
        else:
            assert audit_link.count() == 0
            assert page.goto(server + "/admin/audit").status == 403
        if role == "locality_manager":
            shown = page.goto(server + "/indicators/lac.rate_per_10k")
            assert shown.status == 200
            assert "Saltfleet, April 2025" in page.locator("#page-body h2").first.inner_text()
            assert HARROWMERE_FIGURE not in page.content()
            options = page.locator("#locality option").all_inner_texts()
            assert "Harrowmere" not in options
        page.goto(server + "/sign-out")
        assert page.locator("h1").inner_text() == "You have signed out"
        assert "/sign-in" not in page.url
        page.goto(server + "/summary")
        assert "/oauth2/authorize" in page.url  # signed out: sent to the provider again
    finally:
        context.close()
