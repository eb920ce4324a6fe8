"""The pack's path imports only what writing a pack uses (issue 14, item 7): reading a build's
stored results needs Polars, not the indicator engine, so ``cscperf report`` starts without
Ibis, SQLGlot, the engine or a pool's builder (about 0.3 s of its start)."""

from __future__ import annotations

import subprocess
import sys

import polars as pl

import cscperf.indicators.results as results
from cscperf.app.month import month_results
from cscperf.store.store import Store

HEAVY = ("ibis", "sqlglot", "cscperf.indicators.results", "cscperf.indicators.engine")


def test_the_report_command_imports_no_engine():
    probe = (
        "import sys; import cscperf.cli.report, cscperf.app.month; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in "
        f"{(*HEAVY, 'cscperf.pools.pool')!r}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_month_results_reads_stored_results_and_computes_only_when_absent(tmp_path, monkeypatch):
    build_dir = tmp_path / "store" / "builds" / "B1"
    (build_dir / "results").mkdir(parents=True)
    (build_dir / "manifest.json").write_text("{}")
    (tmp_path / "store" / "current").write_text("B1")
    computed = pl.DataFrame({"indicator_id": ["computed"]})
    calls: list[str] = []

    def compute(build, **_):
        calls.append(build.id)
        return computed

    monkeypatch.setattr(results, "results_for", compute)
    build = Store(tmp_path / "store").get()
    assert month_results(build).equals(computed)  # nothing stored: computed
    assert calls == ["B1"]
    stored = pl.DataFrame({"indicator_id": ["stored"], "period_end": [None]})
    stored.write_parquet(build_dir / "results" / "indicators.parquet")
    assert month_results(build).equals(stored)
    assert calls == ["B1"]  # read, not computed again
