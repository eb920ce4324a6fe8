"""The finance registers a ledger does not hold, as small CSV (or workbook) layouts.

Reserves and provisions, projected school balances, the savings programme and the management
action plan: each is a short list the finance business partner keeps for the month's report.
A file is recognised by its heading; every row is checked like the ledger's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from cscperf.errors import InputError
from cscperf.finance.ledger import Sheet, parse_money

RESERVE_GROUPS = ("dsg", "schools", "childrens_services")
RAGS = ("red", "amber", "green")


@dataclass(frozen=True)
class Register:
    """One layout: its name, required and optional columns, and which of them are money."""

    name: str
    title: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    money: tuple[str, ...]


REGISTERS = (
    Register(
        "reserves",
        "reserves and provisions",
        ("reserve", "group", "opening_balance", "forecast_closing_balance"),
        ("reason",),
        ("opening_balance", "forecast_closing_balance"),
    ),
    Register(
        "school_balances",
        "school balances",
        ("phase", "opening_balance", "forecast_closing_balance"),
        ("academy_conversions",),
        ("opening_balance", "forecast_closing_balance", "academy_conversions"),
    ),
    Register(
        "savings",
        "savings programme",
        ("saving", "target", "forecast_delivery"),
        ("rag", "reason"),
        ("target", "forecast_delivery"),
    ),
    Register(
        "actions",
        "management actions",
        ("action", "expected_impact"),
        ("impact_amount", "owner"),
        ("impact_amount",),
    ),
)


def register_of(header: list[str]) -> Register | None:
    """The register whose required columns the heading holds, or None."""
    names = {h.strip().lower() for h in header}
    return next((r for r in REGISTERS if set(r.required) <= names), None)


def _checker(register: Register) -> Callable[[str, Any, str, int], Any]:
    def check(column: str, value: Any, file: str, row: int) -> Any:
        blank = value is None or (isinstance(value, str) and not value.strip())
        if column in register.money:
            required = column in register.required
            amount = parse_money(value, file, row, column, required=required)
            return 0.0 if amount is None and column == "academy_conversions" else amount
        text = None if blank else str(value).strip()
        if text is None and column in register.required:
            raise InputError("this is required", file=file, row=row, field=column)
        if column == "group" and text is not None:
            group = text.lower().replace("'", "").replace(" ", "_")
            if group not in RESERVE_GROUPS:
                raise InputError(
                    f"{text!r} is not a group; write one of {', '.join(RESERVE_GROUPS)}",
                    file=file,
                    row=row,
                    field=column,
                )
            return group
        if column == "rag" and text is not None:
            if text.lower() not in RAGS:
                raise InputError(
                    f"{text!r} is not a rating; write red, amber or green, or leave it blank "
                    "to rate the saving from its forecast delivery",
                    file=file,
                    row=row,
                    field=column,
                )
            return text.lower()
        return text

    return check


def parse_register(sheet: Sheet, register: Register) -> pl.DataFrame:
    """Every row of one register file, checked."""
    positions = {h.strip().lower(): n for n, h in enumerate(sheet.header)}
    columns = [c for c in (*register.required, *register.optional)]
    check = _checker(register)
    out: dict[str, list[Any]] = {c: [] for c in columns}
    for n, cells in sheet.rows:
        for column in columns:
            value = cells[positions[column]] if column in positions else None
            out[column].append(check(column, value, sheet.file, n))
    schema = {c: pl.Float64 if c in register.money else pl.String for c in columns}
    return pl.DataFrame(out, schema=schema)
