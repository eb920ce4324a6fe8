"""Results prepared off the request path: the engine runs in the background once per build,
pages say "being prepared" until then, and a new build, new commentary or new targets are
noticed.

The dashboard here is made as ``cscperf serve`` makes it (``prepare_wait``: a page never waits
for the engine). The engine's entry points the dashboard calls (the month's evaluation, the
indicator results, the children behind a figure) are wrapped to count their calls, so the
tests can say which request made the engine run, if any.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import APRIL, CURRENT, write_build

from cscperf.app.commentary import DRAFT, INDICATOR, SIGNED_OFF, SUBMITTED, Key, record
from cscperf.evaluate.targets import example_targets_path
from cscperf.synth.council import eastshire_settings
from cscperf.web import data as data_module
from cscperf.web.app import create_app

BASE = "http://127.0.0.1:8000"
NEWER = "20250608T090000Z"
# the month is evaluated for the county and each of the council's localities
EVALUATIONS = 1 + len(eastshire_settings().localities)


@pytest.fixture
def store(web_store: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(web_store, copy)
    return copy


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Calls of the engine, by entry point and build (``pack:BUILD``, ``rows:BUILD``,
    ``children:INDICATOR``)."""
    calls: Counter[str] = Counter()

    def counted(name: str, real: Any, label: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[f"{name}:{label(*args)}"] += 1
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(
        data_module,
        "month_pack",
        counted("pack", data_module.month_pack, lambda build, *_: build.id),
    )
    monkeypatch.setattr(
        data_module,
        "results_for",
        counted("rows", data_module.results_for, lambda build, *_: build.id),
    )
    monkeypatch.setattr(
        data_module,
        "children_behind",
        counted("children", data_module.children_behind, lambda _build, ref, *_: ref),
    )
    yield calls


def served(store: Path) -> tuple[TestClient, Any]:
    app = create_app(store, benchmarks=False, prepare_wait=0.0)
    return TestClient(app, base_url=BASE), app


def until_ready(client: TestClient, url: str, limit: float = 60.0) -> Any:
    """Ask for ``url`` as the page's htmx poll does until it is no longer being prepared."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        got = client.get(url)
        if got.status_code != 202:
            return got
        time.sleep(0.05)
    raise AssertionError(f"{url} was still being prepared after {limit:.0f} s")


def all_prepared(client: TestClient, limit: float = 60.0) -> None:
    began = time.monotonic()
    while client.get("/health").json()["results"] != "ready":
        assert time.monotonic() - began < limit, "results still being prepared"
        time.sleep(0.05)


def test_pages_say_being_prepared_then_come_from_the_prepared_results(
    store: Path, engine: Counter[str]
) -> None:
    client, app = served(store)
    first = client.get("/indicators/lac.rate_per_10k")
    # nothing could be ready this fast: the build's results are read in the background
    assert first.status_code == 202
    assert "The figures for this page are being prepared" in first.text
    assert first.headers["cache-control"] == "no-store"
    # the page asks again every second (htmx), and refreshes itself without JavaScript
    assert 'hx-get="/indicators/lac.rate_per_10k"' in first.text
    assert 'hx-trigger="every 1s"' in first.text
    assert '<meta http-equiv="refresh" content="3">' in first.text
    assert until_ready(client, "/indicators/lac.rate_per_10k").status_code == 200
    all_prepared(client)
    # the month was evaluated once for the county and once per locality, ahead of any view
    assert engine[f"pack:{CURRENT}"] == EVALUATIONS
    assert engine[f"rows:{CURRENT}"] == 1
    before = Counter(engine)
    for url in ("/", "/?locality=Saltfleet", "/summary", "/indicators/lac.rate_per_10k"):
        for _ in range(3):
            got = client.get(url)
            assert got.status_code == 200, url
    assert "64.7" in client.get("/").text  # the county's looked-after rate (conftest)
    # served from the prepared results: the engine did not run for any of these requests
    assert engine == before
    app.state.data.close()


def test_a_ready_page_tells_its_poll_to_reload(store: Path, engine: Counter[str]) -> None:
    client, app = served(store)
    poll = {"HX-Request": "true", "HX-Trigger": "being-prepared"}
    waiting = client.get("/summary", headers=poll)
    assert waiting.status_code == 202 and "hx-refresh" not in waiting.headers
    assert "<html" not in waiting.text  # a fragment for htmx, not a whole page
    ready = until_ready(client, "/summary")
    assert ready.status_code == 200 and "hx-refresh" not in ready.headers
    again = client.get("/summary", headers=poll)
    assert again.status_code == 200 and again.headers["hx-refresh"] == "true"
    app.state.data.close()


def test_new_commentary_shows_without_evaluating_the_month_again(
    store: Path, engine: Counter[str]
) -> None:
    client, app = served(store)
    page = until_ready(client, "/indicators/lac.rate_per_10k")
    assert "two large sibling groups" in page.text  # the commentary file (conftest)
    all_prepared(client)
    evaluations = engine[f"pack:{CURRENT}"]
    words = {"analysis": "Fewer children came into care after the edge-of-care pilot."}
    key = Key(INDICATOR, "lac.rate_per_10k", "2025-04")
    for state in (DRAFT, SUBMITTED, SIGNED_OFF):  # as another process (or the CLI) would
        record(store, key, state, words, "Pat")
    page = until_ready(client, "/indicators/lac.rate_per_10k")
    assert "edge-of-care pilot" in page.text
    assert engine[f"pack:{CURRENT}"] == evaluations  # the commentary is laid over the month
    app.state.data.close()


def test_a_new_build_is_prepared_when_it_is_published(store: Path, engine: Counter[str]) -> None:
    client, app = served(store)
    assert CURRENT in until_ready(client, "/builds").text
    all_prepared(client)
    assert engine[f"pack:{NEWER}"] == 0
    write_build(store, NEWER, date(2025, 5, 31), "2025-06-07")
    (store / "current").write_text(NEWER + "\n", encoding="utf-8")
    page = client.get("/")
    assert page.status_code == 202  # the new build's results are not ready yet
    page = until_ready(client, "/")
    assert page.status_code == 200 and "May 2025" in page.text
    all_prepared(client)
    assert engine[f"rows:{NEWER}"] == 1 and engine[f"pack:{NEWER}"] == EVALUATIONS
    app.state.data.close()


def test_new_targets_are_judged_again(store: Path, engine: Counter[str]) -> None:
    client, app = served(store)
    until_ready(client, "/")
    all_prepared(client)
    county = engine[f"pack:{CURRENT}"]
    # the store's own targets file replaces the synthetic council's packaged example
    shutil.copy(example_targets_path(), store / "targets.yaml")
    page = until_ready(client, "/")
    assert page.status_code == 200
    assert engine[f"pack:{CURRENT}"] == county + 1  # the county's month, judged again
    assert engine[f"rows:{CURRENT}"] == 1  # from the same results
    app.state.data.close()


def test_a_list_of_children_is_prepared_once_and_cut_to_the_scope_per_request(
    store: Path, engine: Counter[str]
) -> None:
    client, app = served(store)
    until_ready(client, "/")
    all_prepared(client)
    # prepared ahead with the build: every list the catalogue has
    made = {k for k in engine if k.startswith("children:")}
    assert "children:assess.within_45wd_pct" in made
    before = Counter(engine)
    url = f"/children/assess.within_45wd_pct?period={APRIL:%Y-%m}"
    for locality in ("", "&locality=Saltfleet", "&locality=Harrowmere"):
        got = client.get(url + locality)
        assert got.status_code == 200
        assert got.headers["cache-control"] == "no-store"
    assert engine == before
    app.state.data.close()
