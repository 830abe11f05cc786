"""A district manager's journey: company list → cultivation list → board moves → funnel, workload."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.e2e.conftest import login, screenshot
from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import CultivationTrack, Designation, Visit
from tracker.services.cultivation import tracks

pytestmark = pytest.mark.e2e

NAMES = [
    "常州恒瑞新能源科技有限公司", "常州天合智造装备有限公司", "常州博远新材料有限公司", "常州启明生物医药有限公司",
    "常州芯动集成电路有限公司", "常州碳谷新型碳材料有限公司", "常州轨创轨道交通有限公司", "常州灵犀机器人有限公司",
]


def _city(factory):
    manager = factory.user("manager", "wujin", email="manager.e2e@example.com", name="武进科技局")
    officers = [factory.user("officer", "wujin", name=n) for n in ("王专员", "李专员", "陈专员")]
    companies = []
    for i, name in enumerate(NAMES):
        company = factory.company("wujin", officer=officers[i % 3], name=name,
                                  industry=["新能源", "高端装备", "新材料", "生物技术与医药", "集成电路", "新型碳材料", "轨道交通", "机器人"][i])
        companies.append(company)
        db.session.add(Visit(company_id=company.id, officer_id=officers[i % 3].id,
                             visited_on=today() - dt.timedelta(days=20 + 40 * i), summary="走访了解研发投入"))
    db.session.commit()
    # Some tracks already on the board, in several columns, one stale; two companies left for the journey.
    ids = tracks.add_companies(manager, [c.id for c in companies[2:]], "hnte", today().year).created
    on_board = [db.session.get(CultivationTrack, i) for i in ids]
    tracks.move_track(manager, on_board[0], "key")
    tracks.move_track(manager, on_board[1], "key")
    tracks.move_track(manager, on_board[1], "submitted")
    tracks.move_track(manager, on_board[2], "withdrawn", reason="企业暂缓申报")
    on_board[3].status_since = now() - dt.timedelta(days=120)
    db.session.commit()
    return manager, companies


def _card(page, company_name):
    return page.locator(".pipeline-card", has_text=company_name)


def _column_of(page, company_name) -> str:
    return _card(page, company_name).evaluate("el => el.closest('.board-column').dataset.status")


def _move_with_form(page, company_name, target, **fields):
    card = _card(page, company_name)
    card.locator("details.move-menu > summary").click()
    card.locator("details.move-full > summary").click()
    form = card.locator("form.move-form")
    form.locator("select[name=to_status]").select_option(target)
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_manager_builds_a_list_and_moves_cards_across_the_board(app, factory, new_page):
    manager, companies = _city(factory)
    first, second = companies[0].name, companies[1].name
    year = today().year
    page = new_page()
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, manager.email, factory.PASSWORD)

    # Company list: tick two companies and put them on this year's HNTE list.
    page.goto("/companies/")
    screenshot(page, "manager-company-list")
    for company in companies[:2]:
        page.check(f"input[name=company_ids][value='{company.id}']")
    page.select_option("select[name=target_rung]", "hnte")
    page.fill("input[name=year]", str(year))
    with page.expect_navigation():
        page.click("[data-testid=bulk-add-tracks]")
    assert f"已将2家企业加入{year}年高新技术企业培育名单" in page.locator(".alert-success").inner_text()

    page.goto(f"/cultivation/?rung=hnte&year={year}")
    assert _column_of(page, first) == "pool"
    assert page.locator("[data-testid=count-pool]").inner_text() == "5"
    assert page.locator(".pipeline-card.stale").count() == 1
    screenshot(page, "manager-board")

    # A refused move: 储备 → 已申报 skips a step. The reason is shown and the card stays.
    _move_with_form(page, first, "submitted")
    alert = page.locator(".alert-danger").inner_text()
    assert "不能从“储备”直接变更为“已申报”" in alert and "可变更为：重点培育、退出" in alert
    assert _column_of(page, first) == "pool"
    screenshot(page, "manager-board-refused-move")

    # Drag the card to 重点培育 (the enhancement submits the same form).
    with page.expect_navigation():
        _card(page, first).drag_to(page.locator("[data-testid=column-key] .board-column-body"))
    assert _column_of(page, first) == "key"
    _move_with_form(page, first, "submitted")
    assert _column_of(page, first) == "submitted"

    # 已申报 → 已认定 asks for the certificate data and creates the designation.
    card = _card(page, first)
    card.locator("details.move-menu > summary").click()
    card.locator("details.move-full > summary").click()
    card.locator("select[name=to_status]").select_option("recognized")
    assert card.locator("input[name=granted_on]").is_visible()
    card.locator("input[name=granted_on]").fill(today().isoformat())
    card.locator("input[name=reference]").fill("GR202632009999")
    screenshot(page, "manager-board-recognition-form")
    with page.expect_navigation():
        card.locator("form.move-form button[type=submit]").click()
    assert "并已登记高新技术企业资质" in page.locator(".alert-success").inner_text()
    assert _column_of(page, first) == "recognized"
    assert _column_of(page, second) == "pool"
    designation = db.session.scalar(select(Designation).where(Designation.company_id == companies[0].id))
    assert designation.rung == "hnte" and designation.reference == "GR202632009999"
    screenshot(page, "manager-board-after-moves")

    page.goto(f"/cultivation/funnel?rung=hnte&year={year}")
    assert page.locator("[data-testid=funnel-recognized] td").nth(1).inner_text() == "1"
    screenshot(page, "manager-funnel")

    page.goto("/cultivation/workload")
    assert page.locator("[data-testid=workload-table] tbody tr").count() == 3
    screenshot(page, "manager-workload")

    page.goto(f"/audit/?company_id={companies[0].id}")
    assert page.locator("text=调整培育状态").count() >= 3
    screenshot(page, "manager-audit-log")
