"""The children behind a figure: for the indicators where a manager acts on individuals, the
month's list of children and their dates, on screen and as a CSV file.

These are the only pages with a child's identifier. Each asks for ``children.view``, shows
only the localities the person is scoped to (each list is prepared once per build and month
in the background and cut to the person's localities where it is queried,
:meth:`~cscperf.web.data.DashboardData.children`, not in the template), is written to the
audit log (who, which list, month, locality and how many rows; never an identifier) and is
sent with ``Cache-Control: no-store``. A page is rendered once per person, build, month,
list and locality and then kept in the server's memory (as the lists themselves are), but
every view is audited, whether the page is rendered or taken from memory.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from cscperf.indicators.children import (
    LOCALITY,
    OVERDUE,
    PERSON,
    TEAM,
    Children,
    child_lists,
)
from cscperf.spreadsheet_safety import csv_rows_text
from cscperf.store import audit
from cscperf.web.data import NotFound
from cscperf.web.forms import VIEW_CHILDREN, Forbidden, User, current_user, require

VIEWED = "children.view"
DOWNLOADED = "children.download"
NO_STORE = {"cache-control": "no-store"}


def children_url(indicator_id: str, period: str, locality: str | None, csv: bool = False) -> str:
    query = {"period": period, **({"locality": locality} if locality else {})}
    tail = ".csv" if csv else ""
    return f"/children/{quote(indicator_id, safe='')}{tail}?{urlencode(query)}"


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%-d %b %Y}"
    return str(value)


def headings_of(found: Children) -> list[str]:
    """The headings of a list's own columns: the dates behind the figure, then how overdue."""
    return [*(h for _, h in found.spec.columns), found.spec.overdue]


def cells_of(found: Children, row: dict[str, Any]) -> list[str]:
    return [*(cell(row[c]) for c, _ in found.spec.columns), cell(row[OVERDUE])]


def add_children_routes(app: FastAPI, pages: Any) -> None:
    """The child lists on the dashboard ``app``."""
    data = pages.data

    def scoped(request: Request, period: str | None, locality: str | None) -> tuple[User, Any]:
        """The person (who may see children) and the checked month and locality; a locality
        outside their scope is refused, and no locality means all of theirs."""
        who = current_user(request)
        require(who, VIEW_CHILDREN)
        facts, period_end, chosen = data.resolve(None, period, locality)
        if chosen is not None and not who.may_see_locality(chosen):
            raise Forbidden(f"{who.name} may not see the children of {chosen}.")
        return who, (facts, period_end, chosen)

    def listed(who: User, indicator_id: str, period_end: date, chosen: str | None) -> Children:
        if indicator_id not in child_lists():
            raise NotFound(
                f"there is no list of children behind {indicator_id!r}; the Children page "
                "lists the figures that have one"
            )
        scope = frozenset({chosen}) if chosen is not None else who.localities
        return data.children(indicator_id, period_end, scope)  # filtered to the scope there

    @app.get("/children", response_class=HTMLResponse)
    def children_index(
        request: Request, period: str | None = None, locality: str | None = None
    ) -> HTMLResponse:
        who, (facts, period_end, chosen) = scoped(request, period, locality)

        def make() -> dict[str, Any]:
            titles = {ref: d.title for ref, d in data.definitions().items()}
            month = f"{period_end:%Y-%m}"
            return {
                "facts": facts,
                "title": "Children behind the figures",
                "period_end": period_end,
                "locality": chosen,
                "lists": [
                    (titles.get(ref, ref), spec.describes, children_url(ref, month, chosen))
                    for ref, spec in sorted(child_lists().items())
                ],
            }

        response = pages.render_kept(
            request, "children_index.html", (who, facts.id, facts.current, period_end, chosen), make
        )
        response.headers.update(NO_STORE)
        return response

    @app.get("/children/{indicator_id}.csv")
    def children_csv(
        request: Request, indicator_id: str, period: str | None = None, locality: str | None = None
    ) -> Response:
        who, (_facts, period_end, chosen) = scoped(request, period, locality)
        found = listed(who, indicator_id, period_end, chosen)
        header = ["Child", "Locality", "Team", *headings_of(found)]
        rows = (
            [cell(r[PERSON]), r[LOCALITY], cell(r[TEAM]), *cells_of(found, r)]
            for r in found.rows.iter_rows(named=True)
        )
        _audit(data.path, who, DOWNLOADED, indicator_id, period_end, chosen, found.rows.height)
        name = f"children-{indicator_id}-{period_end:%Y-%m}{'-' + chosen if chosen else ''}.csv"
        return Response(
            csv_rows_text(header, rows),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{quote(name)}"',
                **NO_STORE,
            },
        )

    @app.get("/children/{indicator_id}", response_class=HTMLResponse)
    def children_page(
        request: Request, indicator_id: str, period: str | None = None, locality: str | None = None
    ) -> HTMLResponse:
        who, (facts, period_end, chosen) = scoped(request, period, locality)
        found = listed(who, indicator_id, period_end, chosen)
        # every view is audited before the page is sent, also when the page is from memory
        _audit(data.path, who, VIEWED, indicator_id, period_end, chosen, found.rows.height)
        definition = data.definitions()[indicator_id]

        def make() -> dict[str, Any]:
            return {
                "facts": facts,
                "title": f"Children behind: {definition.title}",
                "definition": definition,
                "found": found,
                "headings": headings_of(found),
                "rows": [
                    [cell(r[PERSON]), r[LOCALITY], cell(r[TEAM]), *cells_of(found, r)]
                    for r in found.rows.iter_rows(named=True)
                ],
                "period_end": period_end,
                "locality": chosen,
                "scope": ", ".join(sorted(who.localities)) if who.localities is not None else None,
                "csv_url": children_url(indicator_id, f"{period_end:%Y-%m}", chosen, csv=True),
                "figure_url": f"/indicators/{quote(indicator_id, safe='')}?"
                + urlencode(
                    {"period": f"{period_end:%Y-%m}", **({"locality": chosen} if chosen else {})}
                ),
            }

        # kept per person (and scope): one person's page is never served to another
        key = (who, facts.id, facts.current, indicator_id, period_end, chosen)
        response = pages.render_kept(request, "children.html", key, make)
        response.headers.update(NO_STORE)
        return response


def _audit(
    store: Any,
    who: User,
    action: str,
    indicator_id: str,
    period_end: date,
    locality: str | None,
    count: int,
) -> None:
    detail: dict[str, object] = {
        "indicator": indicator_id,
        "period": f"{period_end:%Y-%m}",
        "locality": locality
        or (
            "all of " + ", ".join(sorted(who.localities))
            if who.localities is not None
            else "county"
        ),
        "rows": count,
    }
    audit.record(store, who.name, action, detail)
