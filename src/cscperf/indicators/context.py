"""What an indicator function sees: the build's tables, the periods, the calendar, the
parameters in force, and shared building blocks made once per run (``Context.shared``).

Owns :class:`BuildTables` (an Ibis backend plus the names of the canonical tables it holds and
what the source could not supply), :class:`Context` (one indicator over one run of months
with the same parameters) and :class:`NotAvailable`, raised when a table or field an
indicator needs is missing so that the engine reports "not available" rather than zero.
Windows, working days, attribution and the other shared blocks are one layer up, in
:mod:`cscperf.indicators.blocks`; the context imports none of them.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa

from cscperf.indicators.backends import Backend, backend_for
from cscperf.indicators.catalogue import IndicatorDefinition
from cscperf.indicators.framework import framework_settings
from cscperf.indicators.partition import by_council

SCRATCH_PREFIX = "_cscperf_"


class NotAvailable(Exception):
    """The build cannot supply what an indicator needs; ``reason`` is shown to the reader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# A question the engine asked of a build while building an indicator's expression, e.g.
# ("filled", "ssd_person", "pers_dob"); what an indicator's SQL depends on besides the code.
Probe = tuple[str, ...]


class _Probed(Mapping[str, str]):
    """A build's ``names`` or ``not_supplied``: every look-up is a probe (kind, key) answered
    with the value or None, recorded while an expression is being built (see
    :meth:`BuildTables.recording`); iterating over it records the whole mapping."""

    def __init__(self, build: BuildTables, kind: str, data: dict[str, str]) -> None:
        self._build, self._kind, self._data = build, kind, data

    def __getitem__(self, key: str) -> str:
        self._build.note((self._kind, key), self._data.get(key))
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        self._build.note((self._kind, key), self._data.get(key))
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        self._build.note((f"{self._kind}*",), sorted(self._data.items()))
        return iter(self._data)

    def __len__(self) -> int:
        self._build.note((f"{self._kind}*",), sorted(self._data.items()))
        return len(self._data)


