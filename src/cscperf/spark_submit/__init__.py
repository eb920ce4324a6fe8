"""cscperf under ``spark-submit``: the entry point a regional group hands to its Spark cluster.

``spark-submit --master MASTER "$(python -m cscperf.spark_submit --path)" pool build POOL``
runs the ``cscperf`` command given after the path (any command: ``pool build``,
``indicators``...) in the Python driver spark-submit starts, computing on the session
spark-submit made for it (``--database spark://submit``, unless another is given), so on
whatever master and settings spark-submit was given. The entry file is this package's
``__main__.py``: a folder of its own, because Python puts a script's folder first on its
import path and cscperf's own package folder holds modules named like the standard
library's (``calendar``). See docs/pools.md, "Running it against a Spark cluster".
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cscperf.cli import main as cli_main
from cscperf.console import err_console
from cscperf.indicators.backends.spark import SUBMIT_ENV, SUBMIT_URL

DATABASE_ENV = "CSCPERF_DATABASE"


def entry_path() -> Path:
    """The file to give ``spark-submit``."""
    return Path(__file__).resolve().with_name("__main__.py")


def main(argv: list[str] | None = None) -> int:
    """Under spark-submit, the cscperf command in ``argv`` on spark-submit's session;
    otherwise ``--path`` prints the entry file, and anything else says how to use it."""
    args = sys.argv[1:] if argv is None else argv
    if SUBMIT_ENV not in os.environ:
        if args == ["--path"]:
            sys.stdout.write(f"{entry_path()}\n")
            return 0
        err_console.print(
            "This runs cscperf under spark-submit, as in: spark-submit --master MASTER "
            f"{entry_path()} pool build POOL --key-file FILE (docs/pools.md); "
            "--path prints the file to give spark-submit."
        )
        return 2
    os.environ.setdefault(DATABASE_ENV, SUBMIT_URL)
    return cli_main(args)
