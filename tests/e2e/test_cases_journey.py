"""Issue 17 items 5 and 8 in the browser: a district manager's board (only the allowed columns light
up while dragging, the moved card is highlighted and undone, the touch menu) and a 诉求 handled as a
case from referral to the satisfaction call-back, on a phone."""

import datetime as dt

import pytest

from tests.e2e.conftest import login, screenshot
from tracker.clock import TZ, today
from tracker.extensions import db
from tracker.models import CultivationTrack, FollowUp, Visit
from tracker.services.cultivation import tracks
from tracker.services.visits import departments

pytestmark = pytest.mark.e2e


def _board(factory):
    manager = factory.user("manager", "wujin", email="board.manager@example.com", name="武进科技局")
    officer = factory.user("officer", "wujin", name="王专员")
    names = ["常州恒瑞新能源科技有限公司", "常州博远新材料有限公司", "常州芯动集成电路有限公司"]
    companies = [factory.company("wujin", officer=officer, name=n) for n in names]
    ids = tracks.add_companies(manager, [c.id for c in companies], "hnte", today().year).created
    tracks.move_track(manager, db.session.get(CultivationTrack, ids[2]), "key")
    return manager, names


def _card(page, name):
    return page.locator(".pipeline-card", has_text=name)


def _column_of(page, name) -> str:
    return _card(page, name).evaluate("el => el.closest('.board-column').dataset.status")


def _zone_on_another_day() -> str:
    """A time zone whose calendar day differs from Shanghai's right now (UTC-12 is 20 hours behind,
    UTC+14 6 hours ahead): a page that takes the device's day instead of the bureau's shows it."""
    return "Etc/GMT-14" if dt.datetime.now(TZ).hour >= 20 else "Etc/GMT+12"


def test_board_lights_allowed_columns_highlights_the_move_and_undoes_it(app, factory, new_page):
    manager, names = _board(factory)
    # The officer's device is set to another day than the bureau's: the date filled in below is
    # still today in Shanghai (tracker/clock.py), the day the server checks it against.
    page = new_page(timezone_id=_zone_on_another_day())
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, manager.email, factory.PASSWORD)
    page.goto(f"/cultivation/?rung=hnte&year={today().year}")

    # Start dragging a 储备 card: 重点培育 and 退出 light up, 已申报/已认定/未通过 are dimmed.
    transfer = page.evaluate_handle("() => new DataTransfer()")
    card = _card(page, names[0])
    card.dispatch_event("dragstart", {"dataTransfer": transfer})
    lit = page.eval_on_selector_all(".board-column.drop-allowed", "els => els.map(e => e.dataset.status)")
    dim = page.eval_on_selector_all(".board-column.drop-refused", "els => els.map(e => e.dataset.status)")
    assert sorted(lit) == ["key", "withdrawn"]
    assert sorted(dim) == ["recognized", "rejected", "submitted"]
    screenshot(page, "cases-board-dragging")
    # A drop on a refused column does nothing; on an allowed one the card moves.
    page.locator("[data-testid=column-submitted]").dispatch_event("drop", {"dataTransfer": transfer})
    assert page.locator(".board-column.drop-allowed").count() == 0 and _column_of(page, names[0]) == "pool"
    card.dispatch_event("dragstart", {"dataTransfer": transfer})
    with page.expect_navigation():
        page.locator("[data-testid=column-key]").dispatch_event("drop", {"dataTransfer": transfer})
    assert _column_of(page, names[0]) == "key"
    moved = _card(page, names[0])
    assert "just-moved" in moved.get_attribute("class")
    screenshot(page, "cases-board-moved")

    # 撤销上一步: the card goes back to 储备.
    with page.expect_navigation():
        moved.locator("button", has_text="撤销上一步").click()
    assert "已撤销" in page.locator(".alert-success").inner_text()
    assert _column_of(page, names[0]) == "pool"

    # A drag to 已认定 (from 已申报) opens the recognition form with the date filled in.
    key_card = _card(page, names[2])
    key_card.locator("details.move-menu > summary").click()
    with page.expect_navigation():
        key_card.locator("form.quick-move button", has_text="已申报").click()
    card = _card(page, names[2])
    card.dispatch_event("dragstart", {"dataTransfer": page.evaluate_handle("() => new DataTransfer()")})
    page.locator("[data-testid=column-recognized]").dispatch_event("drop")
    granted = card.locator("input[name=granted_on]")
    assert granted.is_visible() and granted.input_value() == today().isoformat()
    assert card.locator("select[name=to_status]").input_value() == "recognized"
    screenshot(page, "cases-board-recognition")


