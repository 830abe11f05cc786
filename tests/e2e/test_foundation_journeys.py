import datetime as dt

import pytest

from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e


def test_officer_on_a_phone_sees_own_company_and_not_another_districts(app, factory, new_page):
    officer = factory.user("officer", "wujin", email="zhuanyuan@example.com", name="王专员")
    mine = factory.company("wujin", officer=officer, name="常州恒瑞新能源科技有限公司")
    factory.designation(mine, "hnte", dt.date.today() - dt.timedelta(days=100), reference="GR2026320001")
    foreign = factory.company("liyang", name="溧阳某企业")
    page = new_page(phone=True)
    login(page, officer.email, factory.PASSWORD)
    assert "王专员" in page.content() or page.locator(".navbar-toggler").is_visible()
    page.goto("/companies/")
    assert page.locator("text=常州恒瑞新能源科技有限公司").count() == 1
    assert page.locator("text=溧阳某企业").count() == 0
    page.click("text=常州恒瑞新能源科技有限公司")
    assert page.locator("[data-testid=current-stage]").inner_text().strip() == "高新技术企业"
    screenshot(page, "officer-phone-company")
    response = page.goto(f"/companies/{foreign.id}")
    assert response.status == 404
    assert "无权" in page.locator("[data-testid=error-message]").inner_text()


def test_admin_sees_stage_counts_and_the_company_list(app, factory, new_page):
    admin = factory.user("admin", email="boss@example.com")
    for i in range(3):
        factory.company("wujin", name=f"企业{i}")
    page = new_page()
    login(page, admin.email, factory.PASSWORD)
    assert page.locator("[data-testid=company-total]").inner_text() == "3"
    screenshot(page, "admin-home")
    page.goto("/companies/")
    assert page.locator("[data-testid=company-table] tbody tr").count() == 3
    screenshot(page, "admin-company-list")
