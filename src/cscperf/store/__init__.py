"""Immutable, timestamped builds of the canonical tables.

Owns the on-disk store: Parquet files and a manifest per build (the source of truth), atomic
publishing, the pointer to the current build, and the DuckDB file that caches a build for
querying. Nothing here interprets the data.

``Store``, ``Build`` and ``BuildInfo`` live in :mod:`cscperf.store.store` and are re-exported here.
"""

from __future__ import annotations

from cscperf.store.store import Build, BuildInfo, Store

__all__ = ["Build", "BuildInfo", "Store"]
