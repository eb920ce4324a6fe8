"""The finance section as a workbook sheet: the same rows as the pack, money in pounds.

Each table is a named Excel table (amounts as numbers formatted £#,##0, percentages as
numbers), so a finance business partner can sum and filter them; RAG is a text column with
the pack's colours as a second cue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cscperf.reports.finance_section import FinanceSection, MoneyRow
from cscperf.reports.layout import load_layout

if TYPE_CHECKING:
    from cscperf.reports.html import PackContent

# the workbook helper of cscperf.reports.excel, which calls this module (typed loosely so the
# two do not import each other)
_Book = Any


def _money_table(
    book: _Book, ws: Any, top: int, name: str, first: str, rows: list[MoneyRow]
) -> int:
    layout = load_layout()
    pounds = book.wb.add_format({"num_format": "£#,##0;-£#,##0"})
    pct = book.wb.add_format({"num_format": "0.0"})
    columns = [
        ("Row", None, 10),
        (first, book.wrap, 36),
        ("Budget £", pounds, 13),
        ("Forecast outturn £", pounds, 13),
        ("Over (+) / under (−) £", pounds, 13),
        ("% of budget", pct, 9),
        ("Movement since last month £", pounds, 13),
        ("Direction", None, 12),
        ("RAG", None, 9),
        ("Reason", book.wrap, 50),
    ]
    data = [
        [r.kind, r.label, r.budget, r.forecast, r.variance, r.variance_pct, r.movement,
         r.direction, layout.rag_mark(r.rag).label if r.rag else "", r.reason]
        for r in rows
    ]  # fmt: skip
    return book.table(ws, top, name, columns, data, rag_columns=(8,))


def _plain_table(
    book: _Book, ws: Any, top: int, name: str, spec: list[tuple[str, str, str]], rows: list[dict]
) -> int:
    """A table of dicts; ``spec`` is (key, header, "money"|"text"|"number")."""
    pounds = book.wb.add_format({"num_format": "£#,##0;-£#,##0"})
    formats = {"money": (pounds, 14), "text": (book.wrap, 36), "number": (None, 12)}
    columns = [(header, *formats[kind]) for _, header, kind in spec]
    data = [[r.get(key) for key, _, _ in spec] for r in rows]
    return book.table(ws, top, name, columns, data)


def _trend_chart(book: _Book, ws: Any, header_row: int, months: int) -> None:
    """A native line chart of the trend table (written at ``header_row``): budget dashed,
    forecast outturn solid, beside the table."""
    chart = book.wb.add_chart({"type": "line"})
    sheet = ws.get_name()
    first, last = header_row + 1, header_row + months
    for column, series, line in (
        (1, "Budget", {"dash_type": "dash", "color": "#505A5F"}),
        (2, "Forecast outturn", {"color": "#1D70B8"}),
    ):
        chart.add_series(
            {
                "name": series,
                "categories": [sheet, first, 0, last, 0],
                "values": [sheet, first, column, last, column],
                "line": line,
                "marker": {"type": "circle"},
            }
        )
    chart.set_title(
        {"name": "Council fund: forecast outturn against budget", "name_font": {"size": 10}}
    )
    chart.set_y_axis({"num_format": "£#,##0", "name": "£"})
    chart.set_legend({"position": "top"})
    ws.insert_chart(header_row, 8, chart, {"x_scale": 1.2, "y_scale": 1.0})


def finance_sheet(book: _Book, content: PackContent) -> None:
    """The 'Finance' sheet, when the pack has finance."""
    section: FinanceSection | None = content.finance
    if section is None:
        return
    ws = book.sheet("Finance", section.title)
    if section.missing:
        ws.write(2, 0, f"No finance monitoring for this month: {section.missing}.")
        return
    row = 2
    for point in section.points:
        ws.write(row, 0, point)
        row += 1
    row += 1
    for title, name, money_rows in (
        ("Revenue: council fund by division", "finance_council_fund", section.council_fund),
        ("Revenue: Dedicated Schools Grant by block", "finance_dsg", section.dsg),
        ("By funding source", "finance_by_funding", section.by_funding),
        ("By section 251 line", "finance_by_s251", section.by_s251),
    ):  # fmt: skip
        if money_rows:
            ws.write(row, 0, title, book.bold)
            row = _money_table(book, ws, row + 1, name, "Line", money_rows)
    plain: list[tuple[str, str, list[tuple[str, str, str]], list[dict]]] = [
        ("Forecast against budget by month", "finance_trend", [
            ("month", "Month", "text"), ("budget", "Budget £", "money"),
            ("forecast", "Forecast £", "money"), ("variance", "Variance £", "money"),
            ("direction", "Direction", "text"), ("dsg_budget", "DSG budget £", "money"),
            ("dsg_forecast", "DSG forecast £", "money")],
         [{**t, "month": f"{t['month']:%b %Y}"} for t in section.trend]),
        ("School balances", "finance_school_balances", [
            ("phase", "Phase", "text"), ("opening_balance", "Balance at 1 April £", "money"),
            ("forecast_closing_balance", "Forecast at 31 March £", "money"),
            ("in_year", "In-year variance £", "money"),
            ("academy_conversions", "Schools becoming academies £", "money")],
         section.registers.get("school_balances", [])),
        ("Management action plan", "finance_actions", [
            ("action", "Action", "text"), ("expected_impact", "Expected impact", "text"),
            ("impact_amount", "Expected impact £", "money"), ("owner", "Owner", "text")],
         section.registers.get("actions", [])),
        ("Savings programme", "finance_savings", [
            ("saving", "Saving", "text"), ("target", "Target £", "money"),
            ("forecast_delivery", "Forecast delivery £", "money"),
            ("shortfall", "Shortfall £", "money"), ("rag", "RAG", "text"),
            ("reason", "Reason", "text")],
         section.registers.get("savings", [])),
        ("Reserves and provisions", "finance_reserves", [
            ("reserve", "Reserve or provision", "text"),
            ("opening_balance", "Balance at 1 April £", "money"),
            ("forecast_closing_balance", "Balance at 31 March £", "money"),
            ("movement", "Variance £", "money"), ("reason", "Reason", "text")],
         section.registers.get("reserves", [])),
        ("What the placements cost", "finance_placements", [
            ("kind", "Placements", "text"), ("weekly_rate", "Weekly rate £", "money"),
            ("source", "Rate from", "text"), ("open_now", "Open at month end", "number"),
            ("nights_month", "Nights in month", "number"),
            ("cost_month", "Cost in month £", "money"),
            ("cost_ytd", "Cost since 1 April £", "money"),
            ("forecast_year", "Forecast for the year £", "money")],
         section.costs),
        ("The ledger's placement lines against the placements", "finance_reconciliation", [
            ("divisions", "Ledger lines", "text"),
            ("ledger_actual", "Ledger actual to date £", "money"),
            ("placements_actual", "Placements to date £", "money"),
            ("actual_difference", "Difference to date £", "money"),
            ("ledger_forecast", "Ledger forecast £", "money"),
            ("placements_forecast", "Placements forecast £", "money"),
            ("forecast_difference", "Difference in forecast £", "money")],
         section.reconciliation),
        ("Spend per child (published revenue outturn)", "finance_spend_per_child", [
            ("place", "Council", "text"), ("per_child", "Per child aged 0-17 £", "money"),
            ("per_looked_after", "Per child looked after £", "money")],
         section.benchmark),
    ]  # fmt: skip
    for title, name, spec, rows in plain:
        if rows:
            ws.write(row, 0, title, book.bold)
            if name == "finance_trend":
                _trend_chart(book, ws, row + 1, len(rows))
            row = _plain_table(book, ws, row + 1, name, spec, rows)
    if section.what_if:
        ws.write(row, 0, section.what_if)
