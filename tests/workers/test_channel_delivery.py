"""Real Celery workers deliver a sweep's 企业微信 messages and robot posts to a fake platform exactly once."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select

from tests.fake_platform import AGENT_ID, CORP_ID, SECRET, FakePlatform
from tests.workers.conftest import wait_until
from tracker.extensions import db
from tracker.models import Notification, Visit
from tracker.models.notification import SENT
from tracker.services.notifications import robots, sweep

pytestmark = pytest.mark.pg_only

TODAY = dt.date(2026, 6, 3)


def unsent() -> int:
    db.session.rollback()
    return len([n for n in db.session.scalars(select(Notification).where(Notification.email_wanted.is_(True)))
                if n.status != SENT])


def test_sweep_reaches_wecom_and_robots_once_through_token_expiry_and_a_burst(app, factory, workers):
    with FakePlatform(users=[f"u{i}" for i in range(6)], robot_limit=5, robot_window=3.0) as fake:
        app.config.update(WECOM_API_BASE=fake.base, WECOM_CORP_ID=CORP_ID, WECOM_AGENT_ID=AGENT_ID, WECOM_SECRET=SECRET)
        fake.expire_after = 2
        manager = factory.user("manager", "wujin")
        for i in range(6):
            officer = factory.user("officer", "wujin")
            officer.wecom_userid, officer.channel_preferences = f"u{i}", {"*": "wecom"}
            company = factory.company(officer=officer, name=f"到期企业{i}")
            db.session.add(Visit(company_id=company.id, officer_id=officer.id, visited_on=TODAY - dt.timedelta(days=365),
                                 summary="走访"))
        db.session.commit()
        robot = robots.add_robot(None, "wecom", "wujin", fake.wecom_robot_url("wujin"))
        for n in range(11):  # with the summary: 12 posts, above 5 per 3 s
            robots.queue_message(robot.id, "burst", str(n), f"群消息{n}", f"群消息{n}")
        first = sweep.sweep(TODAY)
        assert first.created > 0 and manager.id
        env = dict(WECOM_API_BASE=fake.base, WECOM_CORP_ID=CORP_ID, WECOM_AGENT_ID=AGENT_ID, WECOM_SECRET=SECRET,
                   CHANNEL_ROBOT_PER_MINUTE=5, CHANNEL_ROBOT_WINDOW_SECONDS=3,
                   SECRET_KEY=app.config["SECRET_KEY"])  # the robot URL is sealed with it
        workers("w1", **env)
        workers("w2", **env)
        wait_until(lambda: unsent() == 0, timeout=60, message="every row delivered")
        again = sweep.sweep(TODAY)  # the same day: nothing new, no second summary
        assert again.created == 0
        wait_until(lambda: unsent() == 0, timeout=10, message="nothing left")

        touser = Counter(m["touser"] for m in fake.app_messages)
        assert sorted(touser) == [f"u{i}" for i in range(6)] and set(touser.values()) == {1}
        posts = Counter(body["markdown"]["content"] for _, body in fake.robot_messages)
        assert set(posts.values()) == {1} and len(posts) == 12
        assert sum(1 for text in posts if "武进区今日提醒汇总" in text) == 1
        assert fake.max_in_window("wujin") <= 5
        assert fake.gettoken_calls >= 2  # the token expired mid-drain and was fetched again
