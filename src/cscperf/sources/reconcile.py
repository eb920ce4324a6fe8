"""Checking the statutory returns against the SSD when both describe the same children.

Owns the reconciliation (docs/data-quality-rules.md, "Reconciliation"): when the SSD supplies
a table, it is the record (:func:`cscperf.sources.merge.used_in_build`) and a return's rows of
that table are set aside and compared with it here, collection year by collection year:
looked-after episodes and placements from the SSDA903, referrals (CIN episodes) and child
protection plans from the CIN Census. A record is one child's episode, placement, referral or
plan, matched by child and start date, else by child and overlapping dates. What differs is
reported as warnings, never errors: the build goes ahead with the SSD's records.

Counts go to the console and the report's reconciliation section; each record that differs is
one problem naming its file and row (never the child's identifier).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

import polars as pl

from cscperf.sources.base import Problem, Severity
from cscperf.sources.canonical import SOURCE_FILE, SOURCE_ROW
from cscperf.sources.quality import check_looked_after_overlaps, check_overlaps, quality_rules

# Open-ended records run to "the end of time" when pairing records by overlapping dates.
OPEN_END = date(9999, 12, 31)
SOURCE_NAMES = {"ssda903": "SSDA903", "cin_census": "CIN Census", "annex_a": "Annex A"}


@dataclass(frozen=True)
class Compared:
    """One kind of record compared between the SSD and a return."""

    table: str
    singular: str
    plural: str
    person: str
    start: str
    end: str
    # The return knows only the part of a record inside the returns loaded: an SSDA903
    # placement is known from the episodes that have it, so one continuing from an episode
    # before the earliest return "starts" with that return's first episode (reason L).
    start_seen_from_returns: bool = False


# What each return is compared on, record by record. Annex A is not: it lists only the months
# before an inspection, and latest dates rather than every episode, so its rows are set aside
# when the SSD supplies the table, without a record-by-record comparison.
COMPARED: dict[str, tuple[Compared, ...]] = {
    "ssda903": (
        Compared(
            "ssd_cla_episodes",
            "episode",
            "episodes",
            "clae_person_id",
            "clae_cla_episode_start_date",
            "clae_cla_episode_ceased_date",
        ),
        Compared(
            "ssd_cla_placement",
            "placement",
            "placements",
            "clap_person_id",
            "clap_cla_placement_start_date",
            "clap_cla_placement_end_date",
            start_seen_from_returns=True,
        ),
    ),
    "cin_census": (
        Compared(
            "ssd_cin_episodes",
            "referral",
            "referrals",
            "cine_person_id",
            "cine_referral_date",
            "cine_close_date",
        ),
        Compared(
            "ssd_cp_plans",
            "CP plan",
            "CP plans",
            "cppl_person_id",
            "cppl_cp_plan_start_date",
            "cppl_cp_plan_end_date",
        ),
    ),
}
CHILDREN = ("child", "children")


@dataclass(frozen=True)
class SetAside:
    """A return's rows of a table the SSD supplies: not in the build, checked against it."""

    source: str
    table: str
    frame: pl.DataFrame  # prepared (canonical columns and provenance)
    years: frozenset[int]  # the collection years the return covers


@dataclass(frozen=True)
class Count:
    """How one kind of record agrees in one collection year of one return."""

    source: str
    year: int
    what: str  # plural: "episodes", "children"
    in_ssd: int
    in_return: int
    matched: int
    only_in_ssd: int
    only_in_return: int
    starts_differ: int
    ends_differ: int


