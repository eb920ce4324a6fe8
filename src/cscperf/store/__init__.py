"""Immutable, timestamped builds of the canonical tables.

Owns the on-disk store: Parquet files and a manifest per build (the source of truth), atomic
publishing, the pointer to the current build, and the DuckDB file that caches a build for
querying. Nothing here interprets the data.

``Store``, ``Build`` and ``BuildInfo`` live in :mod:`cscperf.store.store` and are re-exported
here lazily, so importing the package (as the command line does at start-up) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cscperf.store.store import Build, BuildInfo, Store

__all__ = ["Build", "BuildInfo", "Store"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from cscperf.store import store

        return getattr(store, name)
    raise AttributeError(f"module 'cscperf.store' has no attribute {name!r}")
