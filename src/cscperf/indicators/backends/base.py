"""What the engine needs from a database it computes on, and what each one can do.

Owns :class:`Backend`: one object per Ibis connection, holding every statement and set-up
that differs between databases, and declaring its capabilities as data on the class so the
engine asks what a backend can do rather than which backend it is. A backend with no
capabilities at all still computes every indicator: each query goes through Ibis, in the main
thread, with shared building blocks inlined.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import ibis


class Backend:
    """An Ibis connection (``con``) and what the engine may do with it.

    Capabilities (class attributes; a subclass sets those it has):

    ``runs_sql_text``
        Runs SQL text itself (:meth:`fetch`), so the engine may compile an indicator's query
        once, keep the text in the compiled-SQL cache (``sql_cache``) and run it later, on any
        build with the same tables, without building the Ibis expression again.
    ``run_keys``
        The SQL names its months by run key (a scratch runs table lists them), so next
        month's build finds this month's SQL in the cache. Needs ``runs_sql_text``.
    ``worker_cursor``
        A second cursor on the same database runs SQL in a worker thread while the main
        thread compiles the next indicators (``scheduler``). Needs ``runs_sql_text``.
    ``shared_tables``
        Shared building blocks (``Context.shared``) become scratch tables made once per run.
    ``temporary_tables``
        Those tables are temporary tables of the session (else ordinary tables, dropped at
        the end of the run).
    ``fuse_selects``
        Ibis merges each chain of nested selects into one when it compiles (its default).
        A database whose own optimiser flattens nested selects gains nothing from it, and the
        merging is about half of Ibis's compile time on the catalogue's queries; such a
        backend sets this false and :meth:`compile` leaves the selects nested.
    ``cannot_express``
        What this database's SQL cannot say, each with the portable way the indicator code
        says it instead (documentation, checked by the conformance tests).
    ``cannot_compute``
        Indicators (by id) this database cannot compute at all, each with the reason: the
        engine reports them not available with that reason, and the conformance test
        (tests/indicators/test_conformance.py) fails when one of them turns out to work, so
        the list stays true. The one place such a list is kept.
    """

    name: ClassVar[str] = "ibis"
    runs_sql_text: ClassVar[bool] = False
    run_keys: ClassVar[bool] = False
    worker_cursor: ClassVar[bool] = False
    shared_tables: ClassVar[bool] = False
    temporary_tables: ClassVar[bool] = False
    fuse_selects: ClassVar[bool] = True
    cannot_express: ClassVar[Mapping[str, str]] = {}
    cannot_compute: ClassVar[Mapping[str, str]] = {}

    def __init__(self, con: Any) -> None:
        self.con = con

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # ---------------------------------------------------------------- compiling

    def compile(self, expr: Any) -> str:
        """The SQL text of an Ibis expression for this database (see ``fuse_selects``).
        Called from the engine's main thread only: the Ibis option is set for the call."""
        options = ibis.options.sql
        before = options.fuse_selects
        options.fuse_selects = self.fuse_selects
        try:
            return str(self.con.compile(expr))
        finally:
            options.fuse_selects = before

    # ---------------------------------------------------------------- shared tables

    def materialise(self, name: str, sql: str, defer: Callable[[str], Any] | None) -> None:
        """Create the scratch table ``name`` holding the rows of ``sql`` (only called when
        ``shared_tables``). ``defer``, when given, runs a statement on the worker thread
        after those already handed to it."""
        raise NotImplementedError(f"the {self.name} backend keeps no shared tables")

    def drop_shared(self, name: str) -> None:
        """Remove a shared block's scratch table if it exists."""
        self.con.raw_sql(f'DROP TABLE IF EXISTS "{name}"')

    # ---------------------------------------------------------------- running SQL text

    def fetch(self, sql: str, cursor: Any = None) -> Any:
        """The rows of ``sql`` as a pyarrow table, on ``cursor`` or the main connection (only
        called when ``runs_sql_text``)."""
        raise NotImplementedError(f"the {self.name} backend runs SQL only through Ibis")

    def run(self, sql: str, cursor: Any) -> None:
        """Run a statement that returns nothing on ``cursor`` (the worker thread's)."""
        raise NotImplementedError(f"the {self.name} backend runs SQL only through Ibis")

    def open_cursor(self) -> Any:
        """A cursor of its own for the worker thread (only called when ``worker_cursor``)."""
        raise NotImplementedError(f"the {self.name} backend has no worker cursor")

    @contextmanager
    def catalogue_session(self) -> Iterator[None]:
        """Settings of the database while the engine runs one council's catalogue (many
        small statements), put back after (none here)."""
        yield
