"""A district manager's accompaniment journey on a phone: the quarter review lists two key companies
without a diagnosis; the manager records one (把脉) that introduces capital and raises a 诉求; the
company leaves the "本季度未把脉" list. Then support records on the company page (docs/DOMAIN.md §9)."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.e2e.conftest import login, screenshot
from tracker.clock import today
from tracker.extensions import db
from tracker.models import AccompanimentRecord, FollowUp
from tracker.services.accompaniment import keylist
from tracker.services.support import records as support

pytestmark = pytest.mark.e2e

YEAR = today().year


def _city(factory):
    manager = factory.user("manager", "wujin", email="manager.peiban@example.com", name="武进科技局陈科长")
    officer = factory.user("officer", "wujin", name="王专员")
    first = factory.company("wujin", officer=officer, name="常州瞪羚智能装备有限公司", industry="高端装备")
    second = factory.company("wujin", officer=officer, name="常州独角兽新能源科技有限公司", industry="新能源")
    factory.designation(first, "gazelle", dt.date(YEAR - 1, 8, 28))
    factory.designation(second, "potential_unicorn", dt.date(YEAR - 1, 7, 15))
    for company in (first, second):
        keylist.add_key_company(manager, company.id, YEAR, {"responsible_id": officer.id, "leader": "分管副局长",
                                                            "reason": "瞪羚、潜在独角兽企业"})
    support.add_record(officer, first.id, {"kind": "rd_deduction", "year": YEAR - 1, "amount": Decimal("356.8")})
    support.add_record(officer, first.id, {"kind": "listing", "year": YEAR - 1, "listing_stage": "coaching",
                                           "listing_board": "star", "filed_on": dt.date(YEAR - 1, 9, 1)})
    return manager, officer, first, second


def test_manager_records_a_diagnosis_that_raises_a_follow_up(new_page, factory):
    manager, officer, first, second = _city(factory)
    page = new_page(phone=True)
    login(page, manager.email, factory.PASSWORD)

    page.goto("/accompaniment/?missing=y")
    rows = page.locator("[data-testid=key-row]")
    assert rows.count() == 2
    assert page.locator("[data-testid=missing-count]").inner_text() == "2"
    screenshot(page, "accompaniment-list-before")

    rows.filter(has_text=first.name).get_by_role("link", name="记录把脉").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=record-company]").inner_text().startswith(first.name)
    assert page.locator("input[name=held_on]").input_value() == today().isoformat()
    page.fill("input[name=participants]", "市科技局陈科长、企业总经理")
    page.fill("textarea[name=findings]", "拟开展B轮融资，缺少专业投资机构对接；中试线建设资金紧张。")
    page.get_by_label("资本").check()
    page.fill("textarea[name=resource_notes]", "推荐对接常州市产业投资基金")
    page.get_by_role("button", name="＋ 添加诉求").click()
    row = page.locator("[data-follow-up-row]")
    assert row.count() == 1
    row.locator("select[name$='-category']").select_option("funding")
    row.locator("textarea[name$='-description']").fill("对接市产业投资基金，协助B轮融资")
    row.locator("input[name$='-due_workdays']").fill("10")
    screenshot(page, "accompaniment-record-form")
    with page.expect_navigation():
        page.get_by_role("button", name="保存把脉记录").click()
    assert "已记录把脉，并登记诉求 1 条" in page.content()
    record = page.locator("[data-testid=record]")
    assert record.count() == 1
    assert "对接市产业投资基金" in record.locator("[data-testid=record-follow-ups]").inner_text()
    assert "资本" in record.inner_text()
    screenshot(page, "accompaniment-company-year")

    page.goto("/accompaniment/?missing=y")
    rows = page.locator("[data-testid=key-row]")
    assert rows.count() == 1 and second.name in rows.first.inner_text()
    assert page.locator("[data-testid=missing-count]").inner_text() == "1"
    screenshot(page, "accompaniment-list-after")

    db.session.expire_all()
    stored = db.session.scalars(select(AccompanimentRecord)).one()
    follow_up = db.session.scalars(select(FollowUp)).one()
    assert stored.resources == "capital" and [f.id for f in stored.follow_ups] == [follow_up.id]
    assert follow_up.owner_id == manager.id and follow_up.category == "funding"


def test_support_records_on_the_company_page_and_in_the_list(new_page, factory):
    manager, officer, first, _ = _city(factory)
    page = new_page(phone=True)
    login(page, officer.email, factory.PASSWORD)
    page.goto(f"/companies/{first.id}")
    section = page.locator("[data-testid=company-support]")
    assert "扣除额 356.8 万元" in section.inner_text() and "科创板 · 辅导备案" in section.inner_text()
    section.get_by_role("link", name="登记扶持").click()
    page.get_by_role("link", name="科技贷款").click()
    page.select_option("select[name=loan_product]", "sukedai")
    page.fill("input[name=bank]", "江苏银行常州分行")
    page.fill("input[name=amount]", "500")
    page.fill("input[name=occurred_on]", f"{YEAR}-03-15")
    screenshot(page, "support-loan-form")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert "苏科贷 江苏银行常州分行 500 万元" in page.locator("[data-testid=company-support]").inner_text()
    assert page.locator("[data-testid=profile-support]").count() == 1
    page.locator("[data-testid=company-support]").scroll_into_view_if_needed()
    screenshot(page, "support-company-page")
    page.goto("/companies/?support=tech_loan")
    assert first.name in page.content()
    page.goto("/support/")
    screenshot(page, "support-list")
