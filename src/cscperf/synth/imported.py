"""The synthetic council's imported-measure files: ``imported/*.csv``.

Owns the four files that ``cscperf import-measures`` reads (layouts in
docs/imported-measures.md): the Virtual School's personal education plans for the simulated
looked-after children, the fostering service's register of approved households, the monthly
social-worker workforce figures and the youth justice measures as the YJB and the MoJ publish
them. Each file draws from its own random stream (the run's seed and a constant of the file),
so writing them changes nothing else the synthetic council writes, and the same seed gives the
same bytes.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from cscperf.indicators.imported import LAYOUTS

FOLDER = "imported"
# One random stream per file: [seed, constant].
PEP_STREAM, FOSTER_STREAM, WORKFORCE_STREAM, YJ_STREAM = 6101, 6102, 6103, 6104

# Personal education plans: one meeting a term while in care; the statutory first PEP is due
# within 10 school days of coming into care, so meetings are held early in the term.
PEP_AGES = (5, 15)  # academic age: on 31 August before the academic year
PEP_STATUS_SHARES = (("completed", 0.90), ("draft", 0.05), ("cancelled", 0.02))
PEP_MEAN_DAYS_INTO_TERM = 10.0
SHORT_BREAK_STATUSES = ("V3", "V4")

# Foster carer households at scale 1 (Ofsted Fostering in England: a large county has a few
# hundred local-authority households, a third of them kinship), the share leaving each year,
# and how new approvals compare with that (the stock drifts gently down, as in England).
FOSTER_STOCK = {"mainstream": 250, "kinship": 110, "short_breaks": 30}
FOSTER_EXITS_PER_YEAR = {"mainstream": 0.12, "kinship": 0.30, "short_breaks": 0.15}
FOSTER_APPROVALS_VS_EXITS = 0.95
FOSTER_HISTORY_YEARS = 2  # the register starts this long before the window
REG24_SHARE = 0.6  # new kinship households first approved temporarily (regulation 24)
REG24_DAYS = (56, 168)  # 16 weeks, extended by up to 8: from 8 to 24 weeks
REG24_NOT_APPROVED = 0.15  # temporary approvals that end without a full approval

# Social workers: DfE children's social work workforce, England 2024: 28 FTE in post per
# 10,000 children aged 0-17, agency rate 16%, turnover 14%, vacancy rate 17%. Rates move from
# the first value to the second over the window, with a little month-to-month noise.
WORKFORCE_PER_10K = 28.2
AGENCY_RATE = (0.18, 0.13)
TURNOVER_RATE = (0.16, 0.14)
VACANCY_RATE = (0.19, 0.15)

# Youth justice: first-time entrants per 100,000 aged 10-17 (YJB, falling over the decade),
# the MoJ children's reoffending cohort per 100,000 aged 10-17 a year and its binary
# reoffending rate; children aged 10-17 are about 47% of those aged 0-17 (ONS mid-2023).
AGED_10_17_SHARE = 0.47
FTE_RATE = (160.0, 120.0)
REOFFENDING_COHORT_RATE = 190.0
REOFFENDING_RATE = (0.35, 0.31)

# The columns the importer reads (cscperf.indicators.imported.LAYOUTS), by file written.
_REQUIRED = {layout.name: layout.required for layout in LAYOUTS}
HEADERS = {
    "pep.csv": _REQUIRED["pep"],
    "foster_register.csv": _REQUIRED["foster_register"],
    "workforce.csv": _REQUIRED["workforce"],
    "youth_justice.csv": _REQUIRED["yj"],
}

Row = tuple[str, ...]


def write_imported(
    tables: dict[str, pl.DataFrame],
    population: pl.DataFrame,
    out_dir: Path,
    *,
    seed: int,
    scale: float,
    start: date,
    end: date,
) -> list[Path]:
    """Write the four files into ``out_dir/imported``; return their paths.

    ``tables`` are the conformed SSD tables (``ssd_person``, ``ssd_cla_episodes``,
    ``ssd_legal_status``); ``population`` the simulated mid-year counts (mid_year, locality,
    children)."""
    folder = out_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    children = children_by_mid_year(population)
    rows = {
        "pep.csv": pep_rows(tables, _rng(seed, PEP_STREAM), start, end),
        "foster_register.csv": foster_rows(_rng(seed, FOSTER_STREAM), scale, start, end),
        "workforce.csv": workforce_rows(children, _rng(seed, WORKFORCE_STREAM), start, end),
        "youth_justice.csv": youth_justice_rows(children, _rng(seed, YJ_STREAM), start, end),
    }
    return [_write_csv(folder / name, HEADERS[name], body) for name, body in rows.items()]


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([abs(seed), stream])


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Row]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _iso(d: date | None) -> str:
    return "" if d is None else d.isoformat()


def _fraction(first_last: tuple[float, float], i: int, n: int) -> float:
    """The value ``i`` of ``n`` steps along a straight line from first to last."""
    first, last = first_last
    return first + (last - first) * (i / (n - 1) if n > 1 else 0.0)


def children_by_mid_year(population: pl.DataFrame) -> dict[int, int]:
    """Children aged 0-17 in the council on 30 June of each year."""
    totals = population.group_by("mid_year").agg(pl.col("children").sum())
    return {int(y): int(c) for y, c in totals.iter_rows()}


def _children_at(children: dict[int, int], day: date) -> int:
    """The mid-year count nearest before ``day`` (the first or last year outside the span)."""
    year = day.year if day.month >= 7 else day.year - 1
    year = min(max(year, min(children)), max(children))
    return children[year]


def month_ends(start: date, end: date) -> list[date]:
    """Every month end from the first one on or after ``start`` to ``end``."""
    out: list[date] = []
    month = date(start.year, start.month, 1)
    while True:
        following = (month + timedelta(days=32)).replace(day=1)
        last = following - timedelta(days=1)
        if last > end:
            return out
        if last >= start:
            out.append(last)
        month = following


def quarters(start: date, end: date) -> list[tuple[date, date]]:
    """Calendar quarters lying wholly within the window, as (first day, last day)."""
    out: list[tuple[date, date]] = []
    year, month = start.year, 1 + 3 * ((start.month - 1) // 3)
    while True:
        first = date(year, month, 1)
        nxt = date(year + (month == 10), 1 if month == 10 else month + 3, 1)
        last = nxt - timedelta(days=1)
        if last > end:
            return out
        if first >= start:
            out.append((first, last))
        year, month = nxt.year, nxt.month


# ------------------------------------------------------------------ personal education plans


@dataclass(frozen=True)
class Term:
    start: date
    end: date
    age_date: date  # 31 August before the academic year


def school_terms(start: date, end: date) -> list[Term]:
    """Autumn (1 Sep - 31 Dec), spring (1 Jan - 31 Mar) and summer (1 Apr - 31 Aug) terms
    that overlap the window."""
    terms = []
    for year in range(start.year - 1, end.year + 1):
        age_date = date(year, 8, 31)
        for first, last in (
            (date(year, 9, 1), date(year, 12, 31)),
            (date(year + 1, 1, 1), date(year + 1, 3, 31)),
            (date(year + 1, 4, 1), date(year + 1, 8, 31)),
        ):
            if first <= end and last >= start:
                terms.append(Term(first, last, age_date))
    return terms


def periods_of_care(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """person_id, poc_start, poc_end (null while open) of every period of care that is not a
    short break (a V3/V4 legal status open at the start of its first episode)."""
    episodes = tables["ssd_cla_episodes"].select(
        person_id=pl.col("clae_person_id"),
        cla_id=pl.col("clae_cla_id"),
        start=pl.col("clae_cla_episode_start_date"),
        end=pl.col("clae_cla_episode_ceased_date"),
    )
    pocs = (
        episodes.sort("cla_id", "start", "end", nulls_last=True, maintain_order=True)
        .group_by("cla_id", maintain_order=True)
        .agg(
            pl.col("person_id").first(),
            poc_start=pl.col("start").first(),
            poc_end=pl.col("end").last(),
        )
    )
    legal = tables["ssd_legal_status"]
    breaks = legal.filter(pl.col("lega_legal_status").is_in(SHORT_BREAK_STATUSES)).select(
        person_id=pl.col("lega_person_id"),
        sb_start=pl.col("lega_legal_status_start_date"),
        sb_end=pl.col("lega_legal_status_end_date"),
    )
    short = (
        pocs.join(breaks, on="person_id")
        .filter(
            (pl.col("sb_start") <= pl.col("poc_start"))
            & (pl.col("sb_end").is_null() | (pl.col("sb_end") > pl.col("poc_start")))
        )
        .select("cla_id")
        .unique()
    )
    return pocs.join(short, on="cla_id", how="anti").select("person_id", "poc_start", "poc_end")


def _academic_age(dob: pl.Expr, on: pl.Expr) -> pl.Expr:
    before_birthday = (on.dt.month() < dob.dt.month()) | (
        (on.dt.month() == dob.dt.month()) & (on.dt.day() < dob.dt.day())
    )
    return on.dt.year() - dob.dt.year() - before_birthday.cast(pl.Int32)


def pep_due(tables: dict[str, pl.DataFrame], start: date, end: date) -> pl.DataFrame:
    """One row per school-age child and term in care: person_id, first (the first day of the
    term the child was looked after, up to ``end``) and last (the last such day)."""
    terms = pl.DataFrame(
        {
            "term_start": [t.start for t in school_terms(start, end)],
            "term_end": [t.end for t in school_terms(start, end)],
            "age_date": [t.age_date for t in school_terms(start, end)],
        },
        schema={"term_start": pl.Date, "term_end": pl.Date, "age_date": pl.Date},
    )
    people = tables["ssd_person"].select(person_id="pers_person_id", dob="pers_dob")
    pocs = periods_of_care(tables).join(people, on="person_id")
    low, high = PEP_AGES
    return (
        pocs.join(terms, how="cross")
        .with_columns(
            first=pl.max_horizontal("poc_start", "term_start"),
            last=pl.min_horizontal(
                pl.col("poc_end").fill_null(pl.lit(end)), "term_end", pl.lit(end)
            ),
            age=_academic_age(pl.col("dob"), pl.col("age_date")),
        )
        .filter((pl.col("first") <= pl.col("last")) & pl.col("age").is_between(low, high))
        .sort("person_id", "term_start", "first", maintain_order=True)
        .group_by("person_id", "term_start", maintain_order=True)
        .agg(pl.col("first").first(), pl.col("last").first())
        .select("person_id", "first", "last")
    )


def pep_rows(
    tables: dict[str, pl.DataFrame], rng: np.random.Generator, start: date, end: date
) -> list[Row]:
    """PEP meetings: most terms in care have a completed plan held early in the term (or soon
    after coming into care), a few only a draft or a cancelled meeting, a few nothing."""
    due = pep_due(tables, start, end)
    n = due.height
    status_draw = rng.random(n)
    days_in = np.floor(rng.exponential(PEP_MEAN_DAYS_INTO_TERM, n)).astype(np.int64)
    thresholds = np.cumsum([share for _, share in PEP_STATUS_SHARES])
    rows = []
    for i, (person, first, last) in enumerate(due.iter_rows()):
        which = int(np.searchsorted(thresholds, status_draw[i], side="right"))
        if which >= len(PEP_STATUS_SHARES):
            continue  # no meeting recorded this term
        held = first + timedelta(days=int(min(days_in[i], (last - first).days)))
        rows.append((str(person), held.isoformat(), PEP_STATUS_SHARES[which][0]))
    return sorted(rows, key=lambda r: (r[1], r[0]))


# ------------------------------------------------------------------ foster carer register


@dataclass(frozen=True)
class Household:
    carer_type: str
    approved: date
    deregistered: date | None  # None while approved at the window end
    temporary_until: date | None = None  # end of a regulation 24 approval
    made_full: bool = True


def _days(first: date, last: date) -> int:
    return (last - first).days


def _household(
    rng: np.random.Generator, carer_type: str, approved: date, end: date, *, new: bool
) -> Household:
    """One household approved on ``approved``; a new kinship one may start under reg 24."""
    years = rng.exponential(1.0 / FOSTER_EXITS_PER_YEAR[carer_type])
    leaves = approved + timedelta(days=max(1, int(years * 365.25)))
    temporary = new and carer_type == "kinship" and rng.random() < REG24_SHARE
    if not temporary:
        return Household(carer_type, approved, leaves if leaves <= end else None)
    low, high = REG24_DAYS
    until = approved + timedelta(days=int(rng.integers(low, high + 1)))
    made_full = rng.random() >= REG24_NOT_APPROVED
    # A full approval runs on from the day the temporary one ended.
    leaves = until + timedelta(days=max(1, int(years * 365.25))) if made_full else until
    return Household(
        carer_type,
        approved,
        leaves if leaves <= end else None,
        until,
        made_full,
    )


def foster_households(
    rng: np.random.Generator, scale: float, start: date, end: date
) -> list[Household]:
    """The stock approved when the register starts, then each year's new approvals."""
    origin = date(start.year - FOSTER_HISTORY_YEARS, start.month, 1)
    span_days = _days(origin, end)
    households = []
    for carer_type, stock in FOSTER_STOCK.items():
        exits = FOSTER_EXITS_PER_YEAR[carer_type]
        n_stock = max(1, round(stock * scale))
        for _ in range(n_stock):
            age_years = min(rng.exponential(1.0 / exits), 30.0)
            approved = origin - timedelta(days=int(age_years * 365.25))
            remaining = rng.exponential(1.0 / exits)
            leaves = origin + timedelta(days=max(1, int(remaining * 365.25)))
            households.append(Household(carer_type, approved, leaves if leaves <= end else None))
        expected = FOSTER_APPROVALS_VS_EXITS * exits * stock * scale * span_days / 365.25
        for _ in range(int(rng.poisson(expected))):
            approved = origin + timedelta(days=int(rng.integers(0, span_days + 1)))
            households.append(_household(rng, carer_type, approved, end, new=True))
    return sorted(households, key=lambda h: (h.approved, h.carer_type, h.deregistered or end))


