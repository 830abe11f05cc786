#!/usr/bin/env bash
# Set up and run the tracker on the embedded default: SQLite, demo data, the plan's targets,
# and a Celery worker with beat on a SQLite broker. Needs nothing but Python 3.11+.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
export FLASK_APP=app
# Without SECRET_KEY the app keeps a random key in instance/secret_key (mode 0600), made on the
# first start, and serves only on a loopback address with it (tracker/secret_key.py): say so now
# rather than after the set-up.
if [ -z "${SECRET_KEY:-}" ]; then
  case "$HOST" in
    127.*|localhost|::1) ;;
    *) echo "未设置 SECRET_KEY：HOST=$HOST 不是本机回环地址。请先 export SECRET_KEY=\$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" >&2
       exit 2 ;;
  esac
fi
export APP_BASE_URL=${APP_BASE_URL:-http://$HOST:$PORT}

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt

mkdir -p instance
.venv/bin/flask init-db
.venv/bin/flask seed-plan
.venv/bin/flask demo-data --if-empty
if .venv/bin/flask --help 2>/dev/null | grep -q "reminders"; then
  # Turn today's due reminders into emails in instance/mail/ (readable in the app under 系统管理).
  .venv/bin/flask reminders sweep || true
  .venv/bin/flask reminders send || true
fi

.venv/bin/celery -A workers.celery_app worker --beat --loglevel=INFO --concurrency=1 \
  --schedule instance/celerybeat-schedule >instance/celery.log 2>&1 &
CELERY_PID=$!
trap 'kill $CELERY_PID 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  常州市科技型企业“倍增行动”培育跟踪系统
  打开 http://$HOST:$PORT
  演示账号（密码均为 changzhou2027）：
    市级管理员  admin@example.com
    辖区管理员  manager.wujin@example.com（其他辖区：manager.<辖区代码>@example.com）
    服务专员    officer.wujin.1@example.com
  Celery worker + beat 日志：instance/celery.log

MSG
exec_status=0
.venv/bin/flask run --host "$HOST" --port "$PORT" || exec_status=$?
exit $exec_status
