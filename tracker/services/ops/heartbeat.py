"""The worker heartbeat (后台任务心跳): when a Celery worker last ran a task, shown to administrators.

The beat schedule runs the heartbeat task every HEARTBEAT_MINUTES (workers/schedule.py). The
status line says so in Asia/Shanghai time, and never claims the worker is down before a first
beat can have happened: no record yet is "not yet", only a beat older than two periods is "late".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

# The heartbeat file lives in the app's instance folder, the one place the web process and the
# worker (which runs tasks in an app context) both know; callers need not pass it around.
from flask import current_app

from tracker.clock import local, now

HEARTBEAT_MINUTES = 30  # the beat schedule's period for workers.tasks.heartbeat
OK, LATE, NONE = "ok", "late", "none"


def _heartbeat_file() -> Path:
    return Path(current_app.instance_path) / "worker-heartbeat.txt"


def record_heartbeat() -> str:
    """Write the time a worker last ran a task."""
    stamp = now().isoformat()
    _heartbeat_file().write_text(stamp, encoding="utf-8")
    return stamp


def last_heartbeat() -> str | None:
    """When a worker last reported (ISO 8601, UTC), or None."""
    path = _heartbeat_file()
    return path.read_text(encoding="utf-8") if path.exists() else None


@dataclass(frozen=True)
class HeartbeatStatus:
    state: str  # ok | late | none
    at: dt.datetime | None  # the last beat, in Asia/Shanghai
    text: str  # the status line, in Chinese

    @property
    def css(self) -> str:
        return {OK: "text-success", LATE: "text-danger"}.get(self.state, "text-muted")


def status(moment: dt.datetime | None = None) -> HeartbeatStatus:
    """The worker's status line as of `moment` (default now)."""
    moment = moment or now()
    raw = last_heartbeat()
    beat = None
    if raw:
        try:
            beat = dt.datetime.fromisoformat(raw.strip())
        except ValueError:
            beat = None
    if beat is None:
        return HeartbeatStatus(NONE, None, f"尚未收到后台任务心跳：后台任务启动后 {HEARTBEAT_MINUTES} 分钟内会记录第一次心跳")
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=dt.timezone.utc)
    shown = local(beat)
    when = shown.strftime("%Y-%m-%d %H:%M")
    if moment - beat > dt.timedelta(minutes=2 * HEARTBEAT_MINUTES + 5):
        return HeartbeatStatus(LATE, shown, f"后台任务最近一次心跳为 {when}，已超过 {2 * HEARTBEAT_MINUTES} 分钟未更新，请确认后台任务（Celery worker 与 beat）正在运行")
    return HeartbeatStatus(OK, shown, f"后台任务运行正常，最近一次心跳 {when}")
