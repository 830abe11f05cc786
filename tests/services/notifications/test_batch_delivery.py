"""Drains in batches (issue 13 item 4): one claim statement per batch, "sent" recorded together,
the lease renewed while the batch is ours, rows given back unsent, and what a crash may re-send —
at most the outcomes held since the last record, each once more, with the same Message-ID.

In process against the test database (SQLite or PostgreSQL) and aiosmtpd on loopback; the same
crash with a real SIGKILLed worker is in tests/workers/test_batch_delivery_crash.py.
"""

from __future__ import annotations

import email
from email.policy import default

import pytest
from sqlalchemy import event, select

from tests.services.notifications.conftest import loopback_smtp
from tracker.config import delivery_problems
from tracker.extensions import db
from tracker.models import Notification
from tracker.models.notification import PENDING, SENDING, SENT
from tracker.rules import reminders as rules
from tracker.services.notifications import claims, mailer, notify


pytestmark = pytest.mark.usefixtures("no_broker")


@pytest.fixture
def smtp(app):
    with loopback_smtp(app, MAIL_SEND_LEASE_SECONDS=120, MAIL_BATCH_SIZE=5, MAIL_BATCH_RECORD_EVERY=3,
                       MAIL_BATCH_RECORD_SECONDS=10) as handler:
        yield handler


def make(factory, n: int) -> list[int]:
    user = factory.user("officer", "wujin")
    return [i for k in range(n)
            for i in notify.notify([user.id], rules.TEST_EMAIL, f"user:{user.id}", f"p{k}", f"提醒{k}", urgent=True)]


def rows(ids) -> dict[int, Notification]:
    db.session.expire_all()
    return {n.id: n for n in db.session.scalars(select(Notification).where(Notification.id.in_(ids)))}


class Statements:
    """The UPDATE statements sent to the database while the block runs."""

    def __init__(self):
        self.updates: list[str] = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if "UPDATE NOTIFICATION" in statement.upper():  # a claim starts WITH picked AS (...)
            self.updates.append(statement)

    def count(self, *words: str) -> int:
        return sum(1 for s in self.updates if all(w in s for w in words))


def test_a_drain_claims_each_batch_in_one_statement_and_records_sent_outcomes_together(app, factory, smtp):
    ids = make(factory, 7)
    with Statements() as seen:
        assert mailer.drain() == {"sent": 7}
    # batches of 5 and 2, then one claim that finds nothing
    assert seen.count("notification.attempts +") == 3
    # "sent" recorded after the 3rd message (MAIL_BATCH_RECORD_EVERY), before the next batch, at the end
    assert seen.count("sent_at=") == 3
    assert all(n.status == SENT and n.claim_token is None and n.attempts == 1 for n in rows(ids).values())
    assert sorted(smtp.message_ids()) == sorted(f"<notification-{i}@localhost>" for i in ids)
    assert {n.message_id for n in rows(ids).values()} == {f"<notification-{i}@localhost>" for i in ids}


class Killed(BaseException):
    """The worker dies here (like SIGKILL: no except clause and no clean-up records anything)."""


def test_a_worker_dead_before_recording_re_sends_only_the_held_outcomes_once_with_the_same_message_id(
        app, factory, smtp, monkeypatch):
    ids = make(factory, 5)
    real_finish_batch = claims.finish_batch

    def die(token, per_row, **values):
        if values.get("status") == SENT:
            raise Killed()
        return real_finish_batch(token, per_row, **values)

    monkeypatch.setattr(claims, "finish_batch", die)
    with pytest.raises(Killed):
        mailer.drain()
    # Three messages accepted (MAIL_BATCH_RECORD_EVERY), then the worker died recording them.
    assert len(smtp.messages) == 3
    assert {n.status for n in rows(ids).values()} == {SENDING}
    monkeypatch.setattr(claims, "finish_batch", real_finish_batch)
    assert mailer.drain() == {}  # the lease still holds every row of the dead worker's batch
    db.session.execute(Notification.__table__.update().values(next_attempt_at=claims.db_now(-1)))
    db.session.commit()  # ... until it runs out
    assert mailer.drain() == {"sent": 5}
    copies = smtp.copies()
    assert copies == {**{f"<notification-{i}@localhost>": 2 for i in ids[:3]},
                      **{f"<notification-{i}@localhost>": 1 for i in ids[3:]}}
    assert all(n.status == SENT and n.attempts == 2 for n in rows(ids).values())


