"""Benchmark: forecasting the default synthetic county's children looked after.

Loads the default council (ten years, scale 1.0; generated and loaded once by the indicators
benchmark's :func:`ensure_store`), then in a child process times reading the placements and
building the month-end history, fitting the model and projecting 24 months with its
simulated interval (target: under 5 seconds together on a 2-core machine), and the backtest
over the last three years. It prints the backtest table: each method's error projecting
12 months ahead, so cscperf's model is read beside the reference-window Markov method and
the naive baselines a user would otherwise run.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench_indicators import STORE, ensure_store

TARGET_SECONDS = 5.0
CHILD = """
import json, resource, sys, time
from cscperf.store import Store
from cscperf.app.forecast import forecast_build
from cscperf.forecast.backtest import run_backtest
build = Store(sys.argv[1]).get()
began = time.perf_counter()
result = forecast_build(build, backtest=False)
fit_seconds = time.perf_counter() - began
began = time.perf_counter()
backtest = run_backtest(result.history, result.settings)
backtest_seconds = time.perf_counter() - began
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "fit": fit_seconds, "backtest": backtest_seconds, "peak_gb": usage.ru_maxrss / 1024**2,
    "children": float(result.history.stock[-1].sum()), "origins": backtest.origins,
    "coverage": backtest.coverage,
    "rows": [[r.method, r.category, r.mape, r.bias, r.mae] for r in backtest.rows],
}))
"""


def main() -> int:
    ensure_store()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(STORE)], check=True, capture_output=True, text=True
    )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    ok = got["fit"] < TARGET_SECONDS
    print(
        f"forecast: history, fit and 24-month projection {got['fit']:.1f} s "
        f"(target < {TARGET_SECONDS:.0f} s){'' if ok else '  OVER TARGET'}; backtest of "
        f"{got['origins']} origins {got['backtest']:.1f} s; peak {got['peak_gb']:.1f} GB; "
        f"{got['children']:.0f} children looked after at the origin"
    )
    print("   12 months ahead, all children:  method                    MAPE    bias    MAE")
    for method, category, mape, bias, mae in got["rows"]:
        if category == "total":
            print(f"   {'':32}{method:<24}{mape:6.1%} {bias:+7.1%} {mae:6.1f}")
    print(f"   cscperf's 90% interval held the actual total {got['coverage']:.0%} of the time")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
