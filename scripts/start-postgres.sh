#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the conformance tests, on a private port and socket.
# Prints the SQLAlchemy URL to use. Safe to run twice (reuses a running server).
set -euo pipefail
PGDIR=${CSCPERF_PG_DIR:-/tmp/cscperf-pg}
PORT=${CSCPERF_PG_PORT:-55432}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
run() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}
if [ ! -s "$PGDIR/PG_VERSION" ]; then
  mkdir -p "$PGDIR"
  [ "$(id -u)" -eq 0 ] && chown postgres "$PGDIR"
  run "$BIN/initdb -D $PGDIR -U cscperf --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
fi
if ! run "$BIN/pg_ctl -D $PGDIR status" >/dev/null 2>&1; then
  run "$BIN/pg_ctl -D $PGDIR -l $PGDIR/server.log -w -o '-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off' start" >/dev/null
fi
run "$BIN/psql -h 127.0.0.1 -p $PORT -U cscperf -d postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='cscperf_test'\"" | grep -q 1 \
  || run "$BIN/createdb -h 127.0.0.1 -p $PORT -U cscperf cscperf_test"
echo "postgresql://cscperf@127.0.0.1:$PORT/cscperf_test"
