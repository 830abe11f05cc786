"""Beat schedule (Asia/Shanghai). Due dates live in the database; beat only triggers sweeps."""

from __future__ import annotations

from celery.schedules import crontab


def beat_schedule() -> dict:
    """Periodic tasks. Each is idempotent per period, so a double beat or a restart is harmless."""
    return {
        "heartbeat": {"task": "workers.tasks.heartbeat", "schedule": crontab(minute="*/30")},
    }
