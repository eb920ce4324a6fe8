"""England and Wales bank holidays, worked out offline.

Owns the list of days that are not working days although they fall Monday to Friday: the
`holidays` package's England subdivision (regular holidays, substitute days and announced
one-off days), corrected by ``holiday_changes.yaml`` for anything announced since the package
was released. Weekend entries are dropped: only weekday closures change a working-day count.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import holidays
import yaml
from pydantic import BaseModel, ConfigDict

from cscperf.errors import ConfigError

CHANGES_FILE = Path(__file__).with_name("holiday_changes.yaml")

# Years computed for scalar look-ups unless a date outside them is asked for; one cached
# computation covers every date a children's record realistically holds.
DEFAULT_FIRST_YEAR = 2000
DEFAULT_LAST_YEAR = 2045


class HolidayChange(BaseModel):
    """One correction: a day and why it is added or removed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: date
    reason: str


class HolidayChanges(BaseModel):
    """The contents of ``holiday_changes.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    added: tuple[HolidayChange, ...] = ()
    removed: tuple[HolidayChange, ...] = ()


def load_holiday_changes(path: Path) -> HolidayChanges:
    """Read and validate a bank-holiday corrections file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return HolidayChanges.model_validate(raw)
    except (OSError, ValueError, yaml.YAMLError) as exc:  # ValidationError is a ValueError
        raise ConfigError(
            f"{path} is not a readable list of bank-holiday changes ({exc}); "
            "fix it as docs/calendar.md describes."
        ) from exc


@cache
def holiday_changes() -> HolidayChanges:
    """The package's own corrections file, ``holiday_changes.yaml``."""
    return load_holiday_changes(CHANGES_FILE)


def is_weekday(d: date) -> bool:
    """Monday to Friday."""
    return d.weekday() < 5


@cache
def bank_holidays(first_year: int, last_year: int) -> frozenset[date]:
    """Weekday bank holidays in England and Wales from 1 January ``first_year`` to
    31 December ``last_year``, substitute days and one-off days included."""
    if last_year < first_year:
        raise ValueError(f"last_year {last_year} is before first_year {first_year}")
    computed = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return weekday_closures(set(computed), holiday_changes(), first_year, last_year)


def weekday_closures(
    computed: set[date], changes: HolidayChanges, first_year: int, last_year: int
) -> frozenset[date]:
    """The computed holidays with the corrections applied, kept to the given years and to
    Monday to Friday (a holiday on a weekend closes nothing; its substitute day does)."""
    days = computed | {c.date for c in changes.added}
    days -= {c.date for c in changes.removed}
    return frozenset(d for d in days if first_year <= d.year <= last_year and is_weekday(d))
