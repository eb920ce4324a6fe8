"""Periods of care in detail: placements and moves, legal statuses, episodes, reviews, visits,
health, missing episodes, care plans, adoption and other permanence, short breaks, UASC, and
care leavers at each birthday.

The simulation decided when each period of care starts and how and when it ends; this module
fills in the life inside it and adds rows to the table builder. Placements, legal statuses,
episodes, reviews, plans and leaving care are decided one period at a time (a few thousand per
county); visits, health checks, immunisations, SDQ scores and missing episodes, which depend
only on each period's dates, are drawn for all periods at once as arrays.
"""

from __future__ import annotations

import itertools
import json
from bisect import bisect_right
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from cscperf.synth.builder import TableBuilder
from cscperf.synth.days import NEVER, day_number

YEAR = 365.25
# How long an emergency protection order lasts before an interim care order (8 days at most),
# chosen by the day care started so the random stream is not drawn on
EPO_DAYS = (2, 3, 5, 6, 7, 8, 8)
CHANGE_REASONS = {
    "CARPL": 0.35,
    "CLOSE": 0.05,
    "ALLEG": 0.03,
    "STAND": 0.15,
    "APPRR": 0.02,
    "CREQB": 0.08,
    "CREQO": 0.05,
    "CHILD": 0.07,
    "LAREQ": 0.1,
    "PLACE": 0.05,
    "OTHER": 0.05,
}
# Legal statuses under which a child may be placed with parents (P1)
CARE_ORDERS = {"C1", "C2"}
# Providers of placements other than with parents: the council's own (PR1), private (PR4),
# another council (PR2)
PROVIDERS = {"PR1": 0.6, "PR4": 0.32, "PR2": 0.08}
# Placements with no Ofsted registration, so no URN: with parents or others with parental
# responsibility, NHS and health settings, custody, temporary and other placements (as the
# DfE validator's rule 218 lists them)
NOT_OFSTED_REGISTERED = {"P1", "P2", "P3", "R1", "R2", "R5", "T0", "T1", "T2", "T3", "T4"}
NOT_OFSTED_REGISTERED |= {"Z1", "Z11", "Z12", "Z13", "Z14"}
PLAN_FOR_ROUTE = {
    "adoption": "ADOPTION",
    "special_guardianship": "LTRELFR",
    "child_arrangements": "LTRELFR",
    "return_home": "RETURN6M",
    "independent_living": "SUPPLIV",
    "long_term_to_18": "LTFOST18",
}
ORDER_TYPES = {
    "adoption": "Adoption",
    "special_guardianship": "Special Guardianship",
    "child_arrangements": "Child Arrangements Order",
}
# How children took part in their reviews aged 4 or over (PN7: did not take part, about 4%
# nationally)
REVIEW_PARTICIPATION = {
    "PN1": 0.41,
    "PN3": 0.2,
    "PN4": 0.15,
    "PN5": 0.1,
    "PN2": 0.05,
    "PN6": 0.05,
    "PN7": 0.04,
}
# The care tables by the builder's name for them
CARE_TABLES = {
    "episodes": "ssd_cla_episodes",
    "placements": "ssd_cla_placement",
    "legal": "ssd_legal_status",
    "reviews": "ssd_cla_reviews",
    "care_plan": "ssd_cla_care_plan",
    "permanence": "ssd_permanence",
    "leavers": "ssd_care_leavers",
    "immigration": "ssd_immigration_status",
}
PLAN_KEYS = (
    "REMAINSUP",
    "RETURN1M",
    "RETURN6M",
    "RETURNEV",
    "LTRELFR",
    "LTFOST18",
    "RESPLMT",
    "SUPPLIV",
    "ADOPTION",
    "OTHERPLN",
)


_CDFS: dict[tuple[tuple[str, float], ...], tuple[list[str], list[float]]] = {}


def _pick(rng: np.random.Generator, dist: dict[str, float]) -> str:
    """One code drawn by weight; the same draw ``rng.choice(n, p=...)`` makes, without its
    per-call overhead (one uniform number against the cumulative weights)."""
    key = tuple(dist.items())
    found = _CDFS.get(key)
    if found is None:
        keys = list(dist)
        w = np.array([dist[k] for k in keys])
        cdf = (w / w.sum()).cumsum()
        cdf /= cdf[-1]
        found = _CDFS[key] = (keys, cdf.tolist())
    keys, cdf = found
    return keys[bisect_right(cdf, rng.random())]


def recode(code: str, day: int, changes: list[tuple[str, str, int]]) -> str:
    """The code valid on ``day``: a replaced code becomes its successor from the change date."""
    for old, new, from_day in changes:
        if code == old and day >= from_day:
            return new
    return code


