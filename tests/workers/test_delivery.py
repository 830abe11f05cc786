"""Exactly one email per reminder through double sweeps, killed workers, SMTP trouble and broker outages.

Real parts only: PostgreSQL, Redis as the broker, Celery worker subprocesses, aiosmtpd on
loopback. Never eager mode. Each test takes seconds; polling is short with timeouts.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from tests.workers.concurrency import run_in_threads
from tests.workers.conftest import wait_until
from tracker.extensions import db
from tracker.models import Notification, Visit
from tracker.models.notification import FAILED, PENDING, SENDING, SENT
from tracker.rules import reminders as rules
from tracker.services.notifications import notify, sweep

pytestmark = pytest.mark.pg_only

TODAY = dt.date(2026, 6, 3)
# A short lease (a killed worker's row comes back after 8 s) needs short SMTP timeouts: the lease
# must be 1.5 × the longest send (0.5 + 5 × 0.5 + 2 = 5 s), or the worker refuses to start.
SHORT_LEASE = {"MAIL_SEND_LEASE_SECONDS": 8, "MAIL_CONNECT_TIMEOUT_SECONDS": 0.5,
               "MAIL_COMMAND_TIMEOUT_SECONDS": 0.5, "MAIL_DATA_TIMEOUT_SECONDS": 2}
# The server holds RCPT for seconds: a command timeout above that, and a lease to match.
LONG_HOLD = {"MAIL_COMMAND_TIMEOUT_SECONDS": 15, "MAIL_SEND_LEASE_SECONDS": 150}


def statuses() -> dict[int, str]:
    db.session.rollback()  # a fresh snapshot: the workers write from other processes
    return {n.id: n.status for n in db.session.scalars(select(Notification))}


def emailed_ids() -> set[int]:
    db.session.rollback()
    return set(db.session.scalars(select(Notification.id).where(Notification.email_wanted.is_(True))).all())


def expected_message_ids(ids) -> set[str]:
    return {f"<notification-{i}@localhost>" for i in ids}


def remind(factory, n: int = 1, **user_fields) -> list[int]:
    """n urgent reminders for one new officer, committed (so published to the broker)."""
    user = factory.user("officer", "wujin", **user_fields)
    ids = []
    for i in range(n):
        ids += notify.notify([user.id], rules.TEST_EMAIL, f"user:{user.id}", f"p{i}", f"提醒 {i}", urgent=True)
    return ids


def publish_send_pending(app) -> None:
    """What beat does every minute: the outbox's safety net."""
    app.extensions["celery"].send_task("workers.tasks.send_pending")


def test_double_sweeps_and_two_beats_send_one_email_per_key(app, factory, workers, smtp):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    for days in (365, 365 + 50):
        company = factory.company(officer=officer)
        db.session.add(Visit(company_id=company.id, officer_id=officer.id, summary="走访",
                             visited_on=TODAY - dt.timedelta(days=days)))
    db.session.commit()
    workers("w1")
    workers("w2")
    celery = app.extensions["celery"]
    # Two beats fire the daily sweep at once, while two more sweeps run here, concurrently.
    for _ in range(2):
        celery.send_task("workers.tasks.sweep_reminders", args=[TODAY.isoformat()])
    errors = run_in_threads(app, lambda: sweep.sweep(TODAY))
    assert not errors
    sweep.sweep(TODAY)
    # Both beat sweeps done (the catch-up adds this week's digest and this month's report once).
    wait_until(lambda: any(n.kind == rules.REPORT_MONTHLY for n in db.session.scalars(select(Notification)))
               or db.session.rollback(), message="the beat sweeps")
    wait_until(lambda: (s := statuses()) and all(v == SENT for v in s.values()), message="everything sent")
    time.sleep(1.5)  # any duplicate would arrive now
    ids = emailed_ids()
    kinds = {n.kind for n in db.session.scalars(select(Notification))}
    assert {rules.VISIT_DUE, rules.VISIT_OVERDUE, rules.VISIT_ESCALATED, rules.DIGEST_WEEKLY, rules.REPORT_MONTHLY} <= kinds
    assert len(ids) == 5 and manager.id
    assert sorted(smtp.handler.message_ids()) == sorted(expected_message_ids(ids))


def test_worker_killed_mid_send_then_a_new_worker_sends_exactly_once(app, factory, workers, smtp):
    smtp.handler.hold_at_rcpt = True  # the worker is inside the SMTP conversation, no message text sent yet
    first = workers("w1", CELERY_VISIBILITY_TIMEOUT=3, **SHORT_LEASE)
    [nid] = remind(factory)
    assert smtp.handler.entered.wait(20), first.log()[-2000:]
    first.kill()
    smtp.handler.hold_at_rcpt = False
    smtp.handler.release()
    assert statuses()[nid] == SENDING and smtp.handler.messages == []  # the lease holds the row
    workers("w2", CELERY_VISIBILITY_TIMEOUT=3, **SHORT_LEASE)
    # The killed worker's task comes back (acks_late; Redis visibility timeout) and beat's
    # send_pending runs; whichever claims the row after the lease sends it.
    deadline = time.monotonic() + 25
    while not smtp.handler.messages and time.monotonic() < deadline:
        publish_send_pending(app)
        time.sleep(0.5)
    wait_until(lambda: statuses()[nid] == SENT, message="the row marked sent")
    time.sleep(2)
    assert smtp.handler.message_ids() == [f"<notification-{nid}@localhost>"]
    db.session.rollback()
    assert db.session.get(Notification, nid).attempts == 2


