#!/usr/bin/env bash
# make demo: make the synthetic council, load it, compute and judge the indicators, write the
# month's committee pack, and (when the web stage is present) serve the dashboard.
# Safe to run twice: each run rewrites the council and adds a new build to the store.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-demo}
SCALE=${DEMO_SCALE:-1.0}
V=.venv/bin
started=$(date +%s)

# The last complete month: the synthetic council ends there by default.
PERIOD=$($V/python -c "import datetime as d; t=d.date.today().replace(day=1)-d.timedelta(days=1); print(t.strftime('%Y-%m'))")

echo "== 1/5 Making the synthetic council Eastshire (scale $SCALE) in $OUT/eastshire"
$V/cscperf synth --out "$OUT/eastshire" --scale "$SCALE" --force

echo "== 2/5 Loading its Standard Safeguarding Dataset extract into the store $OUT/store"
$V/cscperf ingest --store "$OUT/store" --extract-date "$(date +%F)" "$OUT/eastshire/ssd" "$OUT/eastshire/population" \
  "$OUT/eastshire/council.yaml"
# The council's targets live beside its store and apply to every build.
$V/cscperf targets check "$OUT/eastshire/targets.yaml"
cp "$OUT/eastshire/targets.yaml" "$OUT/store/targets.yaml"
# Figures kept outside the case system: PEPs, the foster-carer register, workforce, youth justice.
$V/cscperf import-measures --store "$OUT/store" "$OUT/eastshire"/imported/*.csv
# The month's budget monitoring: ledger extracts and finance registers, mapped by finance.yaml.
$V/cscperf finance import --store "$OUT/store" --settings "$OUT/eastshire/finance/finance.yaml" \
  "$OUT/eastshire"/finance/*.csv
# The service's risk register, kept by the council beside the builds (every review kept).
$V/cscperf risk import --store "$OUT/store" "$OUT/eastshire/risk/risk_register.csv"

echo "== 3/5 Computing the indicator catalogue for every month"
$V/cscperf indicators --store "$OUT/store" --period "$PERIOD" --months 13 > "$OUT/indicators.csv"
echo "13 months of every indicator: $OUT/indicators.csv"

echo "== 4/5 Judging $PERIOD against targets, last year and published benchmarks"
$V/cscperf evaluate --store "$OUT/store" --period "$PERIOD" --format csv > "$OUT/evaluated.csv"
echo "Evaluated results: $OUT/evaluated.csv"

echo "== 5/5 Writing the committee pack for $PERIOD"
$V/cscperf report --store "$OUT/store" --period "$PERIOD" --out "$OUT/pack"

echo
echo "Done in $(( $(date +%s) - started )) s. What to open:"
echo "  committee pack:  $OUT/pack/pack.pdf  (also pack.html, pack.xlsx)"
echo "  data quality:    the report.html listed above"
echo "  raw results:     $OUT/indicators.csv, $OUT/evaluated.csv"
if $V/cscperf serve --help >/dev/null 2>&1; then
  echo
  echo "Starting the dashboard (Ctrl+C to stop); it listens on this machine only."
  exec $V/cscperf serve --store "$OUT/store" --host 127.0.0.1 --port "${DEMO_PORT:-8000}"
fi
