"""Publishing the outbox (发件箱): hand send tasks for committed notification rows to the broker.

A use case that creates or re-queues notification rows queues their ids with
`tracker.services.unit_of_work.publish_after_commit(ids)`; the unit of work calls `publish(ids)`
once its outermost commit has succeeded, so a rolled-back transaction publishes nothing and a
worker never looks for a row that is not committed yet. (This module must not import the unit of
work: the unit of work imports it.) Publishing never raises: with the broker down the request
still succeeds, the rows stay pending, and the periodic `send_pending` task (every minute)
delivers them once the broker is back.
"""

from __future__ import annotations

import logging

# The Celery app lives on the Flask app (tracker.celery_setup), so publishing needs the app context.
from flask import current_app, has_app_context

log = logging.getLogger("tracker.outbox")

SEND_ONE = "workers.tasks.send_notification"
SEND_PENDING = "workers.tasks.send_pending"
# More new rows than this (a sweep) are published as one drain task instead of one task each.
PER_ROW_LIMIT = 20


def publish(ids: list[int]) -> bool:
    """Publish send tasks now; False (logged, never raised) when the broker cannot be reached."""
    if not ids or not has_app_context():
        return False
    celery = current_app.extensions.get("celery")
    if celery is None:
        return False
    try:
        with celery.connection_for_write() as connection:
            # One attempt, no retry loop: a request must not hang on a broker outage (kombu's
            # default would retry for seconds). The periodic send_pending is the safety net.
            connection.ensure_connection(max_retries=0)
            if len(ids) > PER_ROW_LIMIT:
                celery.send_task(SEND_PENDING, connection=connection, retry=False)
            else:
                for notification_id in ids:
                    celery.send_task(SEND_ONE, args=[notification_id], connection=connection, retry=False)
    except Exception as exc:  # noqa: BLE001  (any broker trouble: the rows wait for send_pending)
        log.warning("broker unavailable, %d notification(s) left for send_pending: %s", len(ids), exc)
        return False
    return True
