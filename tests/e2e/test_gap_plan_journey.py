"""A district manager reads the gap plan (缺口分析) of the demo city and follows a number to its companies."""

import re

import pytest

from tests.e2e.conftest import ARTIFACTS, login, screenshot
from tracker.services.indicators import targets
from tracker.services.ops import demo_city

pytestmark = pytest.mark.e2e


def test_manager_reads_what_the_district_must_do(app, new_page):
    demo_city.generate(companies=600)
    targets.seed_plan()
    page = new_page()
    login(page, "manager.wujin@example.com", demo_city.DEMO_PASSWORD)
    page.goto("/indicators/")
    page.get_by_role("link", name="缺口分析").first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("scope").inner_text().startswith("武进")
    summary = page.get_by_test_id("gap-summary").inner_text()
    assert "高新技术企业数" in summary and "2027 年目标" in summary
    text = page.locator("main").inner_text()
    assert not re.search(r"hnte|tech_sme|submitted|lapsing|\bkey\b|\bpool\b|None", text)  # no raw codes on screen
    assert "算法" in page.get_by_test_id("gap-formula").inner_text()
    screenshot(page, "gap_plan_manager")

    lapsing = page.get_by_test_id(re.compile(r"lapsing-without-hnte_count-\d{4}")).first
    shown = int(lapsing.inner_text())
    lapsing.click()
    page.wait_for_load_state("networkidle")
    assert int(page.get_by_test_id("drill-total").inner_text()) == shown
    assert "到期、未申请重新认定" in page.locator("h1").inner_text()
    screenshot(page, "gap_plan_list")

    phone = new_page(phone=True)
    login(phone, "manager.wujin@example.com", demo_city.DEMO_PASSWORD)
    phone.goto("/indicators/gap")
    assert phone.get_by_test_id("gap-summary").is_visible()
    screenshot(phone, "gap_plan_phone")
    phone.get_by_test_id("gap-hnte_count").scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / "gap_plan_phone_hnte.png"))  # one screen, as a phone shows it
