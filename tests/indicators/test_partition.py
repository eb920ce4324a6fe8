"""The council-by-council rewrite (:mod:`cscperf.indicators.partition`) on hand-made tables:
each council's rows are what that council alone would give."""

from __future__ import annotations

import ibis
import polars as pl

from cscperf.indicators.partition import by_council

COUNCIL = "_council"


def _con() -> ibis.BaseBackend:
    con = ibis.duckdb.connect()
    # The same child id in both councils; only council A records a team for it.
    con.create_table(
        "items",
        pl.DataFrame({COUNCIL: ["A", "B"], "person": ["P1", "P1"], "day": [1, 2]}).to_arrow(),
    )
    con.create_table(
        "teams", pl.DataFrame({COUNCIL: ["A"], "person": ["P1"], "team": ["T1"]}).to_arrow()
    )
    con.create_table("councils", pl.DataFrame({COUNCIL: ["A", "B"]}).to_arrow())
    return con


def _rows(con: ibis.BaseBackend, expr: ibis.Table) -> list[tuple[object, ...]]:
    pooled = by_council(expr, COUNCIL, con.table("councils"))
    frame = pl.from_arrow(con.to_pyarrow(pooled))
    assert isinstance(frame, pl.DataFrame)
    return sorted(frame.select(COUNCIL, "person", "team").rows(), key=str)


def test_a_left_join_keeps_the_left_councils_row_when_the_right_has_none() -> None:
    # As a shared block is: the items' own selection lacks the council column, the table
    # joined on the right (a kept block) has it, so the expression selects the right's.
    con = _con()
    items = con.table("items").select("person", "day")
    teams = con.table("teams")
    joined = items.left_join(teams, items.person == teams.person)
    expr = joined.drop("person_right")  # as attribution's join drops its keys
    # Worked by hand: A's P1 has team T1; B's P1 has none (A's team must not reach it), and
    # B's row still belongs to B (before the fix its council was the right side's: null).
    assert _rows(con, expr) == [("A", "P1", "T1"), ("B", "P1", None)]


def test_a_left_join_counted_by_team_per_council() -> None:
    con = _con()
    items = con.table("items").select("person", "day")
    teams = con.table("teams")
    joined = items.left_join(teams, items.person == teams.person)
    counted = joined.group_by("team").aggregate(n=joined.person.count())
    pooled = by_council(counted, COUNCIL, con.table("councils"))
    frame = pl.from_arrow(con.to_pyarrow(pooled))
    assert isinstance(frame, pl.DataFrame)
    assert sorted(frame.select(COUNCIL, "team", "n").rows(), key=str) == [
        ("A", "T1", 1),
        ("B", None, 1),
    ]
