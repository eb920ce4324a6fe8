"""A pool built on Spark, every way a regional group would run it (issue 20): on this
machine (``cscperf pool build POOL --database spark://local``), through a Spark Connect server
(``--database sc://HOST:PORT``) and under ``spark-submit`` (the entry point ``python -m
cscperf.spark_submit --path`` prints).

All are real: a Spark Connect server is started here on the loopback address and a free
port (pyspark's own ``spark-submit`` running ``SparkConnectServer``), and ``spark-submit
--master local[2]`` runs the entry point with ``pool build`` in a process of its own. Three
small synthetic councils are pooled each way, and each member's values must equal its own
single-council run on DuckDB, under its LA code; and the councils are computed together in a
pooled run on that route's Spark session (``indicators/pooled.py``; which councils it groups
is the pooled run's to decide, so the test asks only that a pooled run held at least two of
them, noting the councils of each pooled run).

Spark plans each indicator as several jobs (about a second each on an idle machine, far more
on a busy one), so to keep this to minutes the catalogue is cut to :data:`IDS`, indicators
that between them read every kind of view the Spark backend makes: a build's Parquet tables,
empty canonical tables, the engine's calendar and period tables, shared blocks (referrals,
periods of care, month-end care leaver status) and the population. That the whole catalogue
gives DuckDB's values on Spark is test_conformance.py's (a local session); on Spark Connect it
was checked by hand (docs/pools.md).

Skipped only where Java is absent; the Spark Connect tests also need Spark Connect's client
packages (``pyspark[connect]``), and say so when they are missing.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import cscperf
from cscperf.cli import main
from cscperf.indicators import engine, pooled
from cscperf.indicators.functions import registered
from cscperf.indicators.results import RESULTS_FILE, compute_build
from cscperf.pools.keys import KEY_ENV
from cscperf.pools.pool import RESULTS_TABLE, Pool
from cscperf.spark_submit import entry_path
from cscperf.store import Store

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None,
    reason="Spark needs Java and none is on the PATH (scripts/setup-system.sh installs "
    "openjdk-17-jre-headless)",
)

CODES = ("202", "341", "926")
KEY = "0123456789abcdef0123456789abcdef"
KEYS = ["indicator_id", "period_end", "breakdown", "breakdown_value"]
IDS = (
    "referrals.rereferral_12m_pct",
    "lac.rate_per_10k",
    "care_leavers.in_touch_19_21_pct",
    "placements.three_plus_12m_pct",
    "cp.count",
)
# Loopback only, no web UI, one shuffle partition (a council's tables are small).
SPARK_CONF = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "1",
}
SERVER_START_SECONDS = 300  # a JVM starting on a busy two-core machine


def _missing(modules: tuple[str, ...]) -> list[str]:
    missing = []
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(module)
    return missing


MISSING_CONNECT = _missing(("grpc", "grpc_status", "google.rpc"))
needs_connect_client = pytest.mark.skipif(
    bool(MISSING_CONNECT),
    reason=f"Spark Connect's client packages are not installed ({', '.join(MISSING_CONNECT)}); "
    "pip install 'pyspark[connect]' to run this test",
)


def _spark_bin(name: str) -> Path:
    import pyspark  # optional dependency, present where Spark is

    return Path(pyspark.__file__).parent / "bin" / name


def _conf_args(folder: Path) -> list[str]:
    conf = {**SPARK_CONF, "spark.sql.warehouse.dir": str(folder / "warehouse")}
    conf["spark.jars.ivy"] = str(folder / "ivy")
    return [arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")]


def _spark_env() -> dict[str, str]:
    """The environment of a spark-submit: loopback, this Python (and its import path) as the
    driver's."""
    path = [str(Path(cscperf.__file__).parents[1]), os.environ.get("PYTHONPATH", "")]
    return {
        **os.environ,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PYTHONPATH": os.pathsep.join(p for p in path if p),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def stores(
    tmp_path_factory: pytest.TempPathFactory, council_stores: Callable[..., dict[str, Path]]
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pool-spark")
    return council_stores(root, CODES, scale="0.03", start="2024-01", end="2025-03")


def _tested_only() -> dict[str, Any]:
    return {k: v for k, v in registered().items() if k in IDS}


@pytest.fixture(scope="module")
def duckdb_runs(stores: dict[str, Path]) -> dict[str, pl.DataFrame]:
    """Each council's own single-council run on DuckDB, of the indicators tested (and the
    values the synthetic councils' imported files give, as any run has them)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "registered", _tested_only)
        return {code: compute_build(Store(p).get()) for code, p in stores.items()}


def _pool(folder: Path, stores: dict[str, Path]) -> Pool:
    """A pool of the three councils, none of whose builds holds results yet (an earlier
    test's pooled run stores them there), so that the build computes every member."""
    for path in stores.values():
        (Store(path).get().results_dir / RESULTS_FILE).unlink(missing_ok=True)
    assert main(["pool", "create", str(folder), "--name", "Three on Spark"]) == 0
    for code in CODES:
        assert main(["pool", "join", str(folder), "--store", str(stores[code])]) == 0
    return Pool(folder)


def _assert_members_equal_own_runs(pool: Pool, runs: dict[str, pl.DataFrame]) -> None:
    build = pool.latest()
    assert build.manifest["pool"]["database"] == "spark"
    month = date.fromisoformat(build.manifest["pool"]["month"])
    assert month == min(run["period_end"].max() for run in runs.values())
    results = build.table(RESULTS_TABLE)
    for code in CODES:
        own = runs[code].filter(pl.col("period_end") <= month).sort(KEYS)
        got = results.filter(pl.col("la_code") == code).drop("la_code").sort(KEYS)
        assert set(IDS) <= set(own["indicator_id"])
        assert got.height == own.height > 0
        assert_frame_equal(got, own)


@pytest.fixture
def only_tested_indicators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "registered", _tested_only)
    monkeypatch.setattr(pooled, "registered", _tested_only)  # the pooled run's own look-up


@pytest.fixture
def pooled_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The councils of each pooled run on Spark (each group computed together), in order."""
    runs: list[list[str]] = []
    compute_group = pooled.compute_group

    def noted(tables: Any, group: Any, *args: Any, **kwargs: Any) -> Any:
        assert tables.backend.name == "pyspark"
        runs.append(sorted(m.council for m in group))
        return compute_group(tables, group, *args, **kwargs)

    monkeypatch.setattr(pooled, "compute_group", noted)
    return runs


def test_pool_on_local_spark(
    stores: dict[str, Path],
    duckdb_runs: dict[str, pl.DataFrame],
    only_tested_indicators: None,
    pooled_runs: list[list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _build_on("spark://local", tmp_path, stores, duckdb_runs, pooled_runs, monkeypatch)


def _build_on(
    address: str,
    tmp_path: Path,
    stores: dict[str, Path],
    duckdb_runs: dict[str, pl.DataFrame],
    pooled_runs: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``cscperf pool build --database ADDRESS`` of the three councils, checked."""
    pool = _pool(tmp_path / "pool", stores)
    monkeypatch.setenv(KEY_ENV, KEY)
    assert main(["pool", "build", str(pool.path), "--database", address]) == 0
    assert max(len(run) for run in pooled_runs) >= 2  # councils computed together
    _assert_members_equal_own_runs(pool, duckdb_runs)
    assert not list(pool.path.glob(".results-*"))  # the members' unhashed tables are gone


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Spark Connect server on 127.0.0.1 and a free port, as sc://127.0.0.1:PORT."""
    folder = tmp_path_factory.mktemp("spark-connect")
    port = _free_port()
    command = [str(_spark_bin("spark-submit")), "--master", "local[2]",
               "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
               "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
               "--conf", f"spark.connect.grpc.binding.port={port}",
               *_conf_args(folder)]  # fmt: skip
    log = folder / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=_spark_env(), start_new_session=True
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not _answers(port):
            tail = log.read_text(errors="replace")[-2000:]
            assert server.poll() is None, f"the Spark Connect server stopped:\n{tail}"
            assert time.monotonic() < deadline, f"no Spark Connect server after 300 s:\n{tail}"
            time.sleep(1)
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@needs_connect_client
def test_pool_through_spark_connect(
    connect_server: str,
    stores: dict[str, Path],
    duckdb_runs: dict[str, pl.DataFrame],
    only_tested_indicators: None,
    pooled_runs: list[list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _build_on(connect_server, tmp_path, stores, duckdb_runs, pooled_runs, monkeypatch)


def test_pool_under_spark_submit(
    stores: dict[str, Path], duckdb_runs: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    """The entry point as a group runs it, ``spark-submit --master local[2] ENTRY pool build
    POOL``; the driver is cut to :data:`IDS` by a script that then runs the entry file, and
    notes the councils of each pooled run in ``groups.txt``."""
    pool = _pool(tmp_path / "pool", stores)
    driver = tmp_path / "driver.py"
    noted = tmp_path / "groups.txt"
    driver.write_text(
        "import runpy, sys\n"
        "from cscperf.indicators import engine, pooled\n"
        "from cscperf.indicators.functions import registered\n"
        f"subset = {{k: v for k, v in registered().items() if k in {IDS!r}}}\n"
        "engine.registered = pooled.registered = lambda: subset\n"
        "compute_group = pooled.compute_group\n"
        "def noted(tables, group, *args, **kwargs):\n"
        f"    with open({str(noted)!r}, 'a') as out:\n"
        "        codes = sorted(m.council for m in group)\n"
        "        out.write(tables.backend.name + ' ' + ' '.join(codes) + '\\n')\n"
        "    return compute_group(tables, group, *args, **kwargs)\n"
        "pooled.compute_group = noted\n"
        f"sys.argv[0] = {str(entry_path())!r}\n"
        f"runpy.run_path({str(entry_path())!r}, run_name='__main__')\n",
        encoding="utf-8",
    )
    command = [str(_spark_bin("spark-submit")), "--master", "local[2]", *_conf_args(tmp_path),
               str(driver), "pool", "build", str(pool.path)]  # fmt: skip
    env = {**_spark_env(), KEY_ENV: KEY}
    env.pop("CSCPERF_DATABASE", None)
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1200)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    # spark-submit passes the driver's standard error on as its standard output.
    assert done.stdout.splitlines()[-1] == pool.latest().id
    # councils computed together, on spark-submit's session
    runs = [line.split() for line in noted.read_text().splitlines()]
    assert runs and all(run[0] == "pyspark" for run in runs)
    assert max(len(run) - 1 for run in runs) >= 2
    _assert_members_equal_own_runs(pool, duckdb_runs)


@needs_connect_client
def test_an_unreachable_connect_server_is_named(
    stores: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()  # nothing listens there
    args = ["indicators", "--store", str(stores["202"]), "--period", "2025-03"]
    assert main([*args, "--database", f"sc://127.0.0.1:{port}/;token=secret"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"cannot reach the Spark Connect server at sc://127.0.0.1:{port}" in err
    assert "check the address and port, that the Spark Connect server is running" in err
    assert "secret" not in err and "Traceback" not in err
    assert main([*args, "--database", "sc://127.0.0.1:port"]) == 1
    assert "is not a Spark Connect address" in capsys.readouterr().err


def test_spark_submit_session_only_under_spark_submit(
    stores: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["indicators", "--store", str(stores["202"]), "--period", "2025-03"]
    assert main([*args, "--database", "spark://submit"]) == 1
    assert "was not started by spark-submit" in " ".join(capsys.readouterr().err.split())
    assert main([*args, "--database", "spark://head:7077"]) == 1
    assert "sc://HOST:PORT for a Spark Connect server" in " ".join(capsys.readouterr().err.split())
