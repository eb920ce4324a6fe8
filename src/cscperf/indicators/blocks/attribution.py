"""Which team an item belongs to (spec section 7), written once for every indicator.

1. The team recorded on the item itself (``cine_referral_team``, ``cina_assessment_team``...).
2. Otherwise the team (``invo_professional_team``) of the child's allocated-worker involvement
   open at the item's reference date (the event date, or E for a snapshot). When several are
   open, the one that started last wins (ties: the lowest team id) so every item has one team.
3. Otherwise null, which the engine reports as ``unallocated``.

Which involvement roles mean "allocated worker" is the shared parameter ``allocated_roles``
(``framework.yaml``; null = every involvement).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.expressions import ends_after, first_per_key
from cscperf.indicators.blocks.windows import open_at_period_end

if TYPE_CHECKING:
    from cscperf.indicators.context import Context

INVOLVEMENTS = "ssd_involvements"
REQUIRED_INVOLVEMENT_COLUMNS = (
    "invo_person_id",
    "invo_professional_team",
    "invo_involvement_start_date",
)


def blank_to_null(value: ir.StringValue) -> ir.StringValue:
    """An empty or all-space team is no team."""
    stripped = value.strip()
    return ibis.ifelse(stripped == "", ibis.null("string"), stripped)


def allocated_involvements(ctx: Context) -> ir.Table | None:
    """Involvements with a person, a team and a start date, limited to allocated roles.

    Read whenever the build has the table with these columns, even empty, not supplied or
    with a column never filled: then no involvement has a person, a team and a start together,
    so none is ever chosen and every item keeps its own team, exactly as without the table.
    Asking whether it holds rows or its columns are filled would only make the SQL depend on
    answers that cannot change the results (a return's build, whose involvements carry no
    team, then finds the SQL shipped for the full SSD; docs/decisions/0005, sixth pass)."""
    if INVOLVEMENTS not in ctx.build.names:
        return None
    invo = ctx.build.raw(INVOLVEMENTS)
    if any(c not in invo.columns for c in REQUIRED_INVOLVEMENT_COLUMNS):
        return None
    roles = ctx.parameters.get("allocated_roles")
    if roles:
        invo = invo.filter(invo.invo_professional_role_id.isin([str(r) for r in roles]))
    return invo.select(
        _inv_person=invo.invo_person_id,
        _inv_team=blank_to_null(invo.invo_professional_team.cast("string")),
        _inv_start=invo.invo_involvement_start_date,
        _inv_end=invo.invo_involvement_end_date,
    ).filter(lambda t: t._inv_team.notnull())


def teams_at_month_end(ctx: Context) -> ir.Table | None:
    """Step 2 for every child at each of the run's month ends, made once per run:
    ``_key_person``, ``_key_date`` (the month end) and ``_inv_team``, the team of the
    allocated involvement open at E that started last (ties: the lowest team id). None
    without involvements."""
    if allocated_involvements(ctx) is None:
        return None

    def build() -> ir.Table:
        invo = allocated_involvements(ctx)
        assert invo is not None  # checked above; the block reads the same table
        open_at = open_at_period_end(ctx, invo, "_inv_start", "_inv_end")
        latest = first_per_key(
            open_at, ["_inv_person", "period_end"], [open_at._inv_start.desc(), "_inv_team"]
        )
        return latest.select(
            _key_person=latest._inv_person, _key_date=latest.period_end, _inv_team=latest._inv_team
        )

    return ctx.shared("allocated team at month end", build, monthly=True)


def attribute(
    ctx: Context,
    items: ir.Table,
    person_column: str,
    reference_column: str,
    team_column: str | None = None,
) -> ir.Table:
    """``items`` with a ``team`` column added by the three steps above.

    A reference column named ``period_end`` holds the run's month ends (as every snapshot's
    does): their teams come from :func:`teams_at_month_end`, made once per run, rather than
    from a join of these items to every involvement of the child."""
    own = (
        blank_to_null(items[team_column].cast("string"))
        if team_column is not None
        else ibis.null("string")
    )
    items = items.mutate(_own_team=own)
    if reference_column == "period_end":
        chosen = teams_at_month_end(ctx)
        if chosen is None:
            return items.mutate(team=items._own_team).drop("_own_team")
        return _with_team(items, chosen, person_column, reference_column)
    invo = allocated_involvements(ctx)
    if invo is None:
        return items.mutate(team=items._own_team).drop("_own_team")

    # Look teams up once per (person, reference date) of the items that carry no team.
    needing = items.filter(items._own_team.isnull())
    keys = needing.select(
        _key_person=needing[person_column], _key_date=needing[reference_column]
    ).distinct()
    matched = keys.join(
        invo,
        [
            keys._key_person == invo._inv_person,
            invo._inv_start <= keys._key_date,
            ends_after(invo._inv_end, keys._key_date),
        ],
    )
    ranked = matched.mutate(
        _rank=ibis.row_number().over(
            group_by=[matched._key_person, matched._key_date],
            order_by=[matched._inv_start.desc(), matched._inv_team],
        )
    )
    chosen = ranked.filter(ranked._rank == 0).select("_key_person", "_key_date", "_inv_team")
    return _with_team(items, chosen, person_column, reference_column)


def _with_team(
    items: ir.Table, chosen: ir.Table, person_column: str, reference_column: str
) -> ir.Table:
    """``items`` (with ``_own_team``) given ``team``: their own, else the one ``chosen``
    (``_key_person``, ``_key_date``, ``_inv_team``) for their person and reference date."""
    joined = items.left_join(
        chosen,
        [
            items[person_column] == chosen._key_person,
            items[reference_column] == chosen._key_date,
        ],
    )
    return joined.mutate(team=joined._own_team.coalesce(joined._inv_team)).drop(
        "_own_team", "_key_person", "_key_date", "_inv_team"
    )
