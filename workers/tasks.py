"""Celery tasks: serialisation, retries and scheduling only; the work is in tracker.services.

Tasks take ids and dates, never model objects. Delivery relies on the outbox, not on Celery:
`task_acks_late` + `task_reject_on_worker_lost` bring a killed worker's task back, and the row's
claim (tracker.services.notifications.mailer) makes running it twice harmless.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from sqlalchemy.exc import OperationalError

from tracker.services.candidates import results as candidate_results
from tracker.services.notifications import delivery, digests, sweep
from tracker.services.ops.heartbeat import record_heartbeat
from tracker.services.stages import rebuild_company_stages


@shared_task(name="workers.tasks.heartbeat", bind=True)
def heartbeat(self) -> str:
    """Record that this worker is alive (shown on the admin page), proving the broker round trip."""
    return record_heartbeat(self.request.hostname)  # the node name ("b@host"); None when run in-process


def _day(today_iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(today_iso) if today_iso else None


# The sweeps are idempotent (UNIQUE outbox keys), so retrying one after a database hiccup is safe.
_SWEEP_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 5, "retry_backoff_max": 60, "max_retries": 5}


@shared_task(name="workers.tasks.sweep_reminders", **_SWEEP_RETRY)
def sweep_reminders(today_iso: str | None = None) -> dict:
    """The daily sweep (beat 07:30): today's reminders, plus digests/reports a missed beat skipped."""
    result = sweep.run_daily(_day(today_iso))
    return {"created": result.created, "digests": result.digests, "reports": result.reports}


@shared_task(name="workers.tasks.weekly_digests", **_SWEEP_RETRY)
def weekly_digests(today_iso: str | None = None) -> int:
    """Monday 08:00: one digest per officer for this ISO week."""
    return digests.weekly_digests(_day(today_iso))


@shared_task(name="workers.tasks.monthly_reports", **_SWEEP_RETRY)
def monthly_reports(today_iso: str | None = None) -> int:
    """The 1st, 08:00: one report per district manager for this month."""
    return digests.monthly_reports(_day(today_iso))


@shared_task(name="workers.tasks.send_notification", bind=True, max_retries=None)
def send_notification(self, notification_id: int) -> str:
    """Deliver one outbox row. A temporary failure is retried after the row's backoff (short, well
    below the visibility timeout); the attempt limit lives on the row, not here."""
    outcome = delivery.send_one(notification_id)  # by the row's channel: email, 企业微信, 钉钉
    if outcome.status in ("retry", "paced") and outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in + 0.05)
    return outcome.status


@shared_task(name="workers.tasks.send_pending")
def send_pending() -> dict:
    """Every minute: deliver whatever is due — rows whose publish failed (broker down), retries
    whose task was lost, rows a killed worker left "sending" past their lease."""
    return delivery.drain(time_budget=45)


@shared_task(name="workers.tasks.rebuild_stages", **_SWEEP_RETRY)
def rebuild_stages(today_iso: str | None = None) -> int:
    """Just after midnight: the current-stage table for the new day (designations lapse by date).
    Idempotent, so a retry or a second beat is harmless."""
    return rebuild_company_stages(_day(today_iso))


@shared_task(name="workers.tasks.prepare_candidate_results", **_SWEEP_RETRY)
def prepare_candidate_results() -> int:
    """Just after midnight: every rung's stored results for this and next evaluation year exist and
    match today's thresholds, so the first page load of a new year (when "next year" moves on) or
    after a new year's thresholds take effect finds them ready. Sets that are ready cost one query;
    a missing or stale one is computed here in a small city, else queued set by set. The sets
    still being computed (0 when everything was ready or computed here)."""
    return candidate_results.prepare_years()


@shared_task(name="workers.tasks.compute_candidate_results", **_SWEEP_RETRY)
def compute_candidate_results(target_rung: str, year: int) -> int:
    """Compute one (rung, year) set of the candidates page's stored results (queued by the page
    when a set is missing or its thresholds changed). Each batch replaces its rows: a retry is safe."""
    return candidate_results.compute_set(target_rung, year)
