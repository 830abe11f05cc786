"""The worker heartbeat (后台任务心跳): when a Celery worker last ran a task, shown to administrators."""

from __future__ import annotations

from pathlib import Path

# The heartbeat file lives in the app's instance folder, the one place the web process and the
# worker (which runs tasks in an app context) both know; callers need not pass it around.
from flask import current_app

from tracker.clock import now


def _heartbeat_file() -> Path:
    return Path(current_app.instance_path) / "worker-heartbeat.txt"


def record_heartbeat() -> str:
    """Write the time a worker last ran a task."""
    stamp = now().isoformat()
    _heartbeat_file().write_text(stamp, encoding="utf-8")
    return stamp


def last_heartbeat() -> str | None:
    """When a worker last reported, or None."""
    path = _heartbeat_file()
    return path.read_text(encoding="utf-8") if path.exists() else None