def test_killed_after_the_server_accepted_resends_once_with_the_same_message_id(app, factory, workers, smtp):
    """The documented at-least-once window: the server took the message, the worker died before
    recording it. The row is sent again after the lease — a second copy, same Message-ID, no more."""
    smtp.handler.hold_after_accept = True
    first = workers("w1", **SHORT_LEASE)
    [nid] = remind(factory)
    assert smtp.handler.entered.wait(20), first.log()[-2000:]
    first.kill()
    smtp.handler.hold_after_accept = False
    smtp.handler.release()
    workers("w2", **SHORT_LEASE)
    deadline = time.monotonic() + 25
    while len(smtp.handler.messages) < 2 and time.monotonic() < deadline:
        publish_send_pending(app)
        time.sleep(0.5)
    wait_until(lambda: statuses()[nid] == SENT, message="the row marked sent")
    time.sleep(1.5)
    assert smtp.handler.message_ids() == [f"<notification-{nid}@localhost>"] * 2


def test_smtp_421_twice_then_accepted_is_one_email_after_backoff(app, factory, workers, smtp):
    smtp.handler.fail_data[:] = ["421 4.3.2 try later", "421 4.3.2 try later"]
    workers("w1")
    [nid] = remind(factory)
    assert smtp.handler.wait_for(1, 20)
    wait_until(lambda: statuses()[nid] == SENT, message="sent")
    time.sleep(1)
    row = db.session.get(Notification, nid)
    assert smtp.handler.data_attempts == 3 and len(smtp.handler.messages) == 1
    assert row.attempts == 3 and row.last_error is None
    # Backoff base 0.3 s with equal jitter: at least 0.15 + 0.3 s between the first try and success.
    assert (row.sent_at - row.created_at).total_seconds() >= 0.45


def test_smtp_550_fails_the_row_visibly_and_the_others_still_go(app, client, auth, factory, workers, smtp):
    smtp.handler.reject_rcpt.add("gone@example.com")
    workers("w1")
    [bad] = remind(factory, email="gone@example.com")
    good = remind(factory, n=2)
    wait_until(lambda: (s := statuses()) and s[bad] == FAILED and all(s[i] == SENT for i in good),
               message="one failed, two sent")
    assert sorted(smtp.handler.message_ids()) == sorted(expected_message_ids(good))
    auth.login(factory.user("admin"))
    page = client.get("/notifications/outbox?status=failed").get_data(as_text=True)
    assert "gone@example.com" in page and "550" in page and f"/notifications/outbox/{bad}/retry" in page


def test_broker_down_while_a_visit_is_logged_succeeds_fast_and_sends_once_later(app, client, auth, factory, broker, workers, smtp):
    celery = app.extensions["celery"]
    celery.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens there
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    company = factory.company(officer=officer)
    auth.login(officer)
    started = time.monotonic()
    response = client.post(f"/visits/new?company_id={company.id}", data={
        "visited_on": "2026-06-03", "kind": "onsite", "summary": "了解融资需求",
        "follow_ups-0-category": "funding", "follow_ups-0-description": "需要对接银行贷款",
        "follow_ups-0-owner_id": str(manager.id), "follow_ups-0-due_on": "2026-06-20",
    })
    test_mail = client.post("/notifications/preferences/test")
    elapsed = time.monotonic() - started
    assert response.status_code == 302 and test_mail.status_code == 302 and elapsed < 3
    assert db.session.scalar(select(Visit.id).where(Visit.company_id == company.id)) is not None
    ids = sorted(statuses())
    assert len(ids) == 2 and set(statuses().values()) == {PENDING}  # the follow-up's owner + the test mail
    celery.conf.broker_url = broker  # the broker is back
    workers("w1")
    time.sleep(0.5)
    assert smtp.handler.messages == []  # nothing was published while it was down
    publish_send_pending(app)  # beat's next minute
    assert smtp.handler.wait_for(2, 20)
    wait_until(lambda: set(statuses().values()) == {SENT}, message="sent")
    publish_send_pending(app)
    time.sleep(1.5)
    assert sorted(smtp.handler.message_ids()) == sorted(expected_message_ids(ids))


def test_visibility_timeout_2s_with_two_workers_sends_each_reminder_once(app, factory, workers, smtp):
    """A send held longer than the 2 s visibility timeout is handed by Redis to the second worker
    too (kombu restores overdue unacked messages when a worker starts polling); the claim on the
    row keeps it to one email."""
    smtp.handler.hold_at_rcpt = True
    w1 = workers("w1", CELERY_VISIBILITY_TIMEOUT=2, **LONG_HOLD)
    ids = remind(factory, n=2)
    assert smtp.handler.entered.wait(20)
    time.sleep(2.2)  # the message being sent is now past its visibility timeout
    w2 = workers("w2", CELERY_VISIBILITY_TIMEOUT=2, **LONG_HOLD)
    wait_until(lambda: w2.received() >= 1, message="the second worker receiving a task")
    time.sleep(0.5)
    smtp.handler.hold_at_rcpt = False
    smtp.handler.release()
    wait_until(lambda: (s := statuses()) and all(s[i] == SENT for i in ids), timeout=30, message="all sent")
    time.sleep(1.5)
    assert w1.received() + w2.received() > len(ids), "no task was redelivered: the test proved nothing"
    assert sorted(smtp.handler.message_ids()) == sorted(expected_message_ids(ids))
