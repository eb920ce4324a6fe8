"""The pack download made in the background (issue 15, item 6): the queue of the application
layer (one job per key, a limit, failures reported) and the dashboard's progress page."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import CURRENT

from cscperf.app.jobs import DONE, FAILED, JobQueue, QueueFull
from cscperf.errors import CscperfError
from cscperf.web import packs
from cscperf.web.app import create_app


def _wait(job: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while job.active and time.monotonic() < deadline:
        time.sleep(0.02)


def test_one_job_per_key_and_its_result_is_kept() -> None:
    queue = JobQueue(workers=1, limit=2)
    calls = []
    gate = threading.Event()

    def work(progress: Callable[[str, float], None]) -> str:
        calls.append(1)
        progress("Half way", 0.5)
        gate.wait(5)
        return "made"

    first = queue.submit(("pack", "b", "2026-11"), "the pack", work)
    again = queue.submit(("pack", "b", "2026-11"), "the pack", work)
    assert again is first  # the second request joins the first
    deadline = time.monotonic() + 5
    while first.step != "Half way" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.percent == 50 and first.state == "running"
    gate.set()
    _wait(first)
    assert first.state == DONE and first.result == "made" and first.percent == 100
    # done is kept: asking again gives the same job, the work is not repeated
    assert queue.submit(("pack", "b", "2026-11"), "the pack", work) is first
    assert len(calls) == 1
    queue.shutdown()


def test_the_queue_refuses_work_past_its_limit() -> None:
    queue = JobQueue(workers=1, limit=2)
    gate = threading.Event()
    for n in range(2):
        queue.submit(n, f"job {n}", lambda progress: gate.wait(5))
    with pytest.raises(QueueFull, match="2 jobs are already waiting or running"):
        queue.submit(3, "job 3", lambda progress: None)
    gate.set()
    queue.shutdown()


def test_a_failed_job_says_why_and_starts_again_when_asked() -> None:
    queue = JobQueue()

    def broken(progress: Callable[[str, float], None]) -> None:
        raise CscperfError("there are no indicator results for 2026-11")

    job = queue.submit("k", "the pack", broken)
    _wait(job)
    assert job.state == FAILED and job.error == "there are no indicator results for 2026-11"
    retried = queue.submit("k", "the pack", lambda progress: "made")
    assert retried is not job
    _wait(retried)
    assert retried.state == DONE
    queue.shutdown()


@pytest.fixture()
def slow_pack(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The pack's work replaced by one that waits for the test, then writes two small files."""
    gate = threading.Event()

    def work(make_pack: Any, folder: Path, **_: Any) -> Callable[..., Path]:
        def run(progress: Callable[[str, float], None]) -> Path:
            progress("Writing the PDF (the longest step)", 0.35)
            gate.wait(10)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "pack.pdf").write_bytes(b"%PDF-1.7 fake")
            (folder / "pack.xlsx").write_bytes(b"PK fake")
            return folder

        return run

    monkeypatch.setattr(packs, "pack_files_work", work)
    return gate


def test_a_download_answers_at_once_and_shows_progress_until_the_pack_is_ready(
    web_store: Path, slow_pack: threading.Event
) -> None:
    client = TestClient(create_app(web_store, benchmarks=False), base_url="http://127.0.0.1:8000")
    assert client.get("/?period=2025-03").status_code == 200  # the store read once, as on start
    started = time.monotonic()
    page = client.get("/downloads/pack.pdf?period=2025-03&locality=Saltfleet")
    assert time.monotonic() - started < 1.0
    assert page.status_code == 202
    assert "Preparing the committee pack" in page.text
    assert 'hx-trigger="every 1s"' in page.text
    # htmx asks for the progress alone
    deadline = time.monotonic() + 5
    while True:
        part = client.get(
            "/downloads/pack-progress?fmt=pdf&period=2025-03&locality=Saltfleet",
            headers={"HX-Request": "true"},
        )
        if "35% done" in part.text or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert part.text.lstrip().startswith('<div id="pack-progress"')
    assert "35% done." in part.text and "Writing the PDF" in part.text
    # another page is not held up by the pack
    started = time.monotonic()
    assert client.get("/?period=2025-03").status_code == 200
    assert time.monotonic() - started < 1.0
    slow_pack.set()
    deadline = time.monotonic() + 10
    while "The pack is ready" not in part.text and time.monotonic() < deadline:
        time.sleep(0.05)
        part = client.get(
            "/downloads/pack-progress?fmt=pdf&period=2025-03&locality=Saltfleet",
            headers={"HX-Request": "true"},
        )
    assert "The pack is ready" in part.text and "hx-trigger" not in part.text
    assert "/downloads/pack.xlsx?period=2025-03&amp;locality=Saltfleet" in part.text
    got = client.get("/downloads/pack.pdf?period=2025-03&locality=Saltfleet")
    assert got.status_code == 200 and got.content == b"%PDF-1.7 fake"
    # the made packs are forgotten (the risk register changed): the next request makes it again
    import shutil

    shutil.rmtree(packs.pack_folder(web_store, CURRENT, date(2025, 3, 31), "Saltfleet"))
    again = client.get("/downloads/pack.pdf?period=2025-03&locality=Saltfleet")
    assert again.status_code == 202 and "Preparing the committee pack" in again.text


def test_the_real_pack_is_made_in_the_background(web_store: Path) -> None:
    client = TestClient(create_app(web_store, benchmarks=False), base_url="http://127.0.0.1:8000")
    first = client.get("/downloads/pack.xlsx?period=2025-02")
    assert first.status_code == 202
    job = client.app.state.jobs.get(("pack", "20250508T090000Z", "2025-02", ""))  # type: ignore[attr-defined]
    _wait(job, 300)
    assert job.state == DONE, job.error
    folder = packs.pack_folder(web_store, "20250508T090000Z", date(2025, 2, 28), None)
    assert {p.name for p in folder.iterdir()} == {"pack.html", "pack.pdf", "pack.xlsx"}
    got = client.get("/downloads/pack.xlsx?period=2025-02")
    assert got.status_code == 200 and got.content[:2] == b"PK"


def test_a_quarterly_measure_shows_its_latest_figure_not_a_404(tmp_path: Path) -> None:
    """Youth justice figures are imported for quarters: the month after a quarter has none."""
    import polars as pl
    from tests.web.conftest import APRIL, CURRENT, write_build

    store = tmp_path / "store"
    write_build(store, CURRENT, APRIL, "2025-05-07")
    (store / "current").write_text(CURRENT + "\n", encoding="utf-8")
    results = store / "builds" / CURRENT / "results" / "indicators.parquet"
    rows = pl.read_parquet(results)
    quarter = pl.DataFrame(
        {
            "indicator_id": ["yj.fte_count"],
            "period_end": [date(2025, 3, 31)],
            "breakdown": ["all"],
            "breakdown_value": ["all"],
            "numerator": [12.0],
            "denominator": [None],
            "value": [12.0],
        },
        schema=rows.schema,
    )
    pl.concat([rows, quarter]).write_parquet(results)
    client = TestClient(create_app(store, benchmarks=False), base_url="http://127.0.0.1:8000")
    moved = client.get("/indicators/yj.fte_count?period=2025-04", follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == "/indicators/yj.fte_count?period=2025-03&asked=2025-04"
    page = client.get(moved.headers["location"])
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "There is no figure for April 2025" in text and "for March 2025" in text
    # a measure with no figure at all still answers 404, saying so
    assert client.get("/indicators/yj.reoffending_binary_pct?period=2025-04").status_code == 404
