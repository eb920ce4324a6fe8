"""Two loads into one store cannot run at once; a killed load never leaves the store locked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cscperf.cli import main
from cscperf.errors import StoreError
from cscperf.store import Store

sys.path.insert(0, str(Path(__file__).parents[1] / "sources"))
from ingest_council import write_council

HOLD = """
import sys, time
from pathlib import Path
from cscperf.store import Store
with Store(Path(sys.argv[1])).load_lock():
    Path(sys.argv[2]).write_text("held")
    time.sleep(60)
"""


def _hold_in_other_process(store: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    flag = tmp_path / "held"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(store), str(flag)])
    deadline = time.monotonic() + 30
    while not flag.exists():
        assert holder.poll() is None, "the process holding the lock ended early"
        assert time.monotonic() < deadline, "the lock was not taken in time"
        time.sleep(0.05)
    return holder


def test_a_second_lock_is_refused_and_the_first_released(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    refused = pytest.raises(StoreError, match=r"another load into .* is running")
    with store.load_lock(), refused, store.load_lock():
        pass
    with store.load_lock():  # free again once the first load is done
        pass


def test_a_load_while_another_runs_exits_1_and_keeps_the_current_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    extract = write_council(tmp_path / "extract")
    assert main(["ingest", "--store", str(store), str(extract)]) == 0
    before = Store(store).current_id()
    holder = _hold_in_other_process(store, tmp_path)
    try:
        capsys.readouterr()
        assert main(["ingest", "--store", str(store), str(extract)]) == 1
        message = capsys.readouterr().err
        assert f"process {holder.pid}" in message
        assert "Traceback" not in message
    finally:
        holder.kill()
        holder.wait()
    assert Store(store).current_id() == before
    assert len(Store(store).build_ids()) == 1


def test_a_killed_load_leaves_the_store_unlocked(tmp_path: Path) -> None:
    store = tmp_path / "store"
    holder = _hold_in_other_process(store, tmp_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with Store(store).load_lock():
        pass