@dataclass
class Reconciliation:
    """Everything the reconciliation found: counts, notes on each shared table, problems."""

    counts: list[Count] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def note(self, note: str, *, rule: str, table: str) -> None:
        """A note on a shared table, also reported as an information line of ``rule``."""
        self.notes.append(note)
        self.problems.append(
            Problem(file="", rule=rule, severity=Severity.INFO, table=table, message=note)
        )

    def lines(self) -> list[str]:
        """One line per return and collection year, counts only (for the console)."""
        singular = {c.plural: c.singular for cs in COMPARED.values() for c in cs}
        singular[CHILDREN[1]] = CHILDREN[0]
        by_year: dict[tuple[str, int], list[Count]] = defaultdict(list)
        for count in self.counts:
            by_year[(count.source, count.year)].append(count)
        lines = []
        for (source, year), counts in sorted(by_year.items()):
            name = f"SSD and {SOURCE_NAMES.get(source, source)} {year}"
            parts = []
            for c in counts:
                one = singular.get(c.what, c.what)
                if c.only_in_return:
                    parts.append(f"{_n(c.only_in_return, one, c.what)} only in the return")
                if c.only_in_ssd:
                    parts.append(f"{_n(c.only_in_ssd, one, c.what)} only in the SSD")
                if c.starts_differ:
                    parts.append(_differ(c.starts_differ, f"{one} start date"))
                if c.ends_differ:
                    parts.append(_differ(c.ends_differ, f"{one} end date"))
            if parts:
                lines.append(f"{name}: {', '.join(parts)} (see the reconciliation section)")
            else:
                agreed = ", ".join(
                    _n(c.matched, singular.get(c.what, c.what), c.what) for c in counts
                )
                lines.append(f"{name}: the return agrees with the SSD ({agreed})")
        return lines


def _n(count: int, one: str, many: str) -> str:
    """3 episodes, 1 episode; ``many`` empty: the plural is ``one`` + "s"."""
    if count == 1:
        return f"1 {one}"
    return f"{count:,} {many or one + 's'}"


def _differ(count: int, what: str) -> str:
    return f"1 {what} differs" if count == 1 else f"{count:,} {what}s differ"


def collection_year_window(year: int, as_at: date) -> tuple[date, date] | None:
    """The days of a collection year (1 April to 31 March) the SSD extract can speak for."""
    first, last = date(year - 1, 4, 1), min(date(year, 3, 31), as_at)
    return (first, last) if first <= last else None


@dataclass(frozen=True)
class _Record:
    person: str
    start: date
    end: date | None  # None: open on the last day compared
    file: str | None
    row: int | None

    @property
    def until(self) -> date:
        return self.end or OPEN_END


def _records(df: pl.DataFrame, c: Compared, first: date, last: date) -> list[_Record]:
    """Records of ``df`` open on some day of the window, ends after it taken as open."""
    if df.height == 0 or not all(x in df.columns for x in (c.person, c.start, c.end)):
        return []
    data = df
    if SOURCE_FILE not in data.columns:
        data = data.with_columns(pl.lit(None, pl.String).alias(SOURCE_FILE))
    if SOURCE_ROW not in data.columns:
        data = data.with_columns(pl.lit(None, pl.Int64).alias(SOURCE_ROW))
    end = pl.col(c.end)
    rows = (
        data.filter(
            pl.col(c.person).is_not_null()
            & pl.col(c.start).is_not_null()
            & (pl.col(c.start) <= last)
            & (end.is_null() | (end >= first))
        )
        .select(
            pl.col(c.person).cast(pl.String).str.strip_chars(),
            pl.col(c.start),
            pl.when(end <= last).then(end).otherwise(None),
            pl.col(SOURCE_FILE),
            pl.col(SOURCE_ROW),
        )
        .unique(maintain_order=True, subset=[c.person, c.start, c.end])
    )
    return [_Record(*row) for row in rows.iter_rows()]


def pair_records(
    ssd: list[_Record], returned: list[_Record]
) -> tuple[list[tuple[_Record, _Record]], list[_Record], list[_Record]]:
    """(pairs, only in the SSD, only in the return): records of one child are paired on the
    same start date first (the same end date preferred), then the rest by overlapping dates,
    the nearest start first. Each record is paired at most once."""

    def order(r: _Record) -> tuple[str, date, date]:
        return (r.person, r.start, r.until)

    by_start: dict[tuple[str, date], list[_Record]] = defaultdict(list)
    for s in sorted(ssd, key=order):
        by_start[(s.person, s.start)].append(s)
    pairs: list[tuple[_Record, _Record]] = []
    unpaired: list[_Record] = []
    for r in sorted(returned, key=order):
        same = by_start.get((r.person, r.start))
        if same:
            s = next((s for s in same if s.end == r.end), same[0])
            same.remove(s)
            pairs.append((s, r))
        else:
            unpaired.append(r)
    left: dict[str, list[_Record]] = defaultdict(list)
    for group in by_start.values():
        for s in group:
            left[s.person].append(s)
    only_return: list[_Record] = []
    for r in unpaired:
        mine = left.get(r.person, [])
        overlapping = [s for s in mine if s.start <= r.until and r.start <= s.until]
        if overlapping:
            s = min(overlapping, key=lambda s: (abs((s.start - r.start).days), s.start))
            mine.remove(s)
            pairs.append((s, r))
        else:
            only_return.append(r)
    only_ssd = sorted((s for group in left.values() for s in group), key=order)
    return pairs, only_ssd, only_return


