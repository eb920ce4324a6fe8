"""The month's committee pack files offered for download from the dashboard.

Owns where downloaded packs are kept (``STORE/cache/packs/<build>/``, rebuildable like the
rest of the cache) and making a missing one on demand by running ``cscperf report`` when the
reports stage is installed; otherwise a sentence saying how to produce it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from datetime import date
from pathlib import Path

PACKS = Path("cache") / "packs"
REPORT_TIMEOUT_S = 300


def pack_folder(store: Path, build_id: str, period_end: date, locality: str | None) -> Path:
    scope = locality or "county"
    return store / PACKS / build_id / f"{period_end:%Y-%m}" / scope


def existing_pack(folder: Path, fmt: str) -> Path | None:
    """The newest pack file of the format in the folder, if any."""
    found = sorted(folder.glob(f"*.{fmt}"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def report_command(
    store: Path, build_id: str, period_end: date, locality: str | None, out: Path
) -> list[str]:
    command = [
        sys.executable, "-m", "cscperf", "report", "--store", str(store),
        "--period", f"{period_end:%Y-%m}", "--build", build_id, "--out", str(out),
    ]  # fmt: skip
    if locality:
        command += ["--locality", locality]
    return command


def find_or_make_pack(
    store: Path, build_id: str, period_end: date, locality: str | None, fmt: str
) -> tuple[Path | None, str]:
    """The pack file, made if missing; or None and a sentence saying what to do."""
    folder = pack_folder(store, build_id, period_end, locality)
    found = existing_pack(folder, fmt)
    if found is not None:
        return found, ""
    command = report_command(store, build_id, period_end, locality, folder)
    how = " ".join(command[2:])
    if importlib.util.find_spec("cscperf.cli.report") is None:
        return None, (
            f"The {fmt.upper()} pack for {period_end:%B %Y} has not been produced and this "
            f"installation cannot make it; produce it with `{how}`."
        )
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=REPORT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"Making the pack failed ({type(exc).__name__}); run `{how}` yourself."
    found = existing_pack(folder, fmt)
    if done.returncode != 0 or found is None:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"Making the pack failed ({last}); run `{how}` to see why."
    return found, ""
