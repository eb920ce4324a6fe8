"""Every page through FastAPI's TestClient: status codes, figures, bookmarkable URLs, 404s."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import CURRENT, EARLIER

from cscperf.web import packs
from cscperf.web.app import create_app


@pytest.fixture(scope="module")
def client(web_store: Path) -> TestClient:
    return TestClient(create_app(web_store, benchmarks=False), base_url="http://127.0.0.1:8000")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_dashboard_counts_and_vital_signs(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Eastshire County Council" in words
    assert "Whole county, April 2025" in words
    # red: re-referrals 30%; amber: LAC 64.7; green: CP 35.0 (see conftest)
    counts = re.findall(r'council-count__number">(\d+)<', page.text)
    assert counts[:3] == ["1", "1", "1"]
    assert "64.7" in words and "30.0%" in words and "35.0" in words
    assert 'href="#main-content"' in page.text  # skip link
    assert "GDS Transport" not in page.text


def test_locality_changes_the_dashboard(client: TestClient) -> None:
    page = client.get("/?locality=Saltfleet")
    assert page.status_code == 200
    assert "Saltfleet, April 2025" in text_of(page.text)
    assert "58.8" in text_of(page.text)  # 100 / 17,000 * 10,000
    assert '<option value="Saltfleet" selected>' in page.text


def test_htmx_request_gets_only_the_body(client: TestClient) -> None:
    part = client.get("/?locality=Harrowmere", headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert part.text.lstrip().startswith('<div id="page-body">')
    assert "<html" not in part.text


def test_summary_filters_by_area(client: TestClient) -> None:
    everything = client.get("/summary")
    lac_only = client.get("/summary?area=lac")
    assert "(3 indicators)" in text_of(everything.text)
    assert "(1 indicator)" in text_of(lac_only.text)
    assert 'scope="col"' in lac_only.text and "<caption" in lac_only.text


def test_indicator_page(client: TestClient) -> None:
    page = client.get("/indicators/lac.rate_per_10k?period=2025-04")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Looked-after children per 10,000 children" in words
    assert "Amber" in words
    assert "sibling groups" in words  # commentary for April
    assert 'role="img" aria-labelledby="trend-text"' in page.text
    assert "rose from 58.8 in April 2024 to 64.7 in April 2025" in words
    assert "70.6" in words  # Harrowmere
    # data quality: the LAC area reads ssd_cla_episodes: one error; never the child's value
    assert "episode end before start" in words
    assert "CHILD-SECRET-1" not in page.text
    assert "missing team" not in words  # that problem is in referral data


def test_indicator_for_a_locality_and_a_period(client: TestClient) -> None:
    page = client.get("/indicators/lac.rate_per_10k?period=2025-03&locality=Harrowmere")
    assert page.status_code == 200
    # March 2025: 110 / 17,000 * 10,000 = 64.7; Q4 2024-25 target 62 -> amber
    assert "Harrowmere, March 2025" in text_of(page.text)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("/indicators/lac.nothing", "no indicator 'lac.nothing'"),
        ("/?period=2031-01", "covers April 2023 to April 2025"),
        ("/?period=March", "write the period as YYYY-MM"),
        ("/summary?locality=Atlantis", "no locality called 'Atlantis'"),
        ("/summary?area=space", "no area called 'space'"),
        ("/?build=19990101T000000Z", "no build '19990101T000000Z'"),
        ("/no/such/page", "no page at this address"),
    ],
)
def test_unknown_things_get_a_helpful_404(client: TestClient, url: str, says: str) -> None:
    page = client.get(url)
    assert page.status_code == 404
    assert says in text_of(page.text).replace("&#39;", "'")


def test_bookmarkable_urls_keep_period_and_locality(client: TestClient) -> None:
    page = client.get("/?period=2025-03&locality=Saltfleet")
    links = re.findall(r'href="(/indicators/[^"]+)"', page.text)
    assert links and all("period=2025-03" in x and "locality=Saltfleet" in x for x in links)
    assert "build=" not in links[0]  # the current build is not pinned in bookmarks


def test_earlier_build_is_shown_and_kept_in_links(client: TestClient) -> None:
    page = client.get(f"/?build={EARLIER}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "an earlier build" in words and "March 2025" in words
    assert f"build={EARLIER}" in page.text
    builds = client.get("/builds")
    assert CURRENT in builds.text and EARLIER in builds.text
    assert "2025-04-07" in builds.text


def test_csv_downloads(client: TestClient) -> None:
    rows = client.get("/indicators/lac.rate_per_10k/rows.csv?period=2025-04")
    assert rows.status_code == 200
    assert "attachment" in rows.headers["content-disposition"]
    # a download may load, run and frame nothing; pages allow exactly their own blocks
    assert rows.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    page_policy = client.get("/summary").headers["content-security-policy"]
    assert page_policy.startswith("default-src 'self'") and "'unsafe-inline'" not in page_policy
    table = list(csv.DictReader(io.StringIO(rows.text)))
    # 25 months (April 2023 .. April 2025) x 3 places
    assert len(table) == 75
    everything = client.get("/downloads/results.csv?period=2025-04")
    months = {r["period_end"] for r in csv.DictReader(io.StringIO(everything.text))}
    assert months == {"2025-04-30"}


def test_pack_download_served_from_cache(client: TestClient, web_store: Path) -> None:
    from datetime import date

    folder = packs.pack_folder(web_store, CURRENT, date(2025, 4, 30), None)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.xlsx").write_bytes(b"PK fake workbook")
    got = client.get("/downloads/pack.xlsx?period=2025-04")
    assert got.status_code == 200
    assert got.content == b"PK fake workbook"


def test_health(client: TestClient) -> None:
    got = client.get("/health")
    assert got.status_code == 200
    assert got.json() == {
        "status": "ok",
        "version": got.json()["version"],
        "current_build": CURRENT,
        "builds": 2,
        "results": "ready",  # nothing is being prepared in the background
    }


def test_access_log_has_no_query_string(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="cscperf.web.access"):
        client.get("/indicators/lac.rate_per_10k?period=2025-04&locality=Saltfleet")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cscperf.web.access"]
    assert lines[-1]["path"] == "/indicators/lac.rate_per_10k"
    assert lines[-1]["status"] == 200
    assert "Saltfleet" not in caplog.text


def test_an_indicator_given_only_by_source_shows_each_source(client: TestClient) -> None:
    page = client.get("/indicators/contacts.source_share_pct?period=2025-04")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Whole county by source, April 2025" in text
    assert "not as one overall figure" in text
    # this month: police 35 / 100, health 15 / 100; March: 30% and 20%
    assert "35.0%" in text and "35 / 100" in text and "15 / 100" in text
    assert "March 2025" in text and "30.0%" in text
