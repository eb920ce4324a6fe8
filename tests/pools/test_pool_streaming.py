"""A pool's build streams its members' results (issue 20, item 4: a pool of every English
council within 6 GB): each member's results are written as they come and dropped before the
next member's are asked for, and the pooled results table is written from the members' parts
as a lazy frame, never gathered whole.

Three small synthetic councils, none with stored results, so two or more are computed
together (``indicators/pooled.py``) and every member's results pass through the stream.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from cscperf.indicators.results import RESULTS_FILE, results_for
from cscperf.pools import pool as pool_module
from cscperf.pools.pool import RESULTS_TABLE, Pool
from cscperf.store import Store

CODES = ("202", "341", "926")
KEY = b"0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def stores(
    tmp_path_factory: pytest.TempPathFactory, council_stores: Callable[..., dict[str, Path]]
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pool-streaming")
    return council_stores(root, CODES, scale="0.02", start="2024-10", end="2025-03")


def test_the_build_holds_one_members_results_at_a_time(
    stores: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = Pool.create(tmp_path / "pool", "Streamed")
    for path in stores.values():
        pool.join(path, since=None, build_id=None)
    stream = pool_module.each_council_result
    given: list[str] = []
    still_held: list[list[str]] = []
    refs: dict[str, weakref.ref[pl.DataFrame]] = {}

    def spy(*args: Any, **kwargs: Any) -> Iterator[tuple[str, pl.DataFrame]]:
        for code, frame in stream(*args, **kwargs):
            gc.collect()  # the next member's results have come: are any earlier ones held?
            still_held.append([c for c, ref in refs.items() if ref() is not None])
            refs[code] = weakref.ref(frame)
            given.append(code)
            yield code, frame
            del frame
        gc.collect()
        still_held.append([c for c, ref in refs.items() if ref() is not None])

    written: dict[str, object] = {}
    write_build = Store._write_build

    def spy_write(stage: Path, tables: Any, *args: Any) -> dict[str, int]:
        written[RESULTS_TABLE] = tables[RESULTS_TABLE]
        return write_build(stage, tables, *args)

    monkeypatch.setattr(pool_module, "each_council_result", spy)
    monkeypatch.setattr(Store, "_write_build", staticmethod(spy_write))
    pool.build(KEY)

    assert sorted(given) == sorted(CODES)  # every member's results came through the stream
    assert still_held == [[] for _ in range(len(CODES) + 1)]  # each dropped before the next
    assert isinstance(written[RESULTS_TABLE], pl.LazyFrame)  # streamed to its file
    assert not [p.name for p in pool.path.iterdir() if p.name.startswith(".results-")]

    # what was streamed is what each member's own run gives, in the members' order
    build = pool.latest()
    table = build.table(RESULTS_TABLE)
    assert build.manifest["row_counts"][RESULTS_TABLE] == table.height > 0
    assert table.get_column("la_code").unique(maintain_order=True).to_list() == list(CODES)
    for code, path in stores.items():
        member = Store(path).get()
        assert (member.results_dir / RESULTS_FILE).is_file()  # written to its store
        own = results_for(member, show_progress=False)
        got = table.filter(pl.col("la_code") == code).drop("la_code")
        assert got.equals(own.filter(pl.col("period_end") <= got.get_column("period_end").max()))


def test_stored_results_are_taken_as_they_are(
    stores: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members whose results are stored are not computed, nor read and written again: each
    stored file is kept (linked) as the member's part, and the pooled table holds its rows."""
    own = {code: results_for(Store(p).get(), show_progress=False) for code, p in stores.items()}
    pool = Pool.create(tmp_path / "pool", "Stored")
    for path in stores.values():
        pool.join(path, since=None, build_id=None)

    def no_stream(*args: Any, **kwargs: Any) -> Iterator[tuple[str, pl.DataFrame]]:
        raise AssertionError("members with stored results were computed again")

    written: list[str] = []
    write_parquet = pl.DataFrame.write_parquet

    def spy_write(frame: pl.DataFrame, target: Any, *args: Any, **kwargs: Any) -> None:
        written.append(str(target))
        write_parquet(frame, target, *args, **kwargs)

    monkeypatch.setattr(pool_module, "each_council_result", no_stream)
    monkeypatch.setattr(pl.DataFrame, "write_parquet", spy_write)
    build = pool.build(KEY)
    monkeypatch.undo()
    assert written and not [w for w in written if ".results-" in w]  # no part written
    table = Pool(pool.path).latest().table(RESULTS_TABLE)
    assert build.row_counts[RESULTS_TABLE] == table.height
    for code, results in own.items():
        got = table.filter(pl.col("la_code") == code).drop("la_code")
        assert got.equals(results.filter(pl.col("period_end") <= got["period_end"].max()))


def test_a_snapshot_keeps_what_the_file_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = tmp_path / "indicators.parquet"
    pl.DataFrame({"value": [1.0]}).write_parquet(stored)
    assert pool_module._snapshot(stored, tmp_path / "00000.parquet")
    replacement = tmp_path / ".new.parquet"
    pl.DataFrame({"value": [2.0]}).write_parquet(replacement)
    replacement.replace(stored)  # as the store replaces a build's results
    assert pl.read_parquet(tmp_path / "00000.parquet")["value"].to_list() == [1.0]
    assert not pool_module._snapshot(tmp_path / "absent.parquet", tmp_path / "00001.parquet")

    def no_link(source: Path, target: Path) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(pool_module.os, "link", no_link)  # a store on another file system
    assert pool_module._snapshot(stored, tmp_path / "00002.parquet")
    assert pl.read_parquet(tmp_path / "00002.parquet")["value"].to_list() == [2.0]
    assert not pool_module._snapshot(tmp_path / "absent.parquet", tmp_path / "00003.parquet")


@pytest.mark.parametrize("route", ["compute", "no links"])
def test_results_given_as_frames_are_written_as_parts(
    route: str, stores: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results that come as frames (a script's ``compute``, or a store file that cannot be
    taken as it is) are written as the members' parts, each under its own LA code."""
    own = {code: results_for(Store(p).get(), show_progress=False) for code, p in stores.items()}
    pool = Pool.create(tmp_path / "pool", "Frames")
    for path in stores.values():
        pool.join(path, since=None, build_id=None)
    given: list[str] = []

    def compute(build: Any) -> pl.DataFrame:
        given.append(build.settings.council.la_code)
        return own[build.settings.council.la_code]

    if route == "compute":
        pool.build(KEY, compute=compute)
        assert given == list(CODES)
    else:
        monkeypatch.setattr(pool_module, "_snapshot", lambda source, part: False)
        pool.build(KEY)
    table = pool.latest().table(RESULTS_TABLE)
    assert table.get_column("la_code").unique(maintain_order=True).to_list() == list(CODES)
    for code, results in own.items():
        got = table.filter(pl.col("la_code") == code).drop("la_code")
        assert got.equals(results.filter(pl.col("period_end") <= got["period_end"].max()))
