"""The company page's timeline on a phone: every rung's changes, in Chinese (issue 16 defect 6)."""

import datetime as dt

import pytest

from tests.e2e.conftest import login, screenshot
from tracker.services.designations import grants

pytestmark = pytest.mark.e2e

D = dt.date


def test_officer_reads_renewals_lapses_and_a_revocation_on_the_company_page(app, factory, new_page):
    admin = factory.user("admin")
    officer = factory.user("officer", "wujin", email="timeline@example.com", name="李专员")
    company = factory.company("wujin", officer=officer, name="常州续期示范科技有限公司")
    factory.designation(company, "tech_sme", D(2021, 5, 10))
    factory.designation(company, "hnte", D(2020, 12, 2), reference="GR2020320001")   # last day 2023-12-01
    factory.designation(company, "hnte", D(2023, 12, 7), reference="GR2023320007")   # 5 days later
    factory.designation(company, "gazelle", D(2022, 9, 1))
    revoked = factory.designation(company, "potential_unicorn", D(2024, 9, 1))
    grants.revoke_designation(admin, revoked, revoked_on=D(2024, 9, 1), reason="材料不实")
    page = new_page(phone=True)
    login(page, officer.email, factory.PASSWORD)
    page.goto(f"/companies/{company.id}")
    hnte = page.locator("[data-testid=rung-events-hnte]").inner_text()
    assert "重新认定" in hnte and "中断 5 天" in hnte and "到期" in hnte
    assert "撤销" in page.locator("[data-testid=rung-events-potential_unicorn]").inner_text()
    assert "入库" in page.locator("[data-testid=rung-events-tech_sme]").inner_text()
    text = page.locator("[data-testid=timeline]").inner_text()
    assert "recert" not in text and "prospect" not in text
    page.locator("[data-testid=rung-events]").scroll_into_view_if_needed()
    screenshot(page, "company-timeline-phone")
