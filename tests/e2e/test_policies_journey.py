"""政策直达: an administrator builds a policy from two conditions; a manager sees entitled and paid."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.e2e.conftest import login, open_menu, screenshot
from tracker.clock import today
from tracker.extensions import db
from tracker.models import CompanyYearFigures, Policy
from tracker.services.policies import claims

pytestmark = pytest.mark.e2e


def _city(factory):
    year = (today() - dt.timedelta(days=40)).year
    admin = factory.user("admin", email="admin.e2e@example.com", name="市科技局管理员")
    manager = factory.user("manager", "wujin", email="manager.e2e@example.com", name="武进科技局")
    officer = factory.user("officer", "wujin", name="王专员")
    rows = [("wujin", "常州恒瑞新材料有限公司", 820), ("wujin", "常州天合智能装备有限公司", 460),
            ("wujin", "常州博远生物医药有限公司", 120), ("liyang", "溧阳天目湖新能源有限公司", 900)]
    companies = []
    for district, name, rd in rows:
        company = factory.company(district, officer=officer if district == "wujin" else None, name=name, industry="新材料")
        factory.designation(company, "hnte", dt.date(year, 1, 2))
        db.session.add(CompanyYearFigures(company_id=company.id, year=year - 1, rd_expense=Decimal(rd),
                                          revenue=Decimal(rd * 20), total_cost=Decimal(rd * 15)))
        companies.append(company)
    db.session.commit()
    return year, admin, manager, companies


def test_admin_builds_a_policy_and_a_manager_sees_entitled_and_paid(app, factory, new_page):
    year, admin, manager, companies = _city(factory)

    page = new_page()
    login(page, admin.email, factory.PASSWORD)
    open_menu(page, "企业服务", "政策直达")
    page.click("text=新增政策")
    page.fill("input[name=name]", "高新技术企业首次认定奖励")
    page.fill("input[name=issuer]", "常州市科学技术局")
    page.fill("input[name=reference]", f"常科发〔{year}〕18号")
    page.fill("input[name=year]", str(year))
    page.select_option("select[name=benefit_kind]", "hnte_first_award")
    page.fill("input[name=amount]", "30")
    page.select_option("select[name=conditions-0-kind]", "rung_first")
    assert page.locator("select[name=conditions-0-field]").is_hidden()  # static JS shows only what the kind uses
    page.select_option("select[name=conditions-0-rung]", "hnte")
    with page.expect_navigation():
        page.click("input[name=add_condition]")
    page.select_option("select[name=conditions-1-kind]", "figure_min")
    page.select_option("select[name=conditions-1-field]", "rd_expense")
    page.select_option("select[name=conditions-1-year_offset]", "-1")
    page.fill("input[name=conditions-1-threshold]", "300")
    screenshot(page, "policies-admin-builder")
    with page.expect_navigation():
        page.click("input[name=submit]")
    table = page.locator("[data-testid=entitled-table]")
    assert "常州恒瑞新材料有限公司" in table.inner_text() and "常州天合智能装备有限公司" in table.inner_text()
    assert "常州博远生物医药有限公司" not in table.inner_text()  # R&D 120 < 300
    assert f"{year - 1}年研发费用 820万元（≥ 300万元）" in table.inner_text()
    screenshot(page, "policies-admin-entitled")

    policy = db.session.scalars(select(Policy)).one()
    assert [c.kind for c in policy.conditions] == ["rung_first", "figure_min"]
    paid = companies[0]
    for expected, day in (("", 3), ("notified", 4), ("applied", 5), ("reviewed", 6)):
        claims.record_step(admin, policy.id, paid.id, year, {"expected": expected, "on": dt.date(year, 2, day)})

    phone = new_page(phone=True)
    login(phone, manager.email, factory.PASSWORD)
    phone.goto(f"/policies/?year={year}")
    assert phone.locator("[data-testid=total-entitled]").inner_text() == "2"  # the liyang company is not theirs
    assert phone.locator("[data-testid=total-paid]").inner_text() == "1"
    assert phone.locator("[data-testid=total-coverage]").inner_text() == "50.0%"
    assert "溧阳天目湖新能源有限公司" not in phone.content()
    screenshot(phone, "policies-manager-coverage-phone")
    with phone.expect_navigation():
        phone.locator("[data-testid=total-paid] a").click()
    rows = phone.locator("[data-testid=entitled-table] tbody tr")
    assert rows.count() == 1 and "常州恒瑞新材料有限公司" in rows.first.inner_text() and "已兑现" in rows.first.inner_text()
    screenshot(phone, "policies-manager-paid-phone")
    with phone.expect_navigation():
        phone.click("text=申领登记")
    assert "已记入企业的补贴奖励记录" in phone.content()
    screenshot(phone, "policies-manager-claim-phone")