def register_rows(households: Sequence[Household], end: date) -> list[Row]:
    """One row per approval: a regulation 24 approval, and the full approval that follows it
    from the day it ended (when that day is not after ``end``)."""
    rows: list[Row] = []
    for i, h in enumerate(households, start=1):
        hid = f"FH{i:05d}"
        if h.temporary_until is None:
            rows.append((hid, h.carer_type, _iso(h.approved), "full", _iso(h.deregistered)))
            continue
        becomes_full = h.made_full and h.temporary_until <= end
        temp_end = h.temporary_until if (becomes_full or h.deregistered) else None
        rows.append((hid, h.carer_type, _iso(h.approved), "temporary_reg24", _iso(temp_end)))
        if becomes_full:
            full = (hid, h.carer_type, _iso(h.temporary_until), "full", _iso(h.deregistered))
            rows.append(full)
    return rows


def foster_rows(rng: np.random.Generator, scale: float, start: date, end: date) -> list[Row]:
    return register_rows(foster_households(rng, scale, start, end), end)


# ------------------------------------------------------------------ workforce


def _wander(rng: np.random.Generator, n: int, sd: float) -> np.ndarray:
    """Slowly wandering noise around 0 (each month keeps 80% of the last month's)."""
    steps = rng.normal(0.0, sd, n)
    out = np.zeros(n)
    for i in range(n):
        out[i] = (0.8 * out[i - 1] if i else 0.0) + steps[i]
    return out


