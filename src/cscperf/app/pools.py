"""Pooling many councils in one call: what ``cscperf pool`` does step by step, for scripts.

:func:`pool_councils` takes council folders, each either a cscperf store or a folder of a
council's extracts (as ``cscperf synth --councils`` writes them: ``ssd/``, ``population/``,
``council.yaml``), loads those that are not stores yet, makes the pool when it does not exist,
adds every council not yet a member, and builds the pool. The benchmark script of many
synthetic councils calls it with the folders ``cscperf synth --all-england`` wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from cscperf.app.load import ingest
from cscperf.errors import InputError
from cscperf.pools.membership import Member
from cscperf.pools.pool import POOL_FILE, Pool
from cscperf.store import Build, BuildInfo, Store

EXTRACTS = ("ssd", "population", "council.yaml")


@dataclass(frozen=True)
class Pooled:
    """What :func:`pool_councils` did: the pool, the councils it added, its new build."""

    pool: Pool
    added: list[Member]
    build: BuildInfo


def council_store(folder: Path, stores_dir: Path) -> Path:
    """The store of a council folder: the folder itself when it is a store, else a store under
    ``stores_dir`` (named as the folder) that its extracts are loaded into the first time."""
    folder = Path(folder)
    if Store(folder).build_ids():
        return folder
    target = Path(stores_dir) / folder.name
    if Store(target).build_ids():
        return target
    inputs = [folder / name for name in EXTRACTS if (folder / name).exists()]
    if not inputs:
        raise InputError(
            f"{folder} is neither a cscperf store nor a folder of a council's extracts (no "
            f"{', '.join(EXTRACTS)}); give the council's store or its extracts folder"
        )
    outcome = ingest(target, inputs)
    if outcome.reason is not None:
        raise InputError(f"{folder}: the council's extracts could not be loaded: {outcome.reason}")
    return target


def pool_councils(
    pool_dir: Path,
    folders: Sequence[Path],
    key: bytes,
    *,
    name: str = "pool",
    stores_dir: Path | None = None,
    month: date | None = None,
    database: str | None = None,
    on_member: Callable[[Member], None] | None = None,
    compute: Callable[[Build], pl.DataFrame] | None = None,
) -> Pooled:
    """Make (or reuse) the pool at ``pool_dir``, add every council of ``folders`` not yet a
    member, and build it (see the module's description)."""
    pool = Pool(pool_dir) if (Path(pool_dir) / POOL_FILE).is_file() else Pool.create(pool_dir, name)
    stores_dir = stores_dir or Path(pool_dir).parent / f"{Path(pool_dir).name}-stores"
    present = {m.store for m in pool.members()}
    added: list[Member] = []
    for folder in folders:
        store = council_store(folder, stores_dir).resolve()
        if store not in present:
            added.append(pool.join(store, since=None, build_id=None))
            present.add(store)
    build = pool.build(key, month=month, database=database, on_member=on_member, compute=compute)
    return Pooled(pool, added, build)
