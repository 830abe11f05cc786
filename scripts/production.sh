#!/usr/bin/env bash
# Try the production shape on one machine: gunicorn with 2 app processes on one port, two Celery
# workers and one beat on Redis, one PostgreSQL (README "Deploying on PostgreSQL + Redis with several
# workers"). Every process gets the same environment; Ctrl-C stops them all.
#
#   export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
#   export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tracker
#   export CELERY_BROKER_URL=redis://127.0.0.1:6379/0 REDIS_URL=redis://127.0.0.1:6379/1
#   ./scripts/production.sh            # then open http://127.0.0.1:8000
#
# Optional: HOST, PORT (127.0.0.1, 8000), WEB_WORKERS (2), MAIL_SERVER/MAIL_PORT (unset: mail is
# written to $INSTANCE_PATH/mail), LOG_DIR (instance/production-logs), DEMO=1 (load the demo city when
# the database is empty).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for name in SECRET_KEY DATABASE_URL CELERY_BROKER_URL REDIS_URL; do
  [ -n "${!name:-}" ] || missing+=("$name")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "缺少环境变量 / missing environment variables: ${missing[*]} (see the comment at the top of $0)" >&2
  exit 2
fi
case "$CELERY_BROKER_URL" in
  redis://*|rediss://*) ;;
  *) echo "CELERY_BROKER_URL must be a Redis URL in this shape (got $CELERY_BROKER_URL)" >&2; exit 2 ;;
esac

export APP_ENV=${APP_ENV:-production} FLASK_APP=app
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
WEB_WORKERS=${WEB_WORKERS:-2}
export APP_BASE_URL=${APP_BASE_URL:-http://$HOST:$PORT}
export INSTANCE_PATH=${INSTANCE_PATH:-$PWD/instance}
LOG_DIR=${LOG_DIR:-$INSTANCE_PATH/production-logs}
mkdir -p "$INSTANCE_PATH" "$LOG_DIR"
BIN=${VENV:-.venv}/bin

"$BIN/flask" init-db
"$BIN/flask" seed-plan
if [ "${DEMO:-0}" = "1" ]; then
  "$BIN/flask" demo-data --if-empty
fi

pids=()
stop_all() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true  # graceful: gunicorn finishes its requests, workers their tasks
}
trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM

# The access log names the gunicorn worker (%(p)s) that served each request.
"$BIN/gunicorn" --workers "$WEB_WORKERS" --timeout 120 --bind "$HOST:$PORT" \
  --access-logfile "$LOG_DIR/access.log" --access-logformat '%(p)s %(h)s "%(r)s" %(s)s %(M)sms' \
  --error-logfile "$LOG_DIR/gunicorn.log" app:app &
pids+=($!)
for name in a b; do
  "$BIN/celery" -A workers.celery_app worker --loglevel=INFO --concurrency 2 -n "$name@%h" \
    >"$LOG_DIR/worker-$name.log" 2>&1 &
  pids+=($!)
done
# Exactly one beat, whatever the number of workers.
"$BIN/celery" -A workers.celery_app beat --loglevel=INFO --schedule "$INSTANCE_PATH/celerybeat-schedule" \
  >"$LOG_DIR/beat.log" 2>&1 &
pids+=($!)

cat <<MSG

  生产形态（本机演示）：gunicorn $WEB_WORKERS 个进程 @ http://$HOST:$PORT ，2 个 Celery worker（a、b），1 个 beat
  日志：$LOG_DIR/{access.log,gunicorn.log,worker-a.log,worker-b.log,beat.log}
  Ctrl-C 结束全部进程。

MSG
# The first process to exit ends the shape (a crashed worker should be noticed, not hidden).
status=0
wait -n "${pids[@]}" || status=$?
echo "a process of the shape exited (status $status); stopping the others" >&2
exit $status
