"""The risk register as data: one version of a risk, the council's scoring matrix, and what
follows from the history of versions (never typed in).

A risk's *version* is what the register said about it at one review: likelihood and impact now
and at the target, the target date, the mitigating tasks and progress, the owner and who
reviewed it when. Versions are only ever added. The register on any day is, for every risk, its
latest version reviewed on or before that day; from two such days follow the direction of
travel, whether a review is overdue and the prospects of meeting the target score:

* **score** = likelihood x impact; its **band** from the council's settings (default 1-5 low,
  6-12 medium, 15-25 high);
* **direction of travel** in a month: the score at the month's end against the score at the
  previous month's end, lower being *improving*; a risk first entered this month is *new*, one
  entered earlier whose history held starts this month is *not known*;
* **review overdue** when the day is later than the last review plus the review cycle
  (``review_cycle_months``);
* **prospects** of meeting the target score by the target date: *met* when the score is at or
  below the target score; *red* when the target date has passed, or when it is within
  ``prospects_near_months`` and the score is ``prospects_far_points`` or more above the
  target score; *amber* when only one of "near" and "far" holds; *green* otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from cscperf.calendar.months import add_months, month_end_of
from cscperf.settings import RiskBand, RiskSettings

OPEN, CLOSED = "open", "closed"
MAX_RISK_ID = 40
RISK_ID_FORBIDDEN = frozenset("/\\?#%")
IMPROVING, WORSENING, UNCHANGED, NEW = "improving", "worsening", "unchanged", "new"
NO_HISTORY = "no history"
MET, GREEN, AMBER, RED = "met", "green", "amber", "red"
PROSPECT_LABELS = {MET: "Met", GREEN: "Green", AMBER: "Amber", RED: "Red"}
DIRECTION_WORDS = {
    IMPROVING: "Improving (score down)",
    WORSENING: "Worsening (score up)",
    UNCHANGED: "Unchanged",
    NEW: "New this month",
    NO_HISTORY: "Not known (no earlier review held)",
}


# A risk links to an indicator by its catalogue id, or to a line of the finance monitoring as
# "finance:" and the line's s251 code or division, spaces written as "_" ("finance:3.1.1",
# "finance:Agency_residential"), since links are separated by spaces and commas.
FINANCE_LINK = "finance:"


def finance_label(link: str) -> str | None:
    """The finance line a link names (spaces restored), or None for an indicator link."""
    if not link.startswith(FINANCE_LINK):
        return None
    return link.removeprefix(FINANCE_LINK).replace("_", " ").strip() or None


@dataclass(frozen=True)
class RiskVersion:
    """One risk as the register recorded it at one review, and who recorded it when."""

    risk_id: str
    name: str
    likelihood: int
    impact: int
    target_likelihood: int
    target_impact: int
    target_date: date
    owner: str
    reviewed_on: date
    reviewed_by: str = ""
    description: str = ""
    area: str = ""
    category: str = ""
    entered: date | None = None
    tasks: str = ""
    progress: str = ""
    links: tuple[str, ...] = ()
    status: str = OPEN
    stated_direction: str = ""  # as the council's file wrote it; ours is derived
    stated_prospects: str = ""
    # the record of the change (not part of what the register says)
    version: int | None = None
    recorded_at: str = ""
    recorded_by: str = ""
    change: str = ""
    source: str = ""

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def target_score(self) -> int:
        return self.target_likelihood * self.target_impact

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def content(self) -> tuple[object, ...]:
        """What the register says about the risk (without the record of the change): two
        versions with the same content say the same thing."""
        return tuple(getattr(self, name) for name in CONTENT_FIELDS)


def risk_id_problem(risk_id: str) -> str | None:
    """Why a risk number cannot be used (it names the risk's page), or None when it can."""
    if len(risk_id) > MAX_RISK_ID:
        return f"is longer than {MAX_RISK_ID} characters"
    bad = sorted({c for c in risk_id if c in RISK_ID_FORBIDDEN})
    if bad:
        return f"may not contain {' or '.join(repr(c) for c in bad)}"
    return None


AUDIT_FIELDS = ("version", "recorded_at", "recorded_by", "change", "source")
CONTENT_FIELDS = tuple(f.name for f in fields(RiskVersion) if f.name not in AUDIT_FIELDS)


def band_of(score: int, settings: RiskSettings) -> RiskBand:
    """The council's band of a score (the settings check that every score has exactly one)."""
    for band in settings.bands:
        if band.min <= score <= band.max:
            return band
    raise ValueError(f"score {score} is in no band of the settings")


def latest_by_risk(versions: Iterable[RiskVersion], day: date) -> dict[str, RiskVersion]:
    """Every risk's latest version reviewed on or before ``day`` (a later version number wins
    between two versions of the same review date)."""
    latest: dict[str, RiskVersion] = {}
    for v in versions:
        if v.reviewed_on > day:
            continue
        held = latest.get(v.risk_id)
        if held is None or (v.reviewed_on, v.version or 0) >= (held.reviewed_on, held.version or 0):
            latest[v.risk_id] = v
    return latest


def direction(now: RiskVersion, before: RiskVersion | None, month_start: date) -> str:
    """Direction of travel from the previous month's end to this month's: a lower score is
    improving (the risk is smaller). A risk with no version at the previous month's end is new
    when it was entered this month (or no entry date is known), else its direction is not known
    (the history held starts this month)."""
    if before is None or not before.is_open:
        if now.entered is not None and now.entered < month_start:
            return NO_HISTORY
        return NEW
    if now.score < before.score:
        return IMPROVING
    if now.score > before.score:
        return WORSENING
    return UNCHANGED


def review_due(v: RiskVersion, settings: RiskSettings) -> date:
    """The day the next review is due: the last review plus the review cycle."""
    return add_months(v.reviewed_on, settings.review_cycle_months)


def review_overdue(v: RiskVersion, day: date, settings: RiskSettings) -> bool:
    return day > review_due(v, settings)


def prospects(v: RiskVersion, day: date, settings: RiskSettings) -> str:
    """Prospects of meeting the target score by the target date, as at ``day``."""
    if v.score <= v.target_score:
        return MET
    if v.target_date < day:
        return RED
    near = v.target_date <= add_months(day, settings.prospects_near_months)
    far = v.score - v.target_score >= settings.prospects_far_points
    if near and far:
        return RED
    if near or far:
        return AMBER
    return GREEN


@dataclass(frozen=True)
class RegisterRow:
    """One open risk in the register of a month, with everything derived."""

    risk: RiskVersion
    band: RiskBand
    target_band: RiskBand
    direction: str
    previous_score: int | None
    review_due: date
    overdue: bool
    prospects: str
    history: list[RiskVersion] = field(default_factory=list)

    @property
    def moved(self) -> bool:
        """The score changed this month (or the risk is new)."""
        return self.direction in (IMPROVING, WORSENING, NEW)


@dataclass(frozen=True)
class Register:
    """The register as at a day: the open risks (moved this month first, then by score) and
    the risks closed in that month."""

    as_at: date
    rows: list[RegisterRow]
    closed: list[RiskVersion]
    settings: RiskSettings

    @property
    def moved(self) -> list[RegisterRow]:
        return [r for r in self.rows if r.moved]

    def heat_map(self, which: str = "current") -> dict[tuple[int, int], list[str]]:
        """(likelihood, impact) -> the ids of the risks at that position now (``current``) or
        at their target (``target``)."""
        cells: dict[tuple[int, int], list[str]] = {}
        for row in self.rows:
            r = row.risk
            key = (
                (r.likelihood, r.impact)
                if which == "current"
                else (r.target_likelihood, r.target_impact)
            )
            cells.setdefault(key, []).append(r.risk_id)
        return cells


def month_before(day: date) -> date:
    """The last day of the month before ``day``'s month."""
    return month_end_of(add_months(day.replace(day=1), -1))


def register_as_at(versions: Sequence[RiskVersion], day: date, settings: RiskSettings) -> Register:
    """The register on ``day`` re-created from the versions, every derived field worked out.

    The direction of travel compares ``day`` with the end of the previous month; the
    risks closed are those whose closing version falls in ``day``'s month."""
    now = latest_by_risk(versions, day)
    before = latest_by_risk(versions, month_before(day))
    by_risk: dict[str, list[RiskVersion]] = {}
    for v in sorted(versions, key=lambda v: (v.reviewed_on, v.version or 0)):
        if v.reviewed_on <= day:
            by_risk.setdefault(v.risk_id, []).append(v)
    rows, closed = [], []
    for risk_id, v in now.items():
        if not v.is_open:
            if v.reviewed_on > month_before(day):
                closed.append(v)
            continue
        prev = before.get(risk_id)
        rows.append(
            RegisterRow(
                risk=v,
                band=band_of(v.score, settings),
                target_band=band_of(v.target_score, settings),
                direction=direction(v, prev, day.replace(day=1)),
                previous_score=prev.score if prev is not None and prev.is_open else None,
                review_due=review_due(v, settings),
                overdue=review_overdue(v, day, settings),
                prospects=prospects(v, day, settings),
                history=by_risk[risk_id],
            )
        )
    rows.sort(key=lambda r: (not r.moved, -r.risk.score, r.risk.risk_id))
    closed.sort(key=lambda v: v.risk_id)
    return Register(as_at=day, rows=rows, closed=closed, settings=settings)


def changed(v: RiskVersion, **updates: Any) -> RiskVersion:
    """A new version of a risk with ``updates`` applied and the record of the change cleared
    (it is filled in when the version is stored)."""
    return replace(v, **updates, version=None, recorded_at="", recorded_by="", change="", source="")
