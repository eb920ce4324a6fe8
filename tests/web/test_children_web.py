"""The children behind a figure in the dashboard: the list page and its CSV (formula-safe),
both audited and sent ``no-store``, the permission and locality scope enforced where the list
is made, and no child's identifier on any aggregate page or download."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from tests.web.test_browser import browser, serve_in_thread
from tests.web.test_sign_in import GROUPS, PEOPLE, provider, sign_in_settings

from cscperf.indicators.children import child_lists, children_behind
from cscperf.indicators.results import compute_build, write_results
from cscperf.settings import GroupGrant
from cscperf.store import Store
from cscperf.store.audit import read_entries
from cscperf.web.app import create_app
from cscperf.web.children import DOWNLOADED
from cscperf.web.forms import (
    ADMINISTRATOR,
    HEAD_OF_SERVICE,
    LOCALITY_MANAGER,
    PERFORMANCE_OFFICER,
    ROLES,
    VIEWER,
    User,
    permissions_of,
)

BASE = "http://127.0.0.1:8000"
__all__ = ["browser"]  # the Chromium of the dashboard's browser tests
IDENT = "cp.open_2y_plus_pct"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    synth = pytest.importorskip("cscperf.synth")
    from cscperf.app.load import ingest

    root = tmp_path_factory.mktemp("children-web")
    inputs = root / "in"
    synth.generate(inputs, seed=5, scale=0.02, start=date(2021, 4, 1), end=date(2024, 3, 31))
    paths = [inputs / "ssd", inputs / "population", inputs / "council.yaml"]
    assert ingest(root / "store", paths).reason is None
    build = Store(root / "store").get()
    ids = sorted({*child_lists(), "lac.rate_per_10k", "cp.rate_per_10k", "assess.completed_count"})
    write_results(build, compute_build(build, ids=ids))
    return root / "store"


@pytest.fixture(scope="module")
def client(store: Path) -> TestClient:
    return TestClient(create_app(store, benchmarks=False), base_url=BASE)


def _month(client: TestClient) -> str:
    return client.app.state.data.facts(None).periods[-1].strftime("%Y-%m")  # type: ignore[attr-defined]


def _everyone(store: Path, month: str) -> set[str]:
    build = Store(store).get()
    end = client_month_end(month)
    ids: set[str] = set()
    for ident in child_lists():
        ids |= set(children_behind(build, ident, end).rows["person_id"].cast(pl.String))
    return ids


def client_month_end(month: str) -> date:
    year, number = (int(p) for p in month.split("-"))
    following = date(year + number // 12, number % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def _counted_month(store: Path) -> str:
    """The latest month whose figure for IDENT counts a child."""
    from cscperf.indicators.results import results_for

    rows = results_for(Store(store).get(), show_progress=False).filter(
        pl.col("indicator_id") == IDENT, pl.col("breakdown") == "all", pl.col("numerator") > 0
    )
    return f"{rows['period_end'].max():%Y-%m}"


def test_the_list_page_and_csv_are_audited_and_not_stored(client: TestClient, store: Path) -> None:
    month = _counted_month(store)
    build = Store(store).get()
    expected = children_behind(build, IDENT, client_month_end(month)).rows
    assert expected.height > 0
    figure = client.get(f"/indicators/{IDENT}?period={month}")
    assert f'href="/children/{IDENT}?period={month}"' in figure.text
    assert "/children/" not in client.get(f"/indicators/lac.rate_per_10k?period={month}").text
    page = client.get(f"/children/{IDENT}?period={month}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    for person in expected["person_id"].cast(pl.String).to_list()[:5]:
        assert f'<th scope="row" class="govuk-table__header">{person}</th>' in page.text
    download = client.get(f"/children/{IDENT}.csv?period={month}")
    assert download.status_code == 200 and download.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["Child", "Locality", "Team", "Plan started", "Days over two years"]
    assert len(rows) - 1 == expected.height
    assert sorted(r[0] for r in rows[1:]) == sorted(expected["person_id"].cast(pl.String))
    actions = [(e.action, e.who) for e in read_entries(store, action="children")]
    assert ("children.view", "local user") in actions
    assert ("children.download", "local user") in actions
    # the log says which list and how many, never who
    for entry in read_entries(store, action="children"):
        assert IDENT in entry.detail and rows[1][0] not in entry.detail


def test_a_list_shown_again_from_memory_is_audited_again(client: TestClient, store: Path) -> None:
    """The page is rendered once and then kept, but every view is written to the audit log."""
    month = _counted_month(store)
    url = f"/children/{IDENT}?period={month}"
    before = len(read_entries(store, action="children.view"))
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.text == second.text  # the same page, the second time from memory
    rendered = [k for k in client.app.state.data.computed() if "children.html" in str(k)]  # type: ignore[attr-defined]
    assert len([k for k in rendered if url.split("?")[0] in str(k)]) == 1
    assert len(read_entries(store, action="children.view")) == before + 2


def test_scope_and_permission_are_enforced(client: TestClient, store: Path, monkeypatch) -> None:
    import cscperf.web.children as children

    month = _month(client)
    localities = client.app.state.data.facts(None).localities  # type: ignore[attr-defined]
    mine, other = localities[0], localities[1]
    manager = User(
        "Lee",
        permissions_of((LOCALITY_MANAGER,)),
        False,
        frozenset({LOCALITY_MANAGER}),
        localities=frozenset({mine}),
    )
    monkeypatch.setattr(children, "current_user", lambda request: manager)
    listed = client.get(f"/children/{IDENT}.csv?period={month}")
    assert listed.status_code == 200
    shown = {r[1] for r in list(csv.reader(io.StringIO(listed.text)))[1:]}
    assert shown <= {mine}
    assert client.get(f"/children/{IDENT}?period={month}&locality={other}").status_code == 403
    viewer = User("Val", permissions_of((VIEWER,)), False, frozenset({VIEWER}))
    monkeypatch.setattr(children, "current_user", lambda request: viewer)
    assert client.get(f"/children/{IDENT}?period={month}").status_code == 403
    assert client.get(f"/children/{IDENT}.csv?period={month}").status_code == 403


def test_no_child_id_on_any_aggregate_page_or_download(client: TestClient, store: Path) -> None:
    month = _month(client)
    people = _everyone(store, month)
    assert people
    # identifiers long enough not to occur by chance in figures
    people = {p for p in people if len(p) >= 5}
    assert people, "the synthetic council's ids should be long enough to search for"
    urls = [
        "/",
        f"/?period={month}",
        f"/summary?period={month}",
        "/builds",
        "/commentary",
        "/children",
        f"/downloads/results.csv?period={month}",
    ]
    for ident in (*child_lists(), "lac.rate_per_10k"):
        urls += [
            f"/indicators/{ident}?period={month}",
            f"/indicators/{ident}/rows.csv?period={month}",
        ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        leaked = [p for p in people if p in response.text]
        assert not leaked, f"{url} shows child ids {leaked[:3]}"


def test_child_pages_say_they_list_children_and_aggregate_pages_do_not(
    client: TestClient,
) -> None:
    month = _month(client)
    listing = client.get(f"/children/{IDENT}?period={month}").text
    assert "This page lists children" in listing and "Aggregate figures only" not in listing
    dashboard = client.get(f"/?period={month}").text
    assert "Aggregate figures only" in dashboard and "This page lists children" not in dashboard


def _as(monkeypatch: pytest.MonkeyPatch, who: User) -> None:
    import cscperf.web.children as children

    monkeypatch.setattr(children, "current_user", lambda request: who)


def test_every_list_as_every_role(client: TestClient, store: Path, monkeypatch) -> None:
    """Each role on every child list: refused without ``children.view`` (viewer, head of
    service, performance officer), shown to the locality manager with no child of another
    locality on it, and the CSV the same; the administrator sees the other locality's children
    (so the check can fail)."""
    month = _month(client)
    localities = client.app.state.data.facts(None).localities  # type: ignore[attr-defined]
    mine, other = localities[0], localities[1]
    build = Store(store).get()
    people = {
        VIEWER: User("Val", permissions_of((VIEWER,)), False, frozenset({VIEWER})),
        HEAD_OF_SERVICE: User(
            "Hana",
            permissions_of((HEAD_OF_SERVICE,)),
            False,
            frozenset({HEAD_OF_SERVICE}),
            areas=frozenset({"lac"}),
        ),
        PERFORMANCE_OFFICER: User(
            "Pat", permissions_of((PERFORMANCE_OFFICER,)), False, frozenset({PERFORMANCE_OFFICER})
        ),
        LOCALITY_MANAGER: User(
            "Lee",
            permissions_of((LOCALITY_MANAGER,)),
            False,
            frozenset({LOCALITY_MANAGER}),
            localities=frozenset({mine}),
        ),
        ADMINISTRATOR: User(
            "Ada", permissions_of((ADMINISTRATOR,)), False, frozenset({ADMINISTRATOR})
        ),
    }
    assert set(people) == set(ROLES)
    seen_other = 0
    for ident in sorted(child_lists()):
        rows = children_behind(build, ident, client_month_end(month)).rows
        theirs = set(rows.filter(pl.col("locality") != mine)["person_id"].cast(pl.String))
        theirs = {p for p in theirs if len(p) >= 5}
        page, csv_url = f"/children/{ident}?period={month}", f"/children/{ident}.csv?period={month}"
        for role, who in people.items():
            _as(monkeypatch, who)
            if role not in (LOCALITY_MANAGER, ADMINISTRATOR):
                assert client.get(page).status_code == 403, (role, ident)
                assert client.get(csv_url).status_code == 403, (role, ident)
                continue
            if role == ADMINISTRATOR:
                shown = client.get(page)
                assert shown.status_code == 200
                seen_other += sum(p in shown.text for p in theirs)
                continue
            for url in (page, csv_url):
                shown = client.get(url)
                assert shown.status_code == 200, (ident, url)
                leaked = [p for p in theirs if p in shown.text]
                assert not leaked, f"{url} shows {other}'s children {leaked[:3]}"
            asked = client.get(f"{page}&locality={other}")
            assert asked.status_code == 403, ident
    assert seen_other, "the administrator should see children of other localities"


def test_no_child_id_in_the_logs_or_the_audit_log_for_any_list(
    client: TestClient, store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every list viewed and downloaded: each is audited (which list, how many), and no
    identifier of a child on any list reaches a log line or an audit entry."""
    month = _month(client)
    people = {p for p in _everyone(store, month) if len(p) >= 5}
    assert people
    with caplog.at_level(logging.DEBUG):
        for ident in sorted(child_lists()):
            for tail in ("", ".csv"):
                shown = client.get(f"/children/{ident}{tail}?period={month}")
                assert shown.status_code == 200, ident
    leaked = [p for p in people if p in caplog.text]
    assert not leaked, f"the logs name children {leaked[:3]}"
    entries = read_entries(store, action="children")
    for ident in child_lists():
        mine = [e for e in entries if f'"indicator":"{ident}"' in e.detail.replace(" ", "")]
        assert {e.action for e in mine} >= {"children.view", "children.download"}, ident
    details = " ".join(e.detail for e in entries)
    assert not [p for p in people if p in details]


