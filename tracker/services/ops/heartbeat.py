"""The worker heartbeat (后台任务心跳): when each Celery worker last ran a task, shown to administrators.

The beat schedule runs the heartbeat task every HEARTBEAT_MINUTES (workers/schedule.py); the
worker that runs it writes its own row of worker_heartbeat. The beats live in the database, the
one thing the web hosts and the worker hosts share when they are separate machines (a file in the
instance folder was never seen by the web host). The status line is about the newest beat, in
Asia/Shanghai time, and never claims the workers are down before a first beat can have happened:
no row yet is "not yet", only a newest beat older than two periods is "late".
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

from sqlalchemy import delete, select

from tracker.clock import local, now
from tracker.extensions import db
from tracker.models import WorkerHeartbeat
from tracker.services.unit_of_work import unit_of_work
from tracker.services.upsert import dialect_insert

HEARTBEAT_MINUTES = 30  # the beat schedule's period for workers.tasks.heartbeat
LATE_AFTER = dt.timedelta(minutes=2 * HEARTBEAT_MINUTES + 5)  # two periods, and a little slack for the queue
FORGET_AFTER = dt.timedelta(days=7)  # a worker renamed or retired drops off the list after a week
OK, LATE, NONE = "ok", "late", "none"


def record_heartbeat(worker: str | None = None, *, at: dt.datetime | None = None) -> str:
    """Record that `worker` (the Celery node name of the worker running the task; default this
    machine's hostname) is alive at `at` (default now), in one unit of work; returns the time as
    ISO 8601. Rows of workers silent for FORGET_AFTER are removed at the same time."""
    worker = (worker or socket.gethostname())[:255]
    at = at or now()
    values = {"last_seen_at": at, "pid": os.getpid()}
    with unit_of_work():
        statement = dialect_insert(WorkerHeartbeat).values(worker=worker, **values)
        db.session.execute(statement.on_conflict_do_update(index_elements=["worker"], set_=values))
        db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_seen_at < at - FORGET_AFTER))
    return at.isoformat()


@dataclass(frozen=True)
class WorkerBeat:
    """One worker's last beat, as the 系统管理 page lists it."""

    worker: str
    at: dt.datetime  # in Asia/Shanghai
    late: bool  # no beat for two periods

    @property
    def when(self) -> str:
        return self.at.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class HeartbeatStatus:
    state: str  # ok | late | none
    at: dt.datetime | None  # the newest beat, in Asia/Shanghai
    text: str  # the status line, in Chinese
    workers: tuple[WorkerBeat, ...] = ()  # every worker that beat within FORGET_AFTER, by name

    @property
    def css(self) -> str:
        return {OK: "text-success", LATE: "text-danger"}.get(self.state, "text-muted")

    @property
    def late_minutes(self) -> int:
        return 2 * HEARTBEAT_MINUTES


def worker_beats(moment: dt.datetime | None = None) -> tuple[WorkerBeat, ...]:
    """Each worker's last beat as of `moment` (default now), by worker name."""
    moment = moment or now()
    rows = db.session.execute(select(WorkerHeartbeat.worker, WorkerHeartbeat.last_seen_at)
                              .order_by(WorkerHeartbeat.worker)).all()
    beats = ((name, local(seen)) for name, seen in rows)  # local(): SQLite's naive values are UTC
    return tuple(WorkerBeat(name, at, moment - at > LATE_AFTER) for name, at in beats)


def status(moment: dt.datetime | None = None) -> HeartbeatStatus:
    """The workers' status line as of `moment` (default now), with each worker's last beat."""
    moment = moment or now()
    workers = worker_beats(moment)
    beat = max((w.at for w in workers), default=None)
    if beat is None:
        return HeartbeatStatus(NONE, None, f"尚未收到后台任务心跳：后台任务启动后 {HEARTBEAT_MINUTES} 分钟内会记录第一次心跳")
    when = beat.strftime("%Y-%m-%d %H:%M")
    if moment - beat > LATE_AFTER:
        return HeartbeatStatus(LATE, beat, f"后台任务最近一次心跳为 {when}，已超过 {2 * HEARTBEAT_MINUTES} 分钟未更新，请确认后台任务（Celery worker 与 beat）正在运行", workers)
    return HeartbeatStatus(OK, beat, f"后台任务运行正常，最近一次心跳 {when}", workers)
