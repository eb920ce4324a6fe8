"""The databases the engine computes on, one :class:`Backend` object per connection.

``backend_for(con)`` picks the class by the Ibis connection's name; a connection of any other
kind gets the base :class:`Backend`, which has no capabilities and still computes everything
through Ibis. To add a database, subclass :class:`Backend` in a module of its own, declare
its capabilities and register it in ``BACKENDS`` (see CONTRIBUTING.md).
"""

from __future__ import annotations

from typing import Any

from cscperf.indicators.backends.base import Backend
from cscperf.indicators.backends.duckdb import DuckDBBackend
from cscperf.indicators.backends.postgres import PostgresBackend
from cscperf.indicators.backends.spark import SparkBackend

BACKENDS: dict[str, type[Backend]] = {
    DuckDBBackend.name: DuckDBBackend,
    PostgresBackend.name: PostgresBackend,
    SparkBackend.name: SparkBackend,
}

__all__ = ["BACKENDS", "Backend", "DuckDBBackend", "PostgresBackend", "SparkBackend", "backend_for"]


def backend_for(con: Any) -> Backend:
    """The backend object for an Ibis connection."""
    name = str(getattr(con, "name", type(con).__name__))
    return BACKENDS.get(name, Backend)(con)
