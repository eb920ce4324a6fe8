"""Shared building blocks (``Context.shared``): one table per identical expression on DuckDB,
kept with the compiled SQL so a cached run recreates them, and dropped after the run."""

from __future__ import annotations

from datetime import date

from cscperf.indicators import sql_cache
from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.context import Context
from cscperf.indicators.testing import build_from_rows

ROWS = {
    "ssd_cin_episodes": [
        {"cine_referral_id": "1", "cine_person_id": "A", "cine_referral_date": "2024-02-10"},
        {"cine_referral_id": "2", "cine_person_id": "B", "cine_referral_date": "2024-03-05"},
        {"cine_referral_id": "3", "cine_person_id": "C", "cine_referral_date": "2024-03-31"},
    ]
}


def _context(build):
    definition = load_catalogue().get("referrals.count")
    return Context(build, definition, {}, (date(2024, 3, 31),))


def _march(ctx: Context):
    table = ctx.table("ssd_cin_episodes")
    return table.filter(table.cine_referral_date >= date(2024, 3, 1)).select("cine_person_id")


def test_identical_expressions_share_one_table_with_the_same_rows():
    build = build_from_rows(ROWS)
    first, second = _context(build), _context(build)
    a = first.shared(_march(first))
    b = second.shared(_march(second))
    assert a.get_name() == b.get_name() and a.get_name().startswith(build.scratch)
    assert sorted(a.execute()["cine_person_id"]) == ["B", "C"]
    assert len(first.shared_tables) == 1 and first.shared_tables == second.shared_tables
    build.drop_scratch()
    tables = set(build.con.list_tables())
    assert a.get_name() not in tables


def test_without_sharing_the_expression_comes_back_inline():
    build = build_from_rows(ROWS)
    build.share_tables = False
    ctx = _context(build)
    items = ctx.shared(_march(ctx))
    assert "cine_referral_date" in str(build.con.compile(items))
    assert ctx.shared_tables == []


def test_a_cached_entry_keeps_its_shared_tables_under_the_scratch_token():
    build = build_from_rows(ROWS)
    name, sql = f"{build.scratch}_shared_x", f'SELECT 1 FROM "{build.scratch}_periods"'
    compiled = sql_cache.Compiled(f'SELECT * FROM "{name}"', (), (), ((name, sql),))
    sql_cache.store(build, "test-shared-key", compiled)
    other = build_from_rows(ROWS)
    found = sql_cache.lookup(other, "test-shared-key")
    assert found is not None
    assert found.shared == (
        (f"{other.scratch}_shared_x", f'SELECT 1 FROM "{other.scratch}_periods"'),
    )
    assert found.sql == f'SELECT * FROM "{other.scratch}_shared_x"'
