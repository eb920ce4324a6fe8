"""Changes to the register made by a person (the dashboard's forms): add a risk, update its
score and progress, close it. Each change is checked field by field (the messages are shown
beside the fields, GOV.UK style) and, when right, becomes a new version reviewed by that person
on that day; nothing is ever overwritten.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cscperf.risk.register import CLOSED, RiskVersion, changed, risk_id_problem
from cscperf.settings import RiskSettings

ADD, UPDATE, CLOSE = "added", "updated", "closed"
MAX_TEXT = 5000


@dataclass(frozen=True)
class FormResult:
    """A checked form: the new version, or the problems by field (in the form's order)."""

    version: RiskVersion | None
    errors: dict[str, str]


def _score(data: Mapping[str, str], field: str, words: str, scale: int, errors: dict) -> int:
    text = (data.get(field) or "").strip()
    if not text:
        errors[field] = f"Enter the {words}, a whole number from 1 to {scale}"
        return 0
    if not text.isdigit() or not 1 <= int(text) <= scale:
        errors[field] = f"The {words} must be a whole number from 1 to {scale}"
        return 0
    return int(text)


def _date(data: Mapping[str, str], field: str, words: str, errors: dict) -> date | None:
    parts = [(data.get(f"{field}-{p}") or "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        errors[field] = f"Enter the {words}"
        return None
    if not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
        errors[field] = f"The {words} must be a real date, for example 31 3 2027"
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        errors[field] = f"The {words} must be a real date, for example 31 3 2027"
        return None


def _text(data: Mapping[str, str], field: str, words: str, errors: dict, required: bool) -> str:
    text = (data.get(field) or "").strip()
    if required and not text:
        errors[field] = f"Enter the {words}"
    elif len(text) > MAX_TEXT:
        errors[field] = f"The {words} must be {MAX_TEXT:,} characters or fewer"
    return text


def _links(data: Mapping[str, str], known: Collection[str] | None, errors: dict) -> tuple:
    links = tuple(p for p in (data.get("links") or "").replace(",", " ").split() if p)
    unknown = [p for p in links if known is not None and p not in known]
    if unknown:
        errors["links"] = (
            f"{', '.join(unknown)} is not an indicator id; copy the id from the indicator's page"
        )
    return links


def add_form(
    data: Mapping[str, str],
    settings: RiskSettings,
    *,
    user: str,
    today: date,
    taken: Collection[str],
    known_links: Collection[str] | None = None,
) -> FormResult:
    """A new risk from the "add a risk" form."""
    errors: dict[str, str] = {}
    risk_id = _text(data, "risk_id", "risk number", errors, True)
    why = risk_id_problem(risk_id)
    if why:
        errors["risk_id"] = f"The risk number {why}"
    elif risk_id and risk_id in taken:
        errors["risk_id"] = f"Risk {risk_id} is already on the register; choose another number"
    name = _text(data, "name", "risk name", errors, True)
    description = _text(data, "description", "description", errors, False)
    owner = _text(data, "owner", "risk owner", errors, True)
    scale = settings.scale
    values: dict[str, Any] = {
        "likelihood": _score(data, "likelihood", "current likelihood", scale, errors),
        "impact": _score(data, "impact", "current impact", scale, errors),
        "target_likelihood": _score(data, "target_likelihood", "target likelihood", scale, errors),
        "target_impact": _score(data, "target_impact", "target impact", scale, errors),
    }
    target_date = _date(data, "target_date", "target date", errors)
    tasks = _text(data, "tasks", "tasks to mitigate the risk", errors, False)
    progress = _text(data, "progress", "progress update", errors, False)
    links = _links(data, known_links, errors)
    if errors or target_date is None:
        return FormResult(None, errors)
    version = RiskVersion(
        risk_id=risk_id,
        name=name,
        description=description,
        owner=owner,
        target_date=target_date,
        tasks=tasks,
        progress=progress,
        links=links,
        entered=today,
        reviewed_on=today,
        reviewed_by=user,
        area=_text(data, "area", "area", errors, False),
        **values,
    )
    return FormResult(version, {})


def update_form(
    data: Mapping[str, str],
    latest: RiskVersion,
    settings: RiskSettings,
    *,
    user: str,
    today: date,
    known_links: Collection[str] | None = None,
) -> FormResult:
    """A new version of ``latest`` from the "update score and progress" form."""
    errors: dict[str, str] = {}
    scale = settings.scale
    likelihood = _score(data, "likelihood", "current likelihood", scale, errors)
    impact = _score(data, "impact", "current impact", scale, errors)
    progress = _text(data, "progress", "progress update", errors, True)
    links = _links(data, known_links, errors)
    if errors:
        return FormResult(None, errors)
    version = _reviewed(
        latest, user, today, likelihood=likelihood, impact=impact, progress=progress, links=links
    )
    return FormResult(version, {})


def close_form(
    data: Mapping[str, str], latest: RiskVersion, *, user: str, today: date
) -> FormResult:
    """The closing version of ``latest``: why it is closed is required."""
    errors: dict[str, str] = {}
    reason = _text(data, "progress", "reason for closing the risk", errors, True)
    if errors:
        return FormResult(None, errors)
    return FormResult(_reviewed(latest, user, today, status=CLOSED, progress=reason), {})


def _reviewed(latest: RiskVersion, user: str, today: date, **updates: Any) -> RiskVersion:
    """The next version of ``latest``, reviewed by ``user`` today (never before the last
    review); the council's own typed direction and prospects belong to the old version."""
    return changed(
        latest,
        **updates,
        reviewed_on=max(today, latest.reviewed_on),
        reviewed_by=user,
        stated_direction="",
        stated_prospects="",
    )
