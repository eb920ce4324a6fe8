"""The dashboard's finance page: the month's monitoring from the ledger kept with the build.

The store's build reports April 2025, period 1 of 2025-26; the hand-built ledger's period 1
(ledgers.py) forecasts 4,675,000 against a council-fund budget of 4,600,000: +£0.075m."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import APRIL, CURRENT, write_build

sys.path.insert(0, str(Path(__file__).parent))

from ledgers import finance_settings, write_ledger

from cscperf.finance.store import import_finance
from cscperf.store.store import Store
from cscperf.web.app import create_app

BASE = "http://127.0.0.1:8000"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    write_build(path, CURRENT, APRIL, "2025-05-07")
    (path / "current").write_text(CURRENT + "\n", encoding="utf-8")
    return path


def test_no_finance_imported(store: Path) -> None:
    client = TestClient(create_app(store, benchmarks=False), base_url=BASE)
    page = client.get("/finance")
    assert page.status_code == 200
    assert "No finance was imported into this build" in text_of(page.text)


def test_the_months_monitoring(store: Path, tmp_path: Path) -> None:
    settings = finance_settings(tmp_path / "finance.yaml")
    import_finance(Store(store).get(), settings, [write_ledger(tmp_path / "april.csv", 1)])
    client = TestClient(create_app(store, benchmarks=False), base_url=BASE)
    page = client.get("/finance")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "April 2025: period 1 of 2025-26" in text
    assert re.search(r"Total council fund 4\.600 4\.675 \+0\.075 \+1\.6%", text)
    assert "projected overspend of £0.075m for 2025-26" in text
    assert '<svg role="img" aria-labelledby="finance-chart-text"' in page.text
    march = text_of(client.get("/finance?period=2025-03").text)
    assert "has no extract for March 2025" in march
    assert 'href="/finance' in client.get("/").text
