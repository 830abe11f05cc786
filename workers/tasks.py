"""Celery tasks: serialisation, retries and scheduling only; the work is in tracker.services."""

from __future__ import annotations

from celery import shared_task

from tracker.services import system


@shared_task(name="workers.tasks.heartbeat")
def heartbeat() -> str:
    """Record that a worker is alive (shown on the admin page), proving the broker round trip."""
    return system.record_heartbeat()
