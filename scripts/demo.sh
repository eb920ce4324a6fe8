#!/usr/bin/env bash
# make demo: build the synthetic council and run the main job on it.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-demo}
V=.venv/bin
$V/cscperf synth --out "$OUT/eastshire"