class _Rows:
    """Column-wise row collector for one table."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, **values: Any) -> None:
        self.rows.append(values)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class _Period:
    """One period of care as it is being detailed."""

    i: int
    k: int
    s: int
    e: int
    route: str
    rec: str
    dob: int
    person: str
    referral: str
    uasc: bool
    cla_id: str
    age0: float
    legal: list[tuple[int, str]] = field(default_factory=list)
    order_from: int = 0
    decision: int = NEVER
    placement_order: int = NEVER
    matched: int = NEVER
    placed: int = NEVER
    placements: list[tuple[int, str]] = field(default_factory=list)
    with_carers: bool = False
    place_ids: list[str] = field(default_factory=list)


class _CareBuilder:
    """The care tables, period by period: legal statuses, placements, episodes, reviews, care
    plans, permanence, immigration status and care-leaver rows, then short breaks."""

    def __init__(self, tb: TableBuilder, ep: dict[str, np.ndarray]) -> None:
        self.tb, self.ep = tb, ep
        self.rng, self.p, self.kids = tb.rng, tb.p, tb.kids
        self.c = tb.p.care
        self.end_of_data = tb.win_end
        self.changes = [(x.old, x.new, day_number(x.from_)) for x in tb.p.code_changes]
        self.rows: dict[str, _Rows] = {name: _Rows() for name in CARE_TABLES}
        self.visit_spans: list[tuple[int, str, str, int, int]] = []
        self.inv: list[tuple[int, str, str, int, int, str, str | None]] = []
        self.n_period = self.n_episode = self.n_place = self.n_legal = self.n_other = 0
        self.person_ids = tb.ep_person.to_list()
        self.ref_ids = tb.ep_ref_id.to_list()
        self.drift_from = day_number(self.c.drift_reference_day)
        self.mixes: dict[tuple[int, int], dict[str, float]] = {}

    def date_or_none(self, d: int) -> date | None:
        return None if d >= NEVER or d > self.end_of_data else _d(d)

    def period(self, i: int) -> None:
        ep = self.ep
        k = int(ep["child"][i])
        s, e = int(ep["care_start"][i]), int(ep["care_end"][i])
        dob = int(self.kids.dob[k])
        self.n_period += 1
        pc = _Period(
            i=i,
            k=k,
            s=s,
            e=e,
            route=str(ep["route"][i]),
            rec=str(ep["care_reason"][i]),
            dob=dob,
            person=self.person_ids[i],
            referral=self.ref_ids[i],
            uasc=bool(ep["uasc"][i]),
            cla_id=f"CL{self.n_period:07d}",
            age0=(s - dob) / YEAR,
        )
        self.legal_statuses(pc)
        self.placements(pc)
        self.placement_rows(pc)
        self.legal_rows(pc)
        review_days = _review_days(self.tb, s, e)
        self.episode_rows(pc, review_days)
        self.review_rows(pc, review_days)
        self.visit_spans.append((k, pc.person, pc.cla_id, s, e))
        team = self.tb.team_uasc if pc.uasc else self.tb.team_lac[self.kids.locality[k]]
        self.inv.append((k, pc.referral, team, s, e, "cla", None))
        self.care_plans(pc, [r for _, r in review_days])
        self.permanence(pc)
        if pc.uasc:
            self.n_other += 1
            self.rows["immigration"].add(
                immi_person_id=pc.person,
                immi_immigration_status_id=f"IM{self.n_other:07d}",
                immi_immigration_status="Unaccompanied Asylum Seeking Child",
                immi_immigration_status_start_date=_d(s),
                immi_immigration_status_end_date=self.date_or_none(_birthday(dob, 18)),
            )
        self.leavers(pc)
        self.eligible(pc)

    def legal_statuses(self, pc: _Period) -> None:
        """Legal statuses: (start day, code). Care proceedings start with an interim care
        order (C1) and end in a full care order (C2); an emergency protection order (L2) lasts
        at most 8 days and is followed by an interim order; only children of 10 or over can be
        remanded (J1). Adoption dates are set here too, as the placement order is a status."""
        rng, c, s, e = self.rng, self.c, pc.s, pc.e
        first_ls = "V2" if pc.uasc else _pick(rng, c.legal_status_at_start)
        if first_ls == "J1" and pc.age0 < 10:
            first_ls = "V2"
        if pc.route == "adoption" and first_ls != "L2":
            first_ls = "C1"
        legal: list[tuple[int, str]] = [(s, first_ls)]
        order_from = s
        if first_ls == "L2":
            order_from = s + EPO_DAYS[s % len(EPO_DAYS)]
            legal.append((order_from, "C1"))
        if pc.route == "adoption":
            decision = s + int(rng.lognormal(np.log(c.adoption_decision_days), 0.3))
            placement_order = decision + int(rng.integers(20, 120))
            placed = e - int(rng.lognormal(np.log(c.adoption_order_days), 0.3))
            placed = max(placed, placement_order + 10)
            matched = placed - int(rng.integers(7, 45))
            if placed >= e:
                placed, matched = e - 30, e - 45
            if order_from + c.interim_to_full_order_days < placement_order:
                legal.append((order_from + c.interim_to_full_order_days, "C2"))
            legal.append((placement_order, "E1"))
            pc.decision, pc.placement_order = decision, placement_order
            pc.placed, pc.matched = placed, matched
        elif legal[-1][1] == "C1" and e - order_from > c.interim_to_full_order_days:
            full = order_from + c.interim_to_full_order_days + int(rng.integers(-60, 60))
            legal.append((full, "C2"))
        pc.legal = [(d, code) for d, code in legal if d < e]
        pc.order_from = order_from

    def placement_code(self, pc: _Period, day: int) -> str:
        rng, c = self.rng, self.c
        age = (day - pc.dob) / YEAR
        mix = c.placement_mix_16_plus if age >= 16 else c.placement_mix_under_16
        code = _pick(rng, self.drifted(mix, day))
        if (code == "H5" and age < 16) or (code == "S1" and age < 4):
            code = "U6"  # supported accommodation from 16, residential schools from 4
        # a child is placed with parents only under a care order, never when accommodated
        if code == "P1" and _status_on(pc.legal, day) not in CARE_ORDERS:
            code = "U6"
        return recode(code, day, self.changes)

    def drifted(self, mix: dict[str, float], day: int) -> dict[str, float]:
        """The placement mix of ``day``'s collection year: children's homes (K2) weighted by
        ``residential_growth_per_year`` compounded from the reference day."""
        year = _collection_year(day)
        key = (id(mix), year)
        found = self.mixes.get(key)
        if found is None:
            years = year - _collection_year(self.drift_from)
            factor = (1 + self.c.residential_growth_per_year) ** years
            found = self.mixes[key] = {k: w * factor if k == "K2" else w for k, w in mix.items()}
        return found

    def provider(self, code: str, day: int) -> str:
        """Who provides a placement: parents (PR0) exactly the placements with parents (P1);
        for mainstream fostering (U4-U6) an agency (PR4) with the share of ``day``'s year
        (``agency_fostering_share`` at the reference day, drifting by
        ``agency_fostering_change_per_year``), else the council (PR1) or another council
        (PR2); for any other placement the fixed mix of providers."""
        if code == "P1":
            return "PR0"
        if code in ("U4", "U5", "U6"):
            years = _collection_year(day) - _collection_year(self.drift_from)
            agency = self.c.agency_fostering_share + self.c.agency_fostering_change_per_year * years
            draw = self.rng.random()
            if draw < min(max(agency, 0.0), 0.95):
                return "PR4"
            return "PR2" if draw > 0.95 else "PR1"
        return _pick(self.rng, PROVIDERS)

    def placements(self, pc: _Period) -> None:
        """Placements: (start day, code), with moves, ending in a placement for adoption."""
        rng, c, s, e, placed = self.rng, self.c, pc.s, pc.e, pc.placed
        # Moves come mostly in the first year of care; later ones are rarer.
        teen = 1.4 if pc.age0 >= 11 else 1
        first_end = min(e, s + int(YEAR))
        n_early = rng.poisson(c.placement_moves_first_year * max(first_end - s, 1) / YEAR * teen)
        n_later = rng.poisson(
            c.placement_moves_later_per_year * max(e - first_end, 0) / YEAR * teen
        )
        days = rng.integers(14, max(15, first_end - s), n_early) + s
        later = rng.integers(first_end, max(first_end + 1, e), n_later)
        move_days = sorted({int(x) for x in np.r_[days, later]})
        move_days = [d for d in move_days if d < e and (placed == NEVER or d < placed)]
        placements: list[tuple[int, str]] = [(s, self.placement_code(pc, s))]
        for d in move_days:
            placements.append((d, self.placement_code(pc, d)))
        # placed for adoption with the current foster carers (A5) or with new adopters (A6)
        pc.with_carers = placed < NEVER and rng.random() >= 0.8
        if placed < NEVER:
            placements.append((placed, "A5" if pc.with_carers else "A6"))
        pc.placements = placements

    def placement_rows(self, pc: _Period) -> None:
        rng, placements = self.rng, pc.placements
        pc_ids: list[str] = []
        for j, (d, code) in enumerate(placements):
            self.n_place += 1
            pid = f"PL{self.n_place:07d}"
            pc_ids.append(pid)
            p_end = placements[j + 1][0] if j + 1 < len(placements) else pc.e
            if d > self.end_of_data:
                continue
            distance = round(float(rng.gamma(1.5, 8)), 1)
            provider = self.provider(code, d)
            self.rows["placements"].add(
                clap_cla_placement_id=pid,
                clap_cla_placement_start_date=_d(d),
                clap_cla_placement_type=code,
                clap_cla_placement_urn=_urn(code, provider, self.n_place),
                clap_cla_placement_distance=distance,
                clap_cla_id=pc.cla_id,
                clap_cla_placement_provider=provider,
                clap_cla_placement_end_date=self.date_or_none(p_end),
                clap_cla_placement_change_reason=(
                    _pick(rng, CHANGE_REASONS)
                    if j + 1 < len(placements) and p_end <= self.end_of_data
                    else None
                ),
                clap_person_id=pc.person,
            )
        pc.place_ids = pc_ids

    def legal_rows(self, pc: _Period) -> None:
        for j, (d, code) in enumerate(pc.legal):
            if d > self.end_of_data:
                continue
            self.n_legal += 1
            l_end = pc.legal[j + 1][0] if j + 1 < len(pc.legal) else pc.e
            self.rows["legal"].add(
                lega_legal_status_id=f"LS{self.n_legal:07d}",
                lega_person_id=pc.person,
                lega_legal_status=code,
                lega_legal_status_start_date=_d(d),
                lega_legal_status_end_date=self.date_or_none(l_end),
            )

    def episode_rows(self, pc: _Period, review_days: list[tuple[int, int]]) -> None:
        """An episode for each change of placement or legal status."""
        rng, placements, end_of_data = self.rng, pc.placements, self.end_of_data
        ls_days = {d for d, _ in pc.legal}
        pl_days = {d for d, _ in placements}
        points = sorted(ls_days | pl_days)
        for j, d in enumerate(points):
            if d > end_of_data:
                break
            self.n_episode += 1
            ep_end = points[j + 1] if j + 1 < len(points) else pc.e
            current_place = max(x for x in range(len(placements)) if placements[x][0] <= d)
            if j == 0:
                rne = "S"
            else:
                both = d in ls_days and d in pl_days
                rne = (
                    "B" if both else ("L" if d in ls_days else ("T" if rng.random() < 0.1 else "P"))
                )
                # placed for adoption with the same carers: a change of placement, not of carer
                if placements[current_place][1] in ("A3", "A5") and d in pl_days:
                    rne = "U" if both else "T"
            last = j + 1 == len(points)
            iro = [r for _, r in review_days if r <= min(ep_end, end_of_data)]
            self.rows["episodes"].add(
                clae_cla_episode_id=f"CE{self.n_episode:07d}",
                clae_person_id=pc.person,
                clae_cla_episode_start_date=_d(d),
                clae_cla_episode_start_reason=rne,
                clae_cla_primary_need_code=str(self.ep["need"][pc.i]),
                clae_cla_episode_ceased_date=self.date_or_none(ep_end),
                clae_cla_episode_ceased_reason=(
                    None
                    if ep_end > end_of_data
                    else (
                        _ceased_reason(
                            recode(pc.rec, ep_end, self.changes), placements[current_place][1]
                        )
                        if last
                        else "X1"
                    )
                ),
                clae_cla_id=pc.cla_id,
                clae_referral_id=pc.referral,
                clae_cla_placement_id=pc.place_ids[current_place],
                clae_entered_care_date=_d(pc.s),
                clae_cla_last_iro_contact_date=_d(iro[-1]) if iro else None,
            )

    def review_rows(self, pc: _Period, review_days: list[tuple[int, int]]) -> None:
        for r_due, r_day in review_days:
            if r_day > self.end_of_data:
                break
            self.n_other += 1
            age = int((r_day - pc.dob) / YEAR)
            self.rows["reviews"].add(
                clar_cla_review_id=f"CR{self.n_other:07d}",
                clar_cla_id=pc.cla_id,
                clar_cla_review_due_date=_d(r_due),
                clar_cla_review_date=_d(r_day),
                clar_cla_review_cancelled="N",
                clar_cla_review_participation="PN0"
                if age < 4
                else _pick(self.rng, REVIEW_PARTICIPATION),
            )

    def care_plans(self, pc: _Period, reviews: list[int]) -> None:
        """Care plan: none for the first weeks, then the plan for how the period will end,
        re-approved (a new row) at each review; a child to be adopted is planned for both
        adoption and return until the decision."""
        plan_start = pc.s + 28
        if not (plan_start < pc.e and plan_start <= self.end_of_data):
            return
        plan = PLAN_FOR_ROUTE[pc.route]
        flags = dict.fromkeys(PLAN_KEYS, "")
        flags[plan] = "Y"
        parallel = dict.fromkeys(PLAN_KEYS, "")
        parallel["RETURNEV"] = "Y"
        parallel["ADOPTION"] = "Y"  # parallel planning until the decision
        cuts = {d for d in reviews if plan_start < d < pc.e}
        if plan == "ADOPTION" and pc.decision < pc.e:
            cuts.add(max(pc.decision, plan_start + 1))
        bounds = [plan_start, *sorted(cuts), pc.e]
        for start, end in itertools.pairwise(bounds):
            if start > self.end_of_data:
                break
            self.n_other += 1
            self.rows["care_plan"].add(
                lacp_table_id=f"CP{self.n_other:07d}",
                lacp_person_id=pc.person,
                lacp_cla_care_plan_start_date=_d(start),
                lacp_cla_care_plan_end_date=self.date_or_none(end),
                lacp_cla_care_plan_json=_plan_json(
                    parallel if plan == "ADOPTION" and start < pc.decision else flags
                ),
            )

    def permanence(self, pc: _Period) -> None:
        route, rng = pc.route, self.rng
        if route not in ORDER_TYPES or pc.s > self.end_of_data:
            return
        self.n_other += 1
        adoption = route == "adoption"
        siblings = rng.random() < 0.3
        adopters = _pick(rng, {"MF": 0.8, "F1": 0.08, "FF": 0.06, "MM": 0.06})
        matched = adoption and pc.matched <= self.end_of_data
        self.rows["permanence"].add(
            perm_table_id=f"PM{self.n_other:07d}",
            involvement=f"adoption:{pc.cla_id}",
            perm_person_id=pc.person,
            perm_cla_id=pc.cla_id,
            perm_adm_decision_date=self.date_or_none(pc.decision),
            perm_placement_order_date=self.date_or_none(pc.placement_order),
            perm_placed_for_adoption_date=self.date_or_none(pc.placed),
            perm_matched_date=self.date_or_none(pc.matched),
            perm_adopted_by_carer_flag=("Y" if pc.with_carers else "N") if adoption else None,
            perm_part_of_sibling_group=("1" if siblings else "0") if adoption else None,
            perm_siblings_placed_together=(int(rng.integers(2, 4)) if siblings else 1)
            if adoption
            else None,
            perm_siblings_placed_apart=0 if adoption else None,
            perm_permanence_order_date=self.date_or_none(pc.e),
            perm_permanence_order_type=ORDER_TYPES[route] if pc.e <= self.end_of_data else None,
            perm_adopter_sex=adopters if matched else None,
            perm_adopter_legal_status=(
                {"MF": "L11", "F1": "L0", "FF": "L12", "MM": "L12"}[adopters] if matched else None
            ),
            perm_number_of_adopters=(
                ("1" if adopters in ("F1", "M1") else "2") if matched else None
            ),
        )
        if adoption and pc.decision <= self.end_of_data:
            self.inv.append(
                (
                    pc.k,
                    pc.referral,
                    self.tb.team_adoption,
                    pc.decision,
                    pc.e,
                    "adoption",
                    f"adoption:{pc.cla_id}",
                )
            )

    def leavers(self, pc: _Period) -> None:
        """Care leavers: looked after for 13 weeks or more since 14, some of it at 16 or
        later: a status row at each birthday from 17 to 21."""
        rng, p, dob, e = self.rng, self.p, pc.dob, pc.e
        age_end = (e - dob) / YEAR
        since_14 = e - max(pc.s, _birthday(dob, 14))
        if not (
            pc.route in ("long_term_to_18", "independent_living")
            and age_end >= 16
            and since_14 >= 91
        ):
            return
        staying = pc.rec == "E17"
        b = [_birthday(dob, age) for age in range(17, 22)]
        for age, bday in zip(range(17, 22), b, strict=True):
            bday = int(bday)
            if bday < e or bday > self.end_of_data:
                continue
            self.n_other += 1
            in_touch = rng.random() < p.care_leavers.in_touch
            acts = p.care_leavers.activity_17_18 if age <= 18 else p.care_leavers.activity_19_21
            accom = "Z" if staying and age == 18 else _pick(rng, p.care_leavers.accommodation)
            contact = bday - int(rng.integers(0, 60))
            self.rows["leavers"].add(
                # one status row per collection year, tagged /YYYY as the 903 route does
                clea_table_id=f"LV{self.n_other:07d}/{_collection_year(bday)}",
                clea_person_id=pc.person,
                clea_care_leaver_eligibility="Relevant" if age < 18 else "Former Relevant",
                clea_care_leaver_in_touch="YES"
                if in_touch
                else _pick(rng, {"NO": 0.6, "REFU": 0.4}),
                clea_care_leaver_latest_contact=_d(contact) if in_touch else None,
                clea_care_leaver_accommodation=accom,
                # no fixed abode (S) and gone abroad (X) are never counted suitable
                clea_care_leaver_accom_suitable=(
                    "Suitable"
                    if rng.random() < p.care_leavers.suitable and accom not in ("S", "X")
                    else "Unsuitable"
                ),
                clea_care_leaver_activity=recode(_pick(rng, acts), bday, self.changes),
                clea_pathway_plan_review_date=_d(self.pathway_review(e, bday)),
                clea_care_leaver_allocated_team=self.tb.team_leavers,
                involvement=f"leaver:{pc.cla_id}",
            )
        b21 = _birthday(dob, 21)
        self.inv.append(
            (pc.k, pc.referral, self.tb.team_leavers, e, b21, "care_leaver", f"leaver:{pc.cla_id}")
        )

    def pathway_review(self, left: int, bday: int) -> int:
        """The latest pathway plan review of the collection year of ``bday`` (or before the
        end of the data): reviewed every 6 months from leaving care, a few days early."""
        last = min(day_number(date(_collection_year(bday), 3, 31)), self.end_of_data)
        review = left
        while _add_months(review, 6) <= last:
            review = _add_months(review, 6)
        return max(left, review - int(self.rng.integers(0, 20)))

    def eligible(self, pc: _Period) -> None:
        """Eligible young people still in care at the end of the data (16 years 3 months or
        more, 13 weeks looked after since 14) have a pathway plan: an "Eligible" status row
        for this collection year. Drawn from the child's own stream so the rest of the
        council is unchanged."""
        dob, s, end_of_data = pc.dob, pc.s, self.end_of_data
        from_14 = max(s, _birthday(dob, 14))
        if not (
            s <= end_of_data < pc.e
            and _add_months(_birthday(dob, 16), 3) <= end_of_data < _birthday(dob, 18)
            and end_of_data - from_14 >= 91
        ):
            return
        own = np.random.default_rng([1989, pc.k, s])
        self.n_other += 1
        recent = own.random() < self.p.care_leavers.pathway_plan_up_to_date
        plan_day = end_of_data - int(own.integers(5, 170) if recent else own.integers(190, 400))
        self.rows["leavers"].add(
            clea_table_id=f"LV{self.n_other:07d}/{_collection_year(end_of_data)}",
            clea_person_id=pc.person,
            clea_care_leaver_eligibility="Eligible",
            clea_care_leaver_in_touch="YES",
            clea_care_leaver_latest_contact=_d(end_of_data - int(own.integers(0, 30))),
            clea_care_leaver_accommodation=None,
            clea_care_leaver_accom_suitable=None,
            clea_care_leaver_activity=None,
            clea_pathway_plan_review_date=_d(max(plan_day, from_14)),
            clea_care_leaver_allocated_team=self.tb.team_uasc
            if pc.uasc
            else self.tb.team_lac[self.kids.locality[pc.k]],
            involvement=f"leaver:{pc.cla_id}",
        )

    def short_breaks(self, sb: np.ndarray) -> None:
        """Short breaks: each stay its own period of care under V4."""
        rng, ep, c = self.rng, self.ep, self.c
        for i in sb:
            s0, e0 = int(ep["plan1_start"][i]), int(min(ep["plan1_end"][i], self.end_of_data))
            n = rng.poisson(c.short_breaks_per_year * max(e0 - s0, 0) / YEAR)
            previous_end = s0
            for d in sorted({s0 + int(x) for x in rng.integers(1, max(2, e0 - s0), n)}):
                nights = int(rng.integers(1, 4))
                # A stay starts only after the last one ended: a child is never in two at once.
                if d <= previous_end or d + nights > e0:
                    continue
                previous_end = d + nights
                self.short_break(i, d, nights)

    def short_break(self, i: int, d: int, nights: int) -> None:
        self.n_period += 1
        self.n_episode += 1
        self.n_place += 1
        self.n_legal += 1
        cla_id, pid = f"CL{self.n_period:07d}", f"PL{self.n_place:07d}"
        person = self.person_ids[i]
        self.rows["episodes"].add(
            clae_cla_episode_id=f"CE{self.n_episode:07d}",
            clae_person_id=person,
            clae_cla_episode_start_date=_d(d),
            clae_cla_episode_start_reason="S",
            clae_cla_primary_need_code="N2",
            clae_cla_episode_ceased_date=_d(d + nights),
            clae_cla_episode_ceased_reason="E4A",
            clae_cla_id=cla_id,
            clae_referral_id=self.ref_ids[i],
            clae_cla_placement_id=pid,
            clae_entered_care_date=_d(d),
        )
        self.rows["placements"].add(
            clap_cla_placement_id=pid,
            clap_cla_placement_start_date=_d(d),
            clap_cla_placement_type="K2",
            clap_cla_id=cla_id,
            clap_cla_placement_provider="PR1",
            clap_cla_placement_end_date=_d(d + nights),
            clap_person_id=person,
        )
        self.rows["legal"].add(
            lega_legal_status_id=f"LS{self.n_legal:07d}",
            lega_person_id=person,
            lega_legal_status="V4",
            lega_legal_status_start_date=_d(d),
            lega_legal_status_end_date=_d(d + nights),
        )

    def finish(self) -> None:
        """The tables, health, missing episodes, visits and involvements, to the builder."""
        tb, c = self.tb, self.c
        for key, table in CARE_TABLES.items():
            if self.rows[key].rows:
                tb.add(table, pl.DataFrame(self.rows[key].rows, infer_schema_length=None))
        spans = self.visit_spans
        if spans:
            child = np.array([v[0] for v in spans])
            span_person = pl.Series([v[1] for v in spans], dtype=pl.Utf8)
            span_start = np.array([v[3] for v in spans], dtype=np.int64)
            span_end = np.array([v[4] for v in spans], dtype=np.int64)
            _health(tb, span_person, self.kids.dob[child], span_start, span_end)
            _missing(tb, span_person, self.kids.dob[child], span_start, span_end)
            tb.visits(
                "ssd_cla_visits",
                "clav",
                child,
                pl.Series([v[1] for v in spans]),
                None,
                np.array([v[3] for v in spans]),
                np.array([v[4] for v in spans]),
                c.visit_interval_days,
                cla_id=pl.Series([v[2] for v in spans]),
            )
        inv = self.inv
        if inv:
            tb.involve(
                np.array([x[0] for x in inv]),
                pl.Series([x[1] for x in inv]),
                np.array([x[2] for x in inv], dtype=object),
                np.array([x[3] for x in inv]),
                np.array([x[4] for x in inv]),
                np.array([x[5] for x in inv], dtype=object),
                pl.Series([x[6] for x in inv], dtype=pl.Utf8),
            )


def build_care(tb: TableBuilder, ep: dict[str, np.ndarray]) -> None:
    """Every period of care in detail, then short breaks for disabled children on child in
    need plans (individual stays, each its own period of care)."""
    builder = _CareBuilder(tb, ep)
    periods = np.flatnonzero(ep["care"] & (ep["care_start"] <= builder.end_of_data))
    sb = np.flatnonzero(ep["plan1"] & ep["disabled"])
    sb = sb[builder.rng.random(sb.size) < builder.c.short_breaks_probability]
    for i in periods:
        builder.period(int(i))
    builder.short_breaks(sb)
    builder.finish()


def _ceased_reason(reason: str, place: str) -> str:
    """A special guardianship order to former foster carers needs the child to have been
    fostered by them (U1-U6); from any other placement it is an order to other carers."""
    if place.startswith("U"):
        return reason
    return {"E43": "E44", "E45": "E47", "E46": "E48"}.get(reason, reason)


def _status_on(legal: list[tuple[int, str]], day: int) -> str:
    """The legal status in force on ``day`` (statuses are in date order)."""
    current = legal[0][1]
    for start, code in legal:
        if start <= day:
            current = code
    return current


def _urn(code: str, provider: str, n: int) -> str | None:
    """The Ofsted URN of the placement's provider, for placements Ofsted registers.

    The council's own fostering service and adoption agency each have one URN; homes and
    agencies (its own and others) come from pools, one picked by the placement number."""
    if code in NOT_OFSTED_REGISTERED:
        return None
    if provider == "PR1" and code[0] in "UA":
        return "SC999901" if code[0] == "U" else "SC999902"
    pool = 8 if provider == "PR1" else 120
    return f"SC{800000 + (n * 7919) % pool + (0 if provider == 'PR1' else 100):06d}"


def _add_months(day: int, months: int) -> int:
    """ADD_MONTHS on one day number (as :func:`cscperf.synth.days.add_months`)."""
    d = _d(day)
    year, month0 = divmod(d.year * 12 + d.month - 1 + months, 12)
    last = monthrange(year, month0 + 1)[1]
    return day_number(date(year, month0 + 1, min(d.day, last)))


def _birthday(dob: int, years: int) -> int:
    """The day a child born on ``dob`` turns ``years``; 29 February birthdays fall on 1 March
    in common years (as :func:`cscperf.synth.days.birthday`)."""
    d = _d(dob)
    year = d.year + years
    if d.month == 2 and d.day == 29 and monthrange(year, 2)[1] == 28:
        return day_number(date(year, 3, 1))
    return day_number(date(year, d.month, d.day))


def _collection_year(day: int) -> int:
    """The collection year holding ``day``: the year of the 31 March that ends it."""
    d = _d(day)
    return d.year + 1 if d.month >= 4 else d.year


def _d(day: int) -> date:
    return date.fromordinal(719163 + int(day))  # 719163 = date(1970, 1, 1).toordinal()


def _plan_json(flags: dict[str, str]) -> str:
    return json.dumps(flags, separators=(",", ":"))


def _review_days(tb: TableBuilder, s: int, e: int) -> list[tuple[int, int]]:
    """Reviews as (due, held) days: the first due 28 days (about 20 working days) in, the
    second 3 months after the first was held, then 6 months after the one before. Most are
    held a few days early; ``review_late_probability`` of them up to a month late."""
    rng, late_share = tb.rng, tb.p.care.review_late_probability
    out: list[tuple[int, int]] = []
    due = s + 28
    while due < e:
        late = rng.random() < late_share
        held = min(
            due + int(rng.integers(1, 30)) if late else due - int(rng.integers(0, 10)), e - 1
        )
        out.append((due, held))
        due = _add_months(held, 3 if len(out) == 1 else 6)
    return out


def _repeat_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers repeated ``counts`` times, and each copy's number within its row."""
    row = np.repeat(np.arange(counts.size), counts)
    within = np.arange(row.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return row, within


def _choose(rng: np.random.Generator, dist: dict[str, float], n: int) -> np.ndarray:
    keys = list(dist)
    w = np.array([dist[k] for k in keys])
    return np.array(keys)[rng.choice(len(keys), size=n, p=w / w.sum())]


def _ids(prefix: str, n: int) -> pl.Series:
    return prefix + pl.Series(np.arange(1, n + 1)).cast(pl.Utf8).str.zfill(7)


def _only(keep: np.ndarray, values: np.ndarray) -> pl.Series:
    """Text values where ``keep`` holds, null elsewhere."""
    return pl.select(pl.when(pl.Series(keep)).then(pl.Series(values, dtype=pl.Utf8))).to_series()


def _dates(tb: TableBuilder, days: np.ndarray) -> pl.Series:
    return tb.date(np.asarray(days, dtype=np.int64))


def _health(
    tb: TableBuilder, person: pl.Series, dob: np.ndarray, s: np.ndarray, e: np.ndarray
) -> None:
    """Yearly health assessments and dental checks while in care; immunisations and (aged
    4-16) SDQ scores at each 31 March after a year in care. All periods at once."""
    rng, c = tb.rng, tb.p.care
    stop = np.minimum(e, tb.win_end)
    checks = []
    for kind, first, p_done in (
        ("Health Assessment", 20, c.health_assessment_done),
        ("Dental Check", 60, c.dental_check_done),
    ):
        # At most one check per 335 days (the shortest gap) fits before the stop.
        room = stop - (s + first)
        row, k = _repeat_rows(np.where(room > 0, room // 335 + 1, 0))
        gaps = np.where(k == 0, 0, 365 + rng.integers(-30, 30, row.size))
        day = s[row] + first + _within_cumsum(gaps, row)
        keep = day < stop[row]
        row, day = row[keep], day[keep]
        done = rng.random(row.size) < p_done
        status = np.where(done, "Completed", _choose(rng, {"Refused": 0.5, "Cancelled": 0.5},
                                                        row.size))  # fmt: skip
        checks.append(pl.DataFrame({"row": row, "kind": kind, "day": day, "status": status}))
    health = pl.concat(checks).sort("row", maintain_order=True)
    tb.add(
        "ssd_cla_health",
        pl.DataFrame(
            {
                "clah_health_check_id": _ids("HC", health.height),
                "clah_person_id": person.gather(health["row"]),
                "clah_health_check_type": health["kind"],
                "clah_health_check_date": _dates(tb, health["day"].to_numpy()),
                "clah_health_check_status": health["status"],
            }
        ),
    )
    # 31 March of each year from the period's first to its last (or the extract's end).
    first_year = s.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    last_year = stop.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    row, k = _repeat_rows(np.maximum(last_year - first_year + 1, 0))
    year = first_year[row] + k
    april = ((year - 1970) * 12 + 3).astype("datetime64[M]").astype("datetime64[D]")
    m31 = april.astype(np.int64) - 1
    keep = (m31 - s[row] >= 365) & (m31 < e[row]) & (m31 <= tb.win_end)
    row, m31 = row[keep], m31[keep]
    tb.add(
        "ssd_cla_immunisations",
        pl.DataFrame(
            {
                "clai_person_id": person.gather(row),
                "clai_immunisations_status": np.where(
                    rng.random(row.size) < c.immunisations_up_to_date, "Y", "N"
                ),
                "clai_immunisations_status_date": _dates(tb, m31 - rng.integers(0, 120, row.size)),
            }
        ),
    )
    age = (m31 - dob[row]) / YEAR
    sdq = (age >= 4) & (age < 17)
    row, m31 = row[sdq], m31[sdq]
    done = rng.random(row.size) < 0.78
    score = np.clip(np.round(rng.normal(c.sdq_mean, c.sdq_sd, row.size)), 0, 40).astype(np.int64)
    reason = _choose(rng, {"SDQ2": 0.4, "SDQ3": 0.3, "SDQ5": 0.3}, row.size)
    tb.add(
        "ssd_sdq_scores",
        pl.DataFrame(
            {
                "csdq_table_id": _ids("SQ", row.size),
                "csdq_person_id": person.gather(row),
                "csdq_sdq_completed_date": _dates(tb, m31 - rng.integers(0, 200, row.size)),
                "csdq_sdq_reason": _only(~done, reason),
                "csdq_sdq_score": _only(done, score.astype(str)),
            }
        ),
    )  # fmt: skip


def _within_cumsum(values: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` restarting at each new ``row`` (rows are grouped)."""
    total = np.cumsum(values)
    if row.size == 0:
        return total
    starts = np.r_[True, row[1:] != row[:-1]]
    before = np.where(starts, total - values, 0)
    return total - np.maximum.accumulate(before)


def _year_end(days: np.ndarray) -> np.ndarray:
    """31 March ending the collection year of each day (days since 1970-01-01)."""
    month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    # months since January 1970 of the April starting each day's collection year, plus 12
    april = month - (month % 12 - 3) % 12 + 12
    return april.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1


def _missing(
    tb: TableBuilder, person: pl.Series, dob: np.ndarray, s: np.ndarray, e: np.ndarray
) -> None:
    """Missing and away episodes: a low rate for every child, a higher one from age 12 for
    the share of children prone to go missing. All periods at once."""
    rng, c = tb.rng, tb.p.care
    stop = np.minimum(e, tb.win_end)
    teen_from = np.maximum(s, dob + int(12 * YEAR))
    prone = rng.random(s.size) < c.missing_children_share
    spans = [
        (s, np.minimum(teen_from, stop), np.full(s.size, c.missing_rate_child)),
        (teen_from, stop, np.where(prone, c.missing_rate_teen, 0.0)),
    ]
    parts = []
    for order, (a, b, rate) in enumerate(spans):
        length = np.maximum(b - a, 0)
        n = rng.poisson(rate * length / YEAR)
        row = np.repeat(np.arange(s.size), n)
        day = a[row] + (rng.random(row.size) * length[row]).astype(np.int64)
        # the part as a column: a scalar beside empty arrays would make every column Null
        parts.append(pl.DataFrame({"row": row, "part": np.full(row.size, order), "day": day}))
    found = pl.concat(parts).sort("row", "part", "day")
    m = found.height
    day = found["day"].to_numpy()
    row = found["row"].to_numpy()
    # back by the day before the period of care ends (a child missing when care ends would
    # need ceased reason E8)
    end = day + rng.choice(np.array([0, 0, 1, 1, 2, 3, 5]), size=m)
    end = np.maximum(np.minimum(end, e[row] - 1), day)
    # and by 31 March: each year's return then holds the whole episode (a child found the next
    # year would be an episode with no end date in the return of the year it started)
    end = np.minimum(end, _year_end(day))
    # a child goes missing again only after coming back: drop periods that start on or before
    # the end of an earlier one in the same period of care
    before = (
        pl.DataFrame({"row": row, "end": end})
        .select(pl.col("end").shift(1).cum_max().over("row").fill_null(-1))
        .to_series()
        .to_numpy()
    )
    keep = day > before
    found, day, end = found.filter(pl.Series(keep)), day[keep], end[keep]
    m = found.height
    offered = rng.random(m) < c.return_interview_offered
    accepted = np.where(rng.random(m) < c.return_interview_accepted, "Y", "N")
    tb.add(
        "ssd_missing",
        pl.DataFrame(
            {
                "miss_table_id": _ids("MS", m),
                "miss_person_id": person.gather(found["row"]),
                "miss_missing_episode_start_date": _dates(tb, day),
                "miss_missing_episode_type": np.where(rng.random(m) < 0.8, "Missing", "Away"),
                "miss_missing_episode_end_date": _dates(tb, end),
                "miss_missing_rhi_offered": np.where(offered, "Y", "N"),
                "miss_missing_rhi_accepted": np.where(offered, accepted, "NA"),
            }
        ),
    )
