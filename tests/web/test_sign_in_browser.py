"""Signing in through the mock identity provider in Chromium, as each role.

A real uvicorn server with sign-in, the mock provider's own authorisation page filled in and
submitted as a person would, and back on the dashboard: who is signed in, what they are
offered, and what they are refused.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import APRIL, CURRENT
from tests.web.test_browser import browser, serve_in_thread
from tests.web.test_sign_in import HARROWMERE_FIGURE, PEOPLE, provider, sign_in_settings

from cscperf.web.app import create_app
from cscperf.web.packs import pack_folder

__all__ = ["browser"]  # the Chromium of the dashboard's browser tests

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def store(web_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("browser-signin") / "store"
    shutil.copytree(web_store, copy)
    return copy


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch, provider() as issuer:
        patch.setenv("CSCPERF_OIDC_CLIENT_SECRET", "test-client-secret")
        patch.setenv("CSCPERF_SESSION_SECRET", "b" * 48)
        app = create_app(store, benchmarks=False, sign_in=sign_in_settings(issuer, secure=False))
        yield from serve_in_thread(app)


def signed_in(browser: Any, server: str, role: str, path: str) -> tuple[Any, Any]:
    """A new browser context signed in as ``role`` through the provider's own page, on
    ``path``."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + path)
    # the provider's own page: type who you are and authorise
    page.fill("input[name=sub]", PEOPLE[role][0])
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(server + path.split("?")[0] + "*")
    return context, page


@pytest.mark.parametrize("role", list(PEOPLE))
def test_each_role_signs_in_through_the_provider(browser: Any, server: str, role: str) -> None:
    _subject, name, _group = PEOPLE[role]
    context, page = signed_in(browser, server, role, "/summary")
    try:
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


def test_commentary_written_submitted_and_signed_off_goes_into_the_pack(
    browser: Any, server: str, store: Path
) -> None:
    words = "Four brothers and sisters came into care together in Saltfleet"
    path = "/commentary/indicator/lac.rate_per_10k?period=2025-04"
    folder = pack_folder(store, CURRENT, APRIL, None)
    made_before = _made_pack(browser, server, folder)  # a pack made before the words
    assert words not in made_before

    context, page = signed_in(browser, server, "head_of_service", path)
    try:
        page.fill("#analysis", words)
        page.get_by_role("button", name="Submit for sign-off").click()
        page.wait_for_load_state()
        assert page.locator(".govuk-tag").first.inner_text() == "Submitted for sign-off"
        assert page.get_by_role("button", name="Sign off").count() == 0  # not theirs to sign
    finally:
        context.close()

    context, page = signed_in(browser, server, "performance_officer", path)
    try:
        page.get_by_role("button", name="Sign off").click()
        page.wait_for_load_state()
        assert page.locator(".govuk-tag").first.inner_text() == "Signed off"
    finally:
        context.close()
    # the pack made before the sign-off is not served again: the new one has the words
    assert words in _made_pack(browser, server, folder)


def _made_pack(browser: Any, server: str, folder: Path) -> str:
    """Ask for the month's workbook as a performance officer (the pack is made in the
    background while a page shows its progress) and return the made pack's HTML."""
    context, page = signed_in(browser, server, "performance_officer", "/summary")
    try:
        shown = page.goto(server + "/downloads/pack.xlsx?period=2025-04")
        assert shown is not None and shown.status == 202  # not made yet: its progress
        made = folder / "pack.html"
        waited = 0.0
        while not made.is_file() and waited < 300:
            time.sleep(0.5)
            waited += 0.5
        assert made.is_file(), "the pack was not made within five minutes"
        return made.read_text(encoding="utf-8")
    finally:
        context.close()
