"""Eastshire's children's services risk register, with a history of monthly reviews.

A dozen risks such a service keeps (placement sufficiency, social worker recruitment, agency
spend, demand at the front door, care leavers' accommodation...), in Norfolk's committee
layout with two more columns (linked indicators, status), written as
``risk/risk_register.csv`` for ``cscperf risk import``. Each risk is reviewed every month over
the last 18 months (one quarterly, and not in the last four months, so its review is overdue
at the end); scores drift
towards or away from the target one step at a time; one risk was closed and one added late.
Everything is drawn from the seed, so the same seed writes the same register.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cscperf.calendar.months import add_months, month_end_of
from cscperf.settings import NORFOLK_RISK_COLUMNS

REGISTER_FILE = Path("risk") / "risk_register.csv"
HISTORY_MONTHS = 18


@dataclass(frozen=True)
class _Risk:
    risk_id: str
    name: str
    description: str
    tasks: str
    owner: str
    start: tuple[int, int]  # likelihood, impact at the first review
    target: tuple[int, int]
    links: tuple[str, ...] = ()
    every: int = 1  # months between reviews
    stops_before_end: int = 0  # months at the end without a review
    closes_after: int | None = None  # reviews before it is closed
    added_late: bool = False


RISKS = (
    _Risk(
        "CS01",
        "Placement sufficiency",
        "Too few local foster and residential places means children are placed far from home "
        "at high cost and moves are made for want of a better placement.",
        "Foster carer recruitment campaign; block contracts with two local providers; "
        "sufficiency strategy refreshed each year.",
        "Head of Children Looked After",
        (4, 4),
        (2, 3),
        (
            "placements.three_plus_12m_pct",
            "placements.outside_la_over_20_miles_pct",
            "finance:Agency_residential",
        ),
    ),
    _Risk(
        "CS02",
        "Recruitment and retention of social workers",
        "Vacancies and turnover in front-line teams raise caseloads and slow assessments.",
        "Recruitment and retention offer; social work academy for newly qualified workers; "
        "caseload monitoring by team each month.",
        "Director of Children's Services",
        (4, 3),
        (2, 3),
        ("workforce.vacancy_rate_pct", "caseloads.qualified_sw_caseload_avg"),
    ),
    _Risk(
        "CS03",
        "Reliance on agency social workers",
        "Agency workers fill vacancies at higher cost and with less continuity for children.",
        "Conversion offer for agency staff; regional memorandum of understanding on agency rates.",
        "Head of Workforce",
        (3, 3),
        (2, 2),
        ("workforce.agency_rate_pct",),
    ),
    _Risk(
        "CS04",
        "Demand at the front door",
        "Rising contacts and referrals exceed the capacity of the multi-agency safeguarding hub.",
        "Threshold guidance refreshed with partners; early help offer in every locality.",
        "Head of Safeguarding",
        (3, 4),
        (2, 3),
        ("contacts.to_referral_pct", "referrals.rereferral_12m_pct"),
    ),
    _Risk(
        "CS05",
        "Timeliness of assessments",
        "Assessments completed late leave children's needs unmet for longer.",
        "Weekly tracking of assessments at 35 working days; additional team manager capacity.",
        "Head of Safeguarding",
        (3, 3),
        (1, 3),
        ("assess.within_45wd_pct",),
    ),
    _Risk(
        "CS06",
        "Overspend on placements for children looked after",
        "Placement costs rise faster than the budget, needing funding from elsewhere.",
        "Placement panel scrutiny of every residential placement; step-down to fostering "
        "where right for the child.",
        "Assistant Director, Resources",
        (4, 4),
        (3, 3),
        ("placements.residential_pct",),
    ),
    _Risk(
        "CS07",
        "Suitable accommodation for care leavers",
        "Care leavers without suitable accommodation are at risk of homelessness.",
        "Joint housing protocol with the district councils; supported lodgings scheme.",
        "Head of Leaving Care",
        (3, 4),
        (2, 3),
        ("care_leavers.rcl_frcl_suitable_accommodation_pct",),
    ),
    _Risk(
        "CS08",
        "Children missing from care",
        "Children who go missing are at risk of exploitation.",
        "Return home interviews within 72 hours; exploitation panel reviews every child "
        "missing three times or more.",
        "Head of Children Looked After",
        (3, 5),
        (2, 4),
        ("missing.children_missing_rolling_12m_pct",),
    ),
    _Risk(
        "CS09",
        "Case management system replacement",
        "Delays to the new case system put recording and statutory returns at risk.",
        "Programme board each month; data migration rehearsals before go-live.",
        "Head of Business Intelligence",
        (2, 4),
        (1, 3),
        every=3,
        stops_before_end=4,
    ),
    _Risk(
        "CS10",
        "Outcome of the next inspection",
        "A judgement below good would need an improvement plan and harm recruitment.",
        "Self-evaluation refreshed each quarter; practice audits each month.",
        "Director of Children's Services",
        (2, 5),
        (1, 5),
        ("cp.visits_in_timescale_pct", "lac.visits_in_timescale_pct"),
    ),
    _Risk(
        "CS11",
        "Regional adoption agency transition",
        "The move to the regional adoption agency could slow matching for waiting children.",
        "Transition plan with the regional agency; tracking of every child with a placement order.",
        "Head of Permanence",
        (3, 3),
        (1, 3),
        ("adoption.a1_avg_days",),
        closes_after=10,
    ),
    _Risk(
        "CS12",
        "Unaccompanied asylum-seeking children",
        "Arrivals above the national transfer scheme share strain placements and budgets.",
        "Use of the national transfer scheme; dedicated social work team.",
        "Head of Children Looked After",
        (4, 3),
        (3, 3),
        ("lac.uasc_count",),
        added_late=True,
    ),
)

PROGRESS = (
    "Reviewed at the management team; actions on track.",
    "Figures for the month considered; mitigation continues as planned.",
    "Some slippage this month; the owner has agreed a recovery plan.",
    "Improvement seen in the month's figures; kept under review.",
    "New pressures this month; escalated to the Director.",
)


def _step(value: int, toward: int, rng: random.Random) -> int:
    """One month's drift: mostly still, sometimes a step towards the target, now and then
    a step away."""
    draw = rng.random()
    if draw < 0.2 and value > toward:
        return value - 1
    if draw > 0.92 and value < 5:
        return value + 1
    return value


def _rows(risk: _Risk, end: date, rng: random.Random) -> list[list[str]]:
    first = add_months(month_end_of(end), -(HISTORY_MONTHS - 1))
    start_month = HISTORY_MONTHS - 2 if risk.added_late else 0
    entered = add_months(first, start_month).replace(day=rng.randint(1, 10))
    if not risk.added_late:
        entered = add_months(entered, -rng.randint(6, 40))
    likelihood, impact = risk.start
    target_date = month_end_of(date(end.year + (1 if end.month >= 4 else 0), 3, 1))
    if risk.risk_id == "CS05":
        target_date = month_end_of(add_months(end, 2))  # near: its prospects are at stake
    rows = []
    months = range(start_month, HISTORY_MONTHS - risk.stops_before_end, risk.every)
    for reviews, n in enumerate(months, start=1):
        review = min(add_months(first, n).replace(day=rng.randint(12, 26)), end)
        if reviews > 1:
            likelihood = _step(likelihood, risk.target[0], rng)
        closing = risk.closes_after is not None and reviews == risk.closes_after
        progress = (
            "Risk closed: the transition is complete and matching has returned to its usual pace."
            if closing
            else f"{review:%B %Y}: {rng.choice(PROGRESS)}"
        )
        rows.append(
            [
                "C",
                "Children's Services",
                risk.risk_id,
                risk.name,
                risk.description,
                f"{entered:%d/%m/%Y}",
                str(likelihood),
                str(impact),
                str(likelihood * impact),
                risk.tasks,
                progress,
                str(risk.target[0]),
                str(risk.target[1]),
                str(risk.target[0] * risk.target[1]),
                f"{target_date:%d/%m/%Y}",
                "",
                "",
                risk.owner,
                "Performance team",
                f"{review:%d/%m/%Y}",
                " ".join(risk.links),
                "Closed" if closing else "Open",
            ]
        )
        if closing:
            break
    return rows


def write_risk_register(out_dir: Path, end: date, seed: int = 1) -> Path:
    """Write Eastshire's register with its review history; returns the file written."""
    rng = random.Random(f"risk-register-{seed}")
    path = out_dir / REGISTER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["", "Risk Register Name", "Eastshire Children's Services Risk Register"])
        writer.writerow(["", "Prepared by", "Performance team"])
        writer.writerow(["", "Date updated", f"{end:%B %Y}"])
        writer.writerow(list(NORFOLK_RISK_COLUMNS.values()))
        for risk in RISKS:
            writer.writerows(_rows(risk, end, rng))
    return path
