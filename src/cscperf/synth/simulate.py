"""The Eastshire microsimulation: children's lives through social care, as numpy arrays.

Children are born, arrive and leave; each has a propensity to come to the front door. Referrals
are drawn as a thinned Poisson process per child and processed in *rounds*: each round takes
every child's next referral after their previous episode closed and decides, for all of them at
once, the assessment, enquiry, conference, plans and care that follow. Periods of care (a few
thousand) are then detailed one by one: placements and moves, legal statuses, reviews, visits,
health, missing episodes, adoption and leaving care. Nothing here writes files: the result is a
set of SSD-shaped polars tables (see :mod:`cscperf.synth.ssd`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl
from numpy.random import PCG64, Generator

from cscperf.errors import ConfigError
from cscperf.settings import Settings
from cscperf.synth.care import build_care
from cscperf.synth.council import COUNTYWIDE, LOCALITY_NAMES, teams_of_type
from cscperf.synth.days import (
    NEVER,
    WorkingDays,
    add_months,
    age_at,
    birthday,
    census_year_end,
    day_number,
)
from cscperf.synth.params import Parameters, load_parameters
from cscperf.synth.workforce import build_workforce

YEAR = 365.25
INT = np.int64

ETHNICITY = {
    "WBRI": 0.80, "WOTH": 0.04, "WIRI": 0.005, "WIRT": 0.003, "WROM": 0.004, "MWBC": 0.015,
    "MWBA": 0.007, "MWAS": 0.012, "MOTH": 0.015, "AIND": 0.01, "APKN": 0.006, "ABAN": 0.004,
    "AOTH": 0.008, "CHNE": 0.004, "BCRB": 0.004, "BAFR": 0.012, "BOTH": 0.003, "OOTH": 0.008,
    "REFU": 0.004, "NOBT": 0.017,
}  # fmt: skip
UASC_ETHNICITY = {"BAFR": 0.35, "AOTH": 0.30, "OOTH": 0.25, "WOTH": 0.10}
UASC_NATIONALITY = {
    "Sudan": 0.25,
    "Afghanistan": 0.25,
    "Eritrea": 0.2,
    "Iran": 0.15,
    "Vietnam": 0.15,
}
LOCALITY_SHARES = (0.20, 0.18, 0.17, 0.16, 0.15, 0.14)
SOURCE_NAMES = {
    "1A": "Individual: family member", "1B": "Individual: acquaintance",
    "1C": "Individual: self", "1D": "Individual: other", "2A": "Schools",
    "2B": "Education services", "3A": "Health: GP", "3B": "Health: visitor",
    "3C": "Health: hospital", "3D": "Health: school nurse", "3E": "Health: other primary",
    "3F": "Health: other", "4": "Housing", "5A": "LA services: social care",
    "5B": "LA services: other internal", "5C": "LA services: external", "5D": "LA services: other",
    "6": "Police", "7": "Other legal agency", "8": "Other", "9": "Anonymous", "10": "Unknown",
}  # fmt: skip
CP_CATEGORIES = {"Neglect": 0.52, "Emotional abuse": 0.36, "Physical abuse": 0.06,
                 "Sexual abuse": 0.03, "Multiple": 0.03}  # fmt: skip
FACTORS = ["1B", "2B", "3A", "3B", "3C", "4A", "4B", "5A", "6B", "7A", "10A", "11A", "13A",
           "14A", "15A", "16A", "17A", "18B", "18C", "19C", "20", "24A"]  # fmt: skip
FACTOR_WEIGHTS = np.array([73, 73, 58, 163, 26, 90, 172, 63, 24, 19, 17, 12, 9, 36, 25, 90, 98,
                           15, 61, 19, 84, 16], dtype=float)  # fmt: skip


@dataclass
class SimResult:
    """The simulated council: SSD-shaped tables plus what the population file needs."""

    tables: dict[str, pl.DataFrame]
    population: pl.DataFrame  # mid_year, locality, children (aged 0-17 on 30 June)
    start: date
    end: date
    counts: dict[str, int] = field(default_factory=dict)


class _Ids:
    """Row identifiers: a prefix and a running number per kind, in creation order."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def take(self, prefix: str, n: int) -> np.ndarray:
        first = self.next.get(prefix, 1)
        self.next[prefix] = first + n
        return np.arange(first, first + n, dtype=INT)


def _fmt(prefix: str, numbers: np.ndarray | pl.Series) -> pl.Series:
    s = numbers if isinstance(numbers, pl.Series) else pl.Series(numbers)
    return prefix + s.cast(pl.Utf8).str.zfill(7)


