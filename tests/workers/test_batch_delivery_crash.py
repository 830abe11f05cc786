"""A real worker SIGKILLed in the middle of a batched drain (issue 13 item 4).

What the batch changes in the documented at-least-once window: the messages the server accepted
since the drain last recorded its outcomes (at most MAIL_BATCH_RECORD_EVERY) are re-sent after the
lease, each exactly once more and with the same Message-ID; the rows the dead worker had claimed
but not tried are sent once, after the lease. Nothing else is duplicated or lost.
"""

from __future__ import annotations

import time

import pytest

from tests.workers.conftest import wait_until
from tests.workers.smtp import ScriptedHandler, SmtpServer
from tests.workers.test_delivery import SHORT_LEASE, publish_send_pending, statuses
from tracker.models.notification import SENDING, SENT
from tracker.rules import reminders as rules
from tracker.services.notifications import notify, outbox

pytestmark = pytest.mark.pg_only


class HoldAtThird(ScriptedHandler):
    """Stores every message; holds the reply to the third until released (the worker dies there)."""

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(envelope.content)
            third = len(self.messages) == 3
        if third and self.hold_after_accept:
            await self._wait_release()
        return "250 OK"


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.handler = HoldAtThird()
    server.controller.handler = server.handler
    with server:
        yield server


def test_a_worker_killed_mid_batch_re_sends_only_the_unrecorded_accepted_messages_once(app, factory, workers, smtp,
                                                                                       monkeypatch):
    monkeypatch.setattr(outbox, "publish", lambda ids: True)  # rows wait for the drain, as after a sweep
    user = factory.user("officer", "wujin")
    ids = [i for k in range(5)
           for i in notify.notify([user.id], rules.TEST_EMAIL, f"user:{user.id}", f"p{k}", f"提醒 {k}", urgent=True)]
    smtp.handler.hold_after_accept = True
    # Longest send 5 s (SHORT_LEASE's timeouts); a 15 s lease lets outcomes be held for 5 s.
    batch = {**SHORT_LEASE, "MAIL_SEND_LEASE_SECONDS": 15,
             "MAIL_BATCH_SIZE": 10, "MAIL_BATCH_RECORD_EVERY": 50, "MAIL_BATCH_RECORD_SECONDS": 5}
    first = workers("w1", **batch)
    publish_send_pending(app)
    assert smtp.handler.entered.wait(20), first.log()[-2000:]
    first.kill()  # three messages accepted, none recorded; two claimed, never tried
    smtp.handler.hold_after_accept = False
    smtp.handler.release()
    assert set(statuses().values()) == {SENDING}
    workers("w2", **batch)
    deadline = time.monotonic() + 45
    while set(statuses().values()) != {SENT} and time.monotonic() < deadline:
        publish_send_pending(app)
        time.sleep(0.5)
    wait_until(lambda: set(statuses().values()) == {SENT}, message="every row sent")
    time.sleep(1.5)  # any further copy would arrive now
    assert smtp.handler.copies() == {**{f"<notification-{i}@localhost>": 2 for i in ids[:3]},
                                     **{f"<notification-{i}@localhost>": 1 for i in ids[3:]}}
