"""The register in the dashboard, single-user: the register page, one risk's page, and adding,
updating and closing a risk through the forms, with CSRF protection and every change kept
with who and when."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import APRIL, CURRENT, write_build

from cscperf.risk.history import read_versions
from cscperf.web.app import create_app
from cscperf.web.forms import CSRF_COOKIE

BASE = "http://127.0.0.1:8000"


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture()
def client(tmp_path: Path) -> TestClient:
    store = tmp_path / "store"
    write_build(store, CURRENT, APRIL, "2025-05-07")
    (store / "current").write_text(CURRENT + "\n", encoding="utf-8")
    return TestClient(create_app(store, benchmarks=False), base_url=BASE)


def token(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    assert client.cookies.get(CSRF_COOKIE) == found.group(1)
    return found.group(1)


NEW_RISK = {
    "risk_id": "P1",
    "name": "Placement sufficiency",
    "description": "Too few local foster and residential places.",
    "owner": "Head of Children Looked After",
    "likelihood": "4",
    "impact": "4",
    "target_likelihood": "2",
    "target_impact": "3",
    "target_date-day": "31",
    "target_date-month": "3",
    "target_date-year": "2027",
    "tasks": "Recruit foster carers.",
    "progress": "",
    "links": "lac.rate_per_10k",
}


def test_empty_register_page(client: TestClient) -> None:
    page = client.get("/risks")
    assert page.status_code == 200
    assert "The register is empty" in page.text
    assert 'href="/risks/new"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_add_update_close_with_who_and_when(client: TestClient) -> None:
    csrf = token(client, "/risks/new")
    done = client.post("/risks/new", data={**NEW_RISK, "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/risks/P1?saved=added"
    page = client.get("/risks/P1?saved=added")
    assert "The risk was added to the register." in page.text
    text = text_of(page.text)
    assert "16 (likelihood 4 × impact 4), High" in text
    assert "Added by local user" in text
    store = client.app.state.data.path  # type: ignore[attr-defined]
    (added,) = read_versions(store)
    assert (added.reviewed_by, added.reviewed_on, added.change) == (
        "local user",
        date.today(),
        "added",
    )
    # the register: the new risk, its linked indicator's RAG for April 2025 (amber: 64.7
    # against 62, tests/web/conftest.py) and the heat map in words
    register = text_of(client.get("/risks").text)
    assert "1 open risk (0 low, 0 medium, 1 high); 1 moved this month" in register
    assert "16 High Now: P1" in register and "6 Medium Target: P1" in register
    assert "Amber" in register and "New this month" in register

    csrf = token(client, "/risks/P1/update")
    form = {"likelihood": "3", "impact": "4", "progress": "Two new carers.", "csrf_token": csrf}
    assert client.post("/risks/P1/update", data=form, follow_redirects=False).status_code == 303
    csrf = token(client, "/risks/P1/close")
    form = {"progress": "Merged into the sufficiency strategy.", "csrf_token": csrf}
    assert client.post("/risks/P1/close", data=form, follow_redirects=False).status_code == 303
    versions = read_versions(store)
    assert [(v.change, v.score, v.status, v.recorded_by) for v in versions] == [
        ("added", 16, "open", "local user"),
        ("updated", 12, "open", "local user"),
        ("closed", 12, "closed", "local user"),
    ]
    # a closed risk is not changed again
    assert client.get("/risks/P1/update").status_code == 409
    assert "Closed this month" in client.get("/risks").text


def test_errors_shown_beside_the_fields(client: TestClient) -> None:
    csrf = token(client, "/risks/new")
    bad = {**NEW_RISK, "likelihood": "7", "name": "", "target_date-month": "13", "links": "x.y"}
    bad["risk_id"] = "P#1"
    page = client.post("/risks/new", data={**bad, "csrf_token": csrf})
    assert page.status_code == 400
    assert "<title>Error: Add a risk" in page.text
    summary = text_of(page.text)
    assert "There is a problem" in summary
    for message in (
        "Enter the risk name",
        "The current likelihood must be a whole number from 1 to 5",
        "The target date must be a real date",
        "x.y is not an indicator id",
        "The risk number may not contain '#'",
    ):
        assert message in summary
    assert 'href="#likelihood"' in page.text and 'id="likelihood-error"' in page.text
    # what was typed is kept
    assert 'value="Placement sufficiency"' not in page.text
    assert "Too few local foster and residential places." in page.text
    assert read_versions(client.app.state.data.path) == []  # type: ignore[attr-defined]


def test_forged_forms_are_refused(client: TestClient) -> None:
    # no token at all
    page = client.post("/risks/new", data=NEW_RISK)
    assert page.status_code == 403 and "did not come from this dashboard" in page.text
    # a token that is not the browser's cookie
    token(client, "/risks/new")
    page = client.post("/risks/new", data={**NEW_RISK, "csrf_token": "x" * 43})
    assert page.status_code == 403
    # the right token from another site's page
    csrf = token(client, "/risks/new")
    page = client.post(
        "/risks/new",
        data={**NEW_RISK, "csrf_token": csrf},
        headers={"origin": "http://evil.example"},
    )
    assert page.status_code == 403 and "from another site" in page.text
    assert read_versions(client.app.state.data.path) == []  # type: ignore[attr-defined]
    cookie = client.get("/risks/new").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_unknown_risk_and_csv(client: TestClient) -> None:
    assert client.get("/risks/NOPE").status_code == 404
    csrf = token(client, "/risks/new")
    client.post("/risks/new", data={**NEW_RISK, "csrf_token": csrf})
    csv_text = client.get("/risks.csv").text
    assert csv_text.startswith("Risk number,Area,Category,Risk name")
    assert "\r\nP1,,,Placement sufficiency," in csv_text
    # the register at the end of April 2025 (before the risk was added) is empty
    assert client.get("/risks.csv?period=2025-04").text.count("\r\n") == 1
