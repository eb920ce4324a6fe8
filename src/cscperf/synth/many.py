"""Many synthetic councils at once, each shaped by a real English council's published figures.

``cscperf synth --councils`` writes one folder per council, ``OUT/<LA number>/``, each in the
layout one synthetic council has (:func:`cscperf.synth.run.generate`), and ``OUT/councils.csv``
listing them. A council takes from the published files (the DfE and ONS files of the shared
reference folder, or a council's own downloads of them):

* who it is: 3-digit LA number, ONS code, name and region (``council.yaml``, the CIN Census
  header, the population file); its name says it is synthetic;
* how big it is: the latest ONS mid-year estimate of children aged 0-17, times ``scale``;
* its rates, each as a multiple of England's figure in the same publication (the packaged
  parameters are Eastshire's, set from England's figures, so a multiple of England's rate is a
  multiple of a parameter): referrals per 10,000 children multiply the referral rate; child
  protection plans started per 10,000 set how often a child in need has an enquiry and a
  conference; children looked after at 31 March per 10,000 set how often a child comes into
  care from a plan or directly; unaccompanied asylum-seeking children looked after per 10,000
  multiply their arrivals. Children starting to be looked after per 10,000 are listed but not
  used: care lasts as long as in Eastshire, so starts follow the number in care.

Which published figure is which comes from the indicator catalogue's ``published`` blocks, so
the synthetic councils are shaped by the same figures their benchmarks are compared with. Each
council has its own seed, derived from the base seed and its LA number, so one council's files
do not change when others are added.
"""

from __future__ import annotations

import csv
import hashlib
import math
import multiprocessing
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import polars as pl

from cscperf.benchmarks.mapping import abolished_by, benchmark_sources
from cscperf.benchmarks.published import (
    POPULATION_FILE,
    default_data_dir,
    population,
    read_published,
)
from cscperf.errors import CscperfError
from cscperf.settings import Council, Settings
from cscperf.synth.council import LOCALITY_NAMES, eastshire_settings
from cscperf.synth.params import Parameters, load_parameters
from cscperf.synth.run import SynthSummary, generate

# What each council takes from the published files: the catalogue indicator whose published
# figure it is. "uasc" is a count at 31 March, made a rate per 10,000 children here.
FIGURES = {
    "referrals": "referrals.rate_per_10k",
    "cp_starts": "cp.starts_rate_per_10k",
    "cla_starts": "lac.starts_rate_per_10k",
    "cla": "lac.rate_per_10k",
    "uasc": "lac.uasc_count",
}
# How Eastshire's children looked after at 31 March came into care (2021 to 2025 at scale 0.3,
# seed 1): after a child protection plan, directly from a child in need episode, or as an
# unaccompanied asylum seeker on arrival. A council's children in care are split the same way
# when its rates are set.
CARE_PATHS = {"cp": 0.43, "direct": 0.51, "uasc": 0.06}
# A council's rates stay within these multiples of England's: the published extremes (the
# City of London's care starts, 7 times England's, are almost all asylum seekers) would
# otherwise need probabilities above 1.
MULTIPLE_RANGE = (0.2, 5.0)
MAX_PROBABILITY = 0.95
# Referrals grow a little less than the referral rate (a child already being worked with is
# not referred again), so the rate is raised to this power: measured at scale 0.1, Essex
# (0.33 of England's rate) and Liverpool (1.66) then come within 5% of their published rates.
REFERRAL_ELASTICITY = 1.1
# The simulation needs some children to have something to write: no council is simulated with
# fewer children than this, not even the Isles of Scilly (about 320) and the City of London
# (about 850).
MIN_CHILDREN = 1000
# Localities of a synthetic council: the six of Eastshire's structure, named after the council.
LOCALITY_WORDS = ("North", "South", "East", "West", "Central", "Outer")
INDEX_FILE = "councils.csv"


class CouncilChoiceError(CscperfError):
    """The councils asked for are not English councils with published figures (misuse)."""

    exit_code = 2


@dataclass(frozen=True)
class PublishedCouncil:
    """An English council as the published files describe it."""

    la_code: str
    ons_code: str
    name: str
    region: str
    children: int  # aged 0-17 at the latest mid-year estimate
    population_year: int
    rates: dict[str, float | None]  # per 10,000 children, None where not published
    england: dict[str, float]
    years: dict[str, int]

    def multiple(self, figure: str) -> float:
        """This council's figure as a multiple of England's (1 where it is not published),
        kept within :data:`MULTIPLE_RANGE`."""
        own = self.rates.get(figure)
        if own is None or not self.england.get(figure):
            return 1.0
        low, high = MULTIPLE_RANGE
        return min(high, max(low, own / self.england[figure]))


