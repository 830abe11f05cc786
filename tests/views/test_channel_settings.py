"""The channel pages (issue 14): a user's channel per kind, administrators' role defaults, the
企业微信 userid on the user form, and the group robot page (masked, admin only)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import AuditEvent, ChannelDefault, ChannelRobot, User
from tracker.rules import reminders as rules
from tracker.services.errors import ServiceError
from tracker.services.notifications import channel_prefs, robots
from tracker.services.notifications.secretbox import unseal

WECOM_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef-secret-key-7788"
DING_URL = "https://oapi.dingtalk.com/robot/send?access_token=tok-very-secret-9911"


def actions(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def prefs_data(**modes) -> dict:
    data = {"notify_mode": "immediate"}
    data.update({f"mode_{kind}": mode for kind, mode in modes.items()})
    return data


def test_user_chooses_a_channel_per_kind_and_can_go_back_to_the_default(client, auth, factory):
    me = factory.user("officer", "wujin")
    auth.login(me)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "各类提醒的接收方式" in page and "走访逾期" in page and "按默认（邮件）" in page
    assert "仅在系统内查看" in page and "尚未登记企业微信账号" in page
    ok = client.post("/notifications/preferences", data=prefs_data(
        **{rules.VISIT_OVERDUE: "both", rules.HNTE_EXPIRING: "app"}))
    assert ok.status_code == 302
    db.session.expire_all()
    assert me.channel_preferences == {rules.VISIT_OVERDUE: "both", rules.HNTE_EXPIRING: "app"}
    assert channel_prefs.effective_modes(me)[rules.VISIT_OVERDUE] == "both"
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'value="both" selected' in page or 'selected value="both"' in page
    # Back to the default for one kind: its key is removed, the other stays.
    client.post("/notifications/preferences", data=prefs_data(**{rules.HNTE_EXPIRING: "app"}))
    db.session.expire_all()
    assert me.channel_preferences == {rules.HNTE_EXPIRING: "app"}
    assert len(actions("user.channel_preferences")) == 2


def test_unknown_channel_is_refused_and_nothing_is_saved(client, auth, factory):
    me = factory.user("officer", "wujin")
    auth.login(me)
    bad = client.post("/notifications/preferences", data=prefs_data(**{rules.VISIT_OVERDUE: "sms"}))
    assert bad.status_code == 200 and "invalid-feedback" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert not me.channel_preferences and not actions("user.channel_preferences")


def test_default_choice_names_the_role_default(client, auth, factory):
    admin = factory.user("admin", None)
    channel_prefs.set_role_default(admin, "officer", "*", "wecom")
    me = factory.user("officer", "wujin")
    auth.login(me)
    assert "按默认（企业微信）" in client.get("/notifications/preferences").get_data(as_text=True)


def test_admin_sets_role_defaults_and_clears_one(client, auth, factory):
    admin = factory.user("admin", None)
    auth.login(admin)
    page = client.get("/admin/channels/defaults").get_data(as_text=True)
    assert "默认接收方式" in page and "服务专员" in page and "所有类型（未单独设置时）" in page
    response = client.post("/admin/channels/defaults", data={
        "default_officer_any": "wecom", f"default_manager_{rules.FOLLOW_UP_ESCALATED}": "both"})
    assert response.status_code == 302
    assert channel_prefs.role_defaults() == {("officer", "*"): "wecom", ("manager", rules.FOLLOW_UP_ESCALATED): "both"}
    assert len(actions("channel_default.set")) == 2
    client.post("/admin/channels/defaults", data={"default_officer_any": "wecom"})
    assert channel_prefs.role_defaults() == {("officer", "*"): "wecom"}
    assert len(actions("channel_default.clear")) == 1 and len(actions("channel_default.set")) == 2
    officer = factory.user("officer", "wujin")
    assert set(channel_prefs.effective_modes(officer).values()) == {"wecom"}
    bad = client.post("/admin/channels/defaults", data={"default_officer_any": "fax"})
    assert bad.status_code == 200 and "invalid-feedback" in bad.get_data(as_text=True)
    assert channel_prefs.role_defaults() == {("officer", "*"): "wecom"}


def test_non_admins_are_refused_channel_admin_pages(client, auth, factory):
    admin = factory.user("admin", None)
    robot = robots.add_robot(admin, "wecom", "wujin", WECOM_URL)
    for role in ("officer", "manager"):
        auth.login(factory.user(role, "wujin"))
        assert client.get("/admin/channels/defaults").status_code == 403
        assert client.post("/admin/channels/defaults", data={"default_officer_any": "app"}).status_code == 403
        assert client.get("/admin/channels/robots").status_code == 403
        assert client.post("/admin/channels/robots", data={"kind": "wecom", "scope": "wujin", "url": DING_URL}).status_code == 403
        assert client.post(f"/admin/channels/robots/{robot.id}/remove").status_code == 403
        auth.logout()
    db.session.expire_all()
    assert not db.session.scalars(select(ChannelDefault)).all()
    assert db.session.get(ChannelRobot, robot.id).active is True
    assert unseal(db.session.get(ChannelRobot, robot.id).url_encrypted) == WECOM_URL


def test_admin_adds_replaces_and_removes_robots_never_showing_url_or_secret(client, auth, factory):
    admin = factory.user("admin", None)
    auth.login(admin)
    assert "尚未配置群机器人" in client.get("/admin/channels/robots").get_data(as_text=True)
    assert client.post("/admin/channels/robots", data={"kind": "wecom", "scope": "wujin", "url": WECOM_URL}).status_code == 302
    assert client.post("/admin/channels/robots", data={
        "kind": "dingtalk", "scope": "city", "url": DING_URL, "secret": "SECsupersecret123"}).status_code == 302
    page = client.get("/admin/channels/robots").get_data(as_text=True)
    assert "武进区" in page and "全市" in page and "钉钉群机器人" in page and "企业微信群机器人" in page
    assert "abcdef-secret-key" not in page and "tok-very-secret" not in page and "SECsupersecret123" not in page
    assert "…7788" in page and "…9911" in page
    # Adding one for the same kind and district replaces it.
    client.post("/admin/channels/robots", data={"kind": "wecom", "scope": "wujin", "url": WECOM_URL + "-new"})
    wujin = db.session.scalar(select(ChannelRobot).where(ChannelRobot.scope == "wujin"))
    db.session.refresh(wujin)
    assert unseal(wujin.url_encrypted) == WECOM_URL + "-new"
    assert len(db.session.scalars(select(ChannelRobot)).all()) == 2 and len(actions("channel_robot.replace")) == 1
    removed = client.post(f"/admin/channels/robots/{wujin.id}/remove", follow_redirects=True).get_data(as_text=True)
    listed = removed.split('data-testid="robots"')[1].split("</table>")[0]
    assert "已移除" in removed and "…-new" not in listed and "…9911" in listed
    db.session.refresh(wujin)
    assert wujin.active is False and len(actions("channel_robot.remove")) == 1
    assert [r.scope for r in robots.robots() if r.active] == ["city"]
    assert client.post(f"/admin/channels/robots/{wujin.id}/remove").status_code == 404  # already removed


def test_robot_form_refuses_bad_input_with_chinese_messages(client, auth, factory):
    auth.login(factory.user("admin", None))
    cases = [
        ({"kind": "wecom", "scope": "wujin", "url": "ftp://x"}, "https://"),
        ({"kind": "wecom", "scope": "nowhere", "url": WECOM_URL}, "invalid-feedback"),
        ({"kind": "wecom", "scope": "wujin", "url": WECOM_URL, "secret": "SEC1"}, "没有加签密钥"),
        ({"kind": "dingtalk", "scope": "wujin", "url": DING_URL}, "加签"),
        ({"kind": "sms", "scope": "wujin", "url": WECOM_URL}, "invalid-feedback"),
    ]
    for data, message in cases:
        response = client.post("/admin/channels/robots", data=data)
        assert response.status_code == 200 and message in response.get_data(as_text=True), data
    assert not db.session.scalars(select(ChannelRobot)).all()


def test_admin_user_form_sets_the_wecom_userid(client, auth, factory):
    admin = factory.user("admin", None)
    auth.login(admin)
    assert "企业微信账号（userid）" in client.get("/admin/users/new").get_data(as_text=True)
    created = client.post("/admin/users/new", data={
        "email": "zhang.san@example.com", "name": "张三", "role": "officer", "district": "wujin",
        "password": "Changzhou-2027-strong", "wecom_userid": "ZhangSan"})
    assert created.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "zhang.san@example.com"))
    assert user.wecom_userid == "ZhangSan" and len(actions("user.wecom_userid")) == 1
    edit = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'value="ZhangSan"' in edit
    bad = client.post(f"/admin/users/{user.id}", data={"name": "张三", "role": "officer", "district": "wujin",
                                                       "wecom_userid": "zhang san"})
    assert bad.status_code == 200 and "企业微信账号不能含空格" in bad.get_data(as_text=True)
    db.session.refresh(user)
    assert user.wecom_userid == "ZhangSan"
    # Saving without changing it writes no userid audit row; clearing it does.
    client.post(f"/admin/users/{user.id}", data={"name": "张三丰", "role": "officer", "district": "wujin",
                                                 "wecom_userid": "ZhangSan"})
    assert len(actions("user.wecom_userid")) == 1
    client.post(f"/admin/users/{user.id}", data={"name": "张三丰", "role": "officer", "district": "wujin",
                                                 "wecom_userid": ""})
    db.session.refresh(user)
    assert user.wecom_userid is None and user.name == "张三丰" and len(actions("user.wecom_userid")) == 2


def test_bad_userid_leaves_no_half_created_account(client, auth, factory, app):
    admin = factory.user("admin", None)
    # The service check is the last line behind the form: refused, the account is rolled back too.
    with pytest.raises(ServiceError):
        channel_prefs.create_user_with_wecom(admin, email="li.si@example.com", name="李四", role="officer",
                                             password="Changzhou-2027-strong", district="wujin",
                                             wecom_userid="x" * 65)
    assert db.session.scalar(select(User).where(User.email == "li.si@example.com")) is None
