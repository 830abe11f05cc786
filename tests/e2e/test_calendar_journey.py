"""An administrator loads next year's holiday notice and sets the tech SME window (issue 16, defects 7, 14)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login, screenshot
from tests.services.calendar.test_calendar import NOTICE_2027

pytestmark = pytest.mark.e2e


def test_admin_loads_the_2027_notice_and_a_window_on_a_phone(app, factory, new_page):
    admin = factory.user("admin", email="calendar-admin@example.com", name="系统管理员")
    page = new_page(phone=True)
    login(page, admin.email, factory.PASSWORD)
    page.goto("/admin/calendar/")
    assert "暂按法定节假日" in page.locator("[data-testid=source-2027]").inner_text()
    assert "2027-02-05" in page.locator("[data-testid=days-2027]").inner_text()
    screenshot(page, "calendar-before-notice")
    page.fill("textarea[name=text]", NOTICE_2027)
    page.fill("[data-testid=notice-form] input[name=source]", "国办发明电〔2026〕x号")
    with page.expect_navigation():
        page.click("[data-testid=notice-form] button[type=submit]")
    assert "已导入2027年节假日安排" in page.content()
    assert "已导入" in page.locator("[data-testid=source-2027]").inner_text()
    page.fill("[data-testid=window-form] input[name=year]", "2027")
    page.fill("[data-testid=window-form] input[name=opens_on]", "2027-06-01")
    page.fill("[data-testid=window-form] input[name=closes_on]", "2027-08-31")
    with page.expect_navigation():
        page.click("[data-testid=window-form] button[type=submit]")
    assert "2027-08-01、2027-08-21" in page.locator("[data-testid=window-2027]").inner_text()
    screenshot(page, "calendar-after-notice")
