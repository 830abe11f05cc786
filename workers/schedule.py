"""Beat schedule (Asia/Shanghai). Due dates live in the database; beat only triggers sweeps.

No reminder is ever a long ETA/countdown task: with Redis, a message held longer than the
visibility timeout is delivered again and again. Every entry here is idempotent per period, so
two beats, or a beat restarted across a due time, neither double-send nor skip (the daily sweep
catches up a missed digest or report).
"""

from __future__ import annotations

from celery.schedules import crontab


def beat_schedule() -> dict:
    """Periodic tasks, in the Celery app's timezone (Asia/Shanghai)."""
    return {
        "heartbeat": {"task": "workers.tasks.heartbeat", "schedule": crontab(minute="*/30")},
        "sweep-reminders": {"task": "workers.tasks.sweep_reminders", "schedule": crontab(hour=7, minute=30)},
        "weekly-digests": {"task": "workers.tasks.weekly_digests", "schedule": crontab(hour=8, minute=0, day_of_week="mon")},
        "monthly-reports": {"task": "workers.tasks.monthly_reports", "schedule": crontab(hour=8, minute=0, day_of_month="1")},
        # The current-stage table moves to the new day (until then lists compute stages themselves).
        "rebuild-stages": {"task": "workers.tasks.rebuild_stages", "schedule": crontab(hour=0, minute=5)},
        # The candidates page's stored results for this and next year (a new year, new thresholds).
        "prepare-candidate-results": {"task": "workers.tasks.prepare_candidate_results",
                                      "schedule": crontab(hour=0, minute=20)},
        # The safety net of the outbox: rows whose publish failed or whose task was lost.
        "send-pending": {"task": "workers.tasks.send_pending", "schedule": crontab(minute="*"),
                         "options": {"expires": 55}},
    }
