"""``python -m cscperf`` runs the command line."""

from cscperf.cli import run

run()