@dataclass
class BuildTables:
    """The canonical tables of one build as an Ibis backend sees them.

    ``names`` maps canonical names (``ssd_cin_episodes``, ``population``) to the backend's
    table names; ``not_supplied`` is the manifest's map of tables or ``table.field`` the
    source could not supply, with the reason.
    """

    con: Any  # an Ibis connection (DuckDB or PostgreSQL)
    names: Mapping[str, str]
    not_supplied: Mapping[str, str] = field(default_factory=dict)
    # The engine's own tables (calendar, periods) get names unique to this object, so that
    # runs sharing one database (a PostgreSQL server) never overwrite each other's.
    scratch: str = field(default_factory=lambda: f"{SCRATCH_PREFIX}{uuid.uuid4().hex[:10]}")
    # Where compiled indicator SQL is kept between runs (the store's cache folder); None keeps
    # it in memory only.
    sql_cache_dir: Path | None = None
    # A pooled build (many councils' tables in one): the column naming the council in its
    # tables and the table listing the councils; every query is then computed for each
    # council at once (see partition.py). None: one council's build.
    partition: str | None = None
    councils_table: str | None = None
    _rows: dict[str, int] = field(default_factory=dict)
    _filled: dict[tuple[str, str], bool] = field(default_factory=dict)
    _earliest: dict[tuple[str, str], date | None] = field(default_factory=dict)
    # The probes being recorded (see recording), innermost last: an indicator's, and the
    # shared block it is building.
    _recorders: list[dict[Probe, Any]] = field(default_factory=list)
    # Shared building blocks become tables where the backend keeps them (see Context.shared);
    # False keeps them inline, as ``explain`` wants to show the whole query.
    share_tables: bool = True
    _shared: set[str] = field(default_factory=set)
    # While the engine runs SQL on its execution thread: hands that thread a statement to run
    # after the ones already handed over, so that filling a shared table does not hold up the
    # compiling of the next indicators (see scheduler.ExecutionThread). None runs it here.
    defer: Callable[[str], Any] | None = None
    # Each shared building block already made in this run, by its key (see Context.shared):
    # later indicators asking for the same block neither build nor compile it again.
    _blocks: dict[tuple[Any, ...], SharedBlock] = field(default_factory=dict)
    # Ibis table objects by backend name: asking the backend for a table's schema each time an
    # indicator reads it costs more than the indicator's own query.
    _tables: dict[str, ir.Table] = field(default_factory=dict)
    # The months of each run key written to the runs table (see install_runs).
    _runs: dict[str, tuple[date, ...]] = field(default_factory=dict)
    # What the engine may do on ``con`` (see indicators/backends/), chosen from its kind.
    backend: Backend = field(init=False, repr=False)
    _names: dict[str, str] = field(init=False, repr=False)
    _not_supplied: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.backend = backend_for(self.con)
        # Read through probes (see recording); the plain mappings answer them.
        self._names = dict(self.names)
        self._not_supplied = dict(self.not_supplied)
        self.names = _Probed(self, "names", self._names)
        self.not_supplied = _Probed(self, "not_supplied", self._not_supplied)

    # ---------------------------------------------------------------- probes

    @contextmanager
    def recording(self) -> Iterator[dict[Probe, Any]]:
        """Record every probe made in the block (and its answer): what the build was asked
        while an expression was built, which with the code is all its SQL depends on."""
        probes: dict[Probe, Any] = {}
        self._recorders.append(probes)
        try:
            yield probes
        finally:  # by identity: two recordings with the same probes are equal dicts
            self._recorders[:] = [r for r in self._recorders if r is not probes]

    def note(self, probe: Probe, answer: Any) -> None:
        """Record ``probe`` and its answer in every recording under way."""
        for probes in self._recorders:
            probes.setdefault(probe, answer)

    def answer(self, probe: Sequence[str]) -> Any:
        """The answer this build gives to ``probe``, recorded nowhere (to check whether SQL
        compiled on another build, or earlier, was built from the same answers)."""
        kind, *args = probe
        names, not_supplied = self._names, self._not_supplied
        if kind == "names":
            return names.get(args[0])
        if kind == "not_supplied":
            return not_supplied.get(args[0])
        if kind == "names*":
            return sorted(names.items())
        if kind == "not_supplied*":
            return sorted(not_supplied.items())
        if kind == "schema":
            if args[0] not in names:
                return None
            table = self.backend_table(names[args[0]])
            return {c: str(t) for c, t in table.schema().items()}
        if kind == "nonempty":
            return args[0] in names and self._count(args[0]) > 0
        if kind == "rows":
            return self._count(args[0]) if args[0] in names else 0
        if kind == "filled":
            return self._filled_column(args[0], args[1])
        raise ValueError(f"unknown probe {probe!r}")

    def _probe(self, *probe: str) -> Any:
        answer = self.answer(probe)
        self.note(probe, answer)
        return answer

    @property
    def periods_table(self) -> str:
        return f"{self.scratch}_periods"

    @property
    def calendar_table(self) -> str:
        return f"{self.scratch}_calendar"

    @property
    def runs_table(self) -> str:
        return f"{self.scratch}_runs"

    def install_runs(self, runs: Mapping[str, Sequence[date]]) -> None:
        """Write the months of each run key (see runs.Run) to the runs table; a no-op when
        every key is already there. One key always means one set of months in a run."""
        new = {k: tuple(v) for k, v in runs.items() if k not in self._runs}
        for key, months in runs.items():
            if key in self._runs and self._runs[key] != tuple(months):
                raise RuntimeError(f"run key {key!r} names two different sets of months")
        if not new:
            return
        self._runs.update(new)

        keys = [k for k, months in self._runs.items() for _ in months]
        ends = [e for months in self._runs.values() for e in months]
        rows = pa.table(
            {"run_key": pa.array(keys, pa.string()), "period_end": pa.array(ends, pa.date32())}
        )
        self.con.create_table(self.runs_table, rows, overwrite=True)
        self._tables.pop(self.runs_table, None)

    def drop_scratch(self) -> None:
        """Remove the engine's calendar, period and shared tables from the backend."""
        for name in sorted(self._shared):
            self.backend.drop_shared(name)
            self._tables.pop(name, None)
        self._shared.clear()
        self._blocks.clear()
        for name in (self.periods_table, self.calendar_table, self.runs_table):
            self.con.drop_table(name, force=True)
            self._tables.pop(name, None)
        self._runs.clear()

    def backend_table(self, name: str) -> ir.Table:
        """The backend's table ``name`` as an Ibis table, looked up once."""
        if name not in self._tables:
            self._tables[name] = self.con.table(name)
        return self._tables[name]

    def by_council(self, expr: ir.Table) -> ir.Table:
        """``expr`` computed for every council of a pooled build at once (unchanged for one
        council's build)."""
        if self.partition is None or self.councils_table is None:
            return expr
        return by_council(expr, self.partition, self.backend_table(self.councils_table))

    @property
    def backend_name(self) -> str:
        return self.backend.name

    @property
    def materialises(self) -> bool:
        """Shared building blocks become scratch tables when the backend keeps them
        (``Backend.shared_tables``); elsewhere they stay expressions, inlined in each
        indicator's query."""
        return self.share_tables and self.backend.shared_tables

    def materialise(self, name: str, sql: str) -> None:
        """Create the scratch table ``name`` from ``sql`` unless this run already has."""
        if name in self._shared:
            return
        self.backend.materialise(name, sql, self.defer)
        self._shared.add(name)

    def has(self, name: str) -> bool:
        return name in self.names and name not in self.not_supplied and self.nonempty(name)

    def raw(self, name: str) -> ir.Table:
        self._probe("schema", name)
        return self.backend_table(self._names[name])

    def nonempty(self, name: str) -> bool:
        """The build has the table and it holds rows."""
        return bool(self._probe("nonempty", name))

    def rows(self, name: str) -> int:
        """The table's number of rows (0 when the build lacks it). An expression that only
        needs to know whether there are any asks :meth:`nonempty`, so that its SQL does not
        depend on the count."""
        return int(self._probe("rows", name))

    def filled(self, name: str, column: str) -> bool:
        """The column exists and holds at least one value."""
        return bool(self._probe("filled", name, column))

    def _count(self, name: str) -> int:
        """Count the table's rows and each column's values, in one query (which answers every
        later ``rows`` and ``filled`` probe of the table); the number of rows."""
        if name not in self._rows:
            table = self.backend_table(self._names[name])
            counts = self.fetch_arrow(
                table.aggregate(_rows=table.count(), **{c: table[c].count() for c in table.columns})
            )
            self._rows[name] = int(counts.column("_rows")[0].as_py())
            for column in table.columns:
                self._filled[(name, column)] = int(counts.column(column)[0].as_py()) > 0
        return self._rows[name]

    def fetch_arrow(self, expr: ir.Table) -> pa.Table:
        """The rows of ``expr`` as an Arrow table: as SQL text where the backend runs it
        (``Backend.runs_sql_text``), else through Ibis. For the probes and the reporting
        range: Ibis's own fetch from DuckDB imports pandas for its result converter, about a
        second of CPU on a first run, and fetches nothing these queries need converted."""
        if self.backend.runs_sql_text:
            table: pa.Table = self.backend.fetch(self.backend.compile(expr))
            return table
        return expr.to_pyarrow()

    def _filled_column(self, name: str, column: str) -> bool:
        if name not in self._names:
            return False
        self._count(name)
        return self._filled.get((name, column), False)

    def earliest(self, name: str, column: str) -> date | None:
        key = (name, column)
        if key not in self._earliest:
            if not self.has(name) or not self.filled(name, column):
                self._earliest[key] = None
            else:
                table = self.raw(name)
                found = self.fetch_arrow(table.aggregate(first=table[column].min()))
                self._earliest[key] = _as_date(found.column("first")[0].as_py())
        return self._earliest[key]


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if hasattr(value, "date") and callable(value.date):
        return value.date()  # type: ignore[no-any-return,unused-ignore]
    return value if isinstance(value, date) else None


