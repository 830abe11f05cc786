"""The outbox INSERT (rows.insert_returning): the rows it writes are the rows the ORM would write,
column by column, whichever way the database takes them (one JSON array on PostgreSQL, parameter
sets on SQLite); existing keys add nothing and what it returns names exactly the rows added."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from tracker import clock
from tracker.extensions import db
from tracker.models import Notification
from tracker.models.notification import EMAIL, PENDING, SKIPPED, WECOM_APP
from tracker.services.notifications import rows as outbox_rows

COMPARED = ["recipient_id", "channel", "kind", "subject_key", "period", "company_id", "title", "body", "link",
            "payload", "urgent", "email_wanted", "status", "attempts", "last_error", "created_at"]


def _row(user_id: int, n: int, created: dt.datetime, **changes) -> dict:
    row = dict(recipient_id=user_id, kind="visit_due", subject_key=f"company:{n}", period="2026-06-03",
               company_id=n, title=f"提醒{n}：走访到期", body="", link=f"/companies/{n}", payload=None,
               urgent=False, email_wanted=True, status=PENDING, attempts=0, created_at=created, channel=EMAIL,
               last_error=None)
    row.update(changes)
    return row


def _stored(ids) -> list[dict]:
    db.session.expire_all()  # read what the database holds, not the ORM objects' own values
    found = db.session.scalars(select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)).all()
    return [{name: getattr(n, name) for name in COMPARED} for n in found]


def test_the_rows_written_are_the_rows_the_orm_writes(app, factory):
    user = factory.user("officer", "wujin")
    created = clock.now().replace(microsecond=123456)
    variants = [
        {},
        {"payload": {"items": [{"title": "高企证书到期", "urgent": True}], "total": 1}, "urgent": True},
        {"body": "第一行\n第二行", "link": None, "company_id": None, "last_error": "仅在系统内提醒"},
        {"email_wanted": False, "status": SKIPPED, "payload": {"n": 3.5, "empty": None}},
    ]
    # The reference: the same values as ORM objects, under other keys.
    reference = [Notification(**_row(user.id, 100 + i, created, **v)) for i, v in enumerate(variants)]
    db.session.add_all(reference)
    db.session.flush()
    inserted = outbox_rows.insert_returning([_row(user.id, i, created, **v) for i, v in enumerate(variants)],
                                            Notification.recipient_id, Notification.title)
    assert len(inserted) == len(variants)
    ids = [row[0] for row in inserted]
    ours, theirs = _stored(ids), _stored([n.id for n in reference])
    for mine, orm in zip(ours, theirs):
        orm["subject_key"], orm["company_id"], orm["title"], orm["link"] = (
            mine["subject_key"], mine["company_id"], mine["title"], mine["link"])
        assert mine == orm
    # And in the database itself: SQL NULL and JSON null differ there though both read back as None.
    as_text = text("SELECT CAST(payload AS TEXT) FROM notification WHERE id = :id")
    for mine, orm in zip(ids, [n.id for n in reference]):
        assert db.session.execute(as_text, {"id": mine}).scalar() == db.session.execute(as_text, {"id": orm}).scalar()
    by_id = {row[0]: row for row in inserted}
    for n in db.session.scalars(select(Notification).where(Notification.id.in_(ids))):
        assert by_id[n.id][1] == n.email_wanted and by_id[n.id][2:] == (n.recipient_id, n.title)


def test_existing_keys_add_nothing_and_other_channels_rows_go_in_beside(app, factory):
    user = factory.user("officer", "wujin")
    created = clock.now()
    first = outbox_rows.insert_returning([_row(user.id, n, created) for n in range(3)])
    assert len(first) == 3
    wecom = _row(user.id, 7, created)
    wecom["_extra"] = [{**_row(user.id, 7, created), "channel": WECOM_APP}]
    again = outbox_rows.insert_returning([_row(user.id, n, created, title="改过的标题") for n in range(4)] + [wecom])
    stored = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert len(again) == 3 and len(stored) == 6  # company 3, and company 7 by email and by 企业微信
    assert {(n.subject_key, n.channel) for n in stored if n.id in {row[0] for row in again}} == {
        ("company:3", EMAIL), ("company:7", EMAIL), ("company:7", WECOM_APP)}
    assert all(n.title != "改过的标题" for n in stored if n.subject_key in {"company:0", "company:1", "company:2"})


def test_more_rows_than_one_statement_takes(app, factory, monkeypatch):
    user = factory.user("officer", "wujin")
    monkeypatch.setattr(outbox_rows, "JSON_CHUNK", 7)
    monkeypatch.setattr(outbox_rows, "EXECUTE_CHUNK", 7)
    created = clock.now()
    added = outbox_rows.insert_returning([_row(user.id, n, created) for n in range(30)])
    assert len(added) == 30 and len({row[0] for row in added}) == 30
    assert outbox_rows.insert_returning([_row(user.id, n, created) for n in range(32)]) != []
    assert db.session.scalar(select(db.func.count(Notification.id))) == 32


def test_nothing_to_insert_sends_nothing(app):
    assert outbox_rows.insert_returning([]) == []
