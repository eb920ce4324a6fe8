"""A pool of three synthetic councils gives, for each indicator, each member's values equal to
its own single-council run (issue 20, "Done when").

Camden (202), Liverpool (341) and Norfolk (926) are made at scale 0.03 for January 2024 to
March 2025 and each loaded into its own store. Each council's single-council run is
``results_for`` on its own build (what ``cscperf indicators`` writes). Liverpool's and Norfolk's
stored results are then removed, so the pool computes theirs, both at once over their pooled
tables (``indicators/pooled.py``), while Camden's are read from its build as published; either
way every value, month and breakdown of every computed indicator must come back from the pool
exactly, under the member's LA code. The pooled tables must hold no identifier of the members'
own, and dates of birth only to the month.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from polars.testing import assert_frame_equal

from cscperf.app.month import assemble_pack
from cscperf.app.pools import pool_councils
from cscperf.cli import main
from cscperf.errors import InputError, StoreError
from cscperf.indicators import pooled as pooled_engine
from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.functions import registered
from cscperf.indicators.results import RESULTS_FILE, results_for
from cscperf.pools.keys import KEY_ENV
from cscperf.pools.pool import RESULTS_TABLE, Pool
from cscperf.reports.html import collect, render_html
from cscperf.reports.pack import public_pack
from cscperf.store import Store
from cscperf.web.app import create_app

CODES = ("202", "341", "926")
KEY = "0123456789abcdef0123456789abcdef"
KEYS = ["indicator_id", "period_end", "breakdown", "breakdown_value"]


@pytest.fixture(scope="module")
def stores(
    tmp_path_factory: pytest.TempPathFactory, council_stores: Callable[..., dict[str, Path]]
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pool-members")
    return council_stores(root, CODES, scale="0.03", start="2024-01", end="2025-03")


@pytest.fixture(scope="module")
def single_runs(stores: dict[str, Path]) -> dict[str, pl.DataFrame]:
    runs = {code: results_for(Store(p).get(), show_progress=False) for code, p in stores.items()}
    for code in ("341", "926"):  # the pool computes these two, together
        (Store(stores[code]).get().results_dir / RESULTS_FILE).unlink()
    return runs


@pytest.fixture(scope="module")
def pooled(
    stores: dict[str, Path], single_runs: dict[str, pl.DataFrame], tmp_path_factory: Any
) -> Pool:
    folder = tmp_path_factory.mktemp("pool") / "east"
    assert main(["pool", "create", str(folder), "--name", "Three councils"]) == 0
    for code in CODES:
        assert main(["pool", "join", str(folder), "--store", str(stores[code])]) == 0
    together: list[list[str]] = []
    compute_group = pooled_engine.compute_group

    def spy(tables: Any, group: Any, *args: Any, **kwargs: Any) -> Any:
        together.append([m.council for m in group])
        return compute_group(tables, group, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, KEY)
        patch.setattr(pooled_engine, "compute_group", spy)
        assert main(["pool", "build", str(folder)]) == 0
    assert together[0] == ["341", "926"]  # the whole catalogue of both, in one pooled run
    return Pool(folder)


def test_every_members_values_equal_its_own_run(
    pooled: Pool, single_runs: dict[str, pl.DataFrame]
) -> None:
    build = pooled.latest()
    results = build.table(RESULTS_TABLE)
    month = date.fromisoformat(build.manifest["pool"]["month"])
    assert month == date(2025, 3, 31)
    computed = {d.id for d in load_catalogue() if d.id in registered()}
    for code in CODES:
        own = single_runs[code].filter(pl.col("period_end") <= month).sort(KEYS)
        got = results.filter(pl.col("la_code") == code).drop("la_code").sort(KEYS)
        assert computed <= set(own["indicator_id"])
        assert got.height == own.height > 0
        assert_frame_equal(got, own)


def test_pool_records_which_build_of_each_member(pooled: Pool, stores: dict[str, Path]) -> None:
    members = pooled.latest().manifest["pool"]["members"]
    assert [m["la_code"] for m in members] == list(CODES)
    for record in members:
        assert record["build"] == Store(stores[record["la_code"]]).current_id()
    assert "key" not in pooled.latest().manifest["pool"]  # only its check value
    assert KEY not in (pooled.latest().path / "manifest.json").read_text(encoding="utf-8")


def test_pooled_tables_hashed_and_degraded(pooled: Pool, stores: dict[str, Path]) -> None:
    people = pooled.latest().table("ssd_person")
    for code in CODES:
        own = Store(stores[code]).get().table("ssd_person")
        mine = people.filter(pl.col("la_code") == code)
        assert mine.height == own.height
        assert not set(mine["pers_person_id"]) & set(own["pers_person_id"])
        assert mine["pers_person_id"].str.len_chars().unique().to_list() == [32]
    assert "pers_forename" not in people.columns
    births = people["pers_dob"].drop_nulls()
    assert births.len() > 0 and births.dt.day().unique().to_list() == [1]


def test_a_second_store_with_the_same_la_code_is_refused(
    pooled: Pool, stores: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "camden-again"
    shutil.copytree(stores["202"], copy)
    assert main(["pool", "join", str(pooled.path), "--store", str(copy)]) == 2
    assert "LA code 202" in " ".join(capsys.readouterr().err.split())


def test_a_different_key_is_refused(pooled: Pool, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, KEY[::-1])
        assert main(["pool", "build", str(pooled.path)]) == 2
    assert "not the key this pool was built with" in " ".join(capsys.readouterr().err.split())


def test_pool_benchmarks_command(pooled: Pool, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pool", "benchmarks", str(pooled.path), "--la", "341", "--months", "2"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].startswith("la_code,indicator_id,period_end,value,members,mean")
    assert len(lines) > 2 and all(line.startswith("341,") for line in lines[1:])
    assert {line.split(",")[2] for line in lines[1:]} == {"2025-02-28", "2025-03-31"}
    assert "Pool: Three councils, 3 councils (202 " in " ".join(out.err.split())
    assert main(["pool", "benchmarks", str(pooled.path), "--la", "999"]) == 2
    assert "--la 999: not a member" in " ".join(capsys.readouterr().err.split())


def test_pack_shows_the_pool_beside_the_published_figures(
    pooled: Pool, stores: dict[str, Path]
) -> None:
    pack = assemble_pack(stores["341"], "2025-03", benchmarks=False, pool=pooled.path)
    content = collect(pack, draw=False)
    assert content.pool is not None
    assert content.pool.month == date(2025, 3, 31)
    assert content.pool.label.startswith("Pool: Three councils, 3 councils (202 ")
    _, frame = pooled.benchmarks()
    expected = frame.filter(
        (pl.col("la_code") == "341") & (pl.col("period_end") == date(2025, 3, 31))
    )
    shown = {r.ref: r for r in content.pool.rows}
    assert set(shown) == set(expected["indicator_id"])
    for row in expected.iter_rows(named=True):
        assert shown[row["indicator_id"]].median == row["median"]
        assert shown[row["indicator_id"]].value == row["value"]
    # topic pages and report cards need their charts drawn, which this test does not need
    html = render_html(replace(content, topics=[], cards=[]))
    assert '<h2 id="pool">' in html and content.pool.label in html
    assert public_pack(pack).pool is None  # the pool's figures stay within the group


def test_pool_for_a_council_not_in_it(pooled: Pool) -> None:
    with pytest.raises(StoreError, match="council 999 is not a member"):
        pooled.for_council("999")


def test_dashboard_pool_page(pooled: Pool, stores: dict[str, Path]) -> None:
    base = "http://127.0.0.1:8000"
    with_pool = TestClient(
        create_app(stores["341"], benchmarks=False, pool=pooled.path), base_url=base
    )
    page = with_pool.get("/pool?period=2025-03")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Pool: Three councils, 3 councils (202 Camden (synthetic)," in text
    assert "Rank in pool (1 = best)" in text
    assert 'href="/pool' in with_pool.get("/builds").text
    without = TestClient(create_app(stores["341"], benchmarks=False), base_url=base)
    assert without.get("/pool").status_code == 404
    assert 'href="/pool' not in without.get("/builds").text


def test_re_pool_month_by_month_with_a_leave_and_retention(
    pooled: Pool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a copy of the pool: Norfolk leaves from March 2025 and retention is cut to three
    months. February's re-pool still holds Norfolk, December to February; March's holds the
    other two, January to March; every earlier pooled build stays as it was."""
    copy = Pool(tmp_path / "copy")
    shutil.copytree(pooled.path, copy.path)
    first = copy.latest().id
    text = (copy.path / "pool.yaml").read_text(encoding="utf-8")
    (copy.path / "pool.yaml").write_text(
        text.replace("retention_months: 120", "retention_months: 3"), encoding="utf-8"
    )
    assert main(["pool", "leave", str(copy.path), "926", "--from", "2025-03"]) == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, KEY)
        assert main(["pool", "build", str(copy.path), "--period", "2025-02"]) == 0
        february = copy.latest()
        assert main(["pool", "build", str(copy.path)]) == 0
        march = copy.latest()
    for build, codes, months in (
        (february, ["202", "341", "926"], ["2024-12-31", "2025-01-31", "2025-02-28"]),
        (march, ["202", "341"], ["2025-01-31", "2025-02-28", "2025-03-31"]),
    ):
        assert [m["la_code"] for m in build.manifest["pool"]["members"]] == codes
        results = build.table(RESULTS_TABLE)
        assert sorted(set(results["la_code"])) == codes
        assert sorted(d.isoformat() for d in set(results["period_end"])) == months
    assert march.manifest["pool"]["kept_from"] == "2025-01-01"
    contacts = march.table("ssd_contacts")["cont_contact_date"]
    assert contacts.min() >= date(2025, 1, 1)  # a contact is one date: before January, gone
    assert copy.store.get(first).table(RESULTS_TABLE).height > 0  # earlier builds unchanged
    assert main(["pool", "leave", str(copy.path), "926"]) == 2  # already left
    assert "not a member" in capsys.readouterr().err


def test_pool_councils_from_folders(stores: dict[str, Path], tmp_path: Path) -> None:
    """What a benchmark script calls: Camden's extracts folder (loaded into a store first)
    and Liverpool's store, pooled in one call; a second call adds nobody."""
    extracts = stores["202"].parent.parent / "in" / "202"
    folders = [extracts, stores["341"]]
    key = KEY.encode()
    done = pool_councils(tmp_path / "pool", folders, key, name="Two", stores_dir=tmp_path / "s")
    assert [m.la_code for m in done.added] == ["202", "341"]
    assert (tmp_path / "s" / "202" / "current").is_file()
    members = done.pool.latest().manifest["pool"]["members"]
    assert [(m["la_code"], m["store"]) for m in members] == [
        ("202", str((tmp_path / "s" / "202").resolve())),
        ("341", str(stores["341"].resolve())),
    ]
    again = pool_councils(tmp_path / "pool", folders, key, stores_dir=tmp_path / "s")
    assert again.added == [] and again.build.id != done.build.id
    with pytest.raises(InputError, match="neither a cscperf store nor"):
        pool_councils(tmp_path / "pool", [tmp_path / "empty"], key, stores_dir=tmp_path / "s")
