#!/usr/bin/env bash
# Install the DfE's own return validators in .venv-validators, a virtual environment of their own:
# csc-validator-be-903 (SSDA903) and csc-validator-be-cin (CIN Census). They pin pandas <2 and
# numpy <1.25, which cscperf's environment cannot share, so the tests call them through this
# environment's python (tests/synth/conftest.py, fixture validators_python).
# Safe to run twice: it does nothing when the pinned versions are already installed.
# Needs a Python that numpy 1.24 has wheels for (3.8-3.11); set PYTHON to choose one.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-validators
PINS=(csc-validator-be-903==0.1.17 csc-validator-be-cin==0.1.13)
STAMP="$VENV/.installed"

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "${PINS[*]}" ]; then
  exit 0
fi

echo "Installing the DfE validators in $VENV: ${PINS[*]}"
test -x "$VENV/bin/python" || "${PYTHON:-python3}" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q "${PINS[@]}"
"$VENV/bin/python" -c "import lac_validator, cin_validator" \
  || { echo "the validators installed but do not import; remove $VENV and run again" >&2; exit 1; }
echo "${PINS[*]}" >"$STAMP"
