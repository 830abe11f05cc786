"""An officer on a phone logs a visit with a follow-up from My work and finds it again."""

import datetime as dt

import pytest

from tests.e2e.conftest import login, screenshot
from tracker.clock import today
from tracker.extensions import db
from tracker.models import FollowUp, Visit

pytestmark = pytest.mark.e2e


def test_officer_logs_a_visit_with_a_follow_up_on_a_phone(app, factory, new_page):
    officer = factory.user("officer", "wujin", email="wang@example.com", name="王专员")
    company = factory.company("wujin", officer=officer, name="常州恒瑞新能源科技有限公司")
    factory.designation(company, "hnte", today() - dt.timedelta(days=3 * 365 - 60), reference="GR2023320099")
    factory.company("wujin", officer=officer, name="常州智造装备有限公司")

    page = new_page(phone=True)
    login(page, officer.email, factory.PASSWORD)
    assert page.url.endswith("/work/")  # My work is the officer's home
    due = page.locator(f"[data-testid=due-visit-{company.id}]")
    assert due.count() == 1
    assert page.locator("[data-testid=expiring]").inner_text().count("常州恒瑞新能源科技有限公司") == 1
    screenshot(page, "officer-my-work")

    due.locator("text=记录走访").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=visit-company]").inner_text() == "常州恒瑞新能源科技有限公司"
    assert page.input_value("input[name=visited_on]") == today().isoformat()
    # With JavaScript the blank follow-up rows are taken away and added on demand.
    assert page.locator("[data-follow-up-row]").count() == 0
    page.click("label[for=kind-0]")
    page.fill("input[name=people_met]", "张总（总经理）")
    page.fill("textarea[name=summary]", "企业计划明年重新认定高企，研发投入同比增长20%。")
    page.click("[data-add-follow-up]")
    row = page.locator("[data-follow-up-row]").first
    row.locator("select[name$='-category']").select_option("funding")
    row.locator("textarea[name$='-description']").fill("希望对接科技贷款")
    row.locator("input[name$='-due_workdays']").fill("5")
    page.click("[data-add-follow-up]")
    assert page.locator("[data-follow-up-row]").count() == 2
    page.locator("[data-follow-up-row]").nth(1).locator("[data-remove-follow-up]").click()
    assert page.locator("[data-follow-up-row]").count() == 1
    screenshot(page, "officer-visit-form")

    page.click("button[type=submit]:has-text('保存走访记录')")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/work/")
    assert "已记录走访" in page.locator(".alert-success").inner_text()
    assert page.locator(f"[data-testid=due-visit-{company.id}]").count() == 0  # visited today
    assert "希望对接科技贷款" in page.locator("[data-testid=work-follow-ups]").inner_text()

    page.goto("/visits/follow-ups")
    follow_up_list = page.locator("[data-testid=follow-up-list]")
    assert "希望对接科技贷款" in follow_up_list.inner_text()
    assert "王专员" in follow_up_list.inner_text()
    screenshot(page, "officer-follow-up-list")

    page.click("text=希望对接科技贷款")
    page.click("[data-testid=to-in-progress]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=follow-up-status]").inner_text() == "办理中"
    screenshot(page, "officer-follow-up-detail")

    db.session.expire_all()
    visit = db.session.query(Visit).one()
    follow_up = db.session.query(FollowUp).one()
    assert visit.kind == "onsite" and visit.people_met == "张总（总经理）"
    assert follow_up.visit_id == visit.id and follow_up.status == "in_progress" and follow_up.owner_id == officer.id


def test_the_visit_form_shows_messages_on_a_phone(app, factory, new_page):
    officer = factory.user("officer", "wujin", email="li@example.com", name="李专员")
    company = factory.company("wujin", officer=officer, name="常州测试企业")
    page = new_page(phone=True)
    login(page, officer.email, factory.PASSWORD)
    page.goto(f"/companies/{company.id}")
    page.click("a:has-text('记录走访')")
    page.click("[data-add-follow-up]")
    page.locator("textarea[name$='-description']").fill("需要用地")
    page.click("button[type=submit]:has-text('保存走访记录')")
    page.wait_for_load_state("networkidle")
    assert page.locator("text=请填写走访情况").count() == 1
    assert page.locator("text=请选择诉求类别").count() == 1
    # The row with an error stays on the page after the reload, with what was typed.
    assert page.locator("[data-follow-up-row]").count() == 1
    assert page.locator("textarea[name$='-description']").input_value() == "需要用地"
    screenshot(page, "officer-visit-form-errors")
    db.session.expire_all()
    assert db.session.query(Visit).count() == 0
