"""The executive summary: the first pages a committee member reads.

Owns choosing what the summary says from a :class:`~cscperf.reports.pack.Pack`: what changed
this month (ratings that moved, the largest movements, how many indicators improved or
worsened), the month's exceptions with the reasons in words, and the vital signs, each with
its 13 months as a sparkline, its latest figure and its RAG rating as a word and a colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cscperf.reports.layout import format_value, load_layout
from cscperf.reports.pack import Pack, month_back
from cscperf.reports.sections import VitalSign, focus_rows, monthly_values, vital_signs
from cscperf.reports.sparkline import sparkline_alt, sparkline_src

LARGEST_MOVES = 5  # how many of the largest movements on last month are named
# a movement smaller than this share of last month's figure is not worth a line
SMALLEST_MOVE_PCT = 5.0


@dataclass
class VitalLine:
    """A vital sign's 13 months (the cells) with this month's rating and its sparkline."""

    sign: VitalSign
    value: float | None
    rag: str
    direction: str
    small_number: bool
    spark: str  # data URL of the sparkline
    alt: str

    @property
    def title(self) -> str:
        return self.sign.title

    @property
    def values(self) -> list[float | None]:
        return [c.value for c in self.sign.cells]


@dataclass
class ExceptionLine:
    title: str
    area: str
    unit: str
    value: float | None
    target: float | None
    rag: str
    why: str  # the exception rules in words


@dataclass
class Changes:
    rag_moves: list[str]  # "Re-referrals within 12 months: Amber to Red"
    largest: list[str]  # "Contacts received: up from 310 to 402 (improving)"
    improving: int
    worsening: int
    unchanged: int


@dataclass
class Executive:
    changes: Changes
    exceptions: list[ExceptionLine]
    vital: list[VitalLine]


def vital_lines(pack: Pack) -> list[VitalLine]:
    """The configured vital signs of the pack's focus, each with its 13 months."""
    current = {r["indicator_id"]: r for r in focus_rows(pack)}
    out = []
    for sign in vital_signs(pack):
        row = current.get(sign.ref) or {}
        rag = row.get("rag") or "none"
        values = [c.value for c in sign.cells]
        out.append(
            VitalLine(
                sign=sign,
                value=row.get("value"),
                rag=rag,
                direction=row.get("dot_month") or "not comparable",
                small_number=bool(row.get("small_number")),
                spark=sparkline_src(values, sign.target, rag),
                alt=sparkline_alt(sign.title, pack.months, values, sign.unit),
            )
        )
    return out


def exception_lines(pack: Pack) -> list[ExceptionLine]:
    layout = load_layout()
    return [
        ExceptionLine(
            title=r["title"],
            area=layout.area_title(pack.definitions[r["indicator_id"]].area),
            unit=r["unit"],
            value=r["value"],
            target=r["target"],
            rag=r["rag"] or "none",
            why=layout.exception_reasons(r["exception_rules"]),
        )
        for r in focus_rows(pack)
        if r["exception"]
    ]


def _move(row: dict[str, Any]) -> tuple[float, str] | None:
    """How far a figure moved on last month (as a share of last month's) and the sentence."""
    value, previous = row["value"], row["previous_value"]
    if value is None or previous is None or row.get("small_number"):
        return None
    unit = row["unit"]
    now, then = format_value(value, unit), format_value(previous, unit)
    if now == then or previous == 0:
        return None
    share = abs(value - previous) / abs(previous) * 100
    if share < SMALLEST_MOVE_PCT:
        return None
    judged = row["dot_month"] if row["dot_month"] in ("improving", "worsening") else ""
    moved = "up" if value > previous else "down"
    tail = f" ({judged})" if judged and row["polarity"] in ("high", "low") else ""
    return share, f"{row['title']}: {moved} from {then} to {now}{tail}"


def changes(pack: Pack) -> Changes:
    """What changed on last month: ratings that moved, the largest movements, and how many
    indicators with a better direction improved, worsened or stayed the same."""
    layout = load_layout()
    last_month = month_back(pack.period_end, 1)
    rows = focus_rows(pack)
    rag_moves = []
    for r in rows:
        before = (monthly_values(pack, r["indicator_id"]).get(last_month) or {}).get("rag")
        now = r["rag"]
        if now and before and now != before and "none" not in (now, before):
            rag_moves.append(
                f"{r['title']}: {layout.rag_mark(before).label} to {layout.rag_mark(now).label}"
            )
    moves = sorted(
        (m for r in rows if r["unit"] != "count" and (m := _move(r))),
        key=lambda m: -m[0],
    )
    judged = [
        r["dot_month"] for r in rows if r["polarity"] in ("high", "low") and r["value"] is not None
    ]
    return Changes(
        rag_moves=rag_moves,
        largest=[text for _, text in moves[:LARGEST_MOVES]],
        improving=judged.count("improving"),
        worsening=judged.count("worsening"),
        unchanged=judged.count("unchanged"),
    )


def executive(pack: Pack) -> Executive:
    return Executive(changes(pack), exception_lines(pack), vital_lines(pack))
