"""Social worker caseloads at the month end (catalogue ``caseloads.yaml``).

Owns the ``caseloads.*`` item tables, where the counted items are workers, not children:
cases are children with an allocated-worker involvement open at E (a child once per worker);
a worker is qualified by a Social Work England registration number (``SW...``) or a job title
in ``qualified_titles``; the worker's team is the team of most of the worker's cases (a tie
goes to the lowest team id; no team on any case: the worker's department), and the team type
comes from the ``team_types`` parameter when it is set, from council.yaml otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.attribution import REQUIRED_INVOLVEMENT_COLUMNS, blank_to_null
from cscperf.indicators.blocks.windows import open_at_period_end
from cscperf.indicators.context import Context, NotAvailable
from cscperf.indicators.registry import indicator

INVOLVEMENTS = "ssd_involvements"
PROFESSIONALS = "ssd_professionals"


def cases_at_month_end(ctx: Context) -> ir.Table:
    """One row per worker, child and month end: worker, person, period_end, case_team."""
    return ctx.shared("cases at month end", lambda: _cases_at_month_end(ctx), monthly=True)


def _cases_at_month_end(ctx: Context) -> ir.Table:
    ctx.table(INVOLVEMENTS, ["invo_professional_id", "invo_person_id"])
    invo = ctx.table(INVOLVEMENTS)
    roles = ctx.parameters.get("allocated_roles")
    if roles:
        invo = invo.filter(invo.invo_professional_role_id.isin([str(r) for r in roles]))
    invo = invo.filter(invo.invo_professional_id.notnull() & invo.invo_person_id.notnull())
    # Worker and team cleaned once per involvement, before each is repeated for every month
    # end it is open at (cleaning after cost more than the month-end join itself).
    invo = invo.select(
        _worker=invo.invo_professional_id.cast("string"),
        _person=invo.invo_person_id,
        _team=blank_to_null(invo.invo_professional_team.cast("string")),
        _start=invo.invo_involvement_start_date,
        _end=invo.invo_involvement_end_date,
    )
    open_at = open_at_period_end(ctx, invo, "_start", "_end")
    # A child counts once per worker; with two teams on the same pair the lowest team is kept.
    return open_at.group_by(
        worker=open_at._worker, person=open_at._person, period_end=open_at.period_end
    ).aggregate(case_team=open_at._team.min())


def worker_team(cases: ir.Table) -> ir.Table:
    """worker, period_end, voted_team: the team of most of the worker's cases (ties: the
    lowest team id); null when no case has a team."""
    with_team = cases.filter(cases.case_team.notnull())
    votes = with_team.group_by(["worker", "period_end", "case_team"]).aggregate(n=with_team.count())
    ranked = votes.mutate(
        _rank=ibis.row_number().over(
            group_by=[votes.worker, votes.period_end],
            order_by=[votes.n.desc(), votes.case_team],
        )
    )
    return ranked.filter(ranked._rank == 0).select(
        _v_worker="worker", _v_end="period_end", voted_team="case_team"
    )


def professionals(ctx: Context) -> ir.Table:
    """_p_worker, qualified, fte, department (one row per professional id)."""
    prof = ctx.table(PROFESSIONALS, ["prof_professional_id"])
    titles = [str(t).strip().lower() for t in ctx.param("qualified_titles") or []]
    registration = prof.prof_social_worker_registration_no.cast("string").strip().upper()
    title = prof.prof_professional_job_title.cast("string").strip().lower()
    qualified = registration.startswith("SW").fill_null(False) | title.isin(titles).fill_null(False)
    rows = prof.select(
        _p_worker=prof.prof_professional_id.cast("string"),
        qualified=qualified,
        fte=prof.prof_full_time_equivalency.cast("float64"),
        department=blank_to_null(prof.prof_professional_department.cast("string")),
    )
    return rows.group_by("_p_worker").aggregate(
        qualified=rows.qualified.max(), fte=rows.fte.max(), department=rows.department.min()
    )


def caseload_workers(ctx: Context) -> ir.Table:
    """Qualified workers holding at least one case at E: period_end, team, cases, fte and,
    when the parameter is set, team_type."""
    if ctx.optional_table(INVOLVEMENTS, REQUIRED_INVOLVEMENT_COLUMNS) is None:
        raise NotAvailable("the build has no involvements with a team and a start date")
    cases = cases_at_month_end(ctx)
    per_worker = cases.group_by(["worker", "period_end"]).aggregate(cases=cases.count())
    teams = worker_team(cases)
    prof = professionals(ctx)
    joined = per_worker.join(prof, per_worker.worker == prof._p_worker)
    joined = joined.filter(joined.qualified)
    joined = joined.left_join(
        teams, [joined.worker == teams._v_worker, joined.period_end == teams._v_end]
    )
    items = joined.select(
        "period_end",
        "cases",
        "fte",
        team=joined.voted_team.coalesce(joined.department),
    )
    mapping: Mapping[str, str] | None = ctx.param("team_types")
    if mapping:
        cases_of = [(items.team == str(k), ibis.literal(str(v))) for k, v in mapping.items()]
        items = items.mutate(team_type=ibis.cases(*cases_of, else_=ibis.null("string")))
    return items


@indicator("caseloads.qualified_sw_caseload_avg")
def caseload_avg(ctx: Context) -> ir.Table:
    workers = caseload_workers(ctx)
    extra = ["team_type"] if "team_type" in workers.columns else []
    return workers.select(
        "period_end", "team", *extra, numerator=workers.cases, denominator=ibis.literal(1)
    )


@indicator("caseloads.qualified_sw_caseload_max")
def caseload_max(ctx: Context) -> ir.Table:
    workers = caseload_workers(ctx)
    extra = ["team_type"] if "team_type" in workers.columns else []
    # Each worker is one item; the engine keeps the largest item as the maximum.
    return workers.select("period_end", "team", *extra, numerator=workers.cases)


@indicator("caseloads.cases_per_case_holder_fte_ratio")
def cases_per_fte(ctx: Context) -> ir.Table:
    ctx.table(PROFESSIONALS, ["prof_full_time_equivalency"])
    workers = caseload_workers(ctx)
    workers = workers.filter(workers.fte.notnull() & (workers.fte > 0))
    extra = ["team_type"] if "team_type" in workers.columns else []
    return workers.select(
        "period_end", "team", *extra, numerator=workers.cases, denominator=workers.fte
    )
