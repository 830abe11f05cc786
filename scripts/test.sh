#!/usr/bin/env bash
# Set up and run the whole test suite: once on SQLite (the embedded default) and once on the real
# PostgreSQL and Redis on 127.0.0.1, with a real Celery worker, SMTP server and headless Chromium.
# Under CI=true a missing service fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# Browser tests use Debian's Chromium (Playwright never downloads a browser here) and need CJK
# fonts, or Chinese renders as empty boxes in screenshots. wrk drives the benchmark's pages (bench/run.py).
if ! [ -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || ! [ -x /usr/bin/wrk ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk wrk >/dev/null
fi

if [ "${CI:-}" = "true" ]; then export REQUIRE_SERVICES=1; fi
export PYTHONDONTWRITEBYTECODE=1

status=0
echo "== SQLite (embedded default) =="
TEST_DB=sqlite .venv/bin/python -m pytest -m "not pg_only and not e2e" "$@" || status=$?
echo "== PostgreSQL + Redis =="
TEST_DB=postgresql .venv/bin/python -m pytest "$@" || status=$?
exit $status
