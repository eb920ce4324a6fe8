"""Commentary in the dashboard, single-user: the month's list with states, writing a draft,
submitting, returning with a note and signing off through the form (CSRF-protected), each
change in the history and the audit log, and the signed-off words in the pages and the pack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import APRIL, CURRENT, write_build

from cscperf.app.commentary import INDICATOR, SIGNED_OFF, Key, history, pack_commentary
from cscperf.store.audit import read_entries
from cscperf.web.app import create_app

BASE = "http://127.0.0.1:8000"
PAGE = "/commentary/indicator/lac.rate_per_10k?period=2025-04"
WORDS = {
    "analysis": "Two large sibling groups came into care.",
    "background": "Numbers rose in April.",
    "lead_officer": "Head of Children in Care",
}


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    write_build(store, CURRENT, APRIL, "2025-05-07")
    (store / "current").write_text(CURRENT + "\n", encoding="utf-8")
    return store


@pytest.fixture()
def client(store: Path) -> TestClient:
    return TestClient(create_app(store, benchmarks=False), base_url=BASE)


def send(client: TestClient, action: str, **fields: str) -> object:
    page = client.get(PAGE)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"csrf_token": token.group(1), "action": action, **fields}
    return client.post(PAGE, data=form, headers={"origin": BASE}, follow_redirects=False)


def test_write_submit_return_and_sign_off(client: TestClient, store: Path) -> None:
    listing = client.get("/commentary?period=2025-04&area=lac")
    assert listing.status_code == 200 and "Not written" in listing.text
    assert 'href="/commentary/indicator/lac.rate_per_10k?period=2025-04"' in listing.text

    saved = send(client, "save", **WORDS)
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=save")
    page = client.get(saved.headers["location"])
    assert "The draft was saved." in page.text and "Numbers rose in April." in page.text
    assert "Sign off" not in page.text  # a draft is not offered for sign-off
    # a draft cannot be signed off by a forged button either
    refused = send(client, "sign_off", **WORDS)
    assert refused.status_code == 409 and "Only commentary submitted" in refused.text

    assert send(client, "submit", **WORDS).status_code == 303
    # returning needs a note: the form comes back with the error, GOV.UK style
    no_note = send(client, "return", **WORDS)
    assert no_note.status_code == 400
    assert "There is a problem" in no_note.text and "Say what should change" in no_note.text
    assert send(client, "return", note="Name the teams.", **WORDS).status_code == 303
    assert "Name the teams." in client.get(PAGE).text
    changed = {**WORDS, "background": "Two teams were short of staff."}
    assert send(client, "submit", **changed).status_code == 303
    assert send(client, "sign_off", **changed).status_code == 303

    key = Key(INDICATOR, "lac.rate_per_10k", "2025-04")
    states = [v.state for v in reversed(history(store, key))]
    assert states == ["draft", "submitted", "returned", "submitted", SIGNED_OFF]
    audited = [e.action for e in reversed(read_entries(store, action="commentary"))]
    assert audited == [
        "commentary.draft",
        "commentary.submitted",
        "commentary.returned",
        "commentary.submitted",
        "commentary.signed_off",
    ]
    signed = pack_commentary(store).for_indicator("lac.rate_per_10k", APRIL)
    assert signed is not None and signed.background == "Two teams were short of staff."
    assert signed.status is None
    # the indicator page shows the new words at once (not a cached page from before)
    shown = client.get("/indicators/lac.rate_per_10k?period=2025-04")
    assert "Two large sibling groups came into care." in shown.text
    assert f'href="{PAGE}"' in shown.text.replace("&amp;", "&")
    assert "Signed off" in client.get("/commentary?period=2025-04&status=signed_off").text


def test_a_kept_form_carries_each_browsers_own_token(client: TestClient, store: Path) -> None:
    """The form is rendered once and kept, with each browser's CSRF token put in (escaped) on
    every request, and rendered again when the commentary changes."""
    tokens = []
    for held in ("a" * 40, "b" * 40, "'><script>alert(1)</script>" + "c" * 10):
        browser = TestClient(client.app, base_url=BASE, cookies={"cscperf_csrf": held})
        page = browser.get(PAGE)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found is not None and "<script>alert" not in page.text
        tokens.append(found.group(1))
    assert tokens[:2] == ["a" * 40, "b" * 40]
    assert "&lt;script&gt;" in tokens[2]
    assert send(client, "save", **WORDS).status_code == 303
    assert WORDS["background"] in client.get(PAGE).text  # not the page kept from before


def test_a_form_without_the_token_changes_nothing(client: TestClient, store: Path) -> None:
    client.get(PAGE)
    posted = client.post(PAGE, data={"action": "save", **WORDS}, headers={"origin": BASE})
    assert posted.status_code == 403
    assert history(store, Key(INDICATOR, "lac.rate_per_10k", "2025-04")) == []


def test_unknown_subject_and_month_are_not_found(client: TestClient) -> None:
    assert client.get("/commentary/indicator/nope?period=2025-04").status_code == 404
    assert client.get("/commentary/area/nope?period=2025-04").status_code == 404
    assert client.get("/commentary/indicator/lac.rate_per_10k?period=2019-01").status_code == 404


def test_the_list_filters_by_topic_month_and_status_and_pages(
    client: TestClient, store: Path
) -> None:
    assert send(client, "submit", **WORDS).status_code == 303
    everything = client.get("/commentary?period=2025-04")
    total = int(re.search(r"(\d+) pieces? of commentary", everything.text).group(1))  # type: ignore[union-attr]
    assert total > 20  # more than a page: the pages are linked, GOV.UK style
    assert 'class="govuk-pagination"' in everything.text
    assert 'href="/commentary?period=2025-04&amp;page=2"' in everything.text
    second = client.get("/commentary?period=2025-04&page=2")
    assert second.status_code == 200 and "showing 21 to" in second.text
    assert client.get("/commentary?period=2025-04&page=99").status_code == 404
    # by status: only the submitted piece
    submitted = client.get("/commentary?period=2025-04&status=submitted")
    assert "1 piece of commentary" in submitted.text
    assert 'href="/commentary/indicator/lac.rate_per_10k?period=2025-04"' in submitted.text
    # by topic: the topic's own analysis and its indicators only
    topic = client.get("/commentary?period=2025-04&area=lac")
    assert 'href="/commentary/indicator/lac.rate_per_10k?period=2025-04"' in topic.text
    assert "/commentary/indicator/cp." not in topic.text
    # the filters are labelled selects
    for name in ("area", "period", "locality", "status"):
        assert f'<label class="govuk-label" for="{name}">' in everything.text
    assert client.get("/commentary?period=2025-04&status=lost").status_code == 404
    assert client.get("/commentary?period=2025-04&area=nowhere").status_code == 404
