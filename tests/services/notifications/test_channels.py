"""企业微信 / 政务微信 application messages and group robots against a fake platform on loopback."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.fake_platform import AGENT_ID, CORP_ID, SECRET, FakePlatform
from tests.services.notifications.conftest import TODAY, rows
from tracker.extensions import db
from tracker.models import ChannelAccessToken, ChannelRobot, Notification
from tracker.models.notification import EMAIL, FAILED, PENDING, SENT, SKIPPED, WECOM_APP, WECOM_ROBOT
from tracker.rules import channels as channel_rules
from tracker.rules import reminders as rules
from tracker.services.errors import ServiceError
from tracker.services.notifications import delivery, messenger, notify, outbox_admin, robots, sweep
from tracker.services.notifications.secretbox import unseal
from tracker.services.ops import demo_city


@pytest.fixture
def platform(app):
    with FakePlatform(users=("zhangsan", "lisi")) as fake:
        app.config.update(WECOM_API_BASE=fake.base, WECOM_CORP_ID=CORP_ID, WECOM_AGENT_ID=AGENT_ID, WECOM_SECRET=SECRET,
                          MAIL_BACKOFF_BASE_SECONDS=30, CHANNEL_CONNECT_TIMEOUT_SECONDS=2, CHANNEL_READ_TIMEOUT_SECONDS=2)
        yield fake


def wecom_user(factory, userid="zhangsan", mode="wecom", role="officer"):
    user = factory.user(role, "wujin")
    user.wecom_userid = userid
    user.channel_preferences = {"*": mode} if mode else None
    db.session.commit()
    return user


def remind(user, period="p1", urgent=True):
    return notify.notify([user.id], rules.TEST_EMAIL, f"user:{user.id}", period, "测试提醒", body="正文", link="/notifications",
                         urgent=urgent)


def fresh(row_id):
    db.session.rollback()
    return db.session.get(Notification, row_id, populate_existing=True)


def test_wecom_only_user_gets_one_app_message_and_no_email(app, factory, platform, published):
    user = wecom_user(factory)
    added = remind(user)
    by_channel = {r.channel: r for r in rows(recipient_id=user.id)}
    assert set(by_channel) == {EMAIL, WECOM_APP} and len(added) == 2
    assert by_channel[EMAIL].status == SKIPPED and by_channel[EMAIL].email_wanted is False
    assert by_channel[WECOM_APP].status == PENDING
    assert published == [[by_channel[WECOM_APP].id]]  # only the 企业微信 row is delivered
    assert remind(user) == []  # same key, every channel: nothing twice

    assert delivery.send_one(by_channel[WECOM_APP].id).status == "sent"
    assert fresh(by_channel[WECOM_APP].id).status == SENT
    [message] = platform.app_messages
    assert message["touser"] == "zhangsan" and message["msgtype"] == "textcard"
    assert message["textcard"]["url"] == "http://127.0.0.1:5000/notifications" and message["agentid"] == int(AGENT_ID)
    # The inbox still shows the notification once (its email row).
    assert delivery.send_one(by_channel[WECOM_APP].id).status == "not_claimed"
    assert len(platform.app_messages) == 1


def test_token_is_cached_in_the_database_and_refreshed_when_it_expires(app, factory, platform, published):
    user = wecom_user(factory)
    ids = [i for p in ("a", "b", "c") for i in remind(user, p)]
    wecom_ids = [r.id for r in rows(channel=WECOM_APP)]
    assert messenger.send_one(wecom_ids[0]).status == "sent"
    assert messenger.send_one(wecom_ids[1]).status == "sent"
    assert platform.gettoken_calls == 1  # cached: one gettoken for both
    stored = db.session.scalar(select(ChannelAccessToken))
    assert stored is not None and "token-1" not in stored.token_encrypted and unseal(stored.token_encrypted) == "token-1"
    platform.expire_tokens()  # 42001 on the next send
    assert messenger.send_one(wecom_ids[2]).status == "sent"
    assert platform.gettoken_calls == 2 and (("/cgi-bin/message/send", 42001) in platform.rejected)
    assert len(platform.app_messages) == 3 and len(ids) == 6


def test_wrong_secret_fails_in_chinese_and_is_retryable_after_fixing_it(app, factory, platform, published):
    admin = factory.user("admin", None)
    user = wecom_user(factory)
    remind(user)
    [row] = rows(channel=WECOM_APP)
    app.config["WECOM_SECRET"] = "wrong"
    assert messenger.send_one(row.id).status == "failed"
    failed = fresh(row.id)
    assert failed.status == FAILED and "40001" in failed.last_error and "Secret" in failed.last_error
    assert "获取 access_token 失败" in failed.last_error
    page = outbox_admin.outbox_rows(FAILED)
    assert [r[0].id for r in page.rows] == [row.id]
    app.config["WECOM_SECRET"] = SECRET
    outbox_admin.retry(admin, row.id)
    assert messenger.send_one(row.id).status == "sent"
    assert len(platform.app_messages) == 1


def test_unknown_userid_fails_with_the_platform_error(app, factory, platform, published):
    user = wecom_user(factory, userid="nobody")
    remind(user)
    [row] = rows(channel=WECOM_APP)
    assert messenger.send_one(row.id).status == "failed"
    error = fresh(row.id).last_error
    assert "81013" in error and "不存在" in error


def test_server_error_retries_with_backoff(app, factory, platform, published):
    user = wecom_user(factory)
    remind(user)
    [row] = rows(channel=WECOM_APP)
    platform.fail_next(502)
    outcome = messenger.send_one(row.id)
    assert outcome.status == "retry" and outcome.retry_in >= 15
    again = fresh(row.id)
    assert again.status == PENDING and "HTTP 502" in again.last_error and again.next_attempt_at is not None
    assert messenger.send_one(row.id).status == "not_claimed"  # not due before its backoff


def test_preferences_choose_the_channels(app, factory, platform, published):
    both = wecom_user(factory, "zhangsan", "both")
    app_only = wecom_user(factory, "lisi", "app")
    no_userid = wecom_user(factory, None, "wecom")  # falls back to email
    for user in (both, app_only, no_userid):
        remind(user)
    channels = {u.id: sorted((r.channel, r.status) for r in rows(recipient_id=u.id)) for u in (both, app_only, no_userid)}
    assert channels[both.id] == [(EMAIL, PENDING), (WECOM_APP, PENDING)]
    assert channels[app_only.id] == [(EMAIL, SKIPPED)]
    assert channels[no_userid.id] == [(EMAIL, PENDING)]


def test_role_default_applies_without_own_choice(app, factory, platform, published):
    from tracker.services.notifications import channel_prefs  # imported here: the module under test in this one case
    admin = factory.user("admin", None)
    channel_prefs.set_role_default(admin, "officer", "*", "wecom")
    user = wecom_user(factory, mode=None)
    remind(user)
    assert sorted(r.channel for r in rows(recipient_id=user.id)) == [EMAIL, WECOM_APP]
    assert [r.status for r in rows(recipient_id=user.id, channel=EMAIL)] == [SKIPPED]


def test_add_robot_encrypts_and_masks(app, factory, platform):
    admin = factory.user("admin", None)
    url = platform.dingtalk_robot_url("tok-secret-part")
    robot = robots.add_robot(admin, "dingtalk", "wujin", url, "SECright")
    stored = db.session.get(ChannelRobot, robot.id)
    assert "tok-secret-part" not in stored.url_encrypted and unseal(stored.url_encrypted) == url
    assert "SECright" not in (stored.secret_encrypted or "")
    [view] = robots.robots()
    assert "tok-secret-part" not in view.url_hint and view.has_secret and view.scope_name == "武进区"
    with pytest.raises(ServiceError, match="加签"):
        robots.add_robot(admin, "dingtalk", "xinbei", url, None)
    with pytest.raises(ServiceError, match="辖区代码"):
        robots.add_robot(admin, "wecom", "nowhere", url)


def test_dingtalk_robot_is_signed_and_a_bad_signature_fails(app, factory, platform, published):
    robot = robots.add_robot(None, "dingtalk", "wujin", platform.dingtalk_robot_url("d1", "SECright"), "SECwrong")
    [bad] = robots.queue_message(robot.id, "test", "1", "标题", "### 测试")
    assert messenger.send_one(bad).status == "failed"
    assert "310000" in fresh(bad).last_error and "加签" in fresh(bad).last_error
    robots.add_robot(None, "dingtalk", "wujin", platform.dingtalk_robot_url("d1", "SECright"), "SECright")
    [good] = robots.queue_message(robot.id, "test", "2", "标题", "### 测试")
    assert messenger.send_one(good).status == "sent"
    [(token, body)] = platform.robot_messages
    assert token == "d1" and body["msgtype"] == "markdown" and body["markdown"]["text"] == "### 测试"
    assert channel_rules.dingtalk_sign("SECright", 1700000000000) == "+jL/ZsobsqAcXfh9+JBA/CdIIljMm7Wr0350lJnOcOI="


def test_robot_pacing_queues_and_never_drops(app, factory, platform, published):
    app.config.update(CHANNEL_ROBOT_PER_MINUTE=3, CHANNEL_ROBOT_WINDOW_SECONDS=60)
    robot = robots.add_robot(None, "wecom", "wujin", platform.wecom_robot_url("k1"))
    ids = [i for n in range(5) for i in robots.queue_message(robot.id, "burst", str(n), f"消息{n}", f"消息{n}")]
    counts = delivery.drain()
    assert counts == {"sent": 3, "paced": 2}
    assert len(platform.robot_messages) == 3 and not platform.rejected
    waiting = [fresh(i) for i in ids[3:]]
    assert all(r.status == PENDING and r.attempts == 0 and "排队" in r.last_error for r in waiting)


def test_platform_rate_limit_retries_later(app, factory, platform, published):
    platform.robot_limit = 1  # someone else posts through the same robot
    robot = robots.add_robot(None, "wecom", "wujin", platform.wecom_robot_url("k2"))
    first, second = (robots.queue_message(robot.id, "burst", str(n), "t", "t")[0] for n in range(2))
    assert messenger.send_one(first).status == "sent"
    outcome = messenger.send_one(second)
    assert outcome.status == "retry" and outcome.retry_in == 60
    assert fresh(second).status == PENDING and "45009" in fresh(second).last_error


def test_sweep_posts_the_district_summary_once(app, factory, city, platform, published):
    robot = robots.add_robot(None, "wecom", "wujin", platform.wecom_robot_url("wujin"))
    robots.add_robot(None, "wecom", "xinbei", platform.wecom_robot_url("xinbei"))  # no reminders there
    sweep.sweep(TODAY)
    sweep.sweep(TODAY)
    summaries = db.session.scalars(select(Notification).where(Notification.channel == WECOM_ROBOT)).all()
    assert [(s.robot_id, s.kind, s.period) for s in summaries] == [(robot.id, robots.DAILY_SUMMARY, TODAY.isoformat())]
    delivery.drain()
    delivery.drain()
    [(key, body)] = platform.robot_messages
    assert key == "wujin" and "武进区今日提醒汇总" in body["markdown"]["content"]
    assert "走访" in body["markdown"]["content"]


def test_escalation_posts_to_the_district_robot(app, factory, city, platform, published):
    robots.add_robot(None, "wecom", "wujin", platform.wecom_robot_url("wujin"))
    from tracker.models import FollowUp  # imported here: only this test builds a follow-up by hand
    follow_up = FollowUp(company_id=city["due"].id, owner_id=city["officer"].id, description="用地问题",
                         due_on=TODAY - dt.timedelta(days=10))
    db.session.add(follow_up)
    db.session.commit()
    notify.follow_up_escalated(city["officer"], follow_up)
    notify.follow_up_escalated(city["officer"], follow_up)
    posts = db.session.scalars(select(Notification).where(Notification.kind == robots.ESCALATION)).all()
    assert len(posts) == 1 and "诉求逾期督办" in posts[0].title


def test_demo_city_sweep_posts_one_district_summary_and_a_second_sweep_nothing(app, platform, published):
    """Issue 14's done-when, on the demo city itself: one robot for 武进, two sweeps the same day."""
    demo_city.generate(companies=300, seed=11, reference=TODAY)
    robots.add_robot(None, "wecom", "wujin", platform.wecom_robot_url("wujin"))
    sweep.sweep(TODAY)
    messenger.drain()
    assert [key for key, _body in platform.robot_messages] == ["wujin"]
    assert "武进区今日提醒汇总" in platform.robot_messages[0][1]["markdown"]["content"]
    sweep.sweep(TODAY)
    messenger.drain()
    assert len(platform.robot_messages) == 1  # the same day's second sweep posts nothing
