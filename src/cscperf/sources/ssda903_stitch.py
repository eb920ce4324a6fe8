"""How SSDA903 episodes from several years' returns become one history of care.

Pure rules, no file handling (``docs/stitching-903.md`` states them for people):

* an episode is identified by child and start date (DECOM);
* a later return's version of an episode replaces an earlier one (it may close it, or correct
  its codes), and an episode that an earlier return shows as still running into the later
  return's year but that the later return does not contain was withdrawn by the later return;
* a period of care is a run of episodes, each starting the day the previous one ceased with
  reason X1 (or no reason yet); a short-break episode (legal status V3 or V4) is a period on
  its own;
* a placement is a run of episodes within a period joined by "change of legal status only"
  (RNE L); a legal status is a run of episodes within a period with the same LS code;
* a missing (or away) period a return leaves open at its 31 March that the next loaded return
  does not repeat ended no later than the day before that return's year began.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from cscperf.sources.returns_common import year_start

SHORT_BREAK_LEGAL_STATUSES = frozenset({"V3", "V4"})
SAME_PERIOD_REASONS = frozenset({"X1", ""})
LEGAL_STATUS_ONLY = "L"


@dataclass
class Episode:
    """One SSDA903 episode with where it was read from."""

    child: str
    decom: date
    dec: date | None = None
    rne: str = ""
    ls: str = ""
    cin: str = ""
    place: str = ""
    provider: str = ""
    rec: str = ""
    reason_place_change: str = ""
    home_post: str = ""
    pl_post: str = ""
    urn: str = ""
    pl_location: str = ""  # IN / OUT when the export carries the derived PL_LOCATION
    year: int = 0
    file: str = ""
    row: int = 0
    # Filled by :func:`periods_of_care` and :func:`placements`.
    period_id: str = ""
    period_start: date | None = None
    placement_id: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, date]:
        return (self.child, self.decom)

    @property
    def is_short_break(self) -> bool:
        return self.ls in SHORT_BREAK_LEGAL_STATUSES


Withdrawn = Callable[[Episode, int], None]


def merge_returns(by_year: dict[int, list[Episode]], on_withdrawn: Withdrawn) -> list[Episode]:
    """One list of episodes from several years' returns, the later return winning.

    ``on_withdrawn(episode, later_year)`` is told of each earlier episode dropped because a
    later return, which should have contained it, does not.
    """
    merged: dict[tuple[str, date], Episode] = {}
    for year in sorted(by_year):
        later = {episode.key: episode for episode in by_year[year]}
        for key, earlier in list(merged.items()):
            if key not in later and runs_into(earlier, year):
                on_withdrawn(earlier, year)
                del merged[key]
        merged.update(later)
    return sorted(merged.values(), key=lambda e: (e.child, e.decom))


def runs_into(episode: Episode, year: int) -> bool:
    """True when an episode was still open on the first day of the ``year`` return."""
    return episode.year < year and (episode.dec is None or episode.dec >= year_start(year))


def missing_closed_by(open_year: int, years_holding_missing: Iterable[int]) -> int | None:
    """The return that shows a missing period left open by the ``open_year`` return had ended.

    A return lists every missing or away period of its year, those that began before 1 April
    and were still running included (the published statistics count "incidents open at
    1 April" from it), so a later return holding the missing table that does not repeat a
    period left open is evidence that it had ended by the day before its year began. The
    earliest such return gives the tightest bound; None when no later return's missing table
    was loaded (the period is still open at the latest reference date).
    """
    later = [year for year in years_holding_missing if year > open_year]
    return min(later) if later else None


def continues_period(previous: Episode, episode: Episode) -> bool:
    """True when ``episode`` carries on the period of care that ``previous`` belongs to."""
    return (
        not previous.is_short_break
        and not episode.is_short_break
        and previous.dec == episode.decom
        and previous.rec in SAME_PERIOD_REASONS
    )


def by_child(episodes: Iterable[Episode]) -> dict[str, list[Episode]]:
    """Episodes grouped by child, each child's in start-date order."""
    grouped: dict[str, list[Episode]] = {}
    for episode in sorted(episodes, key=lambda e: (e.child, e.decom)):
        grouped.setdefault(episode.child, []).append(episode)
    return grouped


def periods_of_care(episodes: list[Episode]) -> None:
    """Set ``period_id`` and ``period_start`` on every episode (in place)."""
    for child, own in by_child(episodes).items():
        previous: Episode | None = None
        for episode in own:
            start = episode.decom
            if (
                previous is not None
                and previous.period_start
                and continues_period(previous, episode)
            ):
                start = previous.period_start
            episode.period_start = start
            episode.period_id = f"{child}/{start.isoformat()}"
            previous = episode


def placements(episodes: list[Episode]) -> list[list[Episode]]:
    """Runs of episodes forming one placement each; sets ``placement_id`` (in place).

    Needs :func:`periods_of_care` first. Within a period, an episode that changed the legal
    status only (RNE L) keeps the child in the same placement.
    """
    runs: list[list[Episode]] = []
    for own in by_child(episodes).values():
        current: list[Episode] = []
        for episode in own:
            same = (
                current
                and current[-1].period_id == episode.period_id
                and episode.rne == LEGAL_STATUS_ONLY
            )
            if not same:
                current = [episode]
                runs.append(current)
            else:
                current.append(episode)
            episode.placement_id = f"{current[0].child}/{current[0].decom.isoformat()}/P"
    return runs


def legal_statuses(episodes: list[Episode]) -> list[list[Episode]]:
    """Runs of episodes within a period of care sharing one legal status (LS)."""
    runs: list[list[Episode]] = []
    for own in by_child(episodes).values():
        current: list[Episode] = []
        for episode in own:
            if (
                current
                and current[-1].period_id == episode.period_id
                and current[-1].ls == episode.ls
            ):
                current.append(episode)
            else:
                current = [episode]
                runs.append(current)
    return runs


def period_on(episodes_of_child: list[Episode], day: date) -> Episode | None:
    """The episode whose period of care covers ``day``, else the latest that started before."""
    best: Episode | None = None
    for episode in episodes_of_child:
        if episode.decom <= day:
            best = episode
    return best
