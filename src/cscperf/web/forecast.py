"""The forecast page of the dashboard: children looked after projected from a month, with its
interval, cost, backtest and the council's scenarios; and the same figures as CSV.

A build is immutable, so a forecast is computed once per build and month and kept in the
dashboard's memo; the first visit waits for it (a second or two for a county), later visits
do not.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from cscperf.app.forecast import forecast_for_pack
from cscperf.forecast.result import Forecast, projection_frame
from cscperf.reports.charts import to_svg
from cscperf.reports.forecast_section import ForecastSection, category_name, forecast_section
from cscperf.spreadsheet_safety import csv_rows_text

CSV_HEADERS = ["Month end", "Placement", "Expected children", "Low", "High", "Expected cost (£)"]


def add_forecast_routes(app: FastAPI, pages: Any) -> None:
    """``/forecast`` and ``/forecast.csv`` on the dashboard ``app``."""
    data = pages.data

    def forecast_of(build_id: str, period_end: date) -> tuple[Forecast | None, str]:
        return data.cached(
            ("forecast", build_id, period_end),
            lambda: forecast_for_pack(data.build(build_id), period_end),
        )

    def section_of(build_id: str, period_end: date) -> tuple[ForecastSection | None, str, str]:
        def make() -> tuple[ForecastSection | None, str, str]:
            result, reason = forecast_of(build_id, period_end)
            if result is None:
                return None, "", reason
            section = forecast_section(result)
            return section, to_svg(section.design), reason

        return data.cached(("forecast-page", build_id, period_end), make)

    @app.get("/forecast", response_class=HTMLResponse)
    def forecast_page(
        request: Request, build: str | None = None, period: str | None = None
    ) -> HTMLResponse:
        chosen = pages.selection(build, period, None)
        section, svg, reason = section_of(chosen["facts"].id, chosen["period_end"])
        return pages.render(
            request, "forecast.html", **chosen, forecast=section, chart_svg=svg, reason=reason
        )

    @app.get("/forecast.csv")
    def forecast_csv(build: str | None = None, period: str | None = None) -> Response:
        facts, period_end, _ = data.resolve(build, period, None)
        result, _ = forecast_of(facts.id, period_end)
        rows = [] if result is None else _csv_rows(result)
        return Response(
            csv_rows_text(CSV_HEADERS, rows),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="forecast-{period_end:%Y-%m}.csv"'
            },
        )


def _csv_rows(result: Forecast) -> list[list[object]]:
    # numbers stay numbers: only text is defused, so a figure never gains an apostrophe
    return [
        [
            r["month_end"].isoformat(),
            category_name(r["placement_category"]),
            r["expected_children"],
            r["low"],
            r["high"],
            r["expected_cost"],
        ]
        for r in projection_frame(result).iter_rows(named=True)
    ]
