"""The risk register's operations: import the council's file, re-create a month's register,
and record a change made in the dashboard, all on the store's council database.

The register's settings (columns, bands, review cycle) are the council's: those of the store's
current build (its council.yaml), or a settings file given, or the defaults (Norfolk's layout,
bands 1-5 low, 6-12 medium, 15-25 high, a review every three months).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from cscperf.errors import CscperfError
from cscperf.indicators.catalogue import load_catalogue
from cscperf.risk.history import append_versions, latest_version, read_versions
from cscperf.risk.importer import read_register
from cscperf.risk.manage import ADD, CLOSE, UPDATE, FormResult, add_form, close_form, update_form
from cscperf.risk.register import Register, RiskVersion, register_as_at
from cscperf.settings import RiskSettings, Settings, load_settings
from cscperf.store.store import Store

DASHBOARD = "dashboard"
# the dashboard's made packs (cscperf.web.packs.PACKS): they show the register and the
# commentary as they were
MADE_PACKS = Path("cache") / "packs"


def forget_made_packs(store: Path) -> None:
    """Remove the packs the dashboard made, after the register or the commentary changed (they
    are made again when asked for)."""
    shutil.rmtree(Path(store) / MADE_PACKS, ignore_errors=True)


def risk_settings(store: Path, settings_file: Path | None = None) -> RiskSettings:
    """The council's register settings: from ``settings_file``, else the current build's
    settings, else the defaults."""
    if settings_file is not None:
        return load_settings(settings_file).risk

    current = Store(store).current_id()
    if current is not None:
        build = Store(store).get(current)
        if build.has_settings:
            return build.settings.risk
    return RiskSettings()


def catalogue_ids() -> set[str]:
    """Indicator ids a risk may be linked to."""
    return set(load_catalogue().definitions)


def import_register_file(
    store: Path, path: Path, *, by: str, settings_file: Path | None = None
) -> tuple[list[RiskVersion], int]:
    """Check the whole file, then add its risks' versions to the history in one step.

    Returns the versions added and the number of rows read; rows already held unchanged are
    not added again, so importing the same file twice changes nothing."""
    if not Path(store).is_dir():
        raise CscperfError(
            f"{store} is not a store folder; load the council's data first (cscperf ingest "
            f"--store {store} ...)"
        )
    settings = risk_settings(store, settings_file)
    versions = read_register(path, settings, catalogue_ids())
    added = append_versions(
        store, versions, by=by, change="import", source=path.name, skip_unchanged=True
    )
    if added:
        forget_made_packs(store)
    return added, len(versions)


def register_for(store: Path, day: date, settings: RiskSettings | None = None) -> Register:
    """The register as it stood on ``day`` (the pack's month end, or today)."""
    return register_as_at(read_versions(store), day, settings or risk_settings(store))


def user_name(settings: Settings | RiskSettings | None) -> str:
    """Who a change made in single-user mode is by."""
    if isinstance(settings, Settings):
        settings = settings.risk
    return (settings.single_user if settings else "") or "local user"


def record_add(store: Path, data: Mapping[str, str], *, user: str, today: date) -> FormResult:
    """Check the "add a risk" form and, when right, store the new risk."""
    settings = risk_settings(store)
    taken = {v.risk_id for v in read_versions(store)}
    result = add_form(
        data, settings, user=user, today=today, taken=taken, known_links=catalogue_ids()
    )
    return _stored(store, result, user, ADD)


def record_update(
    store: Path, risk_id: str, data: Mapping[str, str], *, user: str, today: date
) -> FormResult:
    latest = latest_version(store, risk_id)
    _must_be_open(latest)
    result = update_form(
        data, latest, risk_settings(store), user=user, today=today, known_links=catalogue_ids()
    )
    return _stored(store, result, user, UPDATE)


def record_close(
    store: Path, risk_id: str, data: Mapping[str, str], *, user: str, today: date
) -> FormResult:
    latest = latest_version(store, risk_id)
    _must_be_open(latest)
    return _stored(store, close_form(data, latest, user=user, today=today), user, CLOSE)


def _must_be_open(latest: RiskVersion) -> None:
    if not latest.is_open:
        raise CscperfError(
            f"risk {latest.risk_id} was closed on {latest.reviewed_on:%d %B %Y}; a closed risk "
            "is not changed (add it again under a new number if it returns)"
        )


def _stored(store: Path, result: FormResult, user: str, change: str) -> FormResult:
    if result.version is None:
        return result
    stored = append_versions(store, [result.version], by=user, change=change, source=DASHBOARD)
    forget_made_packs(store)
    return FormResult(stored[0], {})
