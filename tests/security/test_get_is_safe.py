"""A GET never changes data: every GET route of app.url_map, walked as each role, leaves every row as it was.

A link is followed by more than the user: mail scanners, link previews, prefetching browsers and
<img src> on another site all send GETs (with the user's cookies, SameSite=Lax allows top-level
ones). So every state change is a POST with a CSRF token. This test compares the full content of
every table (not only row counts: marking a message read is an UPDATE) before and after the walk;
the one write a GET may make is the audit row that logs a file download (a record of a read).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, select, table, text

from tests.conftest import base_config
from tests.security.routes import ADMIN_PASSWORD, build_world, routes, url_for_rule
from tracker import create_app
from tracker.extensions import db
from tracker.models import Notification, User
from tracker.rules import reminders as rules
from tracker.services.notifications import notify, outbox

SKIP = {"auth.logout"}


def _snapshot() -> dict[str, list[str]]:
    """Every row of every table, as sorted text."""
    db.session.rollback()
    snapshot = {}
    for name in inspect(db.engine).get_table_names():
        if name == "alembic_version":
            continue
        columns = [c["name"] for c in inspect(db.engine).get_columns(name)]
        rows = db.session.execute(select(*[db.column(c) for c in columns]).select_from(table(name))).mappings().all()
        if name == "audit_event":
            # Downloading a file (an export, a report) is logged: who took which rows out. A record
            # of a read, not a change; such rows name the file's format.
            rows = [row for row in rows if not _logs_a_download(row)]
        snapshot[name] = sorted(repr(tuple(row.values())) for row in rows)
    return snapshot


def _logs_a_download(row) -> bool:
    after = row["after"]
    if isinstance(after, str):
        after = json.loads(after)
    return str(row["action"]).endswith(".export") or (isinstance(after, dict) and "format" in after)


def _diff(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    changed = []
    for name in sorted(set(before) | set(after)):
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            changed.append(f"{name}: -{sorted(old - new)[:2]} +{sorted(new - old)[:2]}")
    return changed


@pytest.fixture
def world(app, monkeypatch):
    monkeypatch.setattr(outbox, "publish", lambda ids: True)
    build_world()
    # An unread message for each walker, so a GET that marks messages read would show.
    for email in ("admin@example.com", "manager.wujin@example.com", "officer.wujin.1@example.com"):
        user = db.session.scalar(select(User).where(User.email == email))
        notify.notify([user.id], rules.VISIT_DUE, f"company:get-{user.id}", "get-test", "应走访：测试企业",
                      link="/companies/", body="请安排走访")
    return app


@pytest.mark.parametrize("email", ["admin@example.com", "manager.wujin@example.com", "officer.wujin.1@example.com"])
def test_no_get_route_writes(world, database_url, email):
    walker = create_app(dict(base_config(database_url)))
    client = walker.test_client()
    try:
        assert client.post("/login", data={"email": email, "password": ADMIN_PASSWORD}).status_code == 302
        before = _snapshot()
        unread = db.session.scalar(select(db.func.count(Notification.id)).where(Notification.read_at.is_(None)))
        # URL ids of rows the walker may see, so a writing GET would get as far as the write.
        me = db.session.scalar(select(User).where(User.email == email))
        mine = {"notification_id": db.session.scalar(select(Notification.id).where(Notification.recipient_id == me.id))}
        visited = []
        for rule, _ in routes(walker, {"GET"}):
            if rule.endpoint in SKIP:
                continue
            url = url_for_rule(rule, mine)
            try:
                client.get(url)
            except Exception:  # noqa: BLE001  (a 500 is test_bad_input's finding; here only writes count)
                pass
            visited.append(url)
        assert len(visited) >= 20
        changed = _diff(before, _snapshot())
        assert not changed, f"GET routes changed data as {email}:\n" + "\n".join(changed)
        assert db.session.scalar(select(db.func.count(Notification.id)).where(Notification.read_at.is_(None))) == unread
    finally:
        with walker.app_context():
            db.session.remove()
            db.engine.dispose()


def test_opening_a_message_is_a_post(world, database_url):
    """The message list's links do not mark read; its buttons POST (with the CSRF token)."""
    walker = create_app(dict(base_config(database_url), WTF_CSRF_ENABLED=True))
    client = walker.test_client()
    try:
        login_page = client.get("/login").get_data(as_text=True)
        token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post("/login", data={"email": "admin@example.com", "password": ADMIN_PASSWORD,
                                               "csrf_token": token})
        assert response.status_code == 302
        page = client.get("/notifications/").get_data(as_text=True)
        assert "/open\"" not in page.split('method="post"')[0]  # no plain link to open before the first form
        message = db.session.scalar(select(Notification).where(Notification.read_at.is_(None),
                                                               Notification.title == "应走访：测试企业",
                                                               Notification.recipient_id == _admin_id()))
        assert client.get(f"/notifications/{message.id}/open").status_code == 405
        assert client.post(f"/notifications/{message.id}/open").status_code == 400  # no CSRF token
        db.session.expire_all()
        assert db.session.get(Notification, message.id).read_at is None
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        opened = client.post(f"/notifications/{message.id}/open", data={"csrf_token": token})
        assert opened.status_code == 302 and opened.headers["Location"].endswith("/companies/")
        db.session.expire_all()
        assert db.session.get(Notification, message.id).read_at is not None
    finally:
        with walker.app_context():
            db.session.remove()
            db.engine.dispose()


def _admin_id() -> int:
    return db.session.scalar(select(User.id).where(User.email == "admin@example.com"))


def test_the_snapshot_sees_an_update(world):
    """The comparison itself would catch a GET that only UPDATEs (a read mark, a last-seen time)."""
    before = _snapshot()
    db.session.execute(text("UPDATE notification SET read_at = CURRENT_TIMESTAMP WHERE read_at IS NULL"))
    db.session.commit()
    assert any(line.startswith("notification:") for line in _diff(before, _snapshot()))
