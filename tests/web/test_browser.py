"""The dashboard in Debian's Chromium on a real uvicorn server: a user's path and axe-core.

Walks the dashboard, an indicator page, a locality change (with JavaScript, through htmx) and
a CSV download; runs axe-core on every page template and saves a screenshot of each to /tmp
for a person to look at.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path("/tmp")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(web_store: Path) -> Iterator[str]:
    from cscperf.web.app import create_app

    yield from serve_in_thread(create_app(web_store, benchmarks=False))


def serve_in_thread(app: object) -> Iterator[str]:
    """``app`` on a real uvicorn server on a free loopback port, until the generator closes."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        if time.monotonic() > deadline:
            pytest.fail("the dashboard server did not start within 20 seconds")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.is_file():
        pytest.fail("Debian Chromium is not installed at /usr/bin/chromium (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        launched = play.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    opened = context.new_page()
    yield opened
    context.close()


def test_a_manager_follows_red_to_an_indicator_and_picks_a_locality(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "Performance dashboard"
    page.get_by_role("link", name="Looked-after children per 10,000 children").first.click()
    page.wait_for_url("**/indicators/lac.rate_per_10k*")
    assert page.locator("h1").inner_text() == "Looked-after children per 10,000 children"
    assert "Amber" in page.locator(".govuk-summary-list").first.inner_text()
    # htmx swaps the body in place and pushes a bookmarkable URL
    page.select_option("#locality", "Harrowmere")
    page.wait_for_url("**locality=Harrowmere*")
    page.wait_for_function(
        "document.querySelector('#page-body h2').textContent.includes('Harrowmere')"
    )
    assert "70.6" in page.locator("#page-body .council-big").inner_text()
    # the URL reloads to the same view without JavaScript state
    page.reload()
    assert "Harrowmere, April 2025" in page.locator("#page-body h2").first.inner_text()
    with page.expect_download() as caught:
        page.get_by_role("link", name="Every row of this indicator").click()
    download = caught.value
    assert download.suggested_filename == "lac.rate_per_10k-2025-04.csv"
    first_line = Path(download.path()).read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("indicator_id,period_end,breakdown")


def test_the_pages_policy_lets_their_own_scripts_run_and_nothing_is_refused(  # type: ignore[no-untyped-def]
    server: str, page
) -> None:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    response = page.goto(server + "/indicators/lac.rate_per_10k?period=2025-04")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy and "'unsafe-inline'" not in policy
    # the GOV.UK template's inline line ran (allowed by its hash), and htmx still swaps
    assert page.evaluate("document.body.classList.contains('js-enabled')")
    page.select_option("#locality", "Harrowmere")
    page.wait_for_url("**locality=Harrowmere*")
    page.wait_for_function(
        "document.querySelector('#page-body h2').textContent.includes('Harrowmere')"
    )
    # an inline script that is not the page's own is refused
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = true'; document.body.appendChild(s); }"
    )
    assert page.evaluate("window.injected === undefined")
    assert len(refused) == 1 and "script" in refused[0].lower(), refused


def test_the_selector_form_works_without_javascript(browser: object, server: str) -> None:
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    plain = context.new_page()
    plain.goto(server + "/summary")
    plain.select_option("#locality", "Saltfleet")
    plain.select_option("#area", "lac")
    plain.get_by_role("button", name="Show").click()
    plain.wait_for_url("**area=lac*")
    assert "locality=Saltfleet" in plain.url
    assert "(1 indicator)" in plain.locator("caption").inner_text()
    context.close()


PAGES = {
    "dashboard": "/",
    "summary": "/summary?area=lac",
    "indicator": "/indicators/lac.rate_per_10k?period=2025-04",
    "indicator-by-source": "/indicators/contacts.source_share_pct?period=2025-04",
    "builds": "/builds",
    "risks": "/risks",
    "risk-form": "/risks/new",
    "commentary": "/commentary?period=2025-04",
    "commentary-form": "/commentary/indicator/lac.rate_per_10k?period=2025-04",
    "children": "/children?period=2025-04",
    "not-found": "/indicators/lac.nothing",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_violations(server: str, page, name: str) -> None:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    page.goto(server + PAGES[name])
    page.screenshot(path=str(SHOTS / f"cscperf-web-{name}.png"), full_page=True)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
