"""The compile path's own costs: the collector's setting while the catalogue runs, and the
probes fetched without Ibis's result converter (which imports pandas: a second of CPU)."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

from cscperf.indicators.engine import GC_THRESHOLD, collecting_rarely


def test_the_collector_runs_rarely_during_a_run_and_as_before_after_the_last() -> None:
    before = gc.get_threshold()
    entered, release = threading.Event(), threading.Event()

    def other_run() -> None:
        with collecting_rarely():
            entered.set()
            release.wait(10)

    with collecting_rarely():
        assert gc.get_threshold() == (max(GC_THRESHOLD, before[0]), *before[1:])
        overlapping = threading.Thread(target=other_run)
        overlapping.start()
        entered.wait(10)
    # This run ended while another was under way: the setting stays for the other.
    assert gc.get_threshold()[0] == max(GC_THRESHOLD, before[0])
    release.set()
    overlapping.join(10)
    assert gc.get_threshold() == before


PROBES_WITHOUT_PANDAS = """
import sys
from datetime import date
from cscperf.indicators.engine import compute
from cscperf.indicators.testing import build_from_rows
rows = {"ssd_cin_episodes": [{"cine_referral_id": "1", "cine_person_id": "A",
                              "cine_referral_date": "2024-03-10"}]}
build = build_from_rows(rows)
results = compute(build, date(2024, 3, 31), date(2024, 3, 31), ids=["referrals.count"])
assert build.filled("ssd_cin_episodes", "cine_referral_date")
assert not build.filled("ssd_cin_episodes", "cine_referral_team")
assert build.earliest("ssd_cin_episodes", "cine_referral_date") == date(2024, 3, 10)
print(results.filter(results["breakdown"] == "all")["numerator"].to_list())
print("ibis.formats.pandas" in sys.modules or "ibis.backends.duckdb.converter" in sys.modules)
"""


def test_probes_and_earliest_dates_fetch_without_ibis_result_converter() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBES_WITHOUT_PANDAS], capture_output=True, text=True, check=True
    )
    numerators, converter_imported = done.stdout.strip().splitlines()[-2:]
    assert numerators == "[1.0]"
    assert converter_imported == "False"