@pytest.mark.browser
def test_a_locality_manager_downloads_their_childrens_list_in_the_browser(
    browser: Any, store: Path
) -> None:
    """Signed in through the mock identity provider in Chromium as a manager of one locality,
    the list's CSV downloads with that locality's children only, and the download is audited."""
    month = _counted_month(store)
    rows = children_behind(Store(store).get(), IDENT, client_month_end(month)).rows
    counts = rows.group_by("locality").len().sort("len", descending=True)
    mine = str(counts["locality"][0])  # the locality with most children on the list
    manager = GroupGrant(roles=["locality_manager"], localities=[mine])
    grants = {**GROUPS, "cscperf-saltfleet": manager}
    subject, name, _group = PEOPLE["locality_manager"]
    with pytest.MonkeyPatch.context() as patch, provider() as issuer:
        patch.setenv("CSCPERF_OIDC_CLIENT_SECRET", "test-client-secret")
        patch.setenv("CSCPERF_SESSION_SECRET", "c" * 48)
        settings = sign_in_settings(issuer, secure=False).model_copy(update={"groups": grants})
        app = create_app(store, benchmarks=False, sign_in=settings)
        for server in serve_in_thread(app):
            context = browser.new_context()
            page = context.new_page()
            try:
                page.goto(f"{server}/children/{IDENT}?period={month}")
                page.fill("input[name=sub]", subject)
                page.get_by_role("button", name="Authorize").click()
                page.wait_for_url(f"{server}/children/{IDENT}*")
                with page.expect_download() as event:
                    page.get_by_role("link", name="Download the list (CSV)").click()
                text = Path(event.value.path()).read_text(encoding="utf-8-sig")
            finally:
                context.close()
    listed = list(csv.DictReader(io.StringIO(text)))
    expected = rows.filter(pl.col("locality") == mine)
    assert len(listed) == expected.height > 0
    assert {r[k] for r in listed for k in r if k.lower() == "locality"} == {mine}
    downloads = [e for e in read_entries(store) if e.who == name and e.action == DOWNLOADED]
    assert downloads, "the download should be in the audit log"