def _starts_differ(c: Compared, ssd: _Record, returned: _Record, first: date) -> bool:
    """Whether a pair's start dates differ, beyond what the return cannot know."""
    if ssd.start == returned.start:
        return False
    # A placement the return shows already running on the year's first day, begun earlier in
    # the SSD: the return's start is only where the returns loaded begin to see it.
    return not (c.start_seen_from_returns and ssd.start < returned.start < first)


def _where(file: str | None, row: int | None) -> str:
    name = (file or "the SSD").replace("\\", "/").rsplit("/", 1)[-1]
    return f"{name} row {row}" if row is not None else name


def _iso(day: date | None) -> str:
    return "open" if day is None else day.isoformat()


def reconcile(
    record: dict[str, pl.DataFrame],
    set_aside: list[SetAside],
    ssd_as_at: date,
    from_returns: dict[str, set[str]],
) -> Reconciliation:
    """Compare each set-aside return with the SSD's tables (``record``), by collection year.

    ``from_returns``: with an SSD loaded, the tables it lacks and the sources that gave them
    instead (their rows are used; the report says so)."""
    out = Reconciliation()
    for table, sources in sorted(from_returns.items()):
        returns = sorted(SOURCE_NAMES[s] for s in sources if s in SOURCE_NAMES)
        if not returns:
            continue
        note = (
            f"{table}: the SSD extract has no such table, so the rows of the "
            f"{' and '.join(returns)} return{'s' if len(returns) > 1 else ''} are used"
        )
        out.note(note, rule="table-from-return", table=table)
    by_source: dict[str, list[SetAside]] = defaultdict(list)
    for item in set_aside:
        by_source[item.source].append(item)
    for source, items in sorted(by_source.items()):
        name = SOURCE_NAMES.get(source, source)
        for item in sorted(items, key=lambda i: i.table):
            compared = [c for c in COMPARED.get(source, ()) if c.table == item.table]
            how = (
                f"checked against them ({compared[0].plural}, by collection year)"
                if compared
                else "not used (this table is not compared record by record)"
            )
            note = (
                f"{item.table}: the SSD and the {name} return both give this table; the SSD's "
                f"rows are used and the return's {item.frame.height:,} rows are {how}"
            )
            out.note(note, rule="checked-against-ssd", table=item.table)
        out.problems.extend(overlaps_in_return(name, {i.table: i.frame for i in items}))
        tables = {i.table: i for i in items}
        years = sorted(set().union(*(i.years for i in items)))
        for year in years:
            window = collection_year_window(year, ssd_as_at)
            if window is None:
                out.notes.append(
                    f"{name} {year}: the SSD extract is older than this collection year, so "
                    "the return is not compared with it"
                )
                continue
            _compare_year(out, source, year, window, record, tables)
    return out


def _problem(
    rule: str, at: _Record, table: str, field: str, value: date | None, message: str
) -> Problem:
    return Problem(
        file=at.file or "",
        rule=rule,
        severity=Severity.WARNING,
        row=at.row,
        field=field,
        value=_iso(value),
        table=table,
        message=message,
    )


def overlaps_in_return(name: str, tables: dict[str, pl.DataFrame]) -> list[Problem]:
    """The overlap rules run on one return's set-aside tables, as warnings: a return that
    overlaps itself is wrong, but its rows are not in the build, so no figure is affected."""
    problems: list[Problem] = []
    for rule in quality_rules().overlaps:
        frame = tables.get(rule.table)
        if frame is None or not all(
            f in frame.columns for f in (rule.person, rule.start, rule.end)
        ):
            continue
        if rule.table == "ssd_cla_episodes":
            found = check_looked_after_overlaps(rule, frame, tables.get("ssd_legal_status"))
        else:
            found = check_overlaps(rule, frame)
        problems.extend(
            replace(
                p,
                severity=Severity.WARNING if p.severity == Severity.ERROR else p.severity,
                message=f"{p.message} (in the {name} return, which is checked against the SSD "
                "and not used, so no figure is affected)",
            )
            for p in found
        )
    return problems


