"""Mangled files never cause a traceback or a partial build, and a killed load changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_council import CIN_EPISODES, PERSON, write_council

from cscperf.app.load import ingest
from cscperf.errors import CscperfError
from cscperf.store import Store

HEADER = PERSON.splitlines()[0].split(",")


def _mangle_lines(text: str, cut: int, drop_header: bool, shuffle_seed: int) -> str:
    lines = text.splitlines()
    header, rows = lines[0].split(","), lines[1:]
    if shuffle_seed:
        header = header[shuffle_seed % len(header) :] + header[: shuffle_seed % len(header)]
    if drop_header:
        header = header[1:]
    body = "\n".join([",".join(header), *rows])
    return body[: max(1, len(body) - cut)]


def _check_no_partial_build(store: Path) -> None:
    staging = store / ".staging"
    assert not staging.exists() or not any(staging.iterdir())
    if (store / "builds").exists():
        for build in (store / "builds").iterdir():
            assert (build / "manifest.json").is_file()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400))
def test_random_bytes_never_crash(tmp_path_factory, data):
    folder = write_council(tmp_path_factory.mktemp("in"))
    (folder / "ssd_cin_episodes.csv").write_bytes(data)
    store = tmp_path_factory.mktemp("store")
    try:
        outcome = ingest(store, [folder])
    except CscperfError:
        return
    assert outcome.published or outcome.counts["error"] > 0
    _check_no_partial_build(store)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(0, 80),
    drop_header=st.booleans(),
    shuffle_seed=st.integers(0, 5),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_mangled_csv_gives_problems_not_tracebacks(
    tmp_path_factory, cut, drop_header, shuffle_seed, encoding
):
    folder = write_council(tmp_path_factory.mktemp("in"))
    text = _mangle_lines(CIN_EPISODES, cut, drop_header, shuffle_seed)
    (folder / "ssd_cin_episodes.csv").write_bytes(text.encode(encoding))
    store = tmp_path_factory.mktemp("store")
    try:
        outcome = ingest(store, [folder])
    except CscperfError:
        return
    if not outcome.published:
        assert outcome.counts["error"] > 0
        assert not (store / "current").exists()
    _check_no_partial_build(store)


KILLED_LOAD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import cscperf.store.store as store_module
    from cscperf.app.load import ingest

    def slow(root):
        Path(sys.argv[3]).write_text("writing")
        time.sleep(60)

    store_module._fsync_tree = slow
    ingest(Path(sys.argv[1]), [Path(sys.argv[2])])
    """
)


def test_killed_load_leaves_store_untouched(tmp_path, council_dir):
    store = tmp_path / "store"
    first = ingest(store, [council_dir])
    assert first.published
    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_LOAD, str(store), str(council_dir), str(marker)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the load ended before it was killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    # Half-written staging folder is there, but no reader sees it.
    assert any((store / ".staging").iterdir())
    assert Store(store).current_id() == first.build_id
    assert [b.id for b in Store(store).list_builds()] == [first.build_id]
    # The next load cleans it up and publishes normally.
    again = ingest(store, [council_dir])
    assert again.published
    assert not any((store / ".staging").iterdir())
    assert len(Store(store).list_builds()) == 2
