"""An officer records the two HNTE declarations on a phone; the manager's candidate list reads them.

Issue 16 defect 13: 属于国家重点支持的高新技术领域 and 重大安全、质量、环境事故 are yes/no per year,
"数据不足" (with what to record) until someone records them.
"""

import datetime as dt

import pytest

from tests.e2e.conftest import login, screenshot
from tests.views.test_figures_views import hnte_ready_years
from tracker.clock import today

pytestmark = pytest.mark.e2e


def test_officer_records_the_hnte_declarations_and_the_candidate_list_follows(app, factory, new_page):
    officer = factory.user("officer", "wujin", email="li@example.com", name="李专员")
    manager = factory.user("manager", "wujin", email="zhao@example.com", name="赵科长")
    company = factory.company("wujin", officer=officer, name="常州锐芯微电子有限公司", founded_on=dt.date(2016, 4, 1))
    latest = today().year - 1
    hnte_ready_years(company, latest)

    # The manager first sees the company with two conditions to record.
    desk = new_page()
    login(desk, manager.email, factory.PASSWORD)
    desk.goto(f"/candidates/?target=hnte&year={today().year}")
    row = desk.locator("tr", has_text="常州锐芯微电子有限公司")
    assert row.count() == 1
    text = row.inner_text()
    assert "《国家重点支持的高新技术领域》" in text and f"请在 {latest} 年度数据中填写" in text
    screenshot(desk, "figures-candidates-declarations-pending")

    # The officer records them on a phone.
    page = new_page(phone=True)
    login(page, officer.email, factory.PASSWORD)
    page.goto(f"/candidates/companies/{company.id}/figures/edit?year={latest}")
    page.select_option("select[name=key_field]", "1")
    page.select_option("select[name=major_incident]", "0")
    screenshot(page, "figures-form-declarations")
    page.click("[data-testid=figures-form] button[type=submit], [data-testid=figures-form] input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert f"已保存 {latest} 年数据" in page.content()
    screenshot(page, "figures-list-declarations")

    # Recorded: the company now passes, and no raw codes are shown.
    desk.goto(f"/candidates/?target=hnte&year={today().year}")
    row = desk.locator("tr", has_text="常州锐芯微电子有限公司")
    assert "符合条件" in row.inner_text()
    assert "key_field" not in desk.content() and "major_incident" not in desk.content()
    screenshot(desk, "figures-candidates-declarations-recorded")
