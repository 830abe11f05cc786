"""Publishing the outbox (发件箱): hand send tasks for committed notification rows to the broker.

A use case that creates or re-queues notification rows queues their ids with
`tracker.services.unit_of_work.publish_after_commit(ids)`; the unit of work calls `publish(ids)`
once its outermost commit has succeeded, so a rolled-back transaction publishes nothing and a
worker never looks for a row that is not committed yet. (This module must not import the unit of
work: the unit of work imports it.)

Publishing never raises and never hangs the caller: it runs with short socket and connect timeouts
(OUTBOX_PUBLISH_TIMEOUT_SECONDS) on its own broker connection, no retry loop, and the caller waits
for it at most a little longer than that — a broker that accepts connections but never answers
(a frozen Redis) costs a request about one second. When publishing fails the rows stay pending and
the periodic `send_pending` task (every minute) delivers them once the broker is back.
"""

from __future__ import annotations

import logging
import threading

# The Celery app lives on the Flask app (tracker.celery_setup), so publishing needs the app context.
from flask import current_app, has_app_context

log = logging.getLogger("tracker.outbox")

SEND_ONE = "workers.tasks.send_notification"
SEND_PENDING = "workers.tasks.send_pending"
# More new rows than this (a sweep) are published as one drain task instead of one task each.
PER_ROW_LIMIT = 20
# How much longer than its socket timeouts the caller waits for a publish before giving up on it.
GRACE_SECONDS = 0.5


def _transport_options(broker_url: str, timeout: float) -> dict:
    # Only Redis understands these; the embedded SQLAlchemy transport would pass them to create_engine().
    if str(broker_url or "").startswith(("redis://", "rediss://")):
        return {"socket_timeout": timeout, "socket_connect_timeout": timeout, "retry_on_timeout": False}
    return {}


def _send(celery, ids: list[int], timeout: float) -> None:
    options = _transport_options(celery.conf.broker_url, timeout)
    with celery.connection_for_write(connect_timeout=timeout, transport_options=options) as connection:
        # One attempt, no retry loop: kombu's default would retry for seconds.
        connection.ensure_connection(max_retries=0, timeout=timeout)
        if len(ids) > PER_ROW_LIMIT:
            celery.send_task(SEND_PENDING, connection=connection, retry=False)
        else:
            for notification_id in ids:
                celery.send_task(SEND_ONE, args=[notification_id], connection=connection, retry=False)


def publish(ids: list[int]) -> bool:
    """Publish send tasks now; False (logged, never raised) when the broker cannot be reached in time."""
    if not ids or not has_app_context():
        return False
    celery = current_app.extensions.get("celery")
    if celery is None:
        return False
    timeout = float(current_app.config.get("OUTBOX_PUBLISH_TIMEOUT_SECONDS", 1))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            _send(celery, ids, timeout)
        except BaseException as exc:  # noqa: BLE001  (any broker trouble: the rows wait for send_pending)
            failure.append(exc)

    # The publish runs beside the caller, which waits a bounded time: even a client library that
    # retries on its own cannot hold a web request. A publish that finishes late is harmless (the
    # claim on the row keeps it to one email).
    worker = threading.Thread(target=run, name="outbox-publish", daemon=True)
    worker.start()
    worker.join(timeout + GRACE_SECONDS)
    if worker.is_alive():
        log.warning("broker did not answer within %.1fs, %d notification(s) left for send_pending", timeout, len(ids))
        return False
    if failure:
        log.warning("broker unavailable, %d notification(s) left for send_pending: %s", len(ids), failure[0])
        return False
    return True
