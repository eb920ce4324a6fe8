"""The ``cscperf council-records`` command: move the council's records from the store's own
file to the shared PostgreSQL database its settings name."""

from __future__ import annotations

import typer

from cscperf.app import commentary
from cscperf.cli.options import StoreOption
from cscperf.console import err_console
from cscperf.errors import CscperfError
from cscperf.risk import history
from cscperf.settings import STORE_SETTINGS_FILE
from cscperf.store import audit
from cscperf.store.council_data import (
    COUNCIL_DATABASE,
    PostgresDatabase,
    SqliteDatabase,
    copy_records,
    council_database_path,
    open_council_database,
)
from cscperf.store.store import operator

SCHEMAS = (audit.SCHEMA, commentary.SCHEMA, history.SCHEMA)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="The council's records (commentary, risk register, audit log): copy them from the "
        "store's own file to the shared PostgreSQL database.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="council-records")

    @group.command("copy")
    def copy_command(store: StoreOption) -> None:
        """Copy every record from STORE/council.sqlite3 into the PostgreSQL database named in
        STORE/store.yaml, keeping their numbers and the audit log's chain; all or nothing, and
        only into a database holding none yet. The file is left as it was."""
        path = council_database_path(store)
        if not path.is_file():
            raise CscperfError(f"{store} has no {COUNCIL_DATABASE}: there are no records to copy")
        target = open_council_database(store, create=True)
        if not isinstance(target, PostgresDatabase):
            raise CscperfError(
                f"{store / STORE_SETTINGS_FILE} names no council_database; name the PostgreSQL "
                "database there first (docs/deployment.md, step 8)"
            )
        copied = copy_records(SqliteDatabase(path), target, SCHEMAS)
        check = audit.verify_store(store)
        if check.first_bad is not None:
            raise CscperfError(
                f"the audit log copied to {target.name} is broken at entry {check.first_bad}: "
                f"{check.problem}; run cscperf audit verify on a copy of {path} to see whether "
                "it was already"
            )
        audit.record(store, operator(), "council_records.copy", {"from": str(path), **copied})
        rows = ", ".join(f"{n} rows of {table}" for table, n in copied.items())
        err_console.print(f"Copied {rows} from {path} to {target.name}")
