"""The store: atomic publishing, the current pointer, going back to an earlier build, cache."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from cscperf.errors import StoreError
from cscperf.store import Store, audit
from cscperf.store.store import new_build_id


def _person(ids: list[str]) -> dict[str, pl.DataFrame]:
    return {"ssd_person": pl.DataFrame({"pers_person_id": ids})}


def test_build_id_is_utc_timestamp_with_suffix_when_taken():
    now = datetime(2025, 4, 30, 9, 5, 7, tzinfo=UTC)
    assert new_build_id(now, set()) == "20250430T090507Z"
    assert new_build_id(now, {"20250430T090507Z"}) == "20250430T090507Z-2"
    assert new_build_id(now, {"20250430T090507Z", "20250430T090507Z-2"}) == "20250430T090507Z-3"


def test_publish_then_read_back(tmp_path):
    store = Store(tmp_path / "store")
    info = store.publish(_person(["a", "b"]), {"extract_date": "2025-03-31"}, None, None)
    assert info.current and info.row_counts == {"ssd_person": 2}
    build = store.get()
    assert build.id == info.id
    assert (tmp_path / "store" / "current").read_text().strip() == info.id
    assert build.table("ssd_person").get_column("pers_person_id").to_list() == ["a", "b"]
    assert build.manifest["extract_date"] == "2025-03-31"
    assert build.manifest["row_counts"] == {"ssd_person": 2}
    # A canonical table nobody supplied reads as empty with its columns typed.
    cp = build.table("ssd_cp_plans")
    assert cp.height == 0 and cp.schema["cppl_cp_plan_start_date"] == pl.Date
    with pytest.raises(StoreError, match="no table"):
        build.table("not_a_table")
    assert not (tmp_path / "store" / ".staging").exists() or not any(
        (tmp_path / "store" / ".staging").iterdir()
    )


def test_use_goes_back_to_an_earlier_build(tmp_path):
    store = Store(tmp_path)
    first = store.publish(_person(["a"]), {}, None, None)
    second = store.publish(_person(["a", "b"]), {}, None, None)
    assert store.current_id() == second.id
    store.use(first.id)
    assert store.get().table("ssd_person").height == 1
    assert [b.current for b in store.list_builds()] == [True, False]
    with pytest.raises(StoreError, match="no build nope"):
        store.use("nope")


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="not a cscperf store"):
        Store(tmp_path / "nowhere").get()


def test_failure_while_publishing_leaves_current_and_builds_untouched(tmp_path, monkeypatch):
    store = Store(tmp_path)
    first = store.publish(_person(["a"]), {}, None, None)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", broken)
    with pytest.raises(OSError):
        store.publish(_person(["a", "b"]), {}, None, None)
    assert store.current_id() == first.id
    assert [b.id for b in store.list_builds()] == [first.id]
    assert not any((tmp_path / ".staging").iterdir())


def test_stale_staging_is_cleaned_and_never_listed(tmp_path):
    store = Store(tmp_path)
    first = store.publish(_person(["a"]), {}, None, None)
    stale = tmp_path / ".staging" / "20200101T000000Z"
    (stale / "tables").mkdir(parents=True)
    (stale / ".owner").write_text("999999999")  # a process that no longer exists
    assert [b.id for b in store.list_builds()] == [first.id]
    store.publish(_person(["b"]), {}, None, None)
    assert not stale.exists()


def test_duckdb_cache_is_rebuilt_when_missing(tmp_path):
    store = Store(tmp_path)
    store.publish(_person(["a", "b", "c"]), {}, None, None)
    build = store.get()
    with build.duckdb() as con:
        assert con.execute("select count(*) from ssd_person").fetchone() == (3,)
        assert con.execute("select count(*) from ssd_cla_episodes").fetchone() == (0,)
    build.cache_path.unlink()
    with build.duckdb() as con:
        assert con.execute("select count(*) from ssd_person").fetchone() == (3,)


def test_settings_missing_is_a_clear_error(tmp_path):
    store = Store(tmp_path)
    store.publish(_person(["a"]), {}, None, None)
    with pytest.raises(StoreError, match="no council settings"):
        _ = store.get().settings


def test_manifest_is_json_with_program_version(tmp_path):
    from cscperf import __version__

    store = Store(tmp_path)
    info = store.publish(_person(["a"]), {"council": {"la_code": "926"}}, None, None)
    manifest = json.loads((info.path / "manifest.json").read_text())
    assert manifest["program_version"] == __version__
    assert manifest["build_id"] == info.id
    assert manifest["created"].endswith("Z")


def test_each_publish_and_derived_build_is_in_the_audit_log(tmp_path, monkeypatch):
    monkeypatch.setattr("cscperf.store.store.getpass.getuser", lambda: "perf.officer")
    store = Store(tmp_path / "s")
    first = store.publish(_person(["a"]), {}, None, None)
    derived = store.derive(store.get(first.id), lambda stage: None, {"imported": ["pep"]})
    entries = audit.read_entries(tmp_path / "s")
    assert [(e.who, e.action) for e in entries] == [
        ("perf.officer", audit.IMPORT),
        ("perf.officer", audit.PUBLISH),
    ]
    assert f'"build":"{derived.id}"' in entries[0].detail
    assert f'"from":"{first.id}"' in entries[0].detail
