"""The dashboard's finance page: the month's budget monitoring, as the pack's finance pages
show it (:mod:`cscperf.reports.finance_section`), with the chart of forecast against budget.

The finance files can be imported again into a build, so this page is never taken from the
page cache.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from cscperf.finance.month import month_finance
from cscperf.reports.charts import to_svg
from cscperf.reports.finance_section import finance_section, trend_alt_text, trend_chart
from cscperf.web.charts import labelled_svg
from cscperf.web.views import TAG_CLASS


def add_finance_routes(app: FastAPI, pages: Any) -> None:
    """``/finance`` on the dashboard ``app``."""
    data = pages.data

    @app.get("/finance", response_class=HTMLResponse)
    def finance_page(
        request: Request, build: str | None = None, period: str | None = None
    ) -> HTMLResponse:
        chosen = pages.selection(build, period, None)
        finance = month_finance(data.build(chosen["facts"].id), chosen["period_end"])
        section = None if finance is None else finance_section(finance)
        chart = chart_text = ""
        if section is not None and section.trend:
            chart_text = trend_alt_text(section)
            chart = labelled_svg(to_svg(trend_chart(section)), "finance-chart-text")
        return pages.render(
            request,
            "finance.html",
            **chosen,
            finance=section,
            chart=chart,
            chart_text=chart_text,
            rag_tags=TAG_CLASS,
        )
