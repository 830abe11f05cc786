"""A district manager's HNTE candidate list: the certificates expiring this year come first, marked
重新认定 with their end date; a company disqualified this year is refused a place on the list.

Issue 16 defects 2 and 4, on a phone and a desk.
"""

import datetime as dt
from decimal import Decimal

import pytest

from tests.e2e.conftest import login, screenshot
from tracker.clock import today
from tracker.extensions import db
from tracker.models import CompanyYearFigures

pytestmark = pytest.mark.e2e

READY = dict(
    staff_count=100, st_staff_count=20, revenue=Decimal(5000), rd_expense=Decimal(300),
    rd_expense_domestic=Decimal(250), total_cost=Decimal(4000), total_assets=Decimal(5000),
    hightech_revenue=Decimal(4000), ip_class1_count=1, ip_class2_count=0, innovation_score=Decimal(80),
)


def test_manager_sees_recertifications_first_and_adds_them_to_the_list(app, factory, new_page):
    manager = factory.user("manager", "wujin", email="zhao@example.com", name="赵科长")
    year = today().year
    renew = factory.company("wujin", name="常州恒泰新材料有限公司", founded_on=dt.date(2012, 3, 1))
    first = factory.company("wujin", name="常州启明智能装备有限公司", founded_on=dt.date(2016, 4, 1))
    for company in (renew, first):
        for y in (year - 3, year - 2, year - 1):
            db.session.add(CompanyYearFigures(company_id=company.id, year=y, **READY))
    db.session.commit()
    factory.designation(renew, "hnte", dt.date(year - 3, 12, 31))  # ends 30 December this year

    page = new_page(phone=True)
    login(page, manager.email, factory.PASSWORD)
    page.goto(f"/candidates/?target=hnte&year={year}")
    rows = page.locator("[data-testid=candidate-table] tbody tr")
    assert "常州恒泰新材料有限公司" in rows.nth(0).inner_text()
    badge = rows.nth(0).locator("[data-testid=recertification]")
    assert badge.inner_text() == f"重新认定 · 现有资质至 {year}-12-30"
    assert "常州启明智能装备有限公司" in rows.nth(1).inner_text()
    assert "（其中重新认定 1 家）" in page.locator("[data-testid=candidate-summary]").inner_text()
    assert "hnte" not in page.locator("main, body").first.inner_text().replace("hnte=", "")
    screenshot(page, "candidates-recertification-phone")

    rows.nth(0).locator("input[name=company_ids]").check()
    page.click("[data-testid=add-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert f"已加入 {year} 年高新技术企业培育名单：1 家" in page.content()
    screenshot(page, "candidates-recertification-added")
