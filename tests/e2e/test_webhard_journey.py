"""Issue 12 items 13–15 in the browser: opening a message is a POST that lands on its page, and a
name with a line break or a bidi override is refused on the form with a Chinese message (phone)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.e2e.conftest import login, screenshot
from tracker.extensions import db
from tracker.models import Company, Notification
from tracker.rules import reminders as rules
from tracker.rules.uscc import make_code
from tracker.services.notifications import notify, outbox

pytestmark = pytest.mark.e2e


def test_an_officer_opens_a_message_on_a_phone(app, factory, new_page, monkeypatch):
    monkeypatch.setattr(outbox, "publish", lambda ids: True)
    officer = factory.user("officer", "wujin", email="wang@example.com", name="王专员")
    company = factory.company("wujin", officer=officer, name="常州恒瑞新能源科技有限公司")
    [nid] = notify.notify([officer.id], rules.VISIT_DUE, f"company:{company.id}", "2026-12-01",
                          "应走访：常州恒瑞新能源科技有限公司", link=f"/companies/{company.id}", body="已超过走访周期，请安排走访")
    page = new_page(phone=True)
    login(page, officer.email, factory.PASSWORD)
    page.goto("/notifications/")
    assert "1 条未读" in page.locator("[data-testid=unread-count]").inner_text()
    screenshot(page, "webhard-messages-phone")
    with page.expect_navigation():
        page.click("[data-testid=notification-open]")
    assert page.url.endswith(f"/companies/{company.id}")
    db.session.expire_all()
    assert db.session.get(Notification, nid).read_at is not None
    page.goto("/notifications/")
    assert page.locator("[data-testid=unread-count]").count() == 0


def test_a_name_that_reads_backwards_is_refused_on_the_form(app, factory, new_page):
    admin = factory.user("admin", email="boss@example.com")
    page = new_page(phone=True)
    login(page, admin.email, factory.PASSWORD)
    page.goto("/companies/new")
    page.fill("input[name=uscc]", make_code("91320412MA1X00009"))
    page.fill("input[name=name]", "\u202e司公限有技科州常")
    page.select_option("select[name=district]", "wujin")
    page.click("main form [type=submit]:has-text('保存')")
    page.wait_for_load_state("networkidle")
    assert "改变文字显示方向的隐藏控制字符" in page.locator(".invalid-feedback").first.inner_text()
    screenshot(page, "webhard-bidi-name-refused-phone")
    assert db.session.scalar(select(func.count(Company.id))) == 0