def workforce_rows(
    children: dict[int, int], rng: np.random.Generator, start: date, end: date
) -> list[Row]:
    """One row per month end: social workers in post, agency, vacancies and leavers in the
    last 12 months, in FTE to one decimal."""
    ends = month_ends(start, end)
    n = len(ends)
    size = _wander(rng, n, 0.01)
    agency, turnover, vacancy = (_wander(rng, n, 0.005) for _ in range(3))
    rows = []
    for i, e in enumerate(ends):
        inpost = WORKFORCE_PER_10K * _children_at(children, e) / 10_000 * (1 + size[i])
        a = _fraction(AGENCY_RATE, i, n) + agency[i]
        v = _fraction(VACANCY_RATE, i, n) + vacancy[i]
        t = _fraction(TURNOVER_RATE, i, n) + turnover[i]
        values = (inpost, inpost * a / (1 - a), inpost * v / (1 - v), inpost * t)
        rows.append((e.isoformat(), *(f"{max(x, 0.0):.1f}" for x in values)))
    return rows


# ------------------------------------------------------------------ youth justice


def _rolling_year(
    quarter_list: Sequence[tuple[date, date]], counts: Sequence[int]
) -> list[tuple[date, date, int]]:
    """(first day, last day, total) of every run of four consecutive quarters."""
    return [
        (quarter_list[i - 3][0], quarter_list[i][1], int(sum(counts[i - 3 : i + 1])))
        for i in range(3, len(quarter_list))
    ]


