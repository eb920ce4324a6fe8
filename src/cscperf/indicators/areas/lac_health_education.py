"""Health and education of looked-after children (catalogue ``lac_health_education.yaml``).

Owns the ``lac_health.*`` item tables. Ages in completed years (``blocks.ages.age_at``) and
the "twelve-month cohort" (children looked after at E whose current period of care began on
or before ADD_MONTHS(E, -12), ``blocks.care.twelve_month_cohort``) are shared blocks. Health
records count when completed and mapped by the council's
type map; PEPs come from the imported Virtual School extract (``imported_pep``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.ages import age_at, with_dob
from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.care import looked_after_at_month_end, periods, twelve_month_cohort
from cscperf.indicators.blocks.care_periods import add_months, add_working_days, days_between
from cscperf.indicators.blocks.expressions import first_per_key, flag_is_yes, one_if, rated
from cscperf.indicators.blocks.windows import in_window, working_days
from cscperf.indicators.context import Context, NotAvailable
from cscperf.indicators.registry import child_list, indicator, months_check

HEALTH = "ssd_cla_health"
IMMUNISATIONS = "ssd_cla_immunisations"
SDQ = "ssd_sdq_scores"
PEP = "imported_pep"


# ------------------------------------------------------------------ ages


# ------------------------------------------------------------------ cohorts


def _normal(text: ir.StringValue) -> ir.StringValue:
    return text.strip().lower()


def health_records(ctx: Context, kind: str) -> ir.Table:
    """Completed checks of one kind (``health_assessment`` or ``dental_check``) by the
    council's type map: person, check_date."""
    health = ctx.table(
        HEALTH, ["clah_person_id", "clah_health_check_type", "clah_health_check_date"]
    )
    type_map: Mapping[str, str] = ctx.param("health_check_types")
    types = [k.strip().lower() for k, v in type_map.items() if v == kind]
    statuses = [s.strip().lower() for s in ctx.param("completed_statuses")]
    done = health.filter(
        _normal(health.clah_health_check_type).isin(types)
        & _normal(health.clah_health_check_status.cast("string")).isin(statuses)
        & health.clah_health_check_date.notnull()
    )
    return done.select(
        _h_person=done.clah_person_id, check_date=done.clah_health_check_date
    ).distinct()


def checks_in_r12(ctx: Context, cohort: ir.Table, checks: ir.Table) -> ir.Table:
    """Adds ``checks``: how many distinct check dates of the child fall in the R12 window."""
    periods_r12 = ctx.periods.select(_r_end=ctx.periods.period_end, _r_start="rolling_12m_start")
    dated = checks.join(
        periods_r12,
        [checks.check_date >= periods_r12._r_start, checks.check_date <= periods_r12._r_end],
    )
    counts = dated.group_by(["_h_person", "_r_end"]).aggregate(checks=dated.check_date.nunique())
    joined = cohort.left_join(
        counts, [cohort.person_id == counts._h_person, cohort.period_end == counts._r_end]
    )
    return joined.mutate(checks=joined.checks.fill_null(0)).drop("_h_person", "_r_end")


# ------------------------------------------------------------------ indicators


@child_list(
    "lac_health.iha_within_20wd_pct",
    act_on_passing=False,
    columns=(("poc_start", "Came into care"), ("day20", "Due by (20th working day)")),
    describes="Children who came into care whose initial health assessment, due in the month, "
    "was not done within 20 working days",
    overdue="Days since it was due",
)
def iha_items(ctx: Context) -> ir.Table:
    """Periods of care whose 20th working day falls in the month, ``passes`` when a health
    assessment was done within 20 working days of the start."""
    pocs = periods(ctx)
    # A fresh view: ibis refuses to join a table that already ends in a join select.
    pocs = add_working_days(pocs.view(), "poc_start", 20, ctx.calendar, "day20")
    # Still in care on the 20th working day: an ending on that very day keeps it in.
    pocs = pocs.filter(
        pocs.day20.notnull() & (pocs.poc_end.isnull() | (pocs.poc_end >= pocs.day20))
    )
    due = in_window(ctx, pocs, "day20", "in_month")
    checks = health_records(ctx, "health_assessment")
    matched = due.join(
        checks,
        [due.person_id == checks._h_person, checks.check_date >= due.poc_start],
    )
    matched = working_days(ctx, matched, "poc_start", "check_date", "_wd")
    in_time = (
        matched.filter(matched._wd <= 20)
        .select(_m_person=matched.person_id, _m_seq=matched.poc_seq)
        .distinct()
    )
    items = due.left_join(
        in_time, [due.person_id == in_time._m_person, due.poc_seq == in_time._m_seq]
    )
    items = items.mutate(
        passes=items._m_person.notnull(), days_overdue=days_between(items.day20, items.period_end)
    ).drop("_m_person", "_m_seq")
    return attribute(ctx, items, "person_id", "day20")


