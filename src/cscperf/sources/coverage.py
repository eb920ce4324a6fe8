"""What a load covers: the tables and fields no input supplied, and the months it can report.

Two decisions taken once, at ingest, and recorded in the build's manifest:

* ``not_supplied``: a canonical table (or ``table.field``) is marked absent only when some
  input said it cannot supply it **and no input supplied it to the build** (a return's rows of
  a table the SSD supplies are checked against the SSD, not used). Each return's reader lists the
  other returns' tables as not supplied (the SSDA903 has no referrals, the CIN Census no
  looked-after episodes); loaded together they supply both, so neither mark stands.
* the reporting months: they end at the last complete month before the extract date given
  (``--extract-date``); else, when a live case-system extract with no date is loaded, before
  the latest activity in the data; else (only returns and inspection lists) at the latest
  reference or extract date among them, so a council loading its statutory returns reports
  up to 31 March of the latest collection year without guessing a date. They start at the
  first month with activity, no earlier than the default window (``framework.yaml``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from cscperf.calendar.months import month_end_of
from cscperf.calendar.periods import last_complete_month, window_start
from cscperf.sources.base import ReaderResult
from cscperf.sources.merge import as_at_date, used_in_build

# Inputs that are a live extract of the case system: without a stated date they describe the
# world as at their latest activity.
LIVE_SOURCES = ("ssd", "ssd-database")
# Inputs whose date (stated, or 31 March of the collection year) bounds the months they cover.
DATED_SOURCES = {
    "ssda903": "SSDA903 return",
    "cin_census": "CIN Census",
    "annex_a": "Ofsted Annex A list",
}


def combine_not_supplied(results: Iterable[ReaderResult]) -> dict[str, str]:
    """Tables and ``table.field`` names some input could not supply and no input supplied,
    each with the reasons the inputs gave (joined when they differ)."""
    results = list(results)
    suppliers: dict[str, set[str]] = {}
    for result in results:
        for name in result.tables:
            suppliers.setdefault(name, set()).add(result.source)
    tables: set[str] = set()
    fields: set[tuple[str, str]] = set()
    for result in results:
        for name, frame in result.tables.items():
            # A return's rows of a table the SSD supplies are only checked against the SSD's,
            # so what the return carries there does not reach the build.
            if name in result.not_supplied or not used_in_build(result.source, suppliers[name]):
                continue
            tables.add(name)
            fields.update(
                (name, column)
                for column in frame.columns
                if f"{name}.{column}" not in result.not_supplied
            )
    live = any(r.source in LIVE_SOURCES and r.tables for r in results)
    reasons: dict[str, list[str]] = {}
    for result in results:
        for what, why in result.not_supplied.items():
            # "*" (every table thinly: Annex A's window) does not stand beside a case-system
            # extract, which holds the histories.
            if what == "*" and live:
                continue
            table, _, column = what.partition(".")
            supplied = (table, column) in fields if column else table in tables
            if supplied:
                continue
            listed = reasons.setdefault(what, [])
            if why not in listed:
                listed.append(why)
    return {what: "; ".join(whys) for what, whys in sorted(reasons.items())}


@dataclass(frozen=True)
class ReportingRange:
    """The months a build can report (period ends) and why they start and end where they do."""

    first: date | None  # None when the data hold no dated activity
    last: date | None
    reason: str
    # The first month the inputs hold completely (returns alone: the start of the earliest
    # collection year; an Annex A list alone: its 12 months); None for a case-system extract.
    complete_from: date | None = None

    def describe(self) -> str:
        if self.first is None or self.last is None:
            return f"No month can be reported: {self.reason}."
        if self.first > self.last:
            return (
                f"No complete month can be reported: the data start in {self.first:%B %Y}, "
                f"after {self.last:%B %Y} ({self.reason})."
            )
        return f"Months reported: {self.first:%B %Y} to {self.last:%B %Y}; {self.reason}."


@dataclass(frozen=True)
class WindowRules:
    """What decides the months besides the inputs, from the indicator framework
    (``indicators/framework.yaml``, given by the application layer): the fields whose dates are
    activity, and how many financial years are reported by default (None: every month)."""

    activity_dates: tuple[tuple[str, str], ...]
    financial_years: int | None


def activity_span(
    tables: Mapping[str, pl.DataFrame], activity_dates: Iterable[tuple[str, str]]
) -> tuple[date, date] | None:
    """The first and last activity date in the merged tables."""
    firsts: list[date] = []
    lasts: list[date] = []
    for table, column in activity_dates:
        frame = tables.get(table)
        if frame is None or column not in frame.columns or frame.height == 0:
            continue
        values = frame.get_column(column).cast(pl.Date, strict=False).drop_nulls()
        if values.len() == 0:
            continue
        firsts.append(values.min())  # type: ignore[arg-type]
        lasts.append(values.max())  # type: ignore[arg-type]
    if not firsts:
        return None
    return min(firsts), max(lasts)


def reporting_range(
    results: Iterable[ReaderResult],
    tables: Mapping[str, pl.DataFrame],
    extract_date: date | None,
    rules: WindowRules,
) -> ReportingRange:
    """The months a load can report, decided as the module says."""
    results = list(results)
    span = activity_span(tables, rules.activity_dates)
    if span is None:
        return ReportingRange(None, None, "the data hold no dated contacts, referrals or episodes")
    end, reason = _end(results, extract_date, span[1])
    last = last_complete_month(end)
    complete_from, why = _complete_from(results, last)
    default_first = window_start(last, rules.financial_years) or date.min
    first = max(month_end_of(span[0]), default_first, complete_from or date.min)
    if complete_from is not None:
        reason += f"; they start no earlier than {complete_from:%B %Y}: {why}"
    return ReportingRange(first, last, reason, complete_from)


def _end(results: list[ReaderResult], extract_date: date | None, latest: date) -> tuple[date, str]:
    if extract_date is not None:
        return extract_date, f"the extract date given is {extract_date:%d %B %Y}"
    if any(r.source in LIVE_SOURCES and not r.extract_date for r in results):
        return latest, (
            f"the case-system extract states no extract date, so the months run to the last "
            f"complete month before its latest activity ({latest:%d %B %Y}); give "
            "--extract-date to say when it was taken"
        )
    dated: list[tuple[date, str]] = []
    for result in results:
        if result.source not in DATED_SOURCES and result.source not in LIVE_SOURCES:
            continue
        if not result.extract_date and not result.collection_year:
            continue
        as_at = as_at_date(result.extract_date, result.collection_year)
        name = DATED_SOURCES.get(result.source, "SSD extract")
        if result.extract_date:
            dated.append((as_at, f"the latest input is the {name} extracted {as_at:%d %B %Y}"))
        else:
            dated.append(
                (
                    as_at,
                    f"the latest input is the {result.collection_year} {name}, whose reference "
                    f"date is {as_at:%d %B %Y}",
                )
            )
    if dated:
        return max(dated, key=lambda item: item[0])
    return latest, (
        f"no input states its date, so the months run to the last complete month before the "
        f"latest activity ({latest:%d %B %Y}); give --extract-date to say when it was taken"
    )


RETURN_SOURCES = ("ssda903", "cin_census")
ANNEX_A_MONTHS = 12


def _complete_from(results: list[ReaderResult], last: date) -> tuple[date | None, str]:
    """The first month the inputs hold every record of, when no case-system extract is
    loaded: a return holds the children seen in its collection year, so months before the
    earliest year of each return would be undercounted (with both returns, the later of the
    two starts); an Annex A list holds the 12 months before its date."""
    if any(r.source in LIVE_SOURCES for r in results):
        return None, ""
    starts: dict[str, int] = {}
    for result in results:
        if result.source not in RETURN_SOURCES:
            continue
        years = {result.collection_year} if result.collection_year else set()
        for frame in result.tables.values():
            if "_collection_year" in frame.columns:
                column = frame.get_column("_collection_year").cast(pl.Int64, strict=False)
                years.update(int(y) for y in column.drop_nulls().unique().to_list())
        if years:
            earliest = min(years)
            starts[result.source] = min(starts.get(result.source, earliest), earliest)
    if starts:
        source, year = max(starts.items(), key=lambda item: item[1])
        return month_end_of(date(year - 1, 4, 1)), (
            f"the earliest {year} {DATED_SOURCES[source]} covers the year from April {year - 1}"
        )
    if any(r.source == "annex_a" for r in results):
        month = last.month - ANNEX_A_MONTHS + 1
        start = date(last.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        why = f"an Annex A list holds the {ANNEX_A_MONTHS} months before its date"
        return month_end_of(start), why
    return None, ""
