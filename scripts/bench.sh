#!/usr/bin/env bash
# Run the benchmark (bench/run.py) with what it needs beyond the test set-up: wrk, the compiled
# load generator of the pages section (Debian package `wrk`). Arguments go to bench/run.py, e.g.
#   BENCH_DB=tracker_bench_mine scripts/bench.sh --companies 100000 --reuse --skip imports
#   scripts/bench.sh --sizes 10000,30000,100000,300000 --reuse
# PostgreSQL must listen on 127.0.0.1:5432 (BENCH_PG_SERVER to change it).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

if ! command -v wrk >/dev/null || ! command -v taskset >/dev/null; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk util-linux >/dev/null
fi

exec .venv/bin/python bench/run.py "$@"