def _choice(rng: Generator, dist: dict[str, float], n: int) -> np.ndarray:
    keys = list(dist)
    weights = np.array([dist[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=weights / weights.sum())]


def _blank_unless(keep: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Text values where ``keep`` holds, blank (None) elsewhere."""
    out = np.asarray(values).astype(object)
    out[~np.asarray(keep, dtype=bool)] = None
    return out


def _json_by_flags(render: Callable[..., dict[str, object]], *flags: np.ndarray) -> pl.Series:
    """Compact JSON per row from a few yes/no flags: each combination rendered once."""
    code = np.zeros(len(flags[0]) if flags else 0, dtype=INT)
    for f in flags:
        code = code * 2 + np.asarray(f, dtype=INT)
    cases = []
    for i in range(2 ** len(flags)):
        bits = [bool((i >> (len(flags) - 1 - j)) & 1) for j in range(len(flags))]
        cases.append(json.dumps(render(*bits), separators=(",", ":")))
    return pl.Series(cases, dtype=pl.Utf8).gather(code)


def _source_names(codes: np.ndarray) -> pl.Series:
    return pl.Series(codes.astype(str)).replace_strict(SOURCE_NAMES, return_dtype=pl.Utf8)


def _lognormal_days(rng: Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return np.maximum(1, np.round(rng.lognormal(np.log(median), sigma, n))).astype(INT)


def _age_multiplier(p: Parameters, age: np.ndarray) -> np.ndarray:
    m = p.demand.age_multiplier
    return np.select(
        [age < 1, age < 5, age < 10, age < 16],
        [m["0"], m["1-4"], m["5-9"], m["10-15"]],
        m["16-17"],
    )


def _trend_factor(trend: float, days: np.ndarray, anchor: int) -> np.ndarray:
    """Demand relative to the window start: ``trend`` is the annual change (0.03 = +3%)."""
    return np.power(1.0 + trend, (days - anchor) / YEAR)


def _month_index(days: np.ndarray) -> np.ndarray:
    """Calendar month of each day (days since 1970-01-01), 0 for January to 11."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(INT) % 12


def _locality_multipliers(p: Parameters) -> np.ndarray:
    """Each locality's referral rate relative to the county's, in locality order, scaled so
    that the county's rate is the parameter's (``demand.locality_demand`` by name)."""
    wanted = p.demand.locality_demand
    unknown = set(wanted) - set(LOCALITY_NAMES)
    if unknown:
        raise ConfigError(
            f"cscperf/synth/parameters.yaml names unknown localities {sorted(unknown)} under "
            f"demand.locality_demand; use {', '.join(LOCALITY_NAMES)}"
        )
    raw = np.array([wanted.get(name, 1.0) for name in LOCALITY_NAMES])
    return raw / float(np.dot(raw, LOCALITY_SHARES))


@dataclass
class _Children:
    dob: np.ndarray
    arrive: np.ndarray
    leave: np.ndarray
    locality: np.ndarray
    sex: np.ndarray
    ethnicity: np.ndarray
    frailty: np.ndarray
    disabled: np.ndarray
    uasc: np.ndarray

    @property
    def n(self) -> int:
        return len(self.dob)


def _population(rng: Generator, p: Parameters, scale: float, s0: int, end: int) -> _Children:
    """Children present at the simulation start, born since, and moving in; some move out."""
    n0 = max(1, round(p.population.children_0_17 * scale))
    years = (end - s0) / YEAR
    dob_present = s0 - rng.integers(0, int(18 * YEAR), n0)
    n_born = rng.poisson(n0 / 18 * years)
    dob_born = rng.integers(s0, end + 1, n_born)
    n_in = rng.poisson(n0 * p.population.migration_in_rate * years)
    arrive_in = rng.integers(s0, end + 1, n_in)
    dob_in = arrive_in - rng.integers(0, int(18 * YEAR) - 1, n_in)
    n_uasc = rng.poisson(n0 * p.demand.uasc_rate * years)
    arrive_uasc = rng.integers(s0, end + 1, n_uasc)
    age_uasc = rng.choice([14, 15, 16, 17], size=n_uasc, p=[0.08, 0.17, 0.40, 0.35])
    dob_uasc = arrive_uasc - (age_uasc * YEAR).astype(INT) - rng.integers(0, 360, n_uasc)

    dob = np.concatenate([dob_present, dob_born, dob_in, dob_uasc]).astype(INT)
    arrive = np.concatenate([np.full(n0, s0), dob_born, arrive_in, arrive_uasc]).astype(INT)
    n = len(dob)
    uasc = np.zeros(n, dtype=bool)
    uasc[n0 + n_born + n_in :] = True
    stay = rng.exponential(1 / p.population.migration_out_rate, n) * YEAR
    leave = np.where(uasc, NEVER, arrive + stay.astype(INT)).astype(INT)
    leave = np.where(leave > end, NEVER, leave)
    locality = rng.choice(len(LOCALITY_SHARES), size=n, p=np.array(LOCALITY_SHARES))
    sex = np.where(rng.random(n) < 0.51, "M", "F").astype(object)
    sex[uasc] = np.where(rng.random(uasc.sum()) < 0.92, "M", "F")
    ethnicity = _choice(rng, ETHNICITY, n)
    ethnicity[uasc] = _choice(rng, UASC_ETHNICITY, int(uasc.sum()))
    k = p.demand.frailty_shape
    frailty = rng.gamma(k, 1 / k, n)
    disabled = rng.random(n) < 0.025
    return _Children(dob, arrive, leave, locality, sex, ethnicity, frailty, disabled, uasc)


def _referral_candidates(
    rng: Generator, p: Parameters, kids: _Children, s0: int, end: int, anchor: int, trend: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate referral days per child (thinned Poisson), sorted by child then day."""
    a = np.maximum(kids.arrive, s0)
    b = np.minimum(np.minimum(birthday(kids.dob, 18), kids.leave), end + 1)
    exposure = np.maximum(b - a, 0)
    m_max = max(p.demand.age_multiplier.values())
    t_max = max(1.0, float(_trend_factor(trend, np.array([end]), anchor)[0]),
                float(_trend_factor(trend, np.array([s0]), anchor)[0]))  # fmt: skip
    season = np.array(p.demand.referral_seasonality)
    place = _locality_multipliers(p)
    top = m_max * t_max * season.max() * place.max()
    lam = p.demand.referral_rate * kids.frailty * top * exposure / YEAR
    counts = rng.poisson(lam)
    child = np.repeat(np.arange(kids.n), counts)
    day = a[child] + (rng.random(len(child)) * exposure[child]).astype(INT)
    age = (day - kids.dob[child]) / YEAR
    month = _month_index(day)
    keep = rng.random(len(child)) < (
        _age_multiplier(p, age)
        * _trend_factor(trend, day, anchor)
        * season[month]
        * place[kids.locality[child]]
        / top
    )
    child, day = child[keep], day[keep]
    # UASC arrive through a referral on the day they arrive.
    u = np.flatnonzero(kids.uasc)
    child = np.concatenate([child, u])
    day = np.concatenate([day, kids.arrive[u]])
    order = np.lexsort((day, child))
    return child[order], day[order], a, b


def simulate(
    settings: Settings,
    *,
    seed: int = 1,
    scale: float = 1.0,
    start: date,
    end: date,
    trend: float = 0.0,
    step: Callable[[str], None] | None = None,
    params: Parameters | None = None,
) -> SimResult:
    """Simulate Eastshire from ``start`` to ``end`` (both inclusive) and return SSD tables;
    ``params`` replaces the packaged parameters (another council's rates)."""
    p = params or load_parameters()
    rng = Generator(PCG64(seed))
    say = step or (lambda _msg: None)
    win_start, win_end = day_number(start), day_number(end)
    s0 = win_start - int(p.population.warmup_years * YEAR)
    wd = WorkingDays(start.year - p.population.warmup_years - 1, end.year + 4)

    say("population")
    kids = _population(rng, p, scale, s0, win_end)
    cand_child, cand_day, expo_a, expo_b = _referral_candidates(
        rng, p, kids, s0, win_end, win_start, trend or p.demand.trend_per_year
    )
    b18 = birthday(kids.dob, 18)

    say("referrals, assessments and plans")
    episodes = _run_rounds(rng, p, wd, kids, cand_child, cand_day, expo_a, expo_b, b18, win_end)

    say("periods of care")
    builder = _TableBuilder(rng, p, wd, settings, kids, b18, win_start, win_end)
    builder.cin(episodes)
    builder.care(episodes)
    builder.contacts(episodes, expo_a, expo_b)
    builder.early_help(episodes, expo_a, expo_b)
    say("workers and caseloads")
    builder.workforce()
    builder.people()
    population = _mid_year_population(kids, settings, start, end)
    tables = builder.finish()
    counts = {
        "children": tables["ssd_person"].height,
        "referrals": tables["ssd_cin_episodes"].height,
        "cp_plans": tables["ssd_cp_plans"].height,
        "cla_episodes": tables["ssd_cla_episodes"].height,
    }
    return SimResult(tables, population, start, end, counts)


# --------------------------------------------------------------------------- rounds


def _run_rounds(
    rng: Generator,
    p: Parameters,
    wd: WorkingDays,
    kids: _Children,
    cand_child: np.ndarray,
    cand_day: np.ndarray,
    expo_a: np.ndarray,
    expo_b: np.ndarray,
    b18: np.ndarray,
    win_end: int,
) -> dict[str, np.ndarray]:
    """Every child's referrals in turn: each round handles one referral per child at once."""
    big = INT(10**7)
    keys = cand_child.astype(INT) * big + cand_day
    free = expo_a.copy()
    follow = np.full(kids.n, NEVER, dtype=INT)
    had_cp = np.zeros(kids.n, dtype=bool)
    active = np.unique(cand_child)
    parts: list[dict[str, np.ndarray]] = []
    while active.size:
        pos = np.searchsorted(keys, active.astype(INT) * big + free[active])
        pos_c = np.minimum(pos, len(keys) - 1)
        has = (pos < len(keys)) & (cand_child[pos_c] == active)
        t = np.minimum(np.where(has, cand_day[pos_c], NEVER), follow[active])
        ok = t < expo_b[active]
        who, t = active[ok], t[ok]
        if who.size == 0:
            break
        ep = _episodes(rng, p, wd, kids, who, t, had_cp[who], b18, win_end)
        parts.append(ep)
        had_cp[who] |= ep["cp"]
        free[who] = ep["close"] + 1
        gap = _lognormal_days(
            rng, p.demand.follow_on_median_days, p.demand.follow_on_sigma, who.size
        )
        # as seasonal as first referrals: the chance follows the month the referral would fall in
        season = np.array(p.demand.referral_seasonality)[_month_index(ep["close"] + gap)]
        again = rng.random(who.size) < p.demand.follow_on_probability * season
        follow[who] = np.where(again, ep["close"] + gap, NEVER)
        active = who[(ep["close"] < expo_b[who]) & ~ep["care"]]
        # Children leaving care may be referred again (a later, separate episode), except the
        # adopted: an adopted child has a new identity, so never comes back under this one
        # (SSDA903 rule 199).
        adopted = np.isin(ep["care_reason"], ("E11", "E12"))
        back = who[ep["care"] & ~adopted & (ep["close"] < expo_b[who])]
        active = np.concatenate([active, back])
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}


def _episodes(
    rng: Generator,
    p: Parameters,
    wd: WorkingDays,
    kids: _Children,
    who: np.ndarray,
    ref: np.ndarray,
    had_cp: np.ndarray,
    b18: np.ndarray,
    win_end: int,
) -> dict[str, np.ndarray]:
    """One referral per child in ``who`` on day ``ref``: everything that follows from it."""
    n = who.size
    u = lambda: rng.random(n)  # noqa: E731 - a fresh uniform draw per decision
    age = (ref - kids.dob[who]) / YEAR
    uasc = kids.uasc[who] & (ref == kids.arrive[who])
    ref = wd.next_working(ref)
    cap = np.minimum(b18[who] - 1, np.where(kids.leave[who] < NEVER, kids.leave[who], NEVER))
    cap = np.maximum(cap, ref + 1)
    source = _choice(rng, p.referral.source, n)
    source[uasc] = "5C"
    nfa = (u() < p.referral.nfa_probability) & ~uasc
    assessed = ~nfa
    a_start = wd.add(ref, rng.integers(0, p.assessment.start_delay_max_working_days + 1, n))
    a_wd = np.maximum(
        1, np.round(rng.lognormal(np.log(p.assessment.median_working_days), p.assessment.sigma, n))
    ).astype(INT)
    a_auth = wd.add(a_start, a_wd)
    in_need = assessed & ((u() >= p.referral.not_in_need_probability) | uasc)
    need = _choice(rng, p.primary_need, n)
    disabled = kids.disabled[who]
    need = np.where(disabled & (u() < 0.7), "N2", need)
    need[uasc] = "N8"
    need = np.where(in_need, need, "N0")

    pr = p.protection
    p_s47 = np.where(had_cp, pr.s47_probability * pr.repeat_s47_multiplier, pr.s47_probability)
    s47 = in_need & ~uasc & (need != "N2") & (u() < p_s47)
    s47_start = wd.add(a_start, rng.integers(0, 4, n))
    s47_end = wd.add(s47_start, _lognormal_days(rng, pr.s47_median_working_days, 0.5, n))
    p_icpc = np.where(had_cp, pr.icpc_probability * pr.repeat_cp_multiplier, pr.icpc_probability)
    icpc = s47 & (u() < p_icpc)
    icpc_day = wd.add(s47_start, _lognormal_days(rng, pr.icpc_median_working_days, 0.35, n))
    s47_end, icpc_day, a_auth = _settled_by_year_end(wd, s47, icpc, a_start, a_auth,
                                                     s47_start, s47_end, icpc_day)  # fmt: skip
    cp = icpc & (u() < pr.cp_plan_probability)
    cp_len = _lognormal_days(rng, pr.plan_median_days, pr.plan_sigma, n)
    cp_len = np.where(u() < pr.long_plan_probability, 730 + rng.integers(0, 400, n), cp_len)
    cp_end = np.minimum(icpc_day + cp_len, cap)
    cp &= cp_end > icpc_day
    after = u()
    care_after_cp = cp & (after < pr.care_after_plan)
    step_down = cp & ~care_after_cp & (after < pr.care_after_plan + pr.cin_step_down)

    teen = np.clip((age - 10) / 6, 0, 1)
    direct_care = (
        in_need
        & ~cp
        & ((u() < p.child_in_need.direct_care_probability * (0.6 + 1.6 * teen)) | uasc)
    )
    care = care_after_cp | direct_care
    care_start = np.where(care_after_cp, cp_end, wd.add(a_start, rng.integers(0, 6, n)))
    care_start = np.where(uasc, ref, care_start)
    care &= care_start < cap

    cin = p.child_in_need
    plan1 = in_need & ~cp & ~care & (u() < cin.plan_probability)
    plan1_start = a_auth + rng.integers(0, 10, n)
    plan1_end = np.minimum(
        plan1_start + _lognormal_days(rng, cin.plan_median_days, cin.plan_sigma, n), cap
    )
    plan1 &= plan1_end > plan1_start
    plan2_start = cp_end
    plan2_end = np.minimum(
        plan2_start + _lognormal_days(rng, cin.plan_median_days, cin.plan_sigma, n), cap
    )
    step_down &= plan2_end > plan2_start

    route, care_end, care_reason = _care_ends(rng, p, kids, who, care_start, b18)
    # Close the episode when the last service ends.
    # A referral taken no further closes within its census year; a child found not in need
    # is closed when the assessment is authorised (CIN Census 8569Q, 8825Q, 8873Q).
    close = np.where(
        nfa,
        np.minimum(ref + rng.integers(0, 3, n), census_year_end(ref)),
        a_auth + np.where(assessed & ~in_need, 0, rng.integers(0, 8, n)),
    )
    no_plan = in_need & ~cp & ~plan1 & ~care
    close = np.where(no_plan, a_auth + _lognormal_days(rng, 80, 0.6, n), close)
    close = np.where(plan1, np.maximum(close, plan1_end + rng.integers(0, 15, n)), close)
    close = np.where(cp, np.maximum(close, cp_end + rng.integers(0, 15, n)), close)
    close = np.where(step_down, np.maximum(close, plan2_end + rng.integers(0, 15, n)), close)
    close = np.where(care, np.maximum(care_end, close), close)
    moved = (kids.leave[who] < NEVER) & (kids.leave[who] <= close) & ~care
    close = np.where(care, close, np.minimum(close, cap))
    close = np.maximum(close, ref)
    # An episode cut short (the child turned 18 or moved away) ends its work with it: nothing
    # is started or finished after the closure (CIN Census 8565, 8867).
    a_start, a_auth = np.minimum(a_start, close), np.minimum(a_auth, close)
    s47_start, s47_end = np.minimum(s47_start, close), np.minimum(s47_end, close)
    icpc &= icpc_day <= close
    reason = np.full(n, "RC7", dtype=object)
    not_in_need = assessed & ~in_need
    reason[not_in_need] = "RC8"
    step_to_eh = not_in_need & (u() < p.referral.early_help_step_down)
    reason[step_to_eh] = "RC9"
    # closed after an assessment finding no need: RC8 or RC9 whatever else happened
    reason[moved & ~not_in_need] = "RC5"
    reason[care & (route == "adoption")] = "RC1"
    reason[care & (route == "special_guardianship")] = "RC4"
    reason[care & (route == "child_arrangements")] = "RC3"
    reason[(close >= b18[who] - 1) & disabled & ~not_in_need] = "RC6"
    return {
        "child": who, "ref": ref, "source": source, "nfa": nfa, "assessed": assessed,
        "a_start": a_start, "a_auth": a_auth, "in_need": in_need, "need": need,
        "s47": s47, "s47_start": s47_start, "s47_end": s47_end, "icpc": icpc,
        "icpc_day": icpc_day, "cp": cp, "cp_end": cp_end, "plan1": plan1,
        "plan1_start": plan1_start, "plan1_end": plan1_end, "step_down": step_down,
        "plan2_start": plan2_start, "plan2_end": plan2_end, "care": care,
        "care_start": care_start, "care_end": care_end, "care_reason": care_reason,
        "route": route, "uasc": uasc, "close": close, "close_reason": reason,
        "step_to_eh": step_to_eh, "disabled": disabled & in_need,
    }  # fmt: skip


def _settled_by_year_end(
    wd: WorkingDays,
    s47: np.ndarray,
    icpc: np.ndarray,
    a_start: np.ndarray,
    a_auth: np.ndarray,
    s47_start: np.ndarray,
    s47_end: np.ndarray,
    icpc_day: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Enquiry ends, conference days and assessment authorisations, made consistent as the
    CIN Census reads them: an enquiry ends by its conference; the assessment runs until the
    enquiry is over (2991Q); and work started long before a 31 March is settled by that day
    (an enquiry started more than 15 working days before it has its conference or ends,
    8675Q; an assessment started more than 45 working days before it is authorised, 8670Q).
    A few working days' margin keeps clear of calendar differences."""
    s47_ye = census_year_end(s47_start)
    s47_ye_day = wd.back(s47_ye, 0)
    late = s47 & (s47_start < wd.back(s47_ye, 13)) & (np.where(icpc, icpc_day, s47_end) > s47_ye)
    icpc_day = np.where(late & icpc, s47_ye_day, icpc_day)
    s47_end = np.where(late & ~icpc, s47_ye_day, s47_end)
    s47_end = np.where(icpc, np.minimum(s47_end, icpc_day), s47_end)
    a_auth = np.where(s47, np.maximum(a_auth, np.where(icpc, icpc_day, s47_end)), a_auth)
    a_ye = census_year_end(a_start)
    late_a = (a_start < wd.back(a_ye, 43)) & (a_auth > a_ye)
    a_auth = np.where(late_a, wd.back(a_ye, 0), a_auth)
    return s47_end, icpc_day, a_auth


def _care_ends(
    rng: Generator,
    p: Parameters,
    kids: _Children,
    who: np.ndarray,
    care_start: np.ndarray,
    b18: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How and when each period of care would end (route, last day, 903 reason ceased)."""
    n = who.size
    c = p.care
    age = (care_start - kids.dob[who]) / YEAR
    route = np.where(
        age < 5,
        _choice(rng, c.exit_routes_under_5, n),
        np.where(
            age < 16, _choice(rng, c.exit_routes_5_to_15, n), _choice(rng, c.exit_routes_16_plus, n)
        ),
    )
    route[kids.uasc[who]] = "long_term_to_18"
    adoption_days = (
        _lognormal_days(rng, c.adoption_decision_days, 0.4, n)
        + _lognormal_days(rng, c.adoption_match_days, 0.5, n)
        + _lognormal_days(rng, c.adoption_placed_days, 0.5, n)
        + _lognormal_days(rng, c.adoption_order_days, 0.4, n)
    )
    length = np.select(
        [route == "adoption", route == "special_guardianship", route == "child_arrangements",
         route == "return_home", route == "independent_living"],
        [adoption_days, _lognormal_days(rng, c.sgo_median_days, 0.5, n),
         _lognormal_days(rng, 500, 0.5, n),
         _lognormal_days(rng, c.return_home_median_days, c.return_home_sigma, n),
         _lognormal_days(rng, 250, 0.6, n)],
        NEVER,
    )  # fmt: skip
    end = np.minimum(care_start + length, b18[who])
    end = np.maximum(end, care_start + 1)
    at_18 = end >= b18[who]
    reason = np.select(
        [route == "adoption", route == "special_guardianship", route == "child_arrangements",
         route == "return_home", route == "independent_living"],
        [np.where(rng.random(n) < 0.4, "E11", "E12"),
         np.where(rng.random(n) < 0.5, "E43", "E44"), np.full(n, "E41"),
         np.where(rng.random(n) < 0.9, "E4A", "E4B"), np.full(n, "E5")],
        "E8",
    ).astype(object)  # fmt: skip
    staying = rng.random(n) < p.care_leavers.staying_put
    reason[at_18] = np.where(
        staying[at_18], "E17", np.where(rng.random(int(at_18.sum())) < 0.6, "E5", "E6")
    )
    route = np.where(at_18 & (route != "adoption"), "long_term_to_18", route)
    return route.astype(object), end.astype(INT), reason


# --------------------------------------------------------------------------- tables


class _TableBuilder:
    """Turns simulated episodes into SSD tables (as lists of column dicts, then polars)."""

    def __init__(
        self,
        rng: Generator,
        p: Parameters,
        wd: WorkingDays,
        settings: Settings,
        kids: _Children,
        b18: np.ndarray,
        win_start: int,
        win_end: int,
    ) -> None:
        self.rng, self.p, self.wd, self.kids, self.b18 = rng, p, wd, kids, b18
        self.settings = settings
        self.win_end = win_end
        self.cutoff = win_start - int(p.population.history_years * YEAR)
        self.ids = _Ids()
        self.frames: dict[str, list[pl.DataFrame]] = {}
        self.in_ssd = np.zeros(kids.n, dtype=bool)
        self.involvements: list[pl.DataFrame] = []
        localities = [loc.name for loc in settings.localities if loc.name != COUNTYWIDE]
        by_type = {
            kind: teams_of_type(settings, kind)
            for kind in ("assessment", "safeguarding", "looked_after")
        }
        self.team_assessment = np.array(by_type["assessment"], dtype=object)
        self.team_safeguarding = np.array(by_type["safeguarding"], dtype=object).reshape(
            len(localities), -1
        )
        self.team_lac = np.array(by_type["looked_after"], dtype=object)
        self.team_disability = teams_of_type(settings, "disability")[0]
        self.team_leavers = teams_of_type(settings, "care_leavers")[0]
        self.team_uasc = teams_of_type(settings, "uasc")[0]
        self.team_adoption = teams_of_type(settings, "adoption")[0]

    # -- helpers
    def add(self, table: str, frame: pl.DataFrame) -> None:
        # numpy text arrays holding None arrive as Python objects: make them text.
        fixed = [
            pl.Series(name, frame[name].to_list(), dtype=pl.Utf8)
            for name, dtype in frame.schema.items()
            if dtype == pl.Object
        ]
        if fixed:
            frame = frame.with_columns(fixed)
        self.frames.setdefault(table, []).append(frame)

    def date(self, days: np.ndarray) -> pl.Series:
        """Day numbers as dates; 'not happened' and days after the extract become null."""
        arr = np.asarray(days, dtype=INT)
        s = pl.Series(np.where((arr >= NEVER) | (arr > self.win_end), 0, arr).astype(np.int32))
        return pl.select(
            pl.when(pl.Series((arr >= NEVER) | (arr > self.win_end)))
            .then(None)
            .otherwise(s.cast(pl.Date))
        ).to_series()

    def keep(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Records in the extract: started by its end, and open or ended within the history."""
        return (start <= self.win_end) & (end >= self.cutoff)

    def involve(
        self,
        child: np.ndarray,
        referral: pl.Series,
        team: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        role: str | np.ndarray,
        record: pl.Series | None = None,
    ) -> None:
        """An allocation to ``team``; ``record`` names the row whose worker it supplies."""
        self.involvements.append(
            pl.DataFrame(
                {
                    "child": child.astype(INT),
                    "referral": referral,
                    "team": pl.Series(team.astype(str)),
                    "start": start.astype(INT),
                    "end": end.astype(INT),
                    "role": role if isinstance(role, str) else pl.Series(role.astype(str)),
                    "record": record
                    if record is not None
                    else pl.Series([None] * child.size, dtype=pl.Utf8),
                }
            )
        )

    # -- referrals to plans
    def cin(self, ep: dict[str, np.ndarray]) -> None:
        rng, kids = self.rng, self.kids
        keep = self.keep(ep["ref"], ep["close"])
        ep = {k: v[keep] for k, v in ep.items()}
        self.ep = ep
        n = ep["child"].size
        self.in_ssd[ep["child"]] = True
        child_id = _fmt("P", ep["child"] + 1)
        self.ep_person = child_id
        ref_id = _fmt("R", self.ids.take("R", n))
        self.ep_ref_id = ref_id
        loc = kids.locality[ep["child"]]
        assess_team = np.where(ep["uasc"], self.team_uasc, self.team_assessment[loc])
        nfa = ep["nfa"]
        outcome = _json_by_flags(
            lambda f, s, c: {
                "SINGLE_ASSESSMENT_FLAG": "N" if f else "Y",
                "NFA_FLAG": "Y" if f else "N",
                "STRATEGY_DISCUSSION_FLAG": "Y" if s else "N",
                "CLA_REQUEST_FLAG": "N",
                "NON_AGENCY_ADOPTION_FLAG": "N",
                "PRIVATE_FOSTERING_FLAG": "N",
                "CP_TRANSFER_IN_FLAG": "N",
                "CP_CONFERENCE_FLAG": "Y" if c else "N",
                "CARE_LEAVER_FLAG": "N",
                "OTHER_OUTCOMES_EXIST_FLAG": "N",
            },
            nfa,
            ep["s47"],
            ep["icpc"],
        )
        self.add(
            "ssd_cin_episodes",
            pl.DataFrame(
                {
                    "cine_referral_id": ref_id,
                    "cine_person_id": child_id,
                    "cine_referral_date": self.date(ep["ref"]),
                    "cine_cin_primary_need_code": ep["need"].astype(str),
                    "cine_referral_source_code": ep["source"].astype(str),
                    "cine_referral_source_desc": _source_names(ep["source"]),
                    "cine_referral_outcome_json": outcome,
                    "cine_referral_nfa": np.where(nfa, "Y", "N"),
                    "cine_close_reason": _blank_unless(
                        ep["close"] <= self.win_end, ep["close_reason"]
                    ),
                    "cine_close_date": self.date(ep["close"]),
                    "cine_referral_team": assess_team,
                },
                strict=False,
            ),
        )
        # Referrals go to the locality's duty and assessment team (the county front door only
        # screens contacts), so referral figures can be broken down by locality.
        self.involve(ep["child"], ref_id, assess_team.astype(object),
                     ep["ref"], np.minimum(ep["a_start"], ep["close"]), "front_door",
                     ref_id)  # fmt: skip

        # Assessments.
        a = ep["assessed"] & (ep["a_start"] <= self.win_end)
        na = int(a.sum())
        a_id = _fmt("A", self.ids.take("A", na))
        a_team = assess_team[a]
        nfa_a = ~ep["in_need"][a]
        self.add(
            "ssd_cin_assessments",
            pl.DataFrame(
                {
                    "cina_assessment_id": a_id,
                    "cina_person_id": child_id.filter(pl.Series(a)),
                    "cina_referral_id": ref_id.filter(pl.Series(a)),
                    "cina_assessment_start_date": self.date(ep["a_start"][a]),
                    "cina_assessment_child_seen": np.where(rng.random(na) < 0.97, "Y", "N"),
                    "cina_assessment_auth_date": self.date(ep["a_auth"][a]),
                    "cina_assessment_outcome_json": _json_by_flags(
                        lambda x: {
                            "NFA_FLAG": "Y" if x else "N",
                            "PROV_OF_SERVICES_FLAG": "N" if x else "Y",
                        },
                        nfa_a,
                    ),
                    "cina_assessment_outcome_nfa": np.where(nfa_a, "Y", "N"),
                    "cina_assessment_team": a_team.astype(str),
                },
                strict=False,
            ),
        )
        self.involve(ep["child"][a], ref_id.filter(pl.Series(a)), a_team, ep["a_start"][a],
                     np.minimum(ep["a_auth"][a], ep["close"][a]), "assessment", a_id)  # fmt: skip
        self.assessment_factors(ep, a, a_id)

        # Child in need plans (after assessment, and stepping down from protection).
        for flag, s_key, e_key in (("plan1", "plan1_start", "plan1_end"),
                                   ("step_down", "plan2_start", "plan2_end")):  # fmt: skip
            m = ep[flag] & (ep[s_key] <= self.win_end)
            k = int(m.sum())
            team = np.where(
                ep["disabled"][m], self.team_disability,
                self.team_safeguarding[kids.locality[ep["child"][m]],
                                       rng.integers(0, 2, k)],
            )  # fmt: skip
            plan_ids = _fmt("N", self.ids.take("N", k))
            self.add(
                "ssd_cin_plans",
                pl.DataFrame(
                    {
                        "cinp_cin_plan_id": plan_ids,
                        "cinp_referral_id": ref_id.filter(pl.Series(m)),
                        "cinp_person_id": child_id.filter(pl.Series(m)),
                        "cinp_cin_plan_start_date": self.date(ep[s_key][m]),
                        "cinp_cin_plan_end_date": self.date(ep[e_key][m]),
                        "cinp_cin_plan_team": team.astype(str),
                    }
                ),
            )
            self.involve(ep["child"][m], ref_id.filter(pl.Series(m)), team, ep[s_key][m],
                         ep[e_key][m], "cin_plan", plan_ids)  # fmt: skip
            self.visits(
                "ssd_cin_visits", "cinv", ep["child"][m], child_id.filter(pl.Series(m)),
                None, ep[s_key][m], ep[e_key][m], self.p.child_in_need.visit_interval_days,
            )  # fmt: skip
        self.protection(ep, child_id, ref_id)

    def assessment_factors(self, ep: dict[str, np.ndarray], a: np.ndarray, a_id: pl.Series) -> None:
        """Factors at the end of assessments of children in need: ``a`` picks the assessed
        episodes, ``a_id`` their assessment ids."""
        rng = self.rng
        na = int(a.sum())
        done = ep["a_auth"][a] <= self.win_end
        n_f = np.where(done, rng.integers(1, 4, na), 0)
        f_rows = np.repeat(np.arange(na), n_f)
        picks = rng.choice(len(FACTORS), size=len(f_rows), p=FACTOR_WEIGHTS / FACTOR_WEIGHTS.sum())
        fac = (
            pl.DataFrame({"row": f_rows, "at": picks, "f": np.array(FACTORS)[picks]})
            .unique(["row", "at"])
            .sort("row", "at")
            .group_by("row", maintain_order=True)
            .agg("f")
        )
        need_a = pl.Series(ep["need"][a].astype(str)).gather(fac["row"])
        # Not in need: factor 21 only; disabled children also have 5A (6A is never drawn).
        items = (
            fac.with_columns(need=need_a)
            .select(
                pl.when(pl.col("need") == "N0")
                .then(pl.lit(["21"]))
                .when(pl.col("need") == "N2")
                .then(pl.concat_list(pl.lit(["5A"]), "f"))
                .otherwise("f")
            )
            .to_series()
        )
        fac_json = '["' + items.list.join('", "') + '"]'
        self.add(
            "ssd_assessment_factors",
            pl.DataFrame(
                {
                    "cinf_table_id": _fmt("F", self.ids.take("F", fac.height)),
                    "cinf_assessment_id": a_id.gather(fac["row"]),
                    "cinf_assessment_factors_json": fac_json,
                }
            ),
        )

    def protection(self, ep: dict[str, np.ndarray], child_id: pl.Series, ref_id: pl.Series) -> None:
        rng, kids = self.rng, self.kids
        s = ep["s47"] & (ep["s47_start"] <= self.win_end)
        ns = int(s.sum())
        s_id = _fmt("S", self.ids.take("S", ns))
        loc = kids.locality[ep["child"]]
        team_sg = self.team_safeguarding[loc, rng.integers(0, 2, loc.size)]
        icpc_s = ep["icpc"][s]
        # Substantiated without continuing risk: drawn from a stream of its own so that every
        # other figure of the council stays as it was.
        own = np.random.default_rng([47, ns])
        no_risk = ~icpc_s & (own.random(ns) < self.p.protection.substantiated_no_risk)
        self.add(
            "ssd_s47_enquiry",
            pl.DataFrame(
                {
                    "s47e_s47_enquiry_id": s_id,
                    "s47e_referral_id": ref_id.filter(pl.Series(s)),
                    "s47e_person_id": child_id.filter(pl.Series(s)),
                    "s47e_s47_start_date": self.date(ep["s47_start"][s]),
                    "s47e_s47_end_date": self.date(ep["s47_end"][s]),
                    "s47e_s47_nfa": np.where(icpc_s | no_risk, "N", "Y"),
                    "s47e_s47_outcome_json": _json_by_flags(
                        lambda c, r: {
                            "NFA_FLAG": "N" if c or r else "Y",
                            "CP_CONFERENCE_FLAG": "Y" if c else "N",
                        },
                        icpc_s,
                        no_risk,
                    ),
                    "s47e_s47_completed_by_team": team_sg[s].astype(str),
                }
            ),
        )
        # The enquiry is held by a safeguarding worker until it ends or, when a conference
        # follows, until the conference (where a protection plan, same team, carries on).
        s47_to = np.where(ep["icpc"], np.maximum(ep["s47_end"], ep["icpc_day"]), ep["s47_end"])
        self.involve(ep["child"][s], ref_id.filter(pl.Series(s)), team_sg[s],
                     ep["s47_start"][s], s47_to[s], "s47", s_id)  # fmt: skip
        # Conferences (rows for every ICPC held by the extract date).
        ic = s & ep["icpc"] & (ep["icpc_day"] <= self.win_end)
        s_of_ic = np.cumsum(s)[ic] - 1
        ni = int(ic.sum())
        icpc_id = _fmt("C", self.ids.take("C", ni))
        cp = ic & ep["cp"]
        ncp = int(cp.sum())
        cp_numbers = self.ids.take("K", ncp)
        cp_id_all = np.full(ni, None, dtype=object)
        cp_id = _fmt("K", cp_numbers)
        cp_id_all[ep["cp"][ic]] = cp_id.to_numpy()
        self.add(
            "ssd_initial_cp_conference",
            pl.DataFrame(
                {
                    "icpc_icpc_id": icpc_id,
                    "icpc_icpc_meeting_id": _fmt("M", self.ids.take("M", ni)),
                    "icpc_s47_enquiry_id": s_id.gather(s_of_ic),
                    "icpc_person_id": child_id.filter(pl.Series(ic)),
                    "icpc_cp_plan_id": pl.Series(cp_id_all.tolist(), dtype=pl.Utf8),
                    "icpc_referral_id": ref_id.filter(pl.Series(ic)),
                    "icpc_icpc_transfer_in": "N",
                    "icpc_icpc_target_date": self.date(self.wd.add(ep["s47_start"][ic], 15)),
                    "icpc_icpc_date": self.date(ep["icpc_day"][ic]),
                    "icpc_icpc_outcome_cp_flag": np.where(ep["cp"][ic], "Y", "N"),
                    "icpc_icpc_outcome_json": _json_by_flags(
                        lambda c: {"NFA_FLAG": "N" if c else "Y", "CP_FLAG": "Y" if c else "N"},
                        ep["cp"][ic],
                    ),
                    "icpc_icpc_team": team_sg[ic].astype(str),
                },
                strict=False,
            ),
        )
        # The conference's worker is the enquiry's (a day's allocation inside it).
        self.involve(ep["child"][ic], ref_id.filter(pl.Series(ic)), team_sg[ic],
                     ep["icpc_day"][ic], ep["icpc_day"][ic], "s47", icpc_id)  # fmt: skip
        category = _choice(rng, CP_CATEGORIES, ncp)
        latest = np.where(rng.random(ncp) < 0.9, category, _choice(rng, CP_CATEGORIES, ncp))
        self.add(
            "ssd_cp_plans",
            pl.DataFrame(
                {
                    "cppl_cp_plan_id": cp_id,
                    "cppl_referral_id": ref_id.filter(pl.Series(cp)),
                    "cppl_icpc_id": icpc_id.filter(pl.Series(ep["cp"][ic])),
                    "cppl_person_id": child_id.filter(pl.Series(cp)),
                    "cppl_cp_plan_start_date": self.date(ep["icpc_day"][cp]),
                    "cppl_cp_plan_end_date": self.date(ep["cp_end"][cp]),
                    "cppl_cp_plan_initial_category": category.astype(str),
                    "cppl_cp_plan_ola": "N",
                    "cppl_cp_plan_latest_category": latest.astype(str),
                }
            ),
        )
        self.involve(ep["child"][cp], ref_id.filter(pl.Series(cp)), team_sg[cp],
                     ep["icpc_day"][cp], ep["cp_end"][cp], "cp_plan", cp_id)  # fmt: skip
        self.visits(
            "ssd_cp_visits", "cppv", ep["child"][cp], child_id.filter(pl.Series(cp)), cp_id,
            ep["icpc_day"][cp], ep["cp_end"][cp], self.p.protection.visit_interval_days,
        )  # fmt: skip
        # Reviews: within 3 months of the conference, then within 6 months of the last one.
        row, due, held = self._cp_review_days(ep["icpc_day"][cp], ep["cp_end"][cp])
        ends = ep["cp_end"][cp]
        ok = held <= self.win_end
        row, due, held = row[ok], due[ok], held[ok]
        is_last = np.r_[row[1:] != row[:-1], True]
        continue_cp = np.where(is_last & (ends[row] - held < 30), "N", "Y")
        age = age_at(self.kids.dob[ep["child"][cp][row]], held)
        self.add(
            "ssd_cp_reviews",
            pl.DataFrame(
                {
                    "cppr_cp_review_id": _fmt("V", self.ids.take("V", row.size)),
                    "cppr_person_id": child_id.filter(pl.Series(cp)).gather(row),
                    "cppr_cp_plan_id": cp_id.gather(row),
                    "cppr_cp_review_due": self.date(due),
                    "cppr_cp_review_date": self.date(held),
                    "cppr_cp_review_meeting_id": _fmt("M", self.ids.take("M", row.size)),
                    "cppr_cp_review_outcome_continue_cp": continue_cp,
                    "cppr_cp_review_quorate": np.where(rng.random(row.size) < 0.97, "Y", "N"),
                    "cppr_cp_review_participation": self.participation(age),
                }
            ),
        )

    def _cp_review_days(
        self, starts: np.ndarray, ends: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Plan row, due day and held day of each review, in order: the first due 3 months
        after the conference, each later one 6 months after the one before was held; most
        are held a few days early, ``review_late_probability`` of them two weeks late."""
        rng, late_share = self.rng, self.p.protection.review_late_probability
        rows, dues, helds = [], [], []
        prev, alive = starts, starts < ends
        for number in range(40):
            due = add_months(prev, 3 if number == 0 else 6)
            alive = alive & (due < ends)
            if not alive.any():
                break
            late = rng.random(starts.size) < late_share
            held = np.minimum(due - rng.integers(0, 10, starts.size) + late * 14, ends)
            rows.append(np.flatnonzero(alive))
            dues.append(due[alive])
            helds.append(held[alive])
            prev = held
        if not rows:
            empty = np.zeros(0, dtype=INT)
            return empty, empty, empty
        row, due, held = np.concatenate(rows), np.concatenate(dues), np.concatenate(helds)
        order = np.lexsort((held, row))
        return row[order], due[order], held[order]

    def participation(self, age: np.ndarray) -> np.ndarray:
        codes = _choice(
            self.rng,
            {"PN1": 0.45, "PN2": 0.05, "PN3": 0.15, "PN4": 0.15, "PN5": 0.1, "PN6": 0.05,
             "PN7": 0.05},
            age.size,
        )  # fmt: skip
        return np.where(age < 4, "PN0", codes).astype(str)

    def visits(
        self,
        table: str,
        prefix: str,
        child: np.ndarray,
        person: pl.Series,
        plan_id: pl.Series | None,
        start: np.ndarray,
        end: np.ndarray,
        interval: int,
        cla_id: pl.Series | None = None,
    ) -> None:
        """Visits from soon after ``start`` at about ``interval`` days until ``end``."""
        rng = self.rng
        span = np.minimum(end, self.win_end) - start
        n_visits = np.maximum(0, np.ceil(span / interval)).astype(INT)
        row = np.repeat(np.arange(child.size), n_visits)
        gaps = np.maximum(1, np.round(rng.normal(interval, interval * 0.3, row.size))).astype(INT)
        cs = np.cumsum(gaps)
        has = n_visits > 0
        first = (np.cumsum(n_visits) - n_visits)[has]
        offsets = cs - np.repeat((cs - gaps)[first], n_visits[has])
        day = start[row] + offsets - np.maximum(0, interval // 2)
        ok = (day > start[row]) & (day < end[row]) & (day <= self.win_end)
        row, day = row[ok], day[ok]
        seen = rng.random(row.size) < 0.95
        alone = seen & (rng.random(row.size) < 0.6)
        kind = {"ssd_cin_visits": "cin", "ssd_cp_visits": "cp", "ssd_cla_visits": "cla"}[table]
        ids = _fmt(prefix[:2].upper(), self.ids.take(prefix, row.size))
        cols: dict[str, object] = {f"{prefix}_{kind}_visit_id": ids}
        if cla_id is not None:
            cols[f"{prefix}_cla_id"] = cla_id.gather(row)
        cols[f"{prefix}_person_id"] = person.gather(row)
        if plan_id is not None:
            cols[f"{prefix}_cp_plan_id"] = plan_id.gather(row)
        cols[f"{prefix}_{kind}_visit_date"] = self.date(day)
        cols[f"{prefix}_{kind}_visit_seen"] = np.where(seen, "Y", "N")
        cols[f"{prefix}_{kind}_visit_seen_alone"] = np.where(alone, "Y", "N")
        if kind != "cla":
            cols[f"{prefix}_{kind}_visit_bedroom"] = np.where(
                seen & (rng.random(row.size) < 0.7), "Y", "N"
            )
        self.add(table, pl.DataFrame(cols))

    # -- care
    def care(self, ep_all: dict[str, np.ndarray]) -> None:
        build_care(self, self.ep)

    # -- contacts and early help
    def contacts(self, ep_all: dict[str, np.ndarray], a: np.ndarray, b: np.ndarray) -> None:
        rng, kids, p = self.rng, self.kids, self.p
        ep = self.ep
        # One contact leading to each referral, on the day or a day or two before.
        ref_day = ep["ref"] - rng.integers(0, 3, ep["ref"].size)
        n_extra_mean = p.demand.contact_ratio * p.demand.referral_rate * kids.frailty
        span = np.maximum(0, np.minimum(b, self.win_end + 1) - np.maximum(a, self.cutoff))
        n_extra = rng.poisson(n_extra_mean * span / YEAR)
        who = np.repeat(np.arange(kids.n), n_extra)
        day = np.maximum(a, self.cutoff)[who] + (rng.random(who.size) * span[who]).astype(INT)
        self.in_ssd[who] = True
        child = np.concatenate([ep["child"], who])
        days = np.concatenate([ref_day, day])
        src = np.concatenate([ep["source"], _choice(rng, p.referral.source, who.size)])
        new_ref = np.r_[np.ones(ep["ref"].size, bool), np.zeros(who.size, bool)]
        advice = ~new_ref & (rng.random(child.size) < 0.5)
        keys = ("NEW_REFERRAL_FLAG", "EXISTING_REFERRAL_FLAG", "CP_ENQUIRY_FLAG", "NFA_FLAG",
                "NON_AGENCY_ADOPTION_FLAG", "PRIVATE_FOSTERING_FLAG", "ADVICE_FLAG",
                "MISSING_FLAG", "OLA_CP_FLAG", "OTHER_OUTCOMES_EXIST_FLAG")  # fmt: skip
        templates = {}
        for nr in (True, False):
            for adv in (True, False):
                flags = dict.fromkeys(keys, "N")
                flags["NEW_REFERRAL_FLAG"] = "Y" if nr else "N"
                flags["ADVICE_FLAG"] = "Y" if adv else "N"
                flags["NFA_FLAG"] = "N" if nr or adv else "Y"
                templates[(nr, adv)] = json.dumps(flags, separators=(",", ":"))
        order = np.lexsort((days, child))
        child, days, src, new_ref, advice = (x[order] for x in (child, days, src, new_ref, advice))
        self.add(
            "ssd_contacts",
            pl.DataFrame(
                {
                    "cont_contact_id": _fmt("T", self.ids.take("T", child.size)),
                    "cont_person_id": _fmt("P", child + 1),
                    "cont_contact_date": self.date(days),
                    "cont_contact_source_code": src.astype(str),
                    "cont_contact_source_desc": _source_names(src),
                    "cont_contact_outcome_json": pl.Series(
                        [
                            templates[(True, True)],
                            templates[(True, False)],
                            templates[(False, True)],
                            templates[(False, False)],
                        ]
                    ).gather(2 * (~new_ref).astype(INT) + (~advice).astype(INT)),
                }
            ),
        )

    def early_help(self, ep_all: dict[str, np.ndarray], a: np.ndarray, b: np.ndarray) -> None:
        rng, kids, p = self.rng, self.kids, self.p
        ep = self.ep
        span = np.maximum(0, np.minimum(b, self.win_end + 1) - np.maximum(a, self.cutoff))
        n = rng.poisson(p.early_help.rate * kids.frailty * span / YEAR)
        who = np.repeat(np.arange(kids.n), n)
        start = np.maximum(a, self.cutoff)[who] + (rng.random(who.size) * span[who]).astype(INT)
        sd = ep["step_to_eh"] & (ep["close"] <= self.win_end)
        who = np.concatenate([who, ep["child"][sd]])
        start = np.concatenate([start, ep["close"][sd]])
        length = _lognormal_days(rng, p.early_help.median_days, 0.6, who.size)
        end = np.minimum(start + length, self.b18[who] - 1)
        end = np.maximum(end, start + 1)
        step_down = np.r_[np.zeros(who.size - int(sd.sum()), bool), np.ones(int(sd.sum()), bool)]
        self.in_ssd[who] = True
        reason = np.where(
            step_down, "Step-down from social care",
            _choice(rng, {"Family relationships": 0.3, "Parenting support": 0.25,
                          "School attendance": 0.15, "Emotional wellbeing": 0.15,
                          "Behaviour": 0.1, "Housing or money": 0.05}, who.size),
        )  # fmt: skip
        end_reason = _choice(
            rng, {"Outcomes met": 0.6, "Step-up to social care": 0.08, "Disengaged": 0.15,
                  "Moved away": 0.05, "No further action": 0.12}, who.size,
        )  # fmt: skip
        self.add(
            "ssd_early_help_episodes",
            pl.DataFrame(
                {
                    "earl_episode_id": _fmt("H", self.ids.take("H", who.size)),
                    "earl_person_id": _fmt("P", who + 1),
                    "earl_episode_start_date": self.date(start),
                    "earl_episode_end_date": self.date(end),
                    "earl_episode_reason": reason.astype(str),
                    "earl_episode_end_reason": _blank_unless(end <= self.win_end, end_reason),
                    "earl_episode_organisation": "Eastshire Early Help",
                },
                strict=False,
            ),
        )

    # -- workers
    def workforce(self) -> None:
        build_workforce(self)

    def _mothers(self, girls: np.ndarray) -> None:
        """Each mother's first child, born between her 14th and 17th birthdays and by the
        extract date (spread by person number, so no random number is drawn)."""
        from_14 = birthday(self.kids.dob[girls], 14)
        span = np.maximum(np.minimum(self.win_end, from_14 + 3 * 365) - from_14, 1)
        born = from_14 + (girls * 7919) % span
        self.add(
            "ssd_mother",
            pl.DataFrame(
                {
                    "moth_table_id": _fmt("M", girls + 1),
                    "moth_person_id": _fmt("P", girls + 1),
                    "moth_childs_person_id": _fmt("B", girls + 1),  # the baby: not in the extract
                    "moth_childs_dob": self.date(born),
                }
            ),
        )

    def people(self) -> None:
        rng, kids = self.rng, self.kids
        who = np.flatnonzero(self.in_ssd)
        n = who.size
        uasc = kids.uasc[who]
        nationality = _blank_unless(uasc, _choice(rng, UASC_NATIONALITY, n))
        # A unique pupil number once the child reaches school age (4) by the extract date;
        # before that UN1 (under 6, no UPN yet); unaccompanied asylum seekers UN2.
        schooled = ~uasc & (birthday(kids.dob[who], 4) <= self.win_end)
        upn_unknown = np.full(n, "UN1", dtype=object)
        upn_unknown[schooled] = None
        upn_unknown[uasc] = "UN2"
        send = kids.disabled[who] & (rng.random(n) < 0.6)
        # a few girls are mothers, from 14 (their first child is in ssd_mother)
        mother = (kids.sex[who] == "F") & (rng.random(n) < 0.004)
        mother &= birthday(kids.dob[who], 14) <= self.win_end
        self.add(
            "ssd_person",
            pl.DataFrame(
                {
                    "pers_person_id": _fmt("P", who + 1),
                    "pers_sex": kids.sex[who].astype(str),
                    "pers_gender": np.where(kids.sex[who] == "M", "01", "02"),
                    "pers_ethnicity": kids.ethnicity[who].astype(str),
                    "pers_dob": self.date(kids.dob[who]),
                    "pers_legacy_id": _fmt("L", who + 1),
                    "pers_upn_unknown": upn_unknown,
                    "pers_send_flag": np.where(send, "Y", "N"),
                    "pers_is_mother": np.where(mother, "Y", "N"),
                    "pers_nationality": nationality,
                },
                strict=False,
            ),
        )
        self._mothers(who[mother])
        pupils = who[schooled]
        self.add(
            "ssd_send",
            pl.DataFrame(
                {
                    "send_table_id": _fmt("U", pupils + 1),
                    "send_upn": _upns(pupils + 1, kids.dob[pupils]),
                    "send_person_id": _fmt("P", pupils + 1),
                }
            ),
        )
        dis = who[kids.disabled[who]]
        kinds = {"LD": 0.3, "AUT": 0.25, "COMM": 0.1, "MOB": 0.1, "BEH": 0.1, "PC": 0.05,
                 "VIS": 0.03, "HEAR": 0.03, "CON": 0.02, "DDA": 0.02}  # fmt: skip
        codes = _choice(rng, kinds, dis.size)
        # About half of disabled children have a second, different disability recorded.
        second = _choice(rng, kinds, dis.size)
        two = (rng.random(dis.size) < 0.55) & (second != codes)
        person = np.concatenate([dis, dis[two]])
        self.add(
            "ssd_disability",
            pl.DataFrame(
                {
                    "disa_person_id": _fmt("P", person + 1),
                    "disa_table_id": _fmt("D", self.ids.take("D", person.size)),
                    "disa_disability_code": np.concatenate([codes, second[two]]).astype(str),
                }
            ),
        )

    def finish(self) -> dict[str, pl.DataFrame]:
        return {
            name: pl.concat(parts, how="diagonal_relaxed") for name, parts in self.frames.items()
        }


UPN_LA = "001"  # a pseudo LA code the DfE recognises in UPNs: no real council's pupils
UPN_CHECK = "ABCDEFGHJKLMNPQRTUVWXYZ"


def _upns(numbers: np.ndarray, dob: np.ndarray) -> list[str]:
    """Unique pupil numbers in the DfE's format: check letter, LA code, establishment (4
    digits), year allocated (2), serial (3). Unique per child number; the check letter is
    the weighted sum of characters 2-13 (weights 2-13) modulo 23."""
    years = (dob.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1974) % 100
    upns = []
    for number, year in zip(numbers.tolist(), years.tolist(), strict=True):
        body = f"{UPN_LA}{2000 + number // 1000:04d}{year:02d}{number % 1000:03d}"
        total = sum(int(c) * w for c, w in zip(body, range(2, 14), strict=True))
        upns.append(UPN_CHECK[total % 23] + body)
    return upns


def _mid_year_population(
    kids: _Children, settings: Settings, start: date, end: date
) -> pl.DataFrame:
    """Children aged 0-17 living in each locality on 30 June of each year in the window."""
    names = [loc.name for loc in settings.localities if loc.name != COUNTYWIDE]
    rows: list[dict[str, object]] = []
    b18 = birthday(kids.dob, 18)
    for year in range(start.year - 1, end.year + 1):
        d = day_number(date(year, 6, 30))
        present = (kids.arrive <= d) & (kids.leave > d) & (kids.dob <= d) & (b18 > d)
        counts = np.bincount(kids.locality[present], minlength=len(names))
        rows.extend(
            {"mid_year": year, "locality": names[i], "children": int(c)}
            for i, c in enumerate(counts)
        )
    return pl.DataFrame(rows)
