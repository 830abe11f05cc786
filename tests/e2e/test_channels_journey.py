"""Channel settings on a phone: an officer picks 企业微信 for one kind, an administrator adds a robot."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.e2e.conftest import login, screenshot
from tracker.extensions import db
from tracker.models import ChannelRobot, User

pytestmark = pytest.mark.e2e


def test_officer_chooses_channels_and_admin_adds_a_robot_on_a_phone(app, factory, new_page):
    officer = factory.user("officer", "wujin", email="officer.ch@example.com", name="王专员")
    admin = factory.user("admin", email="admin.ch@example.com", name="市科技局管理员")
    page = new_page(phone=True)
    login(page, officer.email, factory.PASSWORD)
    page.goto("/notifications/preferences")
    page.select_option("select[name=mode_visit_overdue]", "both")
    screenshot(page, "channels_preferences_phone")
    page.click("input[type=submit][value=保存]")
    page.wait_for_load_state("networkidle")
    assert "提醒设置已保存" in page.content()
    db.session.expire_all()
    assert db.session.get(User, officer.id).channel_preferences == {"visit_overdue": "both"}

    admin_page = new_page(phone=True)
    login(admin_page, admin.email, factory.PASSWORD)
    admin_page.goto("/admin/channels/robots")
    admin_page.select_option("select[name=scope]", "wujin")
    admin_page.select_option("select[name=kind]", "wecom")
    admin_page.fill("input[name=url]", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=e2e-secret-5566")
    admin_page.click("input[type=submit][value=保存机器人]")
    admin_page.wait_for_load_state("networkidle")
    content = admin_page.content()
    assert "…5566" in content and "e2e-secret" not in content
    screenshot(admin_page, "channels_robots_phone")
    assert db.session.scalar(select(ChannelRobot).where(ChannelRobot.scope == "wujin")) is not None
    admin_page.goto("/admin/channels/defaults")
    screenshot(admin_page, "channels_defaults_phone")
    assert "所有类型（未单独设置时）" in admin_page.content()
