"""Shared building blocks (``Context.shared``): built once per run and key on DuckDB, kept with
the compiled SQL so a cached run recreates them, held to reading only what their key names,
and dropped after the run."""

from __future__ import annotations

from datetime import date

import pytest

from cscperf.indicators import sql_cache
from cscperf.indicators.blocks.windows import in_window
from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.context import Context
from cscperf.indicators.engine import install_calendar
from cscperf.indicators.testing import build_from_rows

ROWS = {
    "ssd_cin_episodes": [
        {"cine_referral_id": "1", "cine_person_id": "A", "cine_referral_date": "2024-02-10"},
        {"cine_referral_id": "2", "cine_person_id": "B", "cine_referral_date": "2024-03-05"},
        {"cine_referral_id": "3", "cine_person_id": "C", "cine_referral_date": "2024-03-31"},
    ]
}


def _context(build, months=(date(2024, 3, 31),), parameters=None):
    definition = load_catalogue().get("referrals.count")
    return Context(build, definition, parameters or {}, months)


def _march(ctx: Context):
    table = ctx.table("ssd_cin_episodes")
    return table.filter(table.cine_referral_date >= date(2024, 3, 1)).select("cine_person_id")


class Counting:
    """A block builder that counts how often it is called."""

    def __init__(self, ctx: Context, build=_march):
        self.ctx, self.build, self.calls = ctx, build, 0

    def __call__(self):
        self.calls += 1
        return self.build(self.ctx)


def test_a_block_is_built_once_and_read_by_every_indicator_that_asks():
    build = build_from_rows(ROWS)
    first, second = _context(build), _context(build)
    one, two = Counting(first), Counting(second)
    a = first.shared("march referrals", one)
    b = second.shared("march referrals", two)
    assert (one.calls, two.calls) == (1, 0)
    assert a.get_name() == b.get_name() and a.get_name().startswith(build.scratch)
    assert sorted(a.execute()["cine_person_id"]) == ["B", "C"]
    assert len(first.shared_tables) == 1 and first.shared_tables == second.shared_tables
    build.drop_scratch()
    tables = set(build.con.list_tables())
    assert a.get_name() not in tables


def test_blocks_differ_by_the_shared_parameters_in_force():
    build = build_from_rows(ROWS)
    plain = _context(build)
    narrowed = _context(build, parameters={"allocated_roles": ["SW"]})
    one, two = Counting(plain), Counting(narrowed)
    plain.shared("march referrals", one)
    narrowed.shared("march referrals", two)
    assert (one.calls, two.calls) == (1, 1)


def test_a_monthly_block_is_kept_per_run_of_months():
    build = build_from_rows(ROWS)

    def in_month(ctx: Context):
        return in_window(ctx, ctx.table("ssd_cin_episodes"), "cine_referral_date", "in_month")

    install_calendar(build, date(2024, 2, 29), date(2024, 3, 31))
    march = _context(build)
    feb = _context(build, months=(date(2024, 2, 29),))
    a = march.shared("referrals in month", lambda: in_month(march), monthly=True)
    b = feb.shared("referrals in month", lambda: in_month(feb), monthly=True)
    assert a.get_name() != b.get_name()
    assert sorted(a.execute()["cine_person_id"]) == ["B", "C"]
    assert sorted(b.execute()["cine_person_id"]) == ["A"]


def test_a_block_not_declared_monthly_may_not_read_the_months():
    build = build_from_rows(ROWS)
    ctx = _context(build)
    with pytest.raises(RuntimeError, match="monthly=True"):
        ctx.shared("sneaky", lambda: ctx.periods)


def test_a_block_may_not_read_an_indicator_parameter():
    build = build_from_rows(ROWS)
    ctx = _context(build, parameters={"source_groups": {"police": ["3A"]}})
    assert ctx.param("source_groups")  # outside a block the indicator's parameter is there
    with pytest.raises(RuntimeError, match="source_groups"):
        ctx.shared("sneaky", lambda: ctx.param("source_groups"))


def test_a_block_met_again_brings_the_blocks_and_history_it_was_built_from():
    build = build_from_rows(ROWS)

    def outer(ctx: Context):
        ctx.history_from("ssd_cin_episodes", "cine_referral_date")
        inner = ctx.shared("march referrals", lambda: _march(ctx))
        return inner.filter(inner.cine_person_id != "C")

    first, second = _context(build), _context(build)
    a = first.shared("march referrals but C", lambda: outer(first))
    b = second.shared("march referrals but C", lambda: outer(second))
    assert a.get_name() == b.get_name()
    assert second.history == first.history == [("ssd_cin_episodes", "cine_referral_date")]
    # The inner block is created before the outer one reads it, in a cached run too.
    assert second.shared_tables == first.shared_tables and len(first.shared_tables) == 2
    assert sorted(b.execute()["cine_person_id"]) == ["B"]


def test_without_sharing_the_expression_comes_back_inline():
    build = build_from_rows(ROWS)
    build.share_tables = False
    ctx = _context(build)
    counting = Counting(ctx)
    items = ctx.shared("march referrals", counting)
    ctx.shared("march referrals", counting)
    assert counting.calls == 2
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
