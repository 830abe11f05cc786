"""Delivering the outbox: claims, SMTP outcomes (aiosmtpd on loopback, in process), the mail folder."""

from __future__ import annotations

import datetime as dt
import email
from email.policy import default

import pytest
from sqlalchemy import select

from tests.services.notifications.conftest import loopback_smtp
from tests.workers.smtp import free_port
from tracker import clock
from tracker.extensions import db
from tracker.models import Notification, User
from tracker.models.notification import FAILED, PENDING, SENDING, SENT, SKIPPED
from tracker.rules import reminders as rules
from tracker.services.errors import ServiceError
from tracker.services.notifications import claims, mail_folder, mailer, notify, outbox_admin


pytestmark = pytest.mark.usefixtures("no_broker")


def backoff_passed(notification_id: int) -> None:
    """The row's backoff (or uncertain wait) is over: its due time moved into the database's past."""
    db.session.execute(Notification.__table__.update().where(Notification.id == notification_id)
                       .values(next_attempt_at=claims.db_now(-1)))
    db.session.commit()


@pytest.fixture
def smtp(app):
    with loopback_smtp(app, MAIL_BACKOFF_BASE_SECONDS=0.05, MAIL_BACKOFF_MAX_SECONDS=0.2) as handler:
        yield handler


def make(factory, n: int = 1, **user_fields) -> list[int]:
    user = factory.user("officer", "wujin", **user_fields)
    ids = []
    for i in range(n):
        ids += notify.notify([user.id], rules.TEST_EMAIL, f"user:{user.id}", f"p{i}", f"提醒{i}：<b>加粗</b>",
                             body="正文 <script>x</script>", link="/companies/1", urgent=True)
    return ids


def row(notification_id: int) -> Notification:
    db.session.expire_all()
    return db.session.get(Notification, notification_id)


def test_file_mode_writes_one_eml_per_row_and_a_redelivery_overwrites(app, factory):
    [nid] = make(factory)
    assert mailer.send_one(nid).status == "sent"
    assert mailer.send_one(nid).status == "not_claimed"  # already sent: nothing happens
    path = mail_folder.eml_path(nid)
    first = path.read_bytes()
    # Simulate the crash window: the row is sent again after its lease (same file, overwritten).
    db.session.execute(Notification.__table__.update().where(Notification.id == nid)
                       .values(status=SENDING, next_attempt_at=clock.now() - dt.timedelta(seconds=1)))
    db.session.commit()
    assert mailer.send_one(nid).status == "sent"
    assert [f.name for f in mail_folder.list_mail_files()] == [path.name]
    message = email.message_from_bytes(path.read_bytes(), policy=default)
    assert message["Message-ID"] == email.message_from_bytes(first, policy=default)["Message-ID"]
    assert message["Subject"] == "【科技企业培育】提醒0：<b>加粗</b>"
    html = message.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html and "<script>x" not in html  # escaped in the HTML part
    text = message.get_body(("plain",)).get_content()
    assert "http://127.0.0.1:5000/companies/1" in text  # absolute links from APP_BASE_URL


def test_claim_is_exclusive_and_a_lease_expires(app, factory):
    [nid] = make(factory)
    first = mailer.claim(nid)
    assert first
    assert mailer.claim(nid) is None  # a second worker gets nothing while the lease runs
    assert row(nid).status == SENDING and row(nid).claim_token == first
    db.session.execute(Notification.__table__.update().where(Notification.id == nid)
                       .values(next_attempt_at=clock.now() - dt.timedelta(seconds=1)))
    db.session.commit()
    second = mailer.claim(nid)  # the holder died: reclaimable after the lease, with a new token
    assert second and second != first
    assert row(nid).attempts == 2 and row(nid).claim_token == second


def test_smtp_421_twice_then_accepted_is_one_email_after_backoff(app, factory, smtp):
    smtp.fail_data[:] = ["421 4.3.2 busy", "421 4.3.2 busy"]
    [nid] = make(factory)
    first = mailer.send_one(nid)
    assert first.status == "retry" and 0.025 <= first.retry_in <= 0.05
    assert row(nid).status == PENDING and "421" in row(nid).last_error
    backoff_passed(nid)
    assert mailer.send_one(nid).status == "retry"
    backoff_passed(nid)
    assert mailer.send_one(nid).status == "sent"
    assert len(smtp.messages) == 1 and smtp.data_attempts == 3
    done = row(nid)
    assert done.status == SENT and done.attempts == 3 and done.last_error is None and done.claim_token is None


def test_smtp_550_fails_the_row_and_the_others_still_go(app, factory, smtp):
    bad = make(factory, email="nobody@example.com")
    good = make(factory, n=2)
    smtp.reject_rcpt.add("nobody@example.com")
    assert mailer.drain() == {"failed": 1, "sent": 2}
    failed = row(bad[0])
    assert failed.status == FAILED and "550" in failed.last_error
    assert {row(i).status for i in good} == {SENT}
    assert len(smtp.messages) == 2