@dataclass(frozen=True)
class SharedBlock:
    """A building block made in this run: its scratch table (None: kept inline, as it reads an
    in-memory table), the SQL that fills it, the shared tables that SQL reads, and the history
    dates its building declared."""

    table: str | None
    sql: str
    reads: tuple[tuple[str, str], ...]
    history: tuple[tuple[str, str], ...]
    probes: tuple[tuple[str, str], ...] = ()
    # The probes its building made of the build, with their answers (BuildTables.recording):
    # an indicator reading the block depends on them as on its own.
    answers: tuple[tuple[Probe, Any], ...] = ()


@dataclass(frozen=True)
class _BlockScope:
    name: str
    monthly: bool


@dataclass
class Context:
    """One indicator over one run of months that share the same parameters."""

    build: BuildTables
    definition: IndicatorDefinition
    parameters: Mapping[str, Any]
    period_ends: Sequence[date]
    history: list[tuple[str, str]] = field(default_factory=list)
    # The questions asked of the data while building (see _probed).
    probes: list[tuple[str, str]] = field(default_factory=list)
    # The shared tables (name, SQL) the indicator's query reads, in order of creation.
    shared_tables: list[tuple[str, str]] = field(default_factory=list)
    # The building block being built (see shared), which limits what it may read.
    _block: _BlockScope | None = field(default=None, repr=False)
    # Names this run's months in the runs table (runs.Run.key), so the SQL never lists the
    # months themselves; None lists them (a context made outside the engine).
    run_key: str | None = None

    # ---------------------------------------------------------------- tables

    @property
    def con(self) -> Any:
        return self.build.con

    def table(self, name: str, required: Iterable[str] = ()) -> ir.Table:
        """A canonical table; NotAvailable when the build lacks it, it is empty, or one of
        the ``required`` fields is missing, not supplied, or never filled in."""
        if name in self.build.not_supplied:
            raise NotAvailable(f"{name} not supplied: {self.build.not_supplied[name]}")
        self._probed(name, "")
        if name not in self.build.names or not self.build.nonempty(name):
            raise NotAvailable(f"the build has no {name} records")
        for column in required:
            key = f"{name}.{column}"
            if key in self.build.not_supplied:
                raise NotAvailable(f"{key} not supplied: {self.build.not_supplied[key]}")
            self._probed(name, column)
            if not self.build.filled(name, column):
                raise NotAvailable(f"{key} is never filled in by this build's source")
        return self.build.raw(name)

    def optional_table(self, name: str, required: Iterable[str] = ()) -> ir.Table | None:
        """Like :meth:`table`, but None instead of NotAvailable (for fallbacks)."""
        try:
            return self.table(name, required)
        except NotAvailable:
            return None

    def _probed(self, name: str, column: str) -> None:
        """Note a question asked of the data: whether table ``name`` holds rows (``column``
        empty) or ``column`` is ever filled. Each council of a pooled build is computed with
        the pooled answers only where its own answers are the same."""
        if (name, column) not in self.probes:
            self.probes.append((name, column))

    def has_field(self, name: str, column: str) -> bool:
        self._probed(name, "")
        self._probed(name, column)
        return (
            self.build.has(name)
            and f"{name}.{column}" not in self.build.not_supplied
            and self.build.filled(name, column)
        )

    def param(self, name: str) -> Any:
        if self._block is not None and name not in self.parameters:
            raise RuntimeError(
                f"the shared block {self._block.name!r} reads the indicator parameter {name!r}; "
                "a block may read only the shared parameters of framework.yaml"
            )
        return self.parameters[name]

    def shared(
        self, name: str, build: Callable[[], ir.Table], *, monthly: bool = False
    ) -> ir.Table:
        """The building block ``name`` (periods of care, month-end snapshots...) made by
        ``build`` once per run and read by every indicator that asks for it.

        A block's key is its name, the shared parameters in force (``framework.yaml``) and,
        when ``monthly``, this run's months: ``build`` may read nothing else that varies
        between indicators, and is held to that (reading an indicator's own parameter, or the
        months of a block not declared ``monthly``, is an error). On DuckDB the first call
        builds, compiles and creates a scratch table that later calls read without building
        anything; other backends get the expression, built afresh each time."""
        shared_names = framework_settings().parameters
        shared_values = {k: self.parameters.get(k) for k in shared_names}
        key = (
            name,
            repr(sorted(shared_values.items())),
            tuple(self.period_ends) if monthly else (),
        )
        known = self.build._blocks.get(key) if self.build.materialises else None
        if known is not None and known.table is not None:
            for probe, answer in known.answers:
                self.build.note(probe, answer)
            self.history.extend(h for h in known.history if h not in self.history)
            self.probes.extend(p for p in known.probes if p not in self.probes)
            for entry in (*known.reads, (known.table, known.sql)):
                if entry not in self.shared_tables:
                    self.shared_tables.append(entry)
            return self.build.backend_table(known.table)
        history_before, tables_before = len(self.history), len(self.shared_tables)
        probes_before = len(self.probes)
        saved = (self.parameters, self._block)
        self.parameters = shared_values
        self._block = _BlockScope(name, monthly)
        try:
            with self.build.recording() as answers:
                items = build()
        finally:
            self.parameters, self._block = saved
        if not self.build.materialises:
            return items
        sql = self.build.backend.compile(self.build.by_council(items))
        if "memtable" in sql:
            # In-memory tables get fresh names at execution: nothing to share.
            self.build._blocks[key] = SharedBlock(None, sql, (), ())
            return items
        # Named by its SQL without this run's scratch prefix, so that SQL compiled in another
        # run (the compiled-SQL cache) names the same block the same way.
        general = sql.replace(self.build.scratch, "{{scratch}}")
        table = f"{self.build.scratch}_shared_{hashlib.sha256(general.encode()).hexdigest()[:16]}"
        self.build.materialise(table, sql)
        block = SharedBlock(
            table,
            sql,
            tuple(self.shared_tables[tables_before:]),
            tuple(self.history[history_before:]),
            tuple(self.probes[probes_before:]),
            tuple(answers.items()),
        )
        self.build._blocks[key] = block
        if (table, sql) not in self.shared_tables:
            self.shared_tables.append((table, sql))
        return self.build.backend_table(table)

    # ---------------------------------------------------------------- periods and calendar

    @property
    def periods(self) -> ir.Table:
        """The reporting months of this run (period_end, month_start, rolling_12m_start,
        ytd_start, financial_year_start, is_year_end, population_year)."""
        if self._block is not None and not self._block.monthly:
            raise RuntimeError(
                f"the shared block {self._block.name!r} reads the reporting months; "
                "declare it monthly=True"
            )
        table = self.build.backend_table(self.build.periods_table)
        if self.run_key is None:
            return table.filter(table.period_end.isin(list(self.period_ends)))
        runs = self.build.backend_table(self.build.runs_table)
        chosen = runs.filter(runs.run_key == self.run_key)
        return table.filter(table.period_end.isin(chosen.period_end))

    @property
    def calendar(self) -> ir.Table:
        """One row per day: date, is_working_day, working_day_index, financial_year_start,
        month_end."""
        return self.build.backend_table(self.build.calendar_table)

    def history_from(self, table: str, column: str) -> None:
        """Declare the dates whose earliest value marks the start of the loaded history, for
        the ``history_incomplete`` flag of indicators with a look-back."""
        self.history.append((table, column))
