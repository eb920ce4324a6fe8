"""The pool page of the dashboard (``cscperf serve --pool POOL``): the council's rates and
percentages beside its pool's mean, median, quartiles and its rank, labelled as the pool's
with its name, members and pooled month, apart from the published DfE benchmarks.

Each pooled build is immutable, so the page is made once per pooled build, council build and
month, and kept in the dashboard's memo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from cscperf.indicators.catalogue import load_catalogue
from cscperf.pools.pool import Pool
from cscperf.reports.layout import format_value
from cscperf.reports.pool_section import pool_section


def add_pool_routes(app: FastAPI, pages: Any, pool_dir: Path) -> None:
    """``/pool`` on the dashboard ``app``, and its link in the navigation."""
    data = pages.data
    pool = Pool(pool_dir)
    pool.settings  # noqa: B018 (a folder that is not a pool fails when the dashboard starts)
    pages.env.globals["pool_page"] = True

    @app.get("/pool", response_class=HTMLResponse)
    def pool_page(
        request: Request, build: str | None = None, period: str | None = None
    ) -> HTMLResponse:
        facts, period_end, _ = data.resolve(build, period, None)
        la_code = data.build(facts.id).settings.council.la_code
        pooled = pool.store.current_id()

        def make() -> Any:
            definitions = load_catalogue().definitions
            return pool_section(pool.for_council(la_code), period_end, definitions)

        section = data.cached(("pool", pooled, facts.id, period_end), make)
        params = {"build": None if facts.current else facts.id, "period": f"{period_end:%Y-%m}"}
        return pages.render(
            request,
            "pool.html",
            facts=facts,
            period_end=period_end,
            params=params,
            pool=section,
            fmt=lambda value, unit: "[c]" if value is None else format_value(value, unit),
        )