@dataclass
class CouncilRun:
    """One council made (or not): where, with which seed and size, and how long it took."""

    council: PublishedCouncil
    folder: Path
    seed: int
    children: int  # aged 0-17 simulated at the start
    summary: SynthSummary | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class ManyOptions:
    """The options every council of one run shares."""

    seed: int = 1
    scale: float = 1.0
    start: date | None = None
    end: date | None = None
    trend: float = 0.0
    faults: bool = False


# --------------------------------------------------------------------------- published figures


@cache
def published_councils(data_dir: Path | None = None) -> dict[str, PublishedCouncil]:
    """Every English council with a published children's population in the latest year of
    the ONS file, by LA number, with its published rates (see :data:`FIGURES`)."""
    folder = data_dir or default_data_dir()
    pop = population(folder)
    year = int(pop.filter(pl.col("level") == "la").get_column("year").max())  # type: ignore[arg-type]
    las = (
        pop.filter((pl.col("level") == "la") & (pl.col("year") == year))
        .drop_nulls("value")
        .sort("la_code")
    )
    figures = {name: _figure(name, folder, pop) for name in FIGURES}
    found: dict[str, PublishedCouncil] = {}
    for row in las.iter_rows(named=True):
        code = str(row["la_code"])
        found[code] = PublishedCouncil(
            la_code=code,
            ons_code=str(row["ons_code"]),
            name=str(row["la_name"]),
            region=str(row["region"]),
            children=int(row["value"]),
            population_year=year,
            rates={name: fig[1].get(code) for name, fig in figures.items()},
            england={name: fig[0] for name, fig in figures.items()},
            years={name: fig[2] for name, fig in figures.items()},
        )
    return found


def _figure(name: str, folder: Path, pop: pl.DataFrame) -> tuple[float, dict[str, float], int]:
    """England's value, each council's value and the year, for the latest year England has
    one; a count is made a rate per 10,000 children aged 0-17 at mid-(year - 1)."""
    source = benchmark_sources()[FIGURES[name]]
    frame = read_published(source, folder)
    national = frame.filter((pl.col("level") == "national") & pl.col("value").is_not_null())
    year = int(national.get_column("year").max())  # type: ignore[arg-type]
    rows = frame.filter(pl.col("year") == year)
    rows = rows.filter(pl.col("level").is_in(["national", "la"]))
    if source.unit == "count":
        children = pop.filter(
            (pl.col("year") == year - 1) & pl.col("level").is_in(["national", "la"])
        ).select("level", pl.col("la_code").fill_null(""), pl.col("value").alias("children"))
        rows = rows.with_columns(pl.col("la_code").fill_null("")).join(
            children, on=["level", "la_code"], how="left"
        )
        rows = rows.with_columns(value=pl.col("value") / pl.col("children") * 10_000)
    england = rows.filter(pl.col("level") == "national").get_column("value").drop_nulls()[0]
    las = rows.filter((pl.col("level") == "la") & pl.col("value").is_not_null())
    values = dict(zip(las.get_column("la_code"), las.get_column("value"), strict=True))
    return float(england), {str(k): float(v) for k, v in values.items()}, year


# --------------------------------------------------------------------------- choosing


def choose_councils(
    published: dict[str, PublishedCouncil], *, councils: str | None, all_england: bool
) -> list[PublishedCouncil]:
    """The councils asked for: every one (``all_england``), a number of them spread over the
    sizes (``"3"``: the largest, the middle one and the smallest), or a comma-separated list
    of LA numbers (``926``) or ONS codes (``E10000020``)."""
    if all_england:
        if councils:
            raise CouncilChoiceError("give --councils or --all-england, not both")
        return list(published.values())
    text = (councils or "").strip()
    if not text:
        raise CouncilChoiceError("--councils is empty: give a number or LA codes")
    if text.isdigit() and int(text) < 201:  # LA numbers start at 201 (City of London)
        return _spread(published, int(text))
    by_ons = {c.ons_code.upper(): c for c in published.values()}
    chosen: dict[str, PublishedCouncil] = {}
    for part in (p.strip() for p in text.split(",")):
        found = published.get(part) or by_ons.get(part.upper())
        if found is None:
            raise CouncilChoiceError(_unknown(part, published))
        chosen.setdefault(found.la_code, found)
    return list(chosen.values())


