"""The scheduler: compiled SQL executes in a worker thread while the next indicators compile.

Owns :class:`ExecutionThread`, which runs prepared SQL on a cursor of its own, in the order
handed over (the filling of shared tables, ``BuildTables.defer``, and the indicators'
queries), and :func:`pipelined`, which keeps a few indicators compiled ahead of the one whose
rows are being finished. Only backends with a worker cursor (``Backend.worker_cursor``) get
the thread; DuckDB releases the GIL while it executes, so the main thread builds and compiles
Ibis expressions meanwhile. Elsewhere everything runs in the main thread, in the same order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from cscperf.indicators.aggregates import execute_aggregates

if TYPE_CHECKING:
    import polars as pl

    from cscperf.indicators.context import BuildTables

# Indicators compiled ahead of the one whose rows are being finished: enough to keep the
# execution thread busy while the main thread compiles, few enough to hold little memory.
LOOKAHEAD = 3

Execute = Callable[[str], "Future[tuple[pl.DataFrame, float]]"]


class _Pending(Protocol):
    def done(self) -> bool: ...


P = TypeVar("P", bound=_Pending)


class ExecutionThread:
    """Runs prepared SQL on one cursor in a worker thread, in the order handed over. As a
    context manager it gives the function that hands a query over, or None when the
    backend has no worker cursor."""

    def __init__(self, build: BuildTables) -> None:
        self.build = build
        self.pool: ThreadPoolExecutor | None = None
        self.cursor: Any = None
        # A shared table that failed to fill: every later query would read it half-made.
        self.failed: BaseException | None = None

    def __enter__(self) -> Execute | None:
        if not self.build.backend.worker_cursor:
            return None
        self.cursor = self.build.backend.open_cursor()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cscperf-sql")
        self.build.defer = self.defer
        return self.submit

    def _fill(self, sql: str) -> None:
        if self.failed is not None:
            raise self.failed
        try:
            self.build.backend.run(sql, self.cursor)
        except BaseException as error:
            self.failed = error
            raise

    def _query(self, sql: str) -> tuple[pl.DataFrame, float]:
        if self.failed is not None:
            raise self.failed
        return execute_aggregates(self.build, sql, self.cursor)

    def defer(self, sql: str) -> Future[None]:
        assert self.pool is not None
        return self.pool.submit(self._fill, sql)

    def submit(self, sql: str) -> Future[tuple[pl.DataFrame, float]]:
        assert self.pool is not None
        return self.pool.submit(self._query, sql)

    def __exit__(self, *exc: object) -> None:
        self.build.defer = None
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.cursor is not None:
            self.cursor.close()


def pipelined(items: Iterable[P], finish: Callable[[P], None], lookahead: int = LOOKAHEAD) -> None:
    """Call ``finish`` on each planned item in order, as soon as it is done or once more than
    ``lookahead`` items are waiting behind it (iterating ``items`` plans the next one)."""
    pending: deque[P] = deque()
    for item in items:
        pending.append(item)
        while pending and (len(pending) > lookahead or pending[0].done()):
            finish(pending.popleft())
    while pending:
        finish(pending.popleft())
