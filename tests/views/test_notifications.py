"""Notification pages: the user's list, preferences, the administrators' outbox and mail folder."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Notification
from tracker.models.notification import FAILED, PENDING
from tracker.rules import reminders as rules
from tracker.services.notifications import mail_folder, mailer, notify, outbox


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(outbox, "publish", lambda ids: True)


@pytest.fixture(autouse=True)
def _own_mail_folder(app, tmp_path):
    app.config["MAIL_FOLDER"] = str(tmp_path / "mail")


def note(user, title="应走访：甲公司", link="/companies/1", period="p1", **fields) -> Notification:
    [nid] = notify.notify([user.id], rules.VISIT_DUE, "company:1", period, title, link=link, body="请安排走访", **fields)
    return db.session.get(Notification, nid)


def test_list_shows_only_my_notifications_and_marks_them_read(client, auth, factory):
    me = factory.user("officer", "wujin")
    other = factory.user("officer", "wujin")
    mine = note(me, "我的提醒")
    note(other, "别人的提醒")
    auth.login(me)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "我的提醒" in page and "别人的提醒" not in page and "1 条未读" in page
    # Following the link of a GET (a prefetch, a crawler, an <img>) changes nothing: 405.
    assert client.get(f"/notifications/{mine.id}/open").status_code == 405
    db.session.expire_all()
    assert db.session.get(Notification, mine.id).read_at is None
    response = client.post(f"/notifications/{mine.id}/open")
    assert response.status_code == 302 and response.headers["Location"].endswith("/companies/1")
    db.session.expire_all()
    assert db.session.get(Notification, mine.id).read_at is not None
    assert "条未读" not in client.get("/notifications/").get_data(as_text=True)


def test_someone_elses_notification_is_not_found(client, auth, factory):
    me = factory.user("officer", "wujin")
    theirs = note(factory.user("officer", "wujin"))
    auth.login(me)
    assert client.post(f"/notifications/{theirs.id}/open").status_code == 404
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None


def test_mark_read_and_mark_all(client, auth, factory):
    me = factory.user("manager", "wujin")
    a, b = note(me, period="a"), note(me, period="b")
    auth.login(me)
    assert client.post(f"/notifications/{a.id}/read").status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, a.id).read_at is not None and db.session.get(Notification, b.id).read_at is None
    client.post("/notifications/read-all")
    db.session.expire_all()
    assert db.session.get(Notification, b.id).read_at is not None


def test_a_stored_link_never_redirects_off_site(client, auth, factory):
    me = factory.user("officer", "wujin")
    bad = note(me, link="//evil.example.com/x")
    auth.login(me)
    assert client.post(f"/notifications/{bad.id}/open").headers["Location"].endswith("/notifications/")


def test_preferences_save_and_refuse_unknown_modes(client, auth, factory):
    me = factory.user("officer", "wujin")
    auth.login(me)
    assert "提醒设置" in client.get("/notifications/preferences").get_data(as_text=True)
    bad = client.post("/notifications/preferences", data={"notify_mode": "hourly"})
    assert bad.status_code == 200 and "invalid-feedback" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert me.notify_mode == "immediate"
    ok = client.post("/notifications/preferences", data={"notify_mode": "digest", "digest_opt_out": "y"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert me.notify_mode == "digest" and me.digest_opt_out is True


def test_test_email_is_queued_for_me(client, auth, factory):
    me = factory.user("officer", "wujin")
    auth.login(me)
    response = client.post("/notifications/preferences/test", follow_redirects=True)
    assert "测试邮件已加入发送队列" in response.get_data(as_text=True)
    [row] = db.session.scalars(select(Notification)).all()
    assert row.recipient_id == me.id and row.kind == rules.TEST_EMAIL and row.status == PENDING


def test_outbox_shows_failed_rows_with_retry_to_admins_only(app, client, auth, factory):
    admin = factory.user("admin")
    officer = factory.user("officer", "wujin", email="bounce@example.com")
    failed = note(officer, title="会失败的提醒", urgent=True)
    db.session.execute(Notification.__table__.update().where(Notification.id == failed.id)
                       .values(status=FAILED, last_error="SMTP 550 5.1.1 mailbox unavailable"))
    db.session.commit()
    auth.login(officer)
    assert client.get("/notifications/outbox").status_code == 403
    assert client.post(f"/notifications/outbox/{failed.id}/retry").status_code == 403
    auth.logout()
    auth.login(admin)
    page = client.get("/notifications/outbox?status=failed").get_data(as_text=True)
    assert "会失败的提醒" in page and "SMTP 550" in page and "bounce@example.com" in page
    assert f"/notifications/outbox/{failed.id}/retry" in page
    assert client.post(f"/notifications/outbox/{failed.id}/retry").status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, failed.id).status == PENDING


def test_mail_folder_lists_and_shows_mail_escaped(app, client, auth, factory):
    admin = factory.user("admin")
    officer = factory.user("officer", "wujin")
    evil = note(officer, title='<script>alert(1)</script>', urgent=True)
    assert mailer.send_one(evil.id).status == "sent"
    auth.login(admin)
    listing = client.get("/notifications/mail").get_data(as_text=True)
    name = mail_folder.eml_path(evil.id).name
    assert name in listing and "<script>alert(1)" not in listing
    page = client.get(f"/notifications/mail?name={name}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "请安排走访" in body
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body
    for bad in ("../tracker.sqlite", "notification-1.eml/../../x", "x.eml"):
        assert client.get("/notifications/mail", query_string={"name": bad}).status_code == 404
    app.config["MAIL_SERVER"] = "smtp.example.com"
    assert client.get("/notifications/mail").status_code == 404  # only on the embedded default


def log_visit_with_follow_up(client, company, owner, day="2026-06-03"):
    return client.post(f"/visits/new?company_id={company.id}", data={
        "visited_on": day, "kind": "onsite", "summary": "了解融资需求",
        "follow_ups-0-category": "funding", "follow_ups-0-description": "需要对接银行贷款",
        "follow_ups-0-owner_id": str(owner.id), "follow_ups-0-due_on": "2026-06-20",
    })


def test_a_follow_up_handed_to_someone_else_notifies_them_at_once(client, auth, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    company = factory.company(officer=officer)
    auth.login(officer)
    assert log_visit_with_follow_up(client, company, manager).status_code == 302
    [row] = db.session.scalars(select(Notification)).all()
    assert (row.recipient_id, row.kind, row.status) == (manager.id, rules.FOLLOW_UP_ASSIGNED, PENDING)
    assert row.subject_key.startswith("follow_up:") and "需要对接银行贷款" in row.body
    # Their own follow-up notifies nobody.
    assert log_visit_with_follow_up(client, company, officer, "2026-06-04").status_code == 302
    assert len(db.session.scalars(select(Notification)).all()) == 1
