"""The dashboard's forecast page and its CSV download, on a store loaded from files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cscperf.store import Store
from cscperf.web.app import create_app


@pytest.fixture(scope="module")
def client(stores: dict[str, Path]) -> TestClient:
    return TestClient(create_app(stores["ssd"], benchmarks=False), base_url="http://127.0.0.1:8000")


def test_the_forecast_page_shows_projection_cost_and_backtest(
    client: TestClient, stores: dict[str, Path]
) -> None:
    page = client.get("/forecast", params={"period": "2025-03"})
    assert page.status_code == 200
    text = page.text
    assert "Forecast: children looked after and placement costs" in text
    assert "children were looked after at the end of March 2025" in text
    assert "How accurate the forecast has been" in text and "<svg" in text
    assert 'href="/forecast?period=2025-03"' in text  # the navigation keeps the month
    people = Store(stores["ssd"]).get().table("ssd_person")["pers_person_id"].to_list()
    assert not any(person in text for person in people)


def test_the_forecast_csv_has_numbers_for_every_month_and_placement(client: TestClient) -> None:
    response = client.get("/forecast.csv", params={"period": "2025-03"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["Month end", "Placement", "Expected children"]
    assert len(rows) == 1 + 24 * 5  # 24 months ahead, four categories and the total
    assert rows[1][0] == "2025-04-30" and float(rows[1][2]) >= 0


def test_a_month_too_early_to_forecast_says_why(client: TestClient) -> None:
    first = client.get("/forecast").text.split('<option value="')[-1][:7]  # earliest month
    page = client.get("/forecast", params={"period": first})
    assert page.status_code == 200 and "No forecast for" in page.text
    assert "months of history" in page.text
