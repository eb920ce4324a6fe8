"""The output contract (shared specification, section 8), declared once.

Every result row has these columns, in this order and of these types: the seven the
specification names, then ``definition_version``, ``flags`` and ``reason``, which a written
file may leave out. ``breakdown`` is one of :data:`BREAKDOWNS`. The roll-up builds its frames
with :data:`RESULT_SCHEMA`, the writers order columns by it, the command line offers
:data:`BREAKDOWNS` for ``--by``, and tests/indicators/test_contract.py holds the table in
docs/indicators.md to both.
"""

from __future__ import annotations

from typing import Any

import polars as pl

RESULT_SCHEMA: dict[str, Any] = {
    "indicator_id": pl.String,
    "period_end": pl.Date,
    "breakdown": pl.String,
    "breakdown_value": pl.String,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "value": pl.Float64,
    "definition_version": pl.String,
    "flags": pl.List(pl.String),
    "reason": pl.String,
}
OPTIONAL_COLUMNS = ("definition_version", "flags", "reason")
CONTRACT_COLUMNS = tuple(c for c in RESULT_SCHEMA if c not in OPTIONAL_COLUMNS)
BREAKDOWNS = ("all", "locality", "team", "team_type", "source", "carer_type")
