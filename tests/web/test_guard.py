"""What a request must be to be answered: a known Host name (DNS rebinding), HEAD as GET
without a body, and no figures left in a browser's cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cscperf.web.app import create_app
from cscperf.web.security import allowed_host_names, host_name


@pytest.fixture(scope="module")
def app(web_store: Path):
    return create_app(web_store, benchmarks=False, allowed_hosts=("perf.eastshire.gov.uk",))


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8000", "127.0.0.1"),
        ("LOCALHOST", "localhost"),
        ("[::1]:8000", "::1"),
        ("perf.eastshire.gov.uk", "perf.eastshire.gov.uk"),
        ("evil.example:80", "evil.example"),
    ],
)
def test_host_names_lose_their_port_and_case(header: str, name: str) -> None:
    assert host_name(header) == name


def test_loopback_names_are_always_allowed() -> None:
    assert {"127.0.0.1", "localhost", "::1"} <= allowed_host_names()
    assert "perf.eastshire.gov.uk" in allowed_host_names(("Perf.Eastshire.gov.uk:443",))


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:8000", "http://localhost", "https://perf.eastshire.gov.uk"]
)
def test_known_names_are_answered(app, base: str) -> None:
    assert TestClient(app, base_url=base).get("/health").status_code == 200


@pytest.mark.parametrize("base", ["http://rebind.attacker.example", "http://127.0.0.2"])
def test_other_names_are_refused_with_a_sentence(app, base: str) -> None:
    response = TestClient(app, base_url=base).get("/")
    assert response.status_code == 400
    assert "--allowed-host" in response.text
    assert "Eastshire" not in response.text  # nothing of the dashboard leaks


def test_head_is_answered_like_get_without_a_body(app) -> None:
    client = TestClient(app, base_url="http://127.0.0.1")
    got, head = client.get("/"), client.head("/")
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]


def test_pages_and_downloads_are_not_cached_but_static_files_may_be(app) -> None:
    client = TestClient(app, base_url="http://127.0.0.1")
    for path in ("/", "/summary", "/downloads/results.csv", "/no-such-page"):
        assert client.get(path).headers["cache-control"] == "no-store", path
    static = client.get("/static/dashboard.css")
    assert static.headers.get("cache-control") != "no-store"
