"""The ``cscperf audit`` commands: export the audit log, verify its hash chain."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cscperf.cli.options import StoreOption
from cscperf.console import err_console
from cscperf.errors import CscperfError
from cscperf.store import audit
from cscperf.store.store import operator


class ExportFormat(StrEnum):
    CSV = audit.CSV
    JSONL = audit.JSONL


def _require_store(store: Path) -> None:
    if not store.is_dir():
        raise CscperfError(f"{store} is not a store folder; give the store's folder")


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="The audit log: export it (CSV or JSON lines), verify that no entry was changed.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="audit")

    @group.command("export")
    def export_command(
        store: StoreOption,
        fmt: Annotated[
            ExportFormat,
            typer.Option(
                "--format", help="csv (for a spreadsheet) or jsonl (exact).", case_sensitive=False
            ),
        ] = ExportFormat.CSV,
        out: Annotated[
            Path | None, typer.Option("--out", help="The file to write (default: the screen).")
        ] = None,
        by: Annotated[
            str | None, typer.Option("--by", help="Who is exporting it (written to the log).")
        ] = None,
    ) -> None:
        """Write the whole audit log, oldest first, with each entry's hashes; the export is
        itself written to the log. CSV cells a spreadsheet would run as formulas are made
        plain text; JSON lines keep every entry exactly, for cscperf audit verify --file."""
        _require_store(store)
        text = audit.export(store, fmt.value, by or operator())
        if out is None:
            sys.stdout.write(text)
            return
        out.write_text(text, encoding="utf-8", newline="")
        err_console.print(f"Wrote the audit log to {out}")

    @group.command("verify")
    def verify_command(
        store: Annotated[
            Path | None, typer.Option("--store", help="The store folder whose log to check.")
        ] = None,
        file: Annotated[
            Path | None,
            typer.Option(
                "--file", help="An export (cscperf audit export --format jsonl) to check."
            ),
        ] = None,
    ) -> None:
        """Check the audit log's hash chain: exit 0 when every entry is as written, 1 naming
        the first entry changed, removed or added. Prints the newest entry's number and hash:
        note them, and a later check whose chain does not reach them shows entries removed
        from the end."""
        if (store is None) == (file is None):
            raise typer.BadParameter("give --store or --file (one of them)")
        if file is not None:
            if not file.is_file():
                raise CscperfError(f"{file}: there is no such file; give an export in JSON lines")
            check, where = audit.verify(audit.read_jsonl(file)), str(file)
        else:
            assert store is not None
            _require_store(store)
            check, where = audit.verify_store(store), f"the audit log of {store}"
        if check.first_bad is not None:
            raise CscperfError(
                f"{where}: the chain is broken at entry {check.first_bad}: {check.problem} "
                f"({check.entries} entries before it are whole); compare it with a backup or "
                "an earlier export to see what changed"
            )
        err_console.print(
            f"{where}: all {check.entries} entries are whole; the newest is entry "
            f"{check.last_number}, hash {check.last_hash}"
        )