@indicator("lac_health.iha_within_20wd_pct")
def iha_within_20wd(ctx: Context) -> ir.Table:
    items = iha_items(ctx)
    return rated(items, items.passes)


def _assessments_due(age: ir.IntegerValue) -> ir.IntegerValue:
    """Two assessments a year under five, one from five (unknown age: one)."""
    return ibis.ifelse(age.notnull() & (age < 5), 2, 1)


def _last_check(ctx: Context, cohort: ir.Table, checks: ir.Table) -> ir.Table:
    """Adds ``last_check``: the child's latest check on or before E (null if none)."""
    keys = cohort.select(_k_person=cohort.person_id, _k_end=cohort.period_end).distinct()
    dated = keys.join(
        checks, [keys._k_person == checks._h_person, checks.check_date <= keys._k_end]
    )
    latest = dated.group_by(["_k_person", "_k_end"]).aggregate(last_check=dated.check_date.max())
    joined = cohort.left_join(
        latest, [cohort.person_id == latest._k_person, cohort.period_end == latest._k_end]
    )
    return joined.drop("_k_person", "_k_end")


def _check_items(ctx: Context, kind: str, *, by_age: bool) -> ir.Table:
    """The twelve-month cohort with ``checks`` in the last twelve months, ``last_check`` and
    ``checks_due`` (by age when ``by_age``, see :func:`_assessments_due`, else one),
    ``passes`` with as many as are due; ``days_overdue`` the days since the twelve months
    after the last check ended (null when there was none, or they have not ended)."""
    records = health_records(ctx, kind)
    cohort = _last_check(ctx, checks_in_r12(ctx, twelve_month_cohort(ctx), records), records)
    due = _assessments_due(age_at(cohort.dob, cohort.period_end)) if by_age else ibis.literal(1)
    overdue = days_between(add_months(cohort.last_check, 12), cohort.period_end)
    return cohort.mutate(
        checks_due=due,
        passes=cohort.checks >= due,
        days_overdue=ibis.ifelse(overdue >= 0, overdue, ibis.null("int64")),
    )


@child_list(
    "lac_health.health_assessment_up_to_date_pct",
    act_on_passing=False,
    columns=(
        ("poc_start", "In care since"),
        ("last_check", "Last health assessment"),
        ("checks", "Assessments in the last 12 months"),
        ("checks_due", "Assessments due in 12 months"),
    ),
    describes="Children looked after for 12 months or more without the health assessments due "
    "in the last 12 months",
    overdue="Days past 12 months since the last",
)
def health_assessment_items(ctx: Context) -> ir.Table:
    """The twelve-month cohort, ``passes`` with the assessments due for the child's age."""
    return _check_items(ctx, "health_assessment", by_age=True)


@indicator("lac_health.health_assessment_up_to_date_pct")
def health_assessment_up_to_date(ctx: Context) -> ir.Table:
    items = health_assessment_items(ctx)
    return rated(items, items.passes)


@child_list(
    "lac_health.dental_check_up_to_date_pct",
    act_on_passing=False,
    columns=(("poc_start", "In care since"), ("last_check", "Last dental check")),
    describes="Children looked after for 12 months or more without a dental check in the last "
    "12 months",
    overdue="Days past 12 months since the last",
)
def dental_check_items(ctx: Context) -> ir.Table:
    """The twelve-month cohort, ``passes`` with a dental check in the last 12 months."""
    return _check_items(ctx, "dental_check", by_age=False)