def _spread(published: dict[str, PublishedCouncil], n: int) -> list[PublishedCouncil]:
    """``n`` councils spread evenly over the size ranking, largest first."""
    ranked = sorted(published.values(), key=lambda c: (-c.children, c.la_code))
    if not 1 <= n <= len(ranked):
        raise CouncilChoiceError(
            f"--councils {n}: choose between 1 and {len(ranked)} councils (the English "
            "councils with a published children's population)"
        )
    if n == 1:
        return [ranked[(len(ranked) - 1) // 2]]
    picks = sorted({round(i * (len(ranked) - 1) / (n - 1)) for i in range(n)})
    return [ranked[i] for i in picks]


def _unknown(code: str, published: dict[str, PublishedCouncil]) -> str:
    year = next(iter(published.values())).population_year if published else 0
    why = f"{code} is not an English council with a published children's population"
    gone = abolished_by(code, year) if code.isdigit() else None
    if gone is not None:
        why = (
            f"{code} was abolished in {gone.effective_from.year} ({gone.name}): use its "
            f"successors {', '.join(gone.successors)}"
        )
    return (
        f"--councils: {why} (in {POPULATION_FILE}, mid-{year}); give 3-digit LA numbers such "
        "as 926 or ONS codes such as E10000020, comma-separated, or a number of councils"
    )


# --------------------------------------------------------------------------- one council


def council_seed(seed: int, la_code: str) -> int:
    """The council's own seed: the same for the same base seed and LA number, whatever else
    is made in the same run."""
    digest = hashlib.sha256(f"cscperf synth {seed} {la_code}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def council_children(council: PublishedCouncil, scale: float) -> int:
    """Children aged 0-17 to simulate: the published number times ``scale``, but at least
    :data:`MIN_CHILDREN`."""
    return max(round(council.children * scale), MIN_CHILDREN)


def council_settings(council: PublishedCouncil) -> Settings:
    """Eastshire's structure of localities and teams under the council's codes and name."""
    base = eastshire_settings()
    short = f"{council.name} (synthetic)"
    places = {
        old: f"{council.name} {word}"
        for old, word in zip(LOCALITY_NAMES, LOCALITY_WORDS, strict=True)
    }
    localities = []
    for locality in base.localities:
        new = places.get(locality.name)
        if new is None:
            localities.append(locality)
            continue
        teams = [
            team.model_copy(update={"name": new + team.name.removeprefix(locality.name)})
            for team in locality.teams
        ]
        localities.append(locality.model_copy(update={"name": new, "teams": teams}))
    return base.model_copy(
        update={
            "council": Council(
                name=short,
                short_name=short,
                la_code=council.la_code,
                ons_code=council.ons_code,
                region=council.region,
            ),
            "localities": localities,
        }
    )


def council_parameters(council: PublishedCouncil, base: Parameters) -> Parameters:
    """The packaged parameters with the council's rates (see the module's description)."""
    referrals = council.multiple("referrals")
    plans = council.multiple("cp_starts")
    asylum = council.multiple("uasc")
    # Plans started = referrals x (chance of an enquiry) x (chance of a conference) x ...:
    # what the referral rate does not explain is shared between the two chances.
    given = math.sqrt(plans / referrals)
    protection = base.protection
    # Children looked after at 31 March: asylum seekers come into care on arrival; the rest
    # come after a plan or directly, and both chances are multiplied by what the referrals and
    # plans leave over. (Care lasts as long as in Eastshire, so starts follow the same multiple.)
    others = max(
        MULTIPLE_RANGE[0] * (1 - CARE_PATHS["uasc"]),
        council.multiple("cla") - CARE_PATHS["uasc"] * asylum,
    )
    care = others / (CARE_PATHS["cp"] * plans + CARE_PATHS["direct"] * referrals)
    # A child in need is taken into care directly with at most 2.2 times the base chance
    # (teenagers), so that chance stays below MAX_PROBABILITY / 2.2.
    cin = base.child_in_need
    return base.model_copy(
        update={
            "demand": base.demand.model_copy(
                update={
                    "referral_rate": base.demand.referral_rate * referrals**REFERRAL_ELASTICITY,
                    "uasc_rate": base.demand.uasc_rate * asylum,
                }
            ),
            "protection": protection.model_copy(
                update={
                    "s47_probability": _probability(protection.s47_probability * given),
                    "icpc_probability": _probability(protection.icpc_probability * given),
                    "care_after_plan": min(
                        protection.care_after_plan * care, 1 - protection.cin_step_down - 0.01
                    ),
                }
            ),
            "child_in_need": cin.model_copy(
                update={
                    "direct_care_probability": min(
                        cin.direct_care_probability * care, MAX_PROBABILITY / 2.2
                    )
                }
            ),
        }
    )


def _probability(value: float) -> float:
    return min(MAX_PROBABILITY, max(0.0, value))


def about(council: PublishedCouncil, children: int, base_children: int) -> str:
    """The README's words on who the council is (followed by "every child, worker...")."""
    return (
        f"{council.name} (synthetic) is shaped by the published figures of {council.name} "
        f"(LA {council.la_code}), its number of children and its rates, not by its records: "
        f"{children:,} children aged 0-17 at the start (the scale below is of the "
        f"simulation's standard {base_children:,}), and"
    )


def make_council(
    council: PublishedCouncil,
    out_dir: Path,
    options: ManyOptions,
    step: Callable[[str], None] | None = None,
) -> CouncilRun:
    """Write one council into ``out_dir/<LA number>``; a failure is kept in the result."""
    began = time.perf_counter()
    base = load_parameters()
    children = council_children(council, options.scale)
    run = CouncilRun(
        council=council,
        folder=out_dir / council.la_code,
        seed=council_seed(options.seed, council.la_code),
        children=children,
    )
    try:
        run.summary = generate(
            run.folder,
            seed=run.seed,
            scale=float(f"{children / base.population.children_0_17:.6g}"),
            start=options.start,
            end=options.end,
            trend=options.trend,
            faults=options.faults,
            step=step,
            settings=council_settings(council),
            params=council_parameters(council, base),
            about=about(council, children, base.population.children_0_17),
        )
    except Exception as exc:  # one council's failure must not stop the others
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        message = " ".join(str(exc).split())[:300]
        run.error = f"{type(exc).__name__}: {message} (at {where}; seed {run.seed})"
    run.seconds = time.perf_counter() - began
    return run


# --------------------------------------------------------------------------- many councils


def generate_many(
    councils: Sequence[PublishedCouncil],
    out_dir: Path,
    options: ManyOptions,
    *,
    jobs: int = 1,
    on_done: Callable[[CouncilRun], None] | None = None,
    on_step: Callable[[PublishedCouncil, str], None] | None = None,
) -> list[CouncilRun]:
    """Write every council into its own folder under ``out_dir`` and list them in
    ``councils.csv``. With ``jobs`` above 1 councils are made in that many worker processes
    (each holds one council at a time, so memory stays about ``jobs`` councils' worth); the
    results come back in the order asked for, whatever order they finish in."""
    out_dir.mkdir(parents=True, exist_ok=True)
    done = on_done or (lambda _run: None)
    runs: dict[str, CouncilRun] = {}
    if jobs <= 1 or len(councils) <= 1:
        for council in councils:
            say = (lambda msg, c=council: on_step(c, msg)) if on_step else None
            runs[council.la_code] = make_council(council, out_dir, options, say)
            done(runs[council.la_code])
    else:
        for run in _in_workers(councils, out_dir, options, jobs):
            runs[run.council.la_code] = run
            done(run)
    ordered = [runs[c.la_code] for c in councils]
    write_index(ordered, out_dir / INDEX_FILE, options)
    return ordered


def _in_workers(
    councils: Sequence[PublishedCouncil], out_dir: Path, options: ManyOptions, jobs: int
) -> Iterator[CouncilRun]:
    # "spawn": the workers start clean rather than as copies of a process that has polars'
    # thread pool running (polars warns that fork can deadlock).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(councils)), mp_context=context) as pool:
        futures: list[Future[CouncilRun]] = [
            pool.submit(make_council, council, out_dir, options) for council in councils
        ]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


INDEX_COLUMNS = [
    "folder", "la_code", "ons_code", "name", "region", "seed", "scale", "children_published",
    "population_year", "children_simulated",
    *(f"{name}_{what}" for name in FIGURES for what in ("published", "england", "multiple")),
    "status",
]  # fmt: skip


def write_index(runs: Sequence[CouncilRun], path: Path, options: ManyOptions) -> Path:
    """``councils.csv``: each council's folder, codes, seed, size and the published figures
    its rates were drawn from (per 10,000 children, with England's and the multiple used)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(INDEX_COLUMNS)
        for run in runs:
            c = run.council
            figures: list[object] = []
            for name in FIGURES:
                own = c.rates.get(name)
                figures += [
                    "" if own is None else f"{own:.1f}",
                    f"{c.england[name]:.1f}",
                    f"{c.multiple(name):.3f}",
                ]
            writer.writerow(
                [
                    run.folder.name, c.la_code, c.ons_code, c.name, c.region, run.seed,
                    options.scale, c.children, c.population_year, run.children, *figures,
                    "made" if run.error is None else f"failed: {run.error}",
                ]
            )  # fmt: skip
    return path
