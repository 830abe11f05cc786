"""Delivery hardening (issue 12 items 1-4, 7), in process against the test database (SQLite or
PostgreSQL) and aiosmtpd on loopback: claim tokens, the database clock, finishing retries,
per-phase SMTP timeouts and the uncertain outcome, drains that honour backoff and their budget.

The same scenarios with real Celery worker processes are in tests/workers/test_delivery_faults.py.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError

from tests.conftest import base_config
from tracker import clock, create_app
from tests.services.notifications.conftest import loopback_smtp
from tracker.config import delivery_problems, longest_send_seconds
from tracker.extensions import db
from tracker.models import Notification
from tracker.models.notification import PENDING, SENDING, SENT, UNCERTAIN
from tracker.rules import reminders as rules
from tracker.services.notifications import claims, mailer, notify
from tracker.services.notifications.claims import db_now


pytestmark = pytest.mark.usefixtures("no_broker")


@pytest.fixture
def smtp(app):
    with loopback_smtp(app, MAIL_BACKOFF_BASE_SECONDS=30, MAIL_BACKOFF_MAX_SECONDS=60) as handler:
        yield handler


def skew(monkeypatch, seconds: float) -> None:
    """This process's clock runs `seconds` ahead (negative: behind) of the database's."""
    real = dt.datetime.now

    def skewed() -> dt.datetime:
        return real(dt.timezone.utc) + dt.timedelta(seconds=seconds)

    monkeypatch.setattr(clock, "now", skewed)
    monkeypatch.setattr(mailer, "now", skewed)


def make(factory, n: int = 1) -> list[int]:
    user = factory.user("officer", "wujin")
    ids = []
    for i in range(n):
        ids += notify.notify([user.id], rules.TEST_EMAIL, f"user:{user.id}", f"p{i}", f"提醒{i}", urgent=True)
    return ids


def row(notification_id: int) -> Notification:
    db.session.expire_all()
    return db.session.get(Notification, notification_id)


def lease_left(notification_id: int) -> float:
    """Seconds until the row's next_attempt_at, on the database clock."""
    db.session.expire_all()
    after = db.session.scalar(select(Notification.id).where(Notification.id == notification_id,
                                                            Notification.next_attempt_at > db_now(0)))
    return 0.0 if after is None else _seconds_until(notification_id)


def _seconds_until(notification_id: int) -> float:
    # Binary search on the database clock (portable across SQLite text and PostgreSQL timestamps).
    low, high = 0.0, 100_000.0
    for _ in range(40):
        middle = (low + high) / 2
        later = db.session.scalar(select(Notification.id).where(Notification.id == notification_id,
                                                                Notification.next_attempt_at > db_now(middle)))
        low, high = (middle, high) if later is not None else (low, middle)
    return low


def expire(notification_id: int) -> None:
    db.session.execute(Notification.__table__.update().where(Notification.id == notification_id)
                       .values(next_attempt_at=db_now(-1)))
    db.session.commit()


# ---------------------------------------------------------------------------------------------
# 1. Claim tokens; a lease not comfortably longer than the longest send is refused at start-up
# ---------------------------------------------------------------------------------------------

def test_a_stale_claimant_cannot_overwrite_the_current_claimants_outcome(app, factory):
    [nid] = make(factory)
    stale = mailer.claim(nid)
    expire(nid)  # its lease ran out (a slow server, a paused process)
    current = mailer.claim(nid)
    assert current and current != stale
    # The stale claimant comes back with "temporary failure, retry now": it must change nothing.
    finished = claims.finish(nid, stale, status=PENDING, next_attempt_at=db_now(-60), last_error="stale")
    assert finished.recorded is False
    now_row = row(nid)
    assert now_row.status == SENDING and now_row.claim_token == current and now_row.last_error is None
    assert mailer.claim(nid) is None  # so a third sender cannot take the row while it is being sent
    assert claims.finish(nid, current, status=SENT, sent_at=db_now(), claim_token=None).recorded
    assert row(nid).status == SENT


