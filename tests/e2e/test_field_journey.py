"""An officer in the field on a 390×844 phone: back-and-save-again, offline saving, photos, withdrawal.

Screenshots go to test-artifacts/field-*.png.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.e2e.conftest import login, screenshot
from tracker.extensions import db
from tracker.models import Attachment, Visit

pytestmark = pytest.mark.e2e


def _visits() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Visit).where(Visit.withdrawn_at.is_(None)))


def _no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_back_and_save_again_keeps_one_visit_and_the_officer_can_withdraw_it(app, factory, new_page):
    officer = factory.user("officer", "wujin", email="field1@example.com", name="李专员")
    company = factory.company("wujin", officer=officer, name="常州星河智能装备有限公司", contact_phone="13912345678")

    page = new_page(phone=True)
    page.goto("/login")
    assert _no_horizontal_overflow(page)
    screenshot(page, "field-login-phone")
    login(page, officer.email, factory.PASSWORD)
    page.goto(f"/visits/new?company_id={company.id}")
    assert page.get_attribute("input[name=visited_on]", "max") == page.input_value("input[name=visited_on]")
    page.fill("textarea[name=summary]", "了解企业新产线投产情况")
    page.click("button[type=submit]:has-text('保存走访记录')")
    page.wait_for_load_state("networkidle")
    assert "已记录走访" in page.locator(".alert-success").inner_text()
    assert _visits() == 1

    page.go_back()
    page.wait_for_load_state("networkidle")
    if not page.input_value("textarea[name=summary]"):
        page.fill("textarea[name=summary]", "了解企业新产线投产情况")  # a browser that did not keep what was typed
    page.click("button[type=submit]:has-text('保存走访记录')")
    page.wait_for_load_state("networkidle")
    assert "该记录已保存" in page.locator("[data-testid=already-saved]").inner_text()
    assert _visits() == 1
    screenshot(page, "field-already-saved")
    page.click("[data-testid=already-saved-link]")
    page.wait_for_load_state("networkidle")
    visit_id = db.session.scalars(select(Visit.id).order_by(Visit.id)).first()
    page.goto(f"/visits/{visit_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.fill("input[name=reason]", "重复提交")
    page.click("[data-testid=withdraw-visit]")
    page.wait_for_load_state("networkidle")
    assert "已撤回该走访记录" in page.locator(".alert-success").inner_text()
    assert 'href="tel:13912345678"' in page.content()
    assert _no_horizontal_overflow(page)
    screenshot(page, "field-withdrawn-company-page")


def test_the_token_stops_a_second_save_after_back(app, factory, new_page):
    """Strictly: the cached form's token, posted again, is answered 该记录已保存 and saves nothing."""
    officer = factory.user("officer", "wujin", email="field2@example.com")
    company = factory.company("wujin", officer=officer, name="常州回退测试有限公司")
    page = new_page(phone=True)
    login(page, officer.email, factory.PASSWORD)
    page.goto(f"/visits/new?company_id={company.id}")
    page.fill("textarea[name=summary]", "第一次保存")
    # Keep a copy of the filled form as the back button would show it, then save.
    copy = page.evaluate("""() => Array.from(new FormData(document.querySelector('[data-testid=visit-form]')).entries())
        .filter(([, v]) => typeof v === 'string')""")
    page.click("button[type=submit]:has-text('保存走访记录')")
    page.wait_for_load_state("networkidle")
    assert _visits() == 1
    status = page.evaluate("""([url, entries]) => {
        const body = new FormData();
        entries.forEach(([k, v]) => body.append(k, v));
        return fetch(url, {method: 'POST', body}).then(r => r.text());
    }""", [f"/visits/new?company_id={company.id}", copy])
    assert "该记录已保存" in status, status[status.find("<title>"):status.find("</title>")]
    assert _visits() == 1


def test_a_visit_saved_offline_is_sent_once_when_the_connection_is_back(app, factory, new_page):
    officer = factory.user("officer", "wujin", email="field3@example.com", name="赵专员")
    company = factory.company("wujin", officer=officer, name="常州山村新材料有限公司")
    page = new_page(phone=True)
    login(page, officer.email, factory.PASSWORD)
    page.goto(f"/visits/new?company_id={company.id}")
    page.wait_for_load_state("networkidle")
    page.evaluate("navigator.serviceWorker ? navigator.serviceWorker.ready.then(() => true) : true")

    page.context.set_offline(True)
    page.click("label[for=kind-1]")
    page.fill("textarea[name=summary]", "村里没有信号，离线填写的走访记录")
    page.click("[data-add-follow-up]")
    row = page.locator("[data-follow-up-row]").first
    row.locator("select[name$='-category']").select_option("land")
    row.locator("textarea[name$='-description']").fill("希望协调扩建用地")
    row.locator("input[name$='-due_workdays']").fill("10")
    page.click("button[type=submit]:has-text('保存走访记录')")
    status = page.locator("[data-testid=outbox-status]").first
    status.wait_for(state="visible")
    assert "已暂存，恢复网络后自动提交" in status.inner_text()
    assert _visits() == 0
    screenshot(page, "field-offline-kept")

    page.context.set_offline(False)
    page.locator("[data-testid=outbox-status]:has-text('已自动提交')").wait_for(timeout=15000)
    assert _visits() == 1
    visit = db.session.scalars(select(Visit)).one()
    assert visit.summary == "村里没有信号，离线填写的走访记录" and visit.kind == "phone"
    assert [f.description for f in visit.follow_ups] == ["希望协调扩建用地"]
    screenshot(page, "field-offline-sent")
    # Another page opened later sends nothing again.
    page.goto("/work/")
    page.wait_for_load_state("networkidle")
    assert _visits() == 1


def test_photos_from_the_phone_show_as_thumbnails(app, factory, new_page, tmp_path):
    officer = factory.user("officer", "wujin", email="field4@example.com")
    company = factory.company("wujin", officer=officer, name="常州留痕科技有限公司")
    photo = tmp_path / "现场照片.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 120, 200)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    page = new_page(phone=True)
    login(page, officer.email, factory.PASSWORD)
    page.goto(f"/visits/new?company_id={company.id}")
    page.fill("textarea[name=summary]", "查看新建实验室")
    page.set_input_files("input[name=photos]", str(photo))
    page.click("button[type=submit]:has-text('保存走访记录')")
    page.wait_for_load_state("networkidle")
    attachment = db.session.scalars(select(Attachment)).one()
    page.goto(f"/visits/{attachment.visit_id}")
    thumb = page.locator(f"[data-testid=attachment-{attachment.id}] img")
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0 && img.naturalWidth <= 320")
    assert _no_horizontal_overflow(page)
    screenshot(page, "field-visit-with-photo")