def _compare_year(
    out: Reconciliation,
    source: str,
    year: int,
    window: tuple[date, date],
    record: dict[str, pl.DataFrame],
    tables: dict[str, SetAside],
) -> None:
    name = f"{SOURCE_NAMES.get(source, source)} {year}"
    # Each child's first record in the year on each side, with its table (to say where).
    ssd_children: dict[str, tuple[_Record, str]] = {}
    return_children: dict[str, tuple[_Record, str]] = {}
    counts = []
    for c in COMPARED.get(source, ()):
        if c.table not in tables or c.table not in record:
            continue
        ours = _records(record[c.table], c, *window)
        theirs = _records(tables[c.table].frame, c, *window)
        for r in ours:
            ssd_children.setdefault(r.person, (r, c.table))
        for r in theirs:
            return_children.setdefault(r.person, (r, c.table))
        pairs, only_ssd, only_return = pair_records(ours, theirs)
        starts = [(s, r) for s, r in pairs if _starts_differ(c, s, r, window[0])]
        ends = [(s, r) for s, r in pairs if s.end != r.end]
        counts.append(
            Count(
                source,
                year,
                c.plural,
                len(ours),
                len(theirs),
                len(pairs),
                len(only_ssd),
                len(only_return),
                len(starts),
                len(ends),
            )
        )

        found: list[tuple[str, _Record, str, date | None, str]] = []
        found.extend(
            (
                "only-in-return",
                r,
                c.start,
                r.start,
                f"this {c.singular} starting {_iso(r.start)} is in the return but the SSD has "
                f"no {c.singular} of the same child on those dates; the SSD is the record, so "
                "it is not counted: add it in the case system or correct the return",
            )
            for r in only_return
        )
        found.extend(
            (
                "only-in-ssd",
                s,
                c.start,
                s.start,
                f"this {c.singular} starting {_iso(s.start)} is open in the collection year but "
                f"the {year} return has no {c.singular} of the same child on those dates; "
                "check the return was made from the same records",
            )
            for s in only_ssd
        )
        found.extend(
            (
                "date-differs-from-ssd",
                r,
                c.start,
                r.start,
                f"the return's {c.singular} starts {_iso(r.start)}, the SSD's "
                f"({_where(s.file, s.row)}) {_iso(s.start)}; the SSD's date is used: correct "
                "whichever is wrong",
            )
            for s, r in starts
        )
        found.extend(
            (
                "date-differs-from-ssd",
                r,
                c.end,
                r.end,
                f"the return's {c.singular} starting {_iso(r.start)} ends {_iso(r.end)}, the "
                f"SSD's ({_where(s.file, s.row)}) {_iso(s.end)} (as at {_iso(window[1])}); the "
                "SSD's date is used: correct whichever is wrong",
            )
            for s, r in ends
        )
        out.problems.extend(
            _problem(rule, at, c.table, field, value, f"{name}: {text}")
            for rule, at, field, value, text in found
        )
    if not counts:
        return
    only_ssd_children = sorted(set(ssd_children) - set(return_children))
    only_return_children = sorted(set(return_children) - set(ssd_children))
    both = len(set(ssd_children) & set(return_children))
    out.counts.append(
        Count(
            source,
            year,
            CHILDREN[1],
            len(ssd_children),
            len(return_children),
            both,
            len(only_ssd_children),
            len(only_return_children),
            0,
            0,
        )
    )
    out.counts.extend(counts)
    for rule, children, where, text in (
        ("only-in-ssd", only_ssd_children, ssd_children, "in the SSD but not in the return"),
        (
            "only-in-return",
            only_return_children,
            return_children,
            "in the return but not in the SSD",
        ),
    ):
        for person in children:
            at, table = where[person]
            out.problems.append(
                Problem(
                    file=at.file or "",
                    rule=rule,
                    severity=Severity.WARNING,
                    row=at.row,
                    table=table,
                    message=f"{name}: the child of this record is {text} for this collection "
                    "year (none of the child's compared records is in the other)",
                )
            )