def test_a_batch_whose_lease_ran_short_is_renewed_and_a_row_taken_by_another_sender_is_not_sent(
        app, factory, smtp, monkeypatch):
    ids = make(factory, 3)
    real_claim_batch = claims.claim_batch
    others: list[str] = []

    def slow_start(*args, **kwargs):
        batch = real_claim_batch(*args, **kwargs)
        if batch.ids:
            # As if earlier sends had taken most of the lease: 1 s left, less than the rest of a send.
            db.session.execute(Notification.__table__.update().where(Notification.id.in_(batch.ids))
                               .values(next_attempt_at=claims.db_now(1)))
            db.session.commit()
            db.session.execute(Notification.__table__.update().where(Notification.id == ids[1])
                               .values(next_attempt_at=claims.db_now(-1)))
            db.session.commit()
            others.append(claims.claim(ids[1], 600))  # another sender took the second row meanwhile
        return batch

    monkeypatch.setattr(claims, "claim_batch", slow_start)
    assert mailer.drain() == {"sent": 2, "claim_lost": 1}
    assert smtp.message_ids() == [f"<notification-{ids[0]}@localhost>", f"<notification-{ids[2]}@localhost>"]
    found = rows(ids)
    assert found[ids[0]].status == SENT and found[ids[2]].status == SENT
    assert found[ids[1]].status == SENDING and found[ids[1]].claim_token == others[0]  # untouched


def test_rows_a_drain_had_no_time_for_are_given_back_unsent_and_uncounted(app, factory, smtp, monkeypatch):
    ids = make(factory, 4)
    ticks = iter(range(0, 1000))  # started at 0; batch at 1; messages at 2, 3, then 4 > 3.5
    monkeypatch.setattr(mailer, "monotonic", lambda: next(ticks))
    assert mailer.drain(time_budget=3.5) == {"sent": 2}
    found = rows(ids)
    assert [found[i].status for i in ids] == [SENT, SENT, PENDING, PENDING]
    assert [(found[i].attempts, found[i].claim_token, found[i].next_attempt_at) for i in ids[2:]] == [(0, None, None)] * 2
    assert mailer.drain() == {"sent": 2} and len(smtp.messages) == 4


def test_the_composed_message_parses_to_the_rendered_parts(app, factory):
    officer = factory.user("officer", "wujin", name="张三（测试）")
    [nid] = notify.notify([officer.id], rules.VISIT_DUE, "company:1", "p", "应走访：常州市" + "很长的企业名称" * 12,
                          body="正文 <b>一</b>\n第二行", link="/companies/1")
    row = db.session.get(Notification, nid)
    subject, text, html = mailer.render(row, officer)
    mail = mailer.compose(row, officer)
    parsed = email.message_from_bytes(mail.payload, policy=default)
    assert parsed["Subject"] == subject and parsed["To"].addresses[0].display_name == "张三（测试）"
    assert parsed["From"].addresses[0].addr_spec == "tracker@localhost"
    assert parsed["Message-ID"] == mail.message_id == f"<notification-{nid}@localhost>"
    assert mail.recipient == officer.email and parsed["X-Tracker-Notification"] == str(nid)
    plain, rich = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain.get_content() == text and rich.get_content() == html
    assert all(len(line) <= 78 for line in mail.payload.split(b"\r\n"))  # RFC 5322 line length
    assert b"\n" not in mail.payload.replace(b"\r\n", b"")


def test_a_hold_longer_than_the_lease_allows_refuses_to_start(app):
    config = {**app.config, "MAIL_CONNECT_TIMEOUT_SECONDS": 1, "MAIL_COMMAND_TIMEOUT_SECONDS": 1,
              "MAIL_DATA_TIMEOUT_SECONDS": 4, "MAIL_SEND_LEASE_SECONDS": 15}  # longest send 10 s
    assert delivery_problems({**config, "MAIL_BATCH_RECORD_SECONDS": 0.2}) == []
    [problem] = delivery_problems({**config, "MAIL_BATCH_RECORD_SECONDS": 5})
    assert "MAIL_BATCH_RECORD_SECONDS=5" in problem
    assert delivery_problems({**config, "MAIL_BATCH_SIZE": 0}) == ["MAIL_BATCH_SIZE must be at least 1"]