@indicator("lac_health.dental_check_up_to_date_pct")
def dental_check_up_to_date(ctx: Context) -> ir.Table:
    items = dental_check_items(ctx)
    return rated(items, items.passes)


@indicator("lac_health.immunisations_up_to_date_pct")
def immunisations_up_to_date(ctx: Context) -> ir.Table:
    imms = ctx.table(
        IMMUNISATIONS,
        ["clai_person_id", "clai_immunisations_status", "clai_immunisations_status_date"],
    )
    imms = imms.filter(imms.clai_immunisations_status_date.notnull()).select(
        _i_person=imms.clai_person_id,
        _i_date=imms.clai_immunisations_status_date,
        _i_yes=flag_is_yes(imms.clai_immunisations_status.cast("string")).fill_null(False),
    )
    cohort = twelve_month_cohort(ctx)
    keys = cohort.select(_k_person=cohort.person_id, _k_end=cohort.period_end).distinct()
    known = keys.join(imms, [keys._k_person == imms._i_person, imms._i_date <= keys._k_end])
    # Latest record on or before E; on a tie a "no" wins (not proven up to date). one_if,
    # not a cast: PostgreSQL cannot cast a boolean to a number.
    latest = first_per_key(
        known, ["_k_person", "_k_end"], [known._i_date.desc(), one_if(known._i_yes)]
    ).select("_k_person", "_k_end", "_i_yes")
    items = cohort.left_join(
        latest, [cohort.person_id == latest._k_person, cohort.period_end == latest._k_end]
    )
    return rated(items, items._i_yes.fill_null(False))


@indicator("lac_health.sdq_score_avg")
def sdq_score_avg(ctx: Context) -> ir.Table:
    sdq = ctx.table(SDQ, ["csdq_person_id", "csdq_sdq_completed_date", "csdq_sdq_score"])
    text = sdq.csdq_sdq_score.cast("string").strip()
    # Only whole numbers 0-40 are scores; reason codes such as SDQ1 are not.
    valid = sdq.filter(text.re_search("^[0-9]{1,2}$").fill_null(False)).mutate(_s_text=text)
    valid = valid.filter(valid.csdq_sdq_completed_date.notnull()).select(
        _s_person=valid.csdq_person_id,
        _s_date=valid.csdq_sdq_completed_date,
        _s_score=valid._s_text.cast("int64"),
    )
    valid = valid.filter(valid._s_score <= 40)
    cohort = twelve_month_cohort(ctx)
    age = age_at(cohort.dob, cohort.period_end)
    cohort = cohort.filter(age.notnull() & (age >= 5) & (age <= 16))
    window = ctx.periods.select(_w_end=ctx.periods.period_end, _w_start="rolling_12m_start")
    scored = valid.join(window, [valid._s_date >= window._w_start, valid._s_date <= window._w_end])
    latest = first_per_key(
        scored, ["_s_person", "_w_end"], [scored._s_date.desc(), scored._s_score.desc()]
    )
    items = cohort.join(
        latest, [cohort.person_id == latest._s_person, cohort.period_end == latest._w_end]
    )
    return items.select("period_end", "team", numerator=items._s_score, denominator=ibis.literal(1))


# ------------------------------------------------------------------ personal education plans


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _month_day(text: str) -> tuple[int, int]:
    """ "1 Sep" -> (9, 1)."""
    day, month = text.split()
    return _MONTHS.index(month[:3].lower()) + 1, int(day)


def term_start(terms: Mapping[str, str], period_end: date) -> date:
    """First day of the school term containing ``period_end``; terms are "1 Sep - 31 Dec"
    texts (a term may run over the new year)."""
    for span in terms.values():
        first, last = (_month_day(part) for part in span.split("-"))
        start = date(period_end.year, first[0], first[1])
        end = date(period_end.year, last[0], last[1])
        if start <= end and start <= period_end <= end:
            return start
        if start > end:  # e.g. "1 Nov - 28 Feb"
            if period_end >= start:
                return start
            if period_end <= end:
                return date(period_end.year - 1, first[0], first[1])
    raise NotAvailable(f"no school term in the parameter terms contains {period_end:%d %B}")


