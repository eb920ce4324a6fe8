"""The ``cscperf synth`` command: write the synthetic council's files into a folder."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cscperf.console import err_console, out_console, progress
from cscperf.errors import CscperfError
from cscperf.synth.run import generate


def _month(value: str | None, *, last_day: bool, option: str) -> date | None:
    """YYYY-MM as the first (start) or last (end) day of that month."""
    if value is None:
        return None
    try:
        year, month = (int(part) for part in value.split("-"))
        first = date(year, month, 1)
    except ValueError as exc:
        raise CscperfError(
            f"{option} {value!r} is not a month; write it as YYYY-MM, e.g. 2025-03."
        ) from exc
    if not last_day:
        return first
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth(
        out: Annotated[Path, typer.Option("--out", help="Folder to write into.")],
        seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 1,
        scale: Annotated[
            float, typer.Option(help="Size: 1.0 is about 170,000 children aged 0-17.")
        ] = 1.0,
        start: Annotated[
            str | None, typer.Option(help="First month, YYYY-MM (default: ten years back).")
        ] = None,
        end: Annotated[
            str | None, typer.Option(help="Last month, YYYY-MM (default: last complete month).")
        ] = None,
        trend: Annotated[
            float, typer.Option(help="Annual change in demand, in percent (e.g. 3 or -2).")
        ] = 0.0,
        faults: Annotated[
            bool, typer.Option("--faults", help="Plant data-quality faults and list them.")
        ] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Write into a folder that is not empty.")
        ] = False,
    ) -> None:
        """Write a synthetic council's input files (Eastshire County Council)."""
        if out.exists() and not out.is_dir():
            raise CscperfError(f"{out} is a file; give --out a folder.")
        if out.exists() and any(out.iterdir()) and not force:
            raise CscperfError(
                f"{out} is not empty; choose an empty folder or add --force to write into it."
            )
        if scale <= 0:
            raise CscperfError(f"--scale must be above 0, not {scale}.")
        first = _month(start, last_day=False, option="--start")
        last = _month(end, last_day=True, option="--end")
        if first and last and last < first:
            raise CscperfError(f"--end {end} is before --start {start}; swap them.")
        steps = ["population", "referrals, assessments and plans", "periods of care",
                 "workers and caseloads", "writing SSD tables", "writing 903", "writing cin",
                 "writing annex_a", "planting faults"]  # fmt: skip
        with progress() as bar:
            task = bar.add_task("Simulating Eastshire", total=len(steps))

            def step(message: str) -> None:
                bar.update(task, description=message.capitalize(), advance=1)

            summary = generate(
                out, seed=seed, scale=scale, start=first, end=last, trend=trend / 100,
                faults=faults, step=step,
            )  # fmt: skip
            bar.update(task, completed=len(steps), description="Done")
        table = Table(
            title=f"Eastshire County Council (synthetic), {summary.start} to {summary.end}"
        )
        table.add_column("What")
        table.add_column("How many", justify="right")
        table.add_row("Children with social care records", f"{summary.children:,}")
        table.add_row("Referrals", f"{summary.episodes['referrals']:,}")
        table.add_row("Child protection plans", f"{summary.episodes['cp_plans']:,}")
        table.add_row("Looked-after episodes", f"{summary.episodes['cla_episodes']:,}")
        if faults:
            table.add_row("Faults planted", f"{summary.faults:,}")
        table.add_row("Files written", f"{len(summary.files):,}")
        table.add_row("Time taken", f"{summary.seconds:.1f} s")
        out_console.print(table)
        err_console.print(f"Written to {out}")
