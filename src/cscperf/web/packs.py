"""The month's committee pack files offered for download from the dashboard.

Owns where downloaded packs are kept (``STORE/cache/packs/<build>/<month>/<scope>/``,
rebuildable like the rest of the cache) and starting a missing one as a background job on the
application layer's queue (:mod:`cscperf.app.jobs`): one job per build, month and scope makes
the PDF and the workbook together, and the page that asked shows its progress.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from cscperf.app.jobs import DONE, Job, JobQueue
from cscperf.app.month import pack_files_work, risk_register
from cscperf.reports.pack import Pack
from cscperf.web.data import DashboardData

PACKS = Path("cache") / "packs"  # cscperf.app.risk.MADE_PACKS: forgotten when the register
# or any commentary changes


def pack_folder(store: Path, build_id: str, period_end: date, locality: str | None) -> Path:
    scope = locality or "county"
    return store / PACKS / build_id / f"{period_end:%Y-%m}" / scope


def existing_pack(folder: Path, fmt: str) -> Path | None:
    """The newest pack file of the format in the folder, if any."""
    found = sorted(folder.glob(f"*.{fmt}"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def pack_job_key(build_id: str, period_end: date, locality: str | None) -> tuple[str, ...]:
    return ("pack", build_id, f"{period_end:%Y-%m}", locality or "")


def start_pack_job(
    jobs: JobQueue, data: DashboardData, build_id: str, period_end: date, locality: str | None
) -> Job:
    """The job making the pack of a build, month and scope: the one under way (or done), else
    a new one on the queue (which may refuse it when full)."""
    folder = pack_folder(data.path, build_id, period_end, locality)
    scope = locality or "the county"
    key = pack_job_key(build_id, period_end, locality)
    done = jobs.get(key)
    if done is not None and done.state == DONE and existing_pack(folder, "pdf") is None:
        jobs.forget(key)  # its files were removed since (the register changed): make it again
    return jobs.submit(
        key,
        f"the committee pack for {scope}, {period_end:%B %Y}",
        pack_files_work(lambda: with_register(data, build_id, period_end, locality), folder),
    )


def with_register(
    data: DashboardData, build_id: str, period_end: date, locality: str | None
) -> Pack:
    """The month's pack with the risk register as it stands now: the register changes without
    a new build, so it is read afresh for every pack made (cscperf.app.risk forgets the packs
    made before a change)."""
    pack = data.pack(build_id, period_end, locality)
    return replace(pack, risks=risk_register(data.path, period_end, data.build(build_id)))
