"""The month-end building blocks, worked by hand: items open at a month end, items in a
rolling or year-to-date window, and a snapshot's team at a month end. Each is computed by
generating month numbers (the fast form); the rows must be exactly those of the plain range
joins, including the edges (an end on the month end, no end, a start after the last month,
months of a run that are not consecutive)."""

from __future__ import annotations

from datetime import date

from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.windows import (
    _open_at_period_end_by_range,
    in_window,
    open_at_period_end,
)
from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.context import Context
from cscperf.indicators.engine import install_calendar
from cscperf.indicators.testing import build_from_rows

JAN, FEB, MAR, APR = date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)
# March is left out: a run's months need not be consecutive.
MONTHS = (JAN, FEB, APR)


def _episode(ref: str, person: str, start: str | None, end: str | None = None) -> dict:
    return {
        "cine_referral_id": ref,
        "cine_person_id": person,
        "cine_referral_date": start,
        "cine_close_date": end,
    }


def _involvement(person: str, team: str, start: str, end: str | None = None) -> dict:
    return {
        "invo_person_id": person,
        "invo_professional_id": "W1",
        "invo_professional_team": team,
        "invo_involvement_start_date": start,
        "invo_involvement_end_date": end,
    }


def _context(rows: dict) -> Context:
    build = build_from_rows(rows)
    install_calendar(build, JAN, APR)
    return Context(build, load_catalogue().get("referrals.count"), {}, MONTHS)


def _pairs(table, column: str = "cine_referral_id") -> set[tuple[str, date]]:
    frame = table.select(column, "period_end").to_polars()
    return set(frame.iter_rows())


def test_an_item_is_open_from_its_start_to_before_its_end_at_the_runs_month_ends():
    ctx = _context(
        {
            "ssd_cin_episodes": [
                _episode("A", "p1", "2024-01-31", "2024-02-29"),  # ends on February's end
                _episode("B", "p2", "2024-02-29"),  # starts on a month end, no end
                _episode("C", "p3", "2023-05-10", "2024-03-15"),  # ends in the missing March
                _episode("D", "p4", "2024-05-01"),  # starts after the last month
                _episode("E", "p5", "2020-01-01", "2020-06-01"),  # over before the first
                _episode("F", "p6", None),  # no start: never open
                _episode("G", "p7", "2024-04-30", "2024-04-30"),  # ends the day it starts
                _episode("H", "p8", "2024-03-01", "2024-05-01"),
            ]
        }
    )
    items = ctx.table("ssd_cin_episodes")
    expected = {("A", JAN), ("B", FEB), ("B", APR), ("C", JAN), ("C", FEB), ("H", APR)}
    fast = open_at_period_end(ctx, items, "cine_referral_date", "cine_close_date")
    plain = _open_at_period_end_by_range(ctx, items, "cine_referral_date", "cine_close_date")
    assert _pairs(fast) == expected
    assert _pairs(plain) == expected
    assert fast.columns == plain.columns
    # Without an end column every item is open from its start on.
    no_end = open_at_period_end(ctx, items, "cine_referral_date", None)
    assert {r for r in _pairs(no_end) if r[0] in {"A", "D", "G"}} == {
        ("A", JAN),
        ("A", FEB),
        ("A", APR),
        ("G", APR),
    }


def test_an_item_counts_in_each_window_that_holds_its_date():
    dated = ["2023-02-01", "2023-01-31", "2024-02-29", "2024-04-30", "2024-05-01", None]
    more = ["2023-04-01", "2024-03-31"]
    rows = [_episode(f"R{n}", "p", day) for n, day in enumerate(dated + more)]
    ctx = _context({"ssd_cin_episodes": rows})
    items = ctx.table("ssd_cin_episodes")
    rolling = in_window(ctx, items, "cine_referral_date", "rolling_12m")
    # January's twelve months start on 1 February 2023, April's on 1 May 2023.
    assert _pairs(rolling) == {
        ("R0", JAN),
        ("R2", FEB),
        ("R2", APR),
        ("R3", APR),
        ("R6", JAN),
        ("R6", FEB),
        ("R7", APR),
    }
    ytd = in_window(ctx, items, "cine_referral_date", "ytd")
    # 2023-24 runs from 1 April 2023; April 2024 starts 2024-25.
    assert _pairs(ytd) == {("R2", FEB), ("R3", APR), ("R6", JAN), ("R6", FEB)}
    assert list(rolling.columns) == [*items.columns, "period_end"]


def test_a_snapshots_team_at_a_month_end_is_the_latest_started_open_involvement():
    ctx = _context(
        {
            "ssd_cin_episodes": [
                _episode("A", "p1", "2023-12-01"),
                _episode("B", "p2", "2023-12-01"),
                _episode("C", "p3", "2023-12-01"),
            ],
            "ssd_involvements": [
                _involvement("p1", "T1", "2023-06-01"),
                _involvement("p1", "T2", "2024-02-01", "2024-04-30"),  # ends on April's end
                _involvement("p2", "T9", "2024-01-15"),
                _involvement("p2", "T3", "2024-01-15"),  # same start: the lowest team
                _involvement("p3", " ", "2023-01-01"),  # a blank team is no team
            ],
        }
    )
    items = open_at_period_end(
        ctx, ctx.table("ssd_cin_episodes"), "cine_referral_date", "cine_close_date"
    )
    at_month_end = attribute(ctx, items, "cine_person_id", "period_end")
    # The same look-up by the general route (a reference column of any other name).
    general = attribute(ctx, items.mutate(ref=items.period_end), "cine_person_id", "ref").drop(
        "ref"
    )
    expected = {
        ("A", JAN, "T1"),
        ("A", FEB, "T2"),
        ("A", APR, "T1"),
        ("B", JAN, "T3"),
        ("B", FEB, "T3"),
        ("B", APR, "T3"),
        ("C", JAN, None),
        ("C", FEB, None),
        ("C", APR, None),
    }
    for table in (at_month_end, general):
        frame = table.select("cine_referral_id", "period_end", "team").to_polars()
        assert set(frame.iter_rows()) == expected
    assert at_month_end.columns == general.columns