def test_touch_menu_moves_cards_with_taps(app, factory, new_page):
    manager, names = _board(factory)
    page = new_page(phone=True)
    login(page, manager.email, factory.PASSWORD)
    page.goto(f"/cultivation/?rung=hnte&year={today().year}")
    card = _card(page, names[1])
    card.locator("[data-testid^=move-menu]").tap()
    screenshot(page, "cases-board-touch-menu")
    with page.expect_navigation():
        card.locator("form.quick-move button", has_text="重点培育").tap()
    assert _column_of(page, names[1]) == "key"
    # 退出 needs a reason: the menu opens the form in place, the reason field focused.
    card = _card(page, names[1])
    card.locator("[data-testid^=move-menu]").tap()
    card.locator("a.move-more", has_text="退出").tap()
    assert card.locator("select[name=to_status]").input_value() == "withdrawn"
    assert card.locator("input[name=reason]").evaluate("el => el === document.activeElement")
    screenshot(page, "cases-board-touch-withdraw")


def test_follow_up_case_from_referral_to_callback_on_a_phone(app, factory, new_page):
    admin = factory.user("admin", email="case.admin@example.com", name="市科技局")
    manager = factory.user("manager", "wujin", email="case.manager@example.com", name="李科长")
    officer = factory.user("officer", "wujin", email="case.officer@example.com", name="王专员")
    company = factory.company("wujin", officer=officer, name="常州灵犀机器人有限公司")
    visit = Visit(company_id=company.id, officer_id=officer.id, visited_on=today() - dt.timedelta(days=3),
                  summary="企业反映扩产缺少融资")
    db.session.add(visit)
    db.session.flush()
    f = FollowUp(company_id=company.id, visit_id=visit.id, description="扩产需要3000万元流动资金贷款",
                 category="funding", owner_id=officer.id, due_on=today() + dt.timedelta(days=15))
    db.session.add(f)
    db.session.commit()
    departments.add_department(admin, "武进区地方金融监督管理局", "周科长 0519-86310000")
    departments.set_review(manager, "wujin", True)

    page = new_page(phone=True)
    login(page, officer.email, factory.PASSWORD)
    page.goto(f"/visits/follow-ups/{f.id}")
    page.fill("[data-testid=start-form] textarea[name=note]", "已与企业财务总监电话沟通")
    with page.expect_navigation():
        page.click("[data-testid=to-in-progress]")
    page.click("[data-testid=refer] summary")
    page.select_option("[data-testid=refer] select[name=department_id]", label="武进区地方金融监督管理局（周科长 0519-86310000）")
    page.fill("[data-testid=refer] input[name=deadline_workdays]", "5")
    page.fill("[data-testid=refer] textarea[name=note]", "请协调辖内银行对接")
    with page.expect_navigation():
        page.click("[data-testid=refer] button[type=submit]")
    page.click("[data-testid=reply] summary")
    page.fill("[data-testid=reply] textarea[name=text]", "已推荐两家银行上门对接")
    with page.expect_navigation():
        page.click("[data-testid=reply] button[type=submit]")
    page.fill("[data-testid=resolve-form] textarea[name=resolution]", "江南农商行授信3000万元")
    with page.expect_navigation():
        page.click("[data-testid=resolve-form] button[type=submit]")
    assert page.locator("[data-testid=follow-up-status]").inner_text() == "待审核"
    screenshot(page, "cases-follow-up-waiting-review")

    manager_page = new_page(phone=True)
    login(manager_page, manager.email, factory.PASSWORD)
    manager_page.goto(f"/visits/follow-ups/{f.id}")
    with manager_page.expect_navigation():
        manager_page.click("[data-testid=review-approve]")
    assert manager_page.locator("[data-testid=follow-up-status]").inner_text() == "已办结"
    manager_page.click("[data-testid=close-form] label:has-text('满意')")
    with manager_page.expect_navigation():
        manager_page.click("[data-testid=close-form] button[type=submit]")
    assert manager_page.locator("[data-testid=follow-up-status]").inner_text() == "已销号"
    manager_page.click("[data-testid=callback] label:has-text('基本满意')")
    manager_page.fill("[data-testid=callback] textarea[name=note]", "企业希望放款再快一些")
    with manager_page.expect_navigation():
        manager_page.click("[data-testid=callback-submit]")
    assert "基本满意" in manager_page.locator("[data-testid=follow-up-callback]").inner_text()
    timeline = manager_page.locator("[data-testid=case-timeline]").inner_text()
    for text in ("提出诉求", "开始办理", "已与企业财务总监电话沟通", "交办", "武进区地方金融监督管理局",
                 "承办单位反馈", "已推荐两家银行上门对接", "提交办结审核", "审核通过", "销号", "满意度回访",
                 "王专员", "李科长"):
        assert text in timeline, text
    width = manager_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the case page scrolls sideways on a phone ({width}px)"
    screenshot(manager_page, "cases-follow-up-closed-with-callback")

    # The company page: the stream shows the case, open items first.
    manager_page.goto(f"/companies/{company.id}")
    stream = manager_page.locator("[data-testid=activity-stream]").inner_text()
    assert "满意度回访" in stream and "走访" in stream
    screenshot(manager_page, "cases-company-activity")
