"""Fault injection for the outbox (issue 12, delivery): 0 lost and 0 duplicate emails in each scenario.

Real parts only: PostgreSQL, Redis, Celery worker subprocesses, aiosmtpd on loopback. Every
scenario counts the messages the SMTP server received per Message-ID: each expected id exactly
once (none missing = 0 lost, none twice = 0 duplicate).

| scenario | fault | what keeps it to one email |
| --- | --- | --- |
| slow server past the lease | RCPT unanswered for longer than the lease, two workers | per-phase timeouts; the lease outlasts the longest send (a shorter one refuses to start) |
| claimant paused | SIGSTOP of the worker in the middle of its SMTP conversation, past its lease | the claim is checked again before DATA; outcomes match the claim token |
| clock offset | one worker 700 s behind, one 700 s ahead | leases and due times on the database clock |
| connection terminated after 250 | the worker's backend terminated, connections refused for a moment | the "sent" update retried on a fresh connection |
| slow final reply | the relay stores the message and answers "." after our timeout | recorded as uncertain: no resend before MAIL_UNCERTAIN_WAIT_SECONDS |
| frozen broker | SIGSTOP of the Redis the web process publishes to | bounded publish; the row waits for the drain |
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest
from sqlalchemy import create_engine, select, text

from tests.conftest import PG_SERVER_URL
from tests.workers.conftest import wait_until
from tests.workers.smtp import free_port
from tracker.extensions import db
from tracker.models import Notification, Visit
from tracker.models.notification import PENDING, SENT, UNCERTAIN
from tracker.rules import reminders as rules
from tracker.services.notifications import notify

pytestmark = pytest.mark.pg_only

# Short timeouts so a lease can be short (lease ≥ 1.5 × (connect + 5 × command + data)).
FAST = {"MAIL_CONNECT_TIMEOUT_SECONDS": 0.5, "MAIL_COMMAND_TIMEOUT_SECONDS": 1, "MAIL_DATA_TIMEOUT_SECONDS": 2,
        "MAIL_SEND_LEASE_SECONDS": 12, "MAIL_MAX_ATTEMPTS": 100}  # longest send 7.5 s


def statuses() -> dict[int, str]:
    db.session.rollback()
    return {n.id: n.status for n in db.session.scalars(select(Notification))}


def notification(nid: int) -> Notification:
    db.session.rollback()
    return db.session.get(Notification, nid)


def remind(factory, n: int = 1) -> list[int]:
    user = factory.user("officer", "wujin")
    ids = []
    for i in range(n):
        ids += notify.notify([user.id], rules.TEST_EMAIL, f"user:{user.id}", f"p{i}", f"提醒 {i}", urgent=True)
    return ids


def send_pending_for(app, seconds: float, interval: float = 0.5) -> None:
    """Beat's every-minute drain, fired every `interval` seconds for a while (worst case)."""
    celery = app.extensions["celery"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        celery.send_task("workers.tasks.send_pending")
        time.sleep(interval)


def drain_until_sent(app, nid: int, seconds: float = 40) -> None:
    """Fire beat's drain until row `nid` is sent, for at most `seconds`: a row whose own retry chain
    ended on a claim someone else held comes back through the drain (in production, every minute)."""
    deadline = time.monotonic() + seconds
    while statuses()[nid] != SENT and time.monotonic() < deadline:
        send_pending_for(app, 1)


def assert_each_once(smtp, ids) -> None:
    """0 lost and 0 duplicate, counted per Message-ID."""
    expected = {f"<notification-{i}@localhost>" for i in ids}
    copies = smtp.handler.copies()
    lost = expected - set(copies)
    duplicates = {mid: n for mid, n in copies.items() if n > 1}
    unexpected = set(copies) - expected
    assert (lost, duplicates, unexpected) == (set(), {}, set()), f"lost {lost}, duplicates {duplicates}"


def test_slow_server_past_the_lease_sends_once_and_a_too_short_lease_refuses_to_start(app, factory, workers, smtp):
    refused = workers("short-lease", wait=False, MAIL_SEND_LEASE_SECONDS=5)  # longest send is 17 s here
    refused.process.wait(60)
    assert refused.process.returncode != 0
    assert "MAIL_SEND_LEASE_SECONDS=5 is not comfortably longer than the longest possible send" in refused.log()

    smtp.handler.hold_at_rcpt = True  # the server stalls longer than the lease
    workers("w1", **FAST)
    workers("w2", **FAST)
    [nid] = remind(factory)
    assert smtp.handler.entered.wait(20)
    send_pending_for(app, 14)  # past the 12 s lease, both workers polling
    assert smtp.handler.messages == []
    smtp.handler.hold_at_rcpt = False
    smtp.handler.release()
    drain_until_sent(app, nid)
    assert statuses()[nid] == SENT, f"not sent once the server answers: {notification(nid).last_error}"
    send_pending_for(app, 2)
    assert_each_once(smtp, [nid])
    assert notification(nid).attempts > 1  # each stalled try timed out and was retried, never overlapping


def test_a_claimant_paused_past_its_lease_sends_nothing_when_it_wakes(app, factory, workers, smtp):
    smtp.handler.hold_at_rcpt = True
    first = workers("w1", **FAST)
    [nid] = remind(factory)
    assert smtp.handler.entered.wait(20), first.log()[-2000:]
    first.pause()  # frozen inside its SMTP conversation, holding the claim
    try:
        smtp.handler.hold_at_rcpt = False
        smtp.handler.release()  # the server's answer to RCPT waits in the frozen worker's socket
        workers("w2", **FAST)
        drain_until_sent(app, nid)
        assert statuses()[nid] == SENT and len(smtp.handler.messages) == 1
    finally:
        first.resume()  # wakes up past its lease: must neither send DATA nor overwrite the outcome
    time.sleep(3)
    send_pending_for(app, 2)
    assert_each_once(smtp, [nid])
    row = notification(nid)
    assert row.status == SENT and row.claim_token is None and row.attempts == 2


def test_workers_700s_apart_send_once(app, factory, workers, smtp):
    hold = {"MAIL_COMMAND_TIMEOUT_SECONDS": 20, "MAIL_SEND_LEASE_SECONDS": 200}
    smtp.handler.hold_at_rcpt = True
    behind = workers("behind", clock_offset=-700, **hold)  # its lease would end 700 s early on its clock
    [nid] = remind(factory)
    assert smtp.handler.entered.wait(20), behind.log()[-2000:]
    workers("ahead", clock_offset=700, **hold)  # would see every lease 700 s too old
    send_pending_for(app, 4)
    smtp.handler.hold_at_rcpt = False
    smtp.handler.release()
    wait_until(lambda: statuses()[nid] == SENT, timeout=30, message="sent")
    send_pending_for(app, 2)
    assert_each_once(smtp, [nid])
    assert notification(nid).attempts == 1


@pytest.fixture
def pg_admin(database_url):
    """A superuser connection to the server (not to the test database), to cut the test database off."""
    engine = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    name = database_url.rsplit("/", 1)[1]
    yield engine, name
    with engine.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    engine.dispose()


def test_connection_terminated_right_after_250_is_recorded_on_a_fresh_connection(app, factory, workers, smtp, pg_admin):
    """pg_terminate_backend between the server's 250 and the "sent" update, with connections
    refused for a moment (a failover): a plain terminate alone is hidden by pool_pre_ping."""
    engine, name = pg_admin
    smtp.handler.hold_after_accept = True
    settings = {"MAIL_CONNECT_TIMEOUT_SECONDS": 1, "MAIL_COMMAND_TIMEOUT_SECONDS": 1, "MAIL_DATA_TIMEOUT_SECONDS": 4,
                "MAIL_SEND_LEASE_SECONDS": 15}
    worker = workers("w1", **settings)
    [nid] = remind(factory)
    assert smtp.handler.entered.wait(20), worker.log()[-2000:]
    db.session.remove()
    db.engine.dispose()
    with engine.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        killed = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :name"), {"name": name}).scalar()
    smtp.handler.hold_after_accept = False
    smtp.handler.release()  # 250: the worker now records "sent" on a database that refuses it
    time.sleep(1.2)
    with engine.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    assert killed >= 1
    wait_until(lambda: statuses()[nid] == SENT, timeout=20, message="sent recorded")
    send_pending_for(app, 17)  # past the lease: a row left "sending" would go out again now
    assert_each_once(smtp, [nid])
    assert "已在新连接上重试" in notification(nid).last_error
    assert "recorded after" in worker.log()


def test_a_slow_final_reply_is_uncertain_and_not_resent(app, factory, workers, smtp):
    smtp.handler.reply_delay = 15  # stored at once, "250" after our 2 s final-reply timeout and the lease
    workers("w1", **FAST)
    workers("w2", **FAST)
    [nid] = remind(factory)
    wait_until(lambda: statuses()[nid] == UNCERTAIN, timeout=30, message="recorded as uncertain")
    send_pending_for(app, 14)  # past the 12 s lease
    assert_each_once(smtp, [nid])
    row = notification(nid)
    assert row.status == UNCERTAIN and row.message_id == f"<notification-{nid}@localhost>"
    assert "同一 Message-ID" in row.last_error


class PrivateRedis:
    """A redis-server of this test only, on a free port, that the test can freeze (SIGSTOP)."""

    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        import redis  # only this fixture talks to Redis directly

        client = redis.Redis.from_url(self.url, socket_timeout=1)
        wait_until(lambda: _pings(client), timeout=10, message="the private redis-server")
        client.close()

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self):
        self.thaw()
        self.process.terminate()
        self.process.wait(10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    yield server
    server.stop()


def test_a_frozen_broker_never_holds_a_request_and_the_email_arrives_once_after(
        app, client, auth, factory, broker, workers, smtp, private_redis):
    celery = app.extensions["celery"]
    celery.conf.broker_url = private_redis.url
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    company = factory.company(officer=officer)
    auth.login(officer)
    url, owner_id = f"/visits/new?company_id={company.id}", str(manager.id)
    private_redis.freeze()  # accepts connections (the kernel does), never answers
    answer: dict = {}

    def post():
        started = time.monotonic()
        try:
            answer["response"] = client.post(url, data={
                "visited_on": "2026-06-03", "kind": "onsite", "summary": "了解融资需求",
                "follow_ups-0-category": "funding", "follow_ups-0-description": "需要对接银行贷款",
                "follow_ups-0-owner_id": owner_id, "follow_ups-0-due_on": "2026-06-20",
            })
        except BaseException as exc:  # noqa: BLE001  (shown by the assertion below)
            answer["error"] = exc
        answer["elapsed"] = time.monotonic() - started

    request = threading.Thread(target=post, daemon=True)
    request.start()
    request.join(30)  # without a bounded publish this hangs until the broker is thawed
    hung = request.is_alive()
    private_redis.thaw()
    request.join(30)
    assert not hung, "the request hung on the frozen broker"
    assert "error" not in answer, repr(answer.get("error"))
    assert answer["response"].status_code == 302 and answer["elapsed"] < 2
    assert db.session.scalar(select(Visit.id).where(Visit.company_id == company.id)) is not None
    ids = sorted(statuses())
    assert len(ids) == 1 and statuses()[ids[0]] == PENDING  # left for the drain
    workers("w1", CELERY_BROKER_URL=private_redis.url)
    celery.send_task("workers.tasks.send_pending")  # beat's next minute
    wait_until(lambda: statuses()[ids[0]] == SENT, timeout=30, message="sent after the broker resumed")
    send_pending_for(app, 1.5)
    assert_each_once(smtp, ids)
