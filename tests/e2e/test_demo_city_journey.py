"""The demo city as the README's run command builds it: the administrator's dashboard shows
plausible figures, and an officer works through 我的工作 on a phone (issue 17 items 2 and 4)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ARTIFACTS, login, screenshot
from tracker.services.indicators import targets
from tracker.services.ops import demo_city

pytestmark = pytest.mark.e2e


def _int(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def test_dashboard_is_plausible_and_my_work_has_priorities_on_a_phone(app, new_page):
    demo_city.generate()
    targets.seed_plan()
    page = new_page()
    login(page, "admin@example.com", demo_city.DEMO_PASSWORD)
    home_holders = _int(page.get_by_test_id("hnte-holders").inner_text())
    screenshot(page, "demo_home_admin")
    page.goto("/indicators/")
    page.wait_for_load_state("networkidle")
    table = page.get_by_test_id("indicator-table")
    actual = _int(page.get_by_test_id("actual-hnte_count").inner_text())
    assert actual == home_holders  # one number for 高新技术企业
    row = table.locator("tr", has=page.get_by_test_id("actual-hnte_count"))
    numbers = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", row.inner_text())]
    assert 6800 in numbers and 0.8 * 6800 <= actual <= 1.1 * 6800
    for code, target in (("gazelle_cumulative", 1050), ("unicorn_cumulative", 85), ("tech_sme_registered", 8500)):
        value = _int(page.get_by_test_id(f"actual-{code}").inner_text())
        assert 0.8 * target <= value <= 1.25 * target, code
    text = page.locator("main").inner_text()
    assert "hnte" not in text and "None" not in text
    screenshot(page, "demo_dashboard_admin")

    phone = new_page(phone=True)
    login(phone, "officer.wujin.1@example.com", demo_city.DEMO_PASSWORD)
    assert phone.url.endswith("/work/")
    groups = phone.get_by_test_id("visit-groups")
    assert groups.is_visible()
    counts = {g: _int(phone.get_by_test_id(f"group-count-{g}").inner_text()) for g in ("overdue", "today", "week", "never")}
    lines = phone.locator("[data-testid^=due-visit-]")
    assert lines.count() > 0 and sum(counts.values()) >= lines.count()
    assert "2023-01-01 应走访" not in phone.locator("main").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling
    phone.screenshot(path=str(ARTIFACTS / "demo_my_work_phone_top.png"))
    screenshot(phone, "demo_my_work_phone")
    busiest = max(counts, key=counts.get)
    phone.get_by_test_id(f"group-count-{busiest}").click()
    phone.wait_for_load_state("networkidle")
    assert all(line.get_attribute("data-group") == busiest for line in phone.locator("[data-testid^=due-visit-]").all())
    if phone.get_by_test_id("visit-pager").count():
        phone.get_by_role("link", name="下一页").click()
        phone.wait_for_load_state("networkidle")
        assert "第 2 /" in phone.get_by_test_id("visit-pager").inner_text()
    screenshot(phone, "demo_my_work_phone_group")
    if phone.get_by_test_id("unread-badge-phone").count():
        phone.get_by_test_id("unread-badge-phone").click()
        phone.wait_for_load_state("networkidle")
        screenshot(phone, "demo_messages_phone")
