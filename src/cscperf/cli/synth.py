"""The ``cscperf synth`` command: write the synthetic council's files into a folder."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cscperf.console import err_console, out_console, progress
from cscperf.errors import CscperfError
from cscperf.synth.many import (
    INDEX_FILE,
    CouncilRun,
    ManyOptions,
    PublishedCouncil,
    choose_councils,
    generate_many,
    published_councils,
)
from cscperf.synth.run import generate

# Councils listed one by one after a run of many; the rest are in councils.csv.
SHOWN = 40


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
            float,
            typer.Option(
                help="Size: 1.0 is about 170,000 children aged 0-17 (with --councils, each "
                "council's published number)."
            ),
        ] = 1.0,
        start: Annotated[
            str | None, typer.Option(help="First month, YYYY-MM (default: ten years back).")
        ] = None,
        end: Annotated[
            str | None, typer.Option(help="Last month, YYYY-MM (default: last complete month).")
        ] = None,
        trend: Annotated[
            float,
            typer.Option(
                help="Annual change in demand, in percent (e.g. 3 or -2); 0 keeps the "
                "parameters' trend (demand.trend_per_year)."
            ),
        ] = 0.0,
        faults: Annotated[
            bool, typer.Option("--faults", help="Plant data-quality faults and list them.")
        ] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Write into a folder that is not empty.")
        ] = False,
        councils: Annotated[
            str | None,
            typer.Option(
                help="Make several councils, each shaped by a real English council's published "
                "size and rates, into OUT/<LA number>/: how many (spread over the sizes, e.g. "
                "3), or LA numbers or ONS codes, comma-separated (926,E09000001). --scale 1.0 "
                "is each council's real number of children.",
            ),
        ] = None,
        all_england: Annotated[
            bool,
            typer.Option(
                "--all-england", help="Make every English council with published figures."
            ),
        ] = False,
        jobs: Annotated[
            int,
            typer.Option(
                help="With --councils: councils made at once, each in its own process "
                "(memory grows with each).",
            ),
        ] = 1,
        data: Annotated[
            Path | None,
            typer.Option(
                "--data",
                help="With --councils: folder of the published DfE and ONS files "
                "(default: shared).",
            ),
        ] = None,
    ) -> None:
        """Write a synthetic council's input files (Eastshire County Council).

        With --councils or --all-england: many councils, each shaped by a real English
        council's published size and rates, one folder each (OUT/<LA number>/)."""
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
        if councils is not None or all_england:
            options = ManyOptions(
                seed=seed, scale=scale, start=first, end=last, trend=trend / 100, faults=faults
            )
            _many(out, options, councils=councils, all_england=all_england, jobs=jobs, data=data)
            return
        if jobs != 1 or data is not None:
            raise typer.BadParameter("--jobs and --data go with --councils or --all-england")
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


def _many(
    out: Path,
    options: ManyOptions,
    *,
    councils: str | None,
    all_england: bool,
    jobs: int,
    data: Path | None,
) -> None:
    """Make the councils asked for, one progress step per council, and list them."""
    if jobs < 1:
        raise typer.BadParameter(f"--jobs must be 1 or more, not {jobs}")
    chosen = choose_councils(published_councils(data), councils=councils, all_england=all_england)
    began = time.perf_counter()
    with progress() as bar:
        task = bar.add_task(f"Making {len(chosen)} councils", total=len(chosen))

        def step(council: PublishedCouncil, message: str) -> None:
            bar.update(task, description=f"{council.name}: {message}")

        def done(run: CouncilRun) -> None:
            verb = "Made" if run.error is None else "FAILED"
            bar.update(task, description=f"{verb} {run.council.name}", advance=1)

        runs = generate_many(chosen, out, options, jobs=jobs, on_done=done, on_step=step)
        bar.update(task, description="Done")
    table = Table(title=f"{len(runs)} synthetic councils shaped by published figures")
    for column in ("Folder", "Council", "Children 0-17", "With records", "Referrals",
                   "Looked-after episodes", "Time"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("Folder", "Council") else "right")
    for run in runs[:SHOWN]:
        made = run.summary
        table.add_row(
            run.folder.name,
            run.council.name,
            f"{run.children:,}",
            *(
                (f"{made.children:,}", f"{made.episodes['referrals']:,}",
                 f"{made.episodes['cla_episodes']:,}")
                if made is not None else ("failed", "", "")
            ),
            f"{run.seconds:.1f} s",
        )  # fmt: skip
    if len(runs) > SHOWN:
        table.add_row("", f"... and {len(runs) - SHOWN} more (see {INDEX_FILE})", "", "")
    out_console.print(table)
    failed = [run for run in runs if run.error is not None]
    for run in failed:
        err_console.print(f"[bold red]{run.council.la_code} {run.council.name}:[/] {run.error}")
    err_console.print(
        f"Written to {out} in {time.perf_counter() - began:.1f} s; the councils are listed in "
        f"{out / INDEX_FILE}"
    )
    if failed:
        raise CscperfError(
            f"{len(failed)} of {len(runs)} councils failed (listed above and in "
            f"{out / INDEX_FILE}); the others were written. This is a fault in cscperf's "
            "simulation, not in the published files: report it with the seeds shown."
        )
