"""The worker heartbeat (后台任务心跳): when each Celery worker last ran the heartbeat task.

Kept in the database, not in a file, because the web process and the workers may run on different
machines: the database is what they all share (README "Deploying on PostgreSQL + Redis with several workers").
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db


class WorkerHeartbeat(db.Model):
    """One worker's latest beat. `worker` is the Celery node name (e.g. "b@host-2"), or the
    machine's hostname when the task ran outside a worker."""

    __tablename__ = "worker_heartbeat"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker: Mapped[str] = mapped_column(String(255), unique=True)
    pid: Mapped[int | None] = mapped_column(Integer)  # the process that ran the task, for the operator
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