def test_a_lease_shorter_than_the_longest_send_refuses_to_start(database_url):
    config = {**base_config(database_url), "MAIL_CONNECT_TIMEOUT_SECONDS": 30, "MAIL_COMMAND_TIMEOUT_SECONDS": 30,
              "MAIL_DATA_TIMEOUT_SECONDS": 600, "MAIL_SEND_LEASE_SECONDS": 600}
    assert longest_send_seconds(config) == 30 + 5 * 30 + 600
    with pytest.raises(RuntimeError, match="MAIL_SEND_LEASE_SECONDS=600 is not comfortably longer"):
        create_app(config)
    assert delivery_problems({**config, "MAIL_SEND_LEASE_SECONDS": 1170}) == []
    # STARTTLS and AUTH are three more round trips.
    assert delivery_problems({**config, "MAIL_SEND_LEASE_SECONDS": 1170, "MAIL_USE_TLS": True, "MAIL_USERNAME": "u"})
    assert any("greater than 0" in p for p in delivery_problems({**config, "MAIL_DATA_TIMEOUT_SECONDS": 0}))
    assert create_app({**config, "MAIL_SEND_LEASE_SECONDS": 1800}).config["MAIL_SEND_LEASE_SECONDS"] == 1800


def test_a_claimant_whose_claim_is_gone_before_data_sends_nothing(app, factory, smtp, monkeypatch):
    [nid] = make(factory)
    monkeypatch.setattr(claims, "holds", lambda *args: False)
    assert mailer.send_one(nid).status == "claim_lost"
    assert smtp.messages == [] and smtp.data_attempts == 0
    assert row(nid).status == SENDING  # left to whoever holds it (or to the lease)


# ---------------------------------------------------------------------------------------------
# 2. The database clock for every lease and due comparison
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("offset", [700, -700])
def test_a_worker_clock_700s_off_changes_no_lease_or_due_time(app, factory, smtp, monkeypatch, offset):
    app.config.update(MAIL_SEND_LEASE_SECONDS=60, MAIL_CONNECT_TIMEOUT_SECONDS=2, MAIL_COMMAND_TIMEOUT_SECONDS=2,
                      MAIL_DATA_TIMEOUT_SECONDS=5)
    [held, retried] = make(factory, 2)
    skew(monkeypatch, offset)
    assert mailer.claim(held)
    assert 50 < lease_left(held) <= 60  # the lease runs on the database clock, not this worker's
    monkeypatch.undo()
    skew(monkeypatch, -offset)  # another worker, 1400 s away from the first
    assert mailer.claim(held) is None
    smtp.fail_data.append("421 4.3.2 busy")
    assert mailer.send_one(retried).status == "retry"
    assert 14 <= lease_left(retried) <= 30  # backoff 30 s with equal jitter, from the database's now
    assert mailer.drain() == {}  # neither row is due, whatever this worker's clock says
    assert len(smtp.messages) == 0


# ---------------------------------------------------------------------------------------------
# 3. The outcome survives a lost database connection
# ---------------------------------------------------------------------------------------------

def test_a_connection_lost_when_recording_sent_is_retried_on_a_fresh_connection(app, factory, smtp, monkeypatch):
    """The database refuses the first try of the "sent" update as if the backend was terminated
    (the PostgreSQL run of tests/workers/test_delivery_faults.py really terminates it)."""
    [nid] = make(factory)
    monkeypatch.setattr(claims, "FINISH_PAUSES", (0.01, 0.01))
    failures = {"left": 1}

    def drop_once(conn, cursor, statement, parameters, context, executemany):
        if failures["left"] and statement.lstrip().upper().startswith("UPDATE NOTIFICATION") and "sent_at" in statement:
            failures["left"] -= 1
            raise OperationalError(statement, parameters, Exception("server closed the connection unexpectedly"))

    event.listen(db.engine, "before_cursor_execute", drop_once)
    try:
        assert mailer.send_one(nid).status == "sent"
    finally:
        event.remove(db.engine, "before_cursor_execute", drop_once)
    done = row(nid)
    assert failures["left"] == 0 and done.status == SENT
    assert "已在新连接上重试 1 次" in done.last_error
    assert mailer.drain() == {} and len(smtp.messages) == 1


# ---------------------------------------------------------------------------------------------
# 4. Per-phase timeouts; no reply to the final "." is uncertain, not "not delivered"
# ---------------------------------------------------------------------------------------------

def test_no_reply_to_the_final_dot_is_uncertain_then_resent_with_the_same_message_id(app, factory, smtp):
    app.config.update(MAIL_DATA_TIMEOUT_SECONDS=0.5, MAIL_UNCERTAIN_WAIT_SECONDS=3600)
    smtp.reply_delay = 3  # the relay stores the message, then answers after our timeout
    [nid] = make(factory)
    outcome = mailer.send_one(nid)
    assert outcome.status == "uncertain"
    waiting = row(nid)
    assert waiting.status == UNCERTAIN and waiting.message_id == f"<notification-{nid}@localhost>"
    assert "1 小时后以同一 Message-ID 重发" in waiting.last_error
    assert 3500 < lease_left(nid) <= 3600
    smtp.reply_delay = 0
    assert mailer.drain() == {}  # not resent before the wait
    assert smtp.message_ids() == [waiting.message_id]
    expire(nid)  # the hour has passed
    assert mailer.drain() == {"sent": 1}
    assert smtp.message_ids() == [waiting.message_id] * 2  # the documented window: same Message-ID