def academic_age_date(period_end: date) -> date:
    """31 August before the academic year (from 1 September) containing ``period_end``."""
    year = period_end.year if period_end.month >= 9 else period_end.year - 1
    return date(year, 8, 31)


@months_check("lac_health.pep_up_to_date_pct")
def every_month_in_a_term(parameters: Mapping[str, Any], period_ends: Sequence[date]) -> None:
    """NotAvailable when a month end lies outside every school term of the parameters."""
    for period_end in period_ends:
        term_start(parameters["terms"], period_end)


def _with_term(
    children: ir.Table, terms: Mapping[str, str], period_ends: Sequence[date]
) -> ir.Table:
    """``children`` (one row per child and period_end) with ``_t_start``, the start of the
    term holding E (as :func:`term_start`), and ``_t_age_date``, the 31 August academic age is
    taken at (as :func:`academic_age_date`), both worked out in SQL from E so that the query
    does not list the months. Every month must lie in a term (else NotAvailable)."""
    for period_end in period_ends:
        term_start(terms, period_end)  # raises NotAvailable for a month outside every term
    end = children.period_end
    year = end.year()
    month_day = end.month() * 100 + end.day()
    branches: list[tuple[ir.BooleanValue, ir.DateValue]] = []
    for span in terms.values():
        (first_month, first_day), (last_month, last_day) = (
            _month_day(part) for part in span.split("-")
        )
        first, last = first_month * 100 + first_day, last_month * 100 + last_day
        this_year = ibis.date(year, first_month, first_day)
        if first <= last:
            branches.append(((month_day >= first) & (month_day <= last), this_year))
        else:  # e.g. "1 Nov - 28 Feb": from the start in one year to the end in the next
            branches.append((month_day >= first, this_year))
            branches.append((month_day <= last, ibis.date(year - 1, first_month, first_day)))
    age_year = ibis.ifelse(end.month() >= 9, year, year - 1)
    return children.mutate(
        _t_start=ibis.cases(*branches, else_=ibis.null("date")),
        _t_age_date=ibis.date(age_year, 8, 31),
    )


@child_list(
    "lac_health.pep_up_to_date_pct",
    act_on_passing=False,
    columns=(("poc_start", "In care since"), ("term_start", "Term started")),
    describes="Looked-after children of statutory school age without a personal education plan "
    "this term",
    overdue="Days into the term",
)
def pep_items(ctx: Context) -> ir.Table:
    """Children looked after of statutory school age at the month end, ``passes`` with a
    completed PEP dated in the term so far."""
    peps = ctx.table(PEP, ["person_id", "pep_date"])
    peps = peps.filter(
        peps.pep_date.notnull() & (_normal(peps.pep_status.cast("string")) == "completed")
    ).select(_p_person=peps.person_id.cast("string"), _p_date=peps.pep_date)
    children = with_dob(ctx, looked_after_at_month_end(ctx))
    children = _with_term(children, ctx.param("terms"), ctx.period_ends)
    age = age_at(children.dob, children._t_age_date)
    children = children.filter(age.notnull() & (age >= 5) & (age <= 15))
    found = (
        children.join(
            peps,
            [
                children.person_id == peps._p_person,
                peps._p_date >= children._t_start,
                peps._p_date <= children.period_end,
            ],
        )
        .select(_f_person="person_id", _f_end="period_end")
        .distinct()
    )
    items = children.left_join(
        found, [children.person_id == found._f_person, children.period_end == found._f_end]
    )
    return items.mutate(
        term_start=items._t_start,
        passes=items._f_person.notnull(),
        days_overdue=days_between(items._t_start, items.period_end),
    )


@indicator("lac_health.pep_up_to_date_pct")
def pep_up_to_date(ctx: Context) -> ir.Table:
    items = pep_items(ctx)
    return rated(items, items.passes)
