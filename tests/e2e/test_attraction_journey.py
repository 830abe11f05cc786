"""A district manager's attraction journey: the weekly view flags a project, a follow-up note is
recorded, the project settles into a new company, and indicator 5 by channel on the dashboard
counts it (phone and desktop screenshots in test-artifacts/)."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.e2e.conftest import login, screenshot
from tracker.clock import today
from tracker.extensions import db
from tracker.models import AttractionProject, Company
from tracker.rules.uscc import make_code
from tracker.services.attractions import projects

pytestmark = pytest.mark.e2e


def _city(factory):
    manager = factory.user("manager", "wujin", email="manager.attract@example.com", name="武进科技局招引科")
    officer = factory.user("officer", "wujin", name="王专员")
    day = today()
    start = max(day - dt.timedelta(days=30), day.replace(month=1, day=1))
    factory.company("wujin", name="常州已落户基金企业有限公司", attracted_on=day, attraction_channel="fund")
    target = projects.create_project(manager, {
        "name": "柔性显示材料产业化项目", "channel": "carrier", "source": "科技局", "district": "wujin",
        "lead_officer_id": officer.id, "lead_on": start, "expected_capital": "2000", "industry": "新材料",
        "description": "高校团队，拟在武进载体落地中试线"})
    projects.move_project(manager, target, "talking", start)
    other = projects.create_project(manager, {"name": "工业机器人关节项目", "channel": "contest", "source": "辖区",
                                              "district": "wujin", "lead_on": start})
    projects.add_note(manager, other, {"noted_on": day, "content": "赛后首次对接"})
    return manager, target


def test_manager_notes_settles_and_indicator_5_by_channel_moves(app, factory, new_page):
    manager, target = _city(factory)
    code = make_code("91320412MA0000021")

    page = new_page(phone=True)
    login(page, manager.email, factory.PASSWORD)
    page.goto("/indicators/")
    assert page.get_by_test_id("channel-carrier").inner_text() == "0"
    assert page.get_by_test_id("channel-fund").inner_text() == "1"
    screenshot(page, "attraction-1-dashboard-before")

    page.goto("/attractions/weekly")
    assert "未跟进 1 个" in page.get_by_test_id("flagged-wujin").inner_text()
    screenshot(page, "attraction-2-weekly")
    page.get_by_role("link", name="柔性显示材料产业化项目").first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("stalled").is_visible()

    note = page.get_by_test_id("note-form")
    note.locator("[name=content]").fill("与团队负责人视频会议，确认中试线选址意向")
    note.locator("[name=next_step]").fill("下周陪同实地考察西太湖载体")
    with page.expect_navigation():
        note.locator("[type=submit]").click()
    assert "已记录本周跟进" in page.content()
    assert page.get_by_test_id("stalled").count() == 0
    assert "确认中试线选址意向" in page.get_by_test_id("notes").inner_text()

    settle = page.get_by_test_id("settle-form")
    settle.locator("[name=uscc]").fill(code)
    settle.locator("[name=company_name]").fill("常州柔显新材料有限公司")
    settle.locator("[name=actual_capital]").fill("1800")
    screenshot(page, "attraction-3-project-before-settle")
    with page.expect_navigation():
        settle.locator("[type=submit]").click()
    assert page.get_by_test_id("project-status").inner_text() == "落户"
    assert page.get_by_test_id("settled-company").inner_text() == "常州柔显新材料有限公司"
    screenshot(page, "attraction-4-project-settled")

    page.goto("/indicators/")
    assert page.get_by_test_id("channel-carrier").inner_text() == "1"
    assert page.get_by_test_id("actual-tech_sme_attracted_new").inner_text() == "2"
    screenshot(page, "attraction-5-dashboard-after")
    page.get_by_test_id("channel-carrier").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("drill-total").inner_text() == "1"
    assert "柔性显示材料产业化项目" in page.get_by_test_id("drill-table").inner_text()

    desktop = new_page()
    login(desktop, manager.email, factory.PASSWORD)
    desktop.goto("/attractions/funnel")
    assert desktop.get_by_test_id("carrier-settled").inner_text() == "1"
    screenshot(desktop, "attraction-6-funnel-desktop")

    db.session.expire_all()
    company = db.session.scalar(select(Company).where(Company.uscc == code))
    assert (company.district, company.attracted_on, company.attraction_channel) == ("wujin", today(), "carrier")
    assert db.session.get(AttractionProject, target.id).company_id == company.id