def test_connection_refused_is_temporary_and_gives_up_after_max_attempts(app, factory):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_MAX_ATTEMPTS=2,
                      MAIL_BACKOFF_BASE_SECONDS=30, MAIL_BACKOFF_MAX_SECONDS=30)
    [nid] = make(factory)
    assert mailer.send_one(nid).status == "retry"
    assert row(nid).next_attempt_at is not None and row(nid).status == PENDING
    assert mailer.send_one(nid).status == "not_claimed"  # not due before the backoff
    backoff_passed(nid)
    assert mailer.send_one(nid).status == "failed"
    assert "重试 2 次" in row(nid).last_error


def test_backoff_stays_below_the_visibility_timeout(app):
    app.config["MAIL_BACKOFF_MAX_SECONDS"] = 900
    app.config["CELERY"] = {**app.config["CELERY"], "broker_transport_options": {"visibility_timeout": 2}}
    assert mailer.backoff_cap() == 1


def test_a_template_error_fails_one_row_only(app, factory, monkeypatch):
    ids = make(factory, n=2)
    real = mailer.render

    def broken(notification, user):
        if notification.id == ids[0]:
            raise ValueError("模板坏了")
        return real(notification, user)

    monkeypatch.setattr(mailer, "render", broken)
    assert mailer.drain() == {"failed": 1, "sent": 1}
    assert row(ids[0]).status == FAILED and "模板" in row(ids[0]).last_error
    assert row(ids[1]).status == SENT


def test_inactive_recipient_is_skipped(app, factory):
    [nid] = make(factory)
    user = db.session.get(User, row(nid).recipient_id)
    user.active = False
    db.session.commit()
    assert mailer.send_one(nid).status == "skipped"
    assert row(nid).status == SKIPPED


def test_retry_puts_a_failed_row_back(app, factory, smtp):
    smtp.reject_rcpt.add("late@example.com")
    [nid] = make(factory, email="late@example.com")
    mailer.drain()
    assert row(nid).status == FAILED
    smtp.reject_rcpt.clear()
    admin = factory.user("admin")
    outbox_admin.retry(admin, nid)
    assert row(nid).status == PENDING and row(nid).attempts == 0
    assert mailer.drain() == {"sent": 1}
    with pytest.raises(ServiceError):
        outbox_admin.retry(admin, nid)  # only failed rows


def test_every_kind_renders_in_chinese_with_links(app, factory):
    """Digest, report, batch and campaign templates render from their payloads."""
    user = factory.user("officer", "wujin")
    payloads = {
        rules.DIGEST_WEEKLY: {"week": "2026-W23", "visits": {"items": [{"company_id": 3, "name": "甲", "due_on": "2026-06-01", "state": "应走访"}], "total": 1},
                              "follow_ups": {"items": [], "total": 0}, "certificates": {"items": [], "total": 0}, "held": {"items": [], "total": 0}},
        rules.REPORT_MONTHLY: {"month": "2026-06", "as_of": "2026-05-31", "indicators": [{"name": "高新技术企业数", "unit": "家", "actual": 5, "target": 10, "percent": 50.0}],
                               "officers": [{"name": "专员", "visits": 2, "follow_ups": 1}]},
        rules.REMINDER_BATCH: {"items": [{"title": "走访到期：甲", "link": "/companies/3", "urgent": True}], "total": 1},
        rules.HNTE_ANNUAL_REPORT: {"companies": [{"company_id": 3, "name": "甲"}], "total": 1},
    }
    for kind, payload in payloads.items():
        notify.notify([user.id], kind, "k", "p", "标题", payload=payload, urgent=True)
    for n in db.session.scalars(select(Notification)):
        subject, text, html = mailer.render(n, user)
        assert subject.startswith("【科技企业培育】")
        assert "http://127.0.0.1:5000/" in text and "http://127.0.0.1:5000/" in html
        assert "您好" in text
    report = db.session.scalar(select(Notification).where(Notification.kind == rules.REPORT_MONTHLY))
    assert "50.0%" in mailer.render(report, user)[1]


def test_a_drain_reuses_one_connection_and_a_refused_recipient_does_not_break_it(app, factory, smtp):
    ids = [i for n in range(5) for i in make(factory, email=f"reuse{n}@example.com")]
    smtp.reject_rcpt.add("reuse2@example.com")
    counts = mailer.drain()
    assert counts == {"sent": 4, "failed": 1}
    assert len(smtp.messages) == 4 and smtp.connections == 1
    assert row(ids[2]).status == FAILED and "550" in row(ids[2]).last_error


def test_an_smtp_error_mid_drain_reconnects_for_the_next_message(app, factory, smtp):
    ids = [i for n in range(3) for i in make(factory, email=f"again{n}@example.com")]
    smtp.fail_data.append("421 4.3.0 try later")
    counts = mailer.drain()
    assert counts["sent"] == 2 and smtp.connections == 2  # the 421 dropped the first connection
    assert sorted(row(i).status for i in ids) == [PENDING, SENT, SENT]
