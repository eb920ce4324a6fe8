"""Keeping a council's finance files with a build, and reading them back.

``cscperf finance import`` checks every file first (the ledger extracts through the finance
settings' column mapping, the registers by their headings) and only then writes, into
``builds/<id>/results/finance/``: ``ledger.parquet``, one Parquet file per register and the
finance settings as ``finance.yaml``. The new folder is written beside the old one and swapped
in by renaming, so a failed import leaves what was there. Months of the ledger given again
replace the stored months; a register given again replaces the stored register.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from cscperf.errors import ConfigError, InputError
from cscperf.finance.ledger import LEDGER_SCHEMA, parse_ledger, read_sheet
from cscperf.finance.registers import REGISTERS, parse_register, register_of
from cscperf.finance.settings import (
    FinanceSettings,
    dump_finance_settings,
    load_finance_settings,
)

if TYPE_CHECKING:
    from cscperf.store.store import Build

FINANCE_DIR = "finance"
SETTINGS_NAME = "finance.yaml"


@dataclass
class FinanceData:
    """A build's finance: the settings, the ledger (every month given) and the registers."""

    settings: FinanceSettings
    ledger: pl.DataFrame
    registers: dict[str, pl.DataFrame] = field(default_factory=dict)

    def register(self, name: str) -> pl.DataFrame | None:
        return self.registers.get(name)


def read_finance_files(settings: FinanceSettings, paths: Sequence[Path]) -> FinanceData:
    """Every file checked and read; the first problem raises InputError, nothing is kept."""
    mapping = settings.ledger
    ledgers: list[pl.DataFrame] = []
    registers: dict[str, pl.DataFrame] = {}
    months: dict[tuple[int, int], str] = {}
    wanted = {h.strip().lower() for h in mapping.columns.values()}
    for path in paths:
        sheet = read_sheet(path, mapping.sheet if path.suffix.lower() != ".csv" else None)
        heading = {h.strip().lower() for h in sheet.header}
        register = register_of(sheet.header)
        near_miss = register is None and len(wanted & heading) * 2 >= len(wanted)
        if wanted <= heading or near_miss:
            frame = parse_ledger(sheet, mapping)  # a near miss names the columns it lacks
            if frame.is_empty():
                raise InputError("the extract has a heading but no lines", file=path.name)
            _one_file_a_month(frame, path.name, months)
            ledgers.append(frame)
        elif register is not None:
            if register.name in registers:
                raise InputError(
                    f"a second {register.title} file was given; give one", file=path.name
                )
            registers[register.name] = parse_register(sheet, register)
        else:
            raise InputError(
                "this is neither a ledger extract (its heading lacks the columns named in "
                "the finance settings) nor a finance register (reserves, school balances, "
                "savings, actions); see docs/finance.md for the layouts",
                file=path.name,
                row=1,
            )
    ledger = pl.concat(ledgers) if ledgers else pl.DataFrame(schema=LEDGER_SCHEMA)
    return FinanceData(settings, ledger.sort("financial_year", "period", "file", "row"), registers)


def _one_file_a_month(frame: pl.DataFrame, file: str, months: dict[tuple[int, int], str]) -> None:
    for year, period in frame.select("financial_year", "period").unique().sort("*").iter_rows():
        if (year, period) in months:
            raise InputError(
                f"period {period} of {year}-{(year + 1) % 100:02d} is also in "
                f"{months[(year, period)]}; give each month's extract once",
                file=file,
                field="period",
            )
    for year, period in frame.select("financial_year", "period").unique().iter_rows():
        months[(year, period)] = file


def finance_dir(build: Build) -> Path:
    return build.path / "results" / FINANCE_DIR


def import_finance(build: Build, settings_path: Path, paths: Sequence[Path]) -> FinanceData:
    """Check the files, then keep them (merged with what the build holds) with the build."""
    settings = load_finance_settings(settings_path)
    given = read_finance_files(settings, paths)
    stored = load_finance(build)
    ledger = given.ledger
    registers = dict(given.registers)
    if stored is not None:
        months = given.ledger.select("financial_year", "period").unique()
        kept = stored.ledger.join(months, on=["financial_year", "period"], how="anti")
        ledger = pl.concat([kept, ledger]).sort("financial_year", "period", "file", "row")
        registers = {**stored.registers, **registers}
    data = FinanceData(settings, ledger, registers)
    _write(build, data)
    return data


def _write(build: Build, data: FinanceData) -> None:
    target = finance_dir(build)
    target.parent.mkdir(exist_ok=True)
    stage = target.with_name(f".{FINANCE_DIR}.{os.getpid()}.tmp")
    old = target.with_name(f".{FINANCE_DIR}.{os.getpid()}.old")
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        data.ledger.write_parquet(stage / "ledger.parquet")
        for name, frame in data.registers.items():
            frame.write_parquet(stage / f"{name}.parquet")
        dump_finance_settings(data.settings, stage / SETTINGS_NAME)
        if target.exists():
            os.rename(target, old)
        os.rename(stage, target)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if old.exists() and not target.exists():
            os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def load_finance(build: Build) -> FinanceData | None:
    """The finance kept with a build, or None when none was imported."""
    folder = finance_dir(build)
    if not (folder / "ledger.parquet").is_file():
        return None
    try:
        settings = load_finance_settings(folder / SETTINGS_NAME)
        ledger = pl.read_parquet(folder / "ledger.parquet")
        registers = {
            r.name: pl.read_parquet(folder / f"{r.name}.parquet")
            for r in REGISTERS
            if (folder / f"{r.name}.parquet").is_file()
        }
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ConfigError(
            f"the finance files kept with build {build.id} cannot be read ({exc}); import "
            "them again with cscperf finance import"
        ) from exc
    return FinanceData(settings, ledger, registers)