def youth_justice_rows(
    children: dict[int, int], rng: np.random.Generator, start: date, end: date
) -> list[Row]:
    """First-time entrants (YJB) for the 12 months to each quarter end, and the proven
    reoffending rate (MoJ) of each 12-month cohort whose year of follow-up has ended."""
    qs = quarters(start, end)
    n = len(qs)
    aged_10_17 = [AGED_10_17_SHARE * _children_at(children, last) for _, last in qs]
    fte = [
        int(rng.poisson(_fraction(FTE_RATE, i, n) / 4 * aged_10_17[i] / 100_000)) for i in range(n)
    ]
    cohort = [int(rng.poisson(REOFFENDING_COHORT_RATE / 4 * p / 100_000)) for p in aged_10_17]
    reoffended = [
        int(rng.binomial(size, _fraction(REOFFENDING_RATE, i, n))) for i, size in enumerate(cohort)
    ]
    rows: list[Row] = []
    for first, last, count in _rolling_year(qs, fte):
        den = round(AGED_10_17_SHARE * _children_at(children, last))
        if den > 0:
            value = f"{100_000 * count / den:.1f}"
            rows.append(("yj.fte_rate_per_100k", _iso(first), _iso(last), str(count), str(den),
                         value, "YJB"))  # fmt: skip
    followed_up = end - timedelta(days=365)
    cohorts = zip(_rolling_year(qs, cohort), _rolling_year(qs, reoffended), strict=True)
    for (first, last, size), (_, _, reoffenders) in cohorts:
        if size > 0 and last <= followed_up:
            value = f"{100 * reoffenders / size:.1f}"
            rows.append(("yj.reoffending_binary_pct", _iso(first), _iso(last), str(reoffenders),
                         str(size), value, "MoJ"))  # fmt: skip
    return rows
