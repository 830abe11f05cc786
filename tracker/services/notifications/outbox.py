"""Publishing the outbox (发件箱): send tasks go to the broker only after the database commit.

A service that creates notification rows calls `publish_after_commit(ids)`; the ids wait on the
session and are published by an `after_commit` hook, so a rolled-back transaction publishes
nothing and a worker never looks for a row that is not committed yet. Publishing never raises:
with the broker down the request still succeeds, the rows stay pending, and the periodic
`send_pending` task (every minute) delivers them once the broker is back.
"""

from __future__ import annotations

import logging
from typing import Iterable

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from tracker.extensions import db

log = logging.getLogger("tracker.outbox")

_PENDING_KEY = "outbox_publish"
SEND_ONE = "workers.tasks.send_notification"
SEND_PENDING = "workers.tasks.send_pending"
# More new rows than this (a sweep) are published as one drain task instead of one task each.
PER_ROW_LIMIT = 20


def publish_after_commit(ids: Iterable[int], session=None) -> None:
    """Publish send tasks for these notification ids once the current transaction commits."""
    session = session or db.session
    pending = session.info.setdefault(_PENDING_KEY, set())
    pending.update(int(i) for i in ids)


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


@event.listens_for(Session, "after_commit")
def _publish_committed(session) -> None:
    ids = session.info.pop(_PENDING_KEY, None)
    if ids:
        publish(sorted(ids))


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session) -> None:
    session.info.pop(_PENDING_KEY, None)
