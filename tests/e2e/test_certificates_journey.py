"""A district manager keeps the district's HNTE certificates (高企资质维护) on the demo city."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.e2e.conftest import ARTIFACTS, login, open_menu, screenshot
from tracker.clock import today
from tracker.extensions import db
from tracker.models import AnnualReport, Company
from tracker.services.ops import demo_city

pytestmark = pytest.mark.e2e


def _number(page, test_id: str) -> int:
    return int(page.get_by_test_id(test_id).inner_text())


def test_manager_renews_certificates_and_records_annual_reports(app, new_page, tmp_path):
    demo_city.generate(companies=600)
    page = new_page()
    login(page, "manager.wujin@example.com", demo_city.DEMO_PASSWORD)
    open_menu(page, "培育推进", "高企资质维护")
    assert page.locator("h1").inner_text() == "高企资质维护"
    table = page.get_by_test_id("maintenance-table")
    text = page.locator("main").inner_text()
    for raw in ("hnte", "pool", "submitted", "wujin", "None"):
        assert not re.search(rf"\b{raw}\b", text), f"raw code {raw!r} on screen"
    assert "武进区" in table.inner_text() and "今日预判" in text
    total, missing, lapsing = _number(page, "total"), _number(page, "missing"), _number(page, "lapsing")
    assert total > 0
    # The same certificates lapse on the gap plan (缺口分析): one definition of a re-application.
    gap = new_page()
    login(gap, "manager.wujin@example.com", demo_city.DEMO_PASSWORD)
    gap.goto("/indicators/gap")
    cell = gap.get_by_test_id(f"lapsing-without-hnte_count-{today().year}")
    if cell.count():
        assert int(cell.first.inner_text()) == lapsing
    screenshot(page, "certificates_manager")
    page.screenshot(path=str(ARTIFACTS / "certificates_manager_top.png"))  # the first screen, as an officer sees it

    if missing:
        # Tick the first certificate without a re-application and create its track.
        first = table.locator("input[name=designation_ids]").first
        row = first.locator("xpath=ancestor::tr")
        company = row.locator("a").first.inner_text()
        first.check()
        with page.expect_navigation():
            page.get_by_role("button", name="为勾选的证书补建重新认定培育记录").click()
        assert "已补建重新认定培育记录 1 条" in page.locator(".alert").first.inner_text()
        assert _number(page, "missing") == missing - 1
        renewed = page.locator("tr", has_text=company).first
        assert "储备" in renewed.inner_text()

    # Mark one annual report from the list.
    button = table.get_by_role("button", name="登记已报送").first
    if button.count():
        cell = button.locator("xpath=ancestor::td")
        year = int(cell.get_attribute("data-report-year"))
        company_link = button.locator("xpath=ancestor::tr").locator("a").first.inner_text()
        with page.expect_navigation():
            button.click()
        assert f"{year} 年度年报" in page.locator(".alert").first.inner_text()
        assert company_link in page.locator(".alert").first.inner_text()

    # Import a filing list for the companies on the page (a CSV as the district office keeps it).
    codes = [row.uscc for row in db.session.execute(
        select(Company.uscc).where(Company.district == "wujin").limit(5)
    )]
    csv = tmp_path / "年报报送名单.csv"
    year = today().year - 1
    csv.write_text("统一社会信用代码,年度,报送日期\n" + "".join(f"{c},{year},{year + 1}-04-20\n" for c in codes)
                   + f"91320412MA1XXXXX,{year},{year + 1}-04-20\n", encoding="utf-8-sig")
    page.set_input_files("input[name=file]", str(csv))
    page.locator("select[name=mode]").select_option("valid")
    page.locator("input[name=dry_run]").uncheck()
    with page.expect_navigation():
        page.get_by_test_id("annual-report-import").get_by_role("button", name="导入").click()
    summary = page.get_by_test_id("import-summary").inner_text()
    assert "导入完成" in summary and "错误 1" in summary
    assert "统一社会信用代码" in page.get_by_test_id("import-errors").inner_text()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AnnualReport)) >= len(codes)
    screenshot(page, "certificates_after_import")

    phone = new_page(phone=True)
    login(phone, "manager.wujin@example.com", demo_city.DEMO_PASSWORD)
    phone.goto("/certificates/?status=missing")
    assert phone.get_by_test_id("maintenance-summary").is_visible()
    screenshot(phone, "certificates_phone")