def test_the_data_phase_has_its_own_timeout_longer_than_the_commands(app, factory, smtp):
    app.config.update(MAIL_COMMAND_TIMEOUT_SECONDS=0.3, MAIL_DATA_TIMEOUT_SECONDS=5)
    smtp.reply_delay = 1  # slower than any command timeout, well inside the final-reply timeout
    [nid] = make(factory)
    assert mailer.send_one(nid).status == "sent"
    assert len(smtp.messages) == 1


def test_a_server_that_stalls_before_the_text_is_a_temporary_failure(app, factory, smtp):
    app.config.update(MAIL_COMMAND_TIMEOUT_SECONDS=0.3)
    smtp.hold_at_rcpt = True
    [nid] = make(factory)
    outcome = mailer.send_one(nid)
    smtp.release()
    assert outcome.status == "retry" and row(nid).status == PENDING
    assert smtp.messages == []


class TricklingServer:
    """Greets, then answers EHLO with one continuation line every 0.2 s, forever: every read gets
    a byte before its socket timeout, so only a deadline on the whole send ends it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            try:
                conn.sendall(b"220 slow\r\n")
                conn.recv(1024)
                while not self.stop.is_set():
                    conn.sendall(b"250-")
                    self.stop.wait(0.2)
                    conn.sendall(b"x\r\n")
            except OSError:
                pass
            finally:
                conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()


def test_one_send_is_cut_off_at_the_sum_of_its_phase_timeouts(app, factory):
    server = TricklingServer()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_CONNECT_TIMEOUT_SECONDS=0.5,
                      MAIL_COMMAND_TIMEOUT_SECONDS=0.5, MAIL_DATA_TIMEOUT_SECONDS=0.5)
    [nid] = make(factory)
    result: list = []
    ctx_app = app

    def send():
        with ctx_app.app_context():
            result.append(mailer.send_one(nid))
            db.session.remove()

    worker = threading.Thread(target=send, daemon=True)
    worker.start()
    worker.join(30)  # a hang would leave the thread alive
    server.close()
    assert not worker.is_alive(), "the send was not cut off"
    assert result[0].status == "retry" and "发送时限" in result[0].error


# ---------------------------------------------------------------------------------------------
# 7. Drains: backoff in SQL, the budget before each message
# ---------------------------------------------------------------------------------------------

def test_a_drain_leaves_rows_in_their_backoff_even_on_a_fast_worker_clock(app, factory, smtp, monkeypatch):
    waiting, due = make(factory, 2)
    db.session.execute(Notification.__table__.update().where(Notification.id == waiting)
                       .values(next_attempt_at=db_now(120)))
    db.session.commit()
    skew(monkeypatch, 700)
    assert mailer.due_ids() == [due]
    assert mailer.drain() == {"sent": 1}
    assert row(waiting).status == PENDING and smtp.message_ids() == [f"<notification-{due}@localhost>"]


def test_a_drain_checks_its_budget_before_each_message(app, factory, smtp, monkeypatch):
    ids = make(factory, 3)
    ticks = iter(range(0, 1000, 10))  # every look at the stopwatch: 10 s later
    monkeypatch.setattr(mailer, "monotonic", lambda: next(ticks))
    assert mailer.drain(time_budget=5) == {}  # spent before the first message: nothing started
    assert smtp.messages == []
    ticks = iter(range(0, 1000))  # started at 0; batch query at 1; messages at 2, 3, then 4 > 3.5
    monkeypatch.setattr(mailer, "monotonic", lambda: next(ticks))
    counts = mailer.drain(time_budget=3.5)
    assert counts == {"sent": 2} and len(smtp.messages) == 2
    assert sorted(row(i).status for i in ids) == [PENDING, SENT, SENT]


def test_sqlite_and_postgresql_agree_on_the_database_clock(app):
    moment = db.session.scalar(select(db_now(0)))
    if isinstance(moment, str):  # pragma: no cover  (a dialect returning text would break comparisons)
        pytest.fail(f"db_now() came back as text: {moment!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    assert abs((moment - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 5
    later = db.session.scalar(select(db_now(3600)))
    later = later if later.tzinfo else later.replace(tzinfo=dt.timezone.utc)
    assert 3590 < (later - moment).total_seconds() < 3610
    assert db.session.execute(text("SELECT 1")).scalar() == 1
