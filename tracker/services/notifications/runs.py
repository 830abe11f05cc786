"""Records of the periodic runs (ReminderRun): which sweep, digest or report ran for which period.

A run is recorded in the transaction of the rows it created, once per (job, period): the daily
job's catch-up reads them to create a digest or report that beat missed, and only once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tracker import clock
from tracker.extensions import db
from tracker.models.notification import ReminderRun
from tracker.services.upsert import dialect_insert

DAILY = "daily"


def record_run(job: str, period: str, count: int) -> None:
    """Record in the current transaction that `job` ran for `period` (a second record adds nothing)."""
    db.session.execute(
        dialect_insert(ReminderRun).values(job=job, period=period, created_count=count, finished_at=clock.now())
        .on_conflict_do_nothing(index_elements=["job", "period"])
    )


def run_done(job: str, period: str) -> bool:
    """Whether a periodic run completed for this period."""
    return db.session.scalar(select(ReminderRun.id).where(ReminderRun.job == job, ReminderRun.period == period)) is not None


def latest_period(job: str) -> str | None:
    """The latest period a job ran for (periods of one job sort as text)."""
    return db.session.scalar(select(func.max(ReminderRun.period)).where(ReminderRun.job == job))


def last_successful_sweep() -> dt.date | None:
    """The latest day a daily sweep completed."""
    value = db.session.scalar(select(func.max(ReminderRun.period)).where(ReminderRun.job == DAILY))
    return dt.date.fromisoformat(value) if value else None


def last_runs(limit: int = 10) -> list[ReminderRun]:
    """The latest completed runs (admin outbox page)."""
    return list(db.session.scalars(select(ReminderRun).order_by(ReminderRun.id.desc()).limit(limit)).all())
