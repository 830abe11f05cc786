"""节假日与评价窗口 through HTTP and the CLI: admins only, Chinese messages, nothing half-written (issue 16)."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import func, select

from tests.services.calendar.test_calendar import NOTICE_2027
from tracker.extensions import db
from tracker.models import CalendarDay, FollowUp, TechSmeWindow
from tracker.services.calendar import notices

D = dt.date


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_page_shows_each_years_source_and_the_fallback_days(client, factory, auth):
    auth.login(factory.user("admin"))
    body = client.get("/admin/calendar/").get_data(as_text=True)
    assert "节假日与评价窗口" in body and "工作日计算依据" in body
    assert "科技型中小企业评价窗口" in body
    home = client.get("/").get_data(as_text=True)
    assert "/admin/calendar/" in home  # the administrators' menu entry


def test_uploading_a_notice_file_and_pasting_one(client, factory, auth):
    auth.login(factory.user("admin"))
    response = client.post("/admin/calendar/notice", data={
        "file": (io.BytesIO(NOTICE_2027.encode("utf-8-sig")), "2027.csv"), "source": "国办发明电〔2026〕x号",
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get("/admin/calendar/").get_data(as_text=True)
    assert "已导入2027年节假日安排：放假 23 天，调休上班 2 天" in page and "国办发明电〔2026〕x号" in page
    response = client.post("/admin/calendar/notice", data={"text": NOTICE_2027})
    assert response.status_code == 302 and _count(CalendarDay) == 25


def test_a_bad_notice_shows_the_reasons_and_writes_nothing(client, factory, auth):
    auth.login(factory.user("admin"))
    response = client.post("/admin/calendar/notice", data={"text": "日期,类型,名称\n2027-01-01,放假,元旦\n2027-01-06,上班,x"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "2027-01-06 是星期三，本就是工作日" in body and "缺少法定节假日" in body
    assert client.post("/admin/calendar/notice", data={}).status_code == 400
    response = client.post("/admin/calendar/notice", data={
        "file": (io.BytesIO(b"\x00\x01garbage"), "x.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 400 and "只支持 .csv 或 .xlsx 文件" in response.get_data(as_text=True)
    assert _count(CalendarDay) == 0


def test_saving_a_window_and_refusing_a_bad_one(client, factory, auth):
    auth.login(factory.user("admin"))
    response = client.post("/admin/calendar/window", data={"year": "2027", "opens_on": "2027-05-15", "closes_on": "2027-07-31"})
    assert response.status_code == 302
    page = client.get("/admin/calendar/").get_data(as_text=True)
    assert "2027-07-01、2027-07-21" in page  # the reminders 30 and 10 days before it closes
    response = client.post("/admin/calendar/window", data={"year": "2027", "opens_on": "2027-08-01", "closes_on": "2027-07-31"})
    assert response.status_code == 400 and "截止日期不能早于开始日期" in response.get_data(as_text=True)
    response = client.post("/admin/calendar/window", data={"year": "99999999999999999999", "opens_on": "x", "closes_on": ""})
    assert response.status_code == 400
    assert db.session.scalar(select(TechSmeWindow.closes_on)) == D(2027, 7, 31)


def test_managers_and_officers_are_refused(client, factory, auth):
    for role in ("manager", "officer"):
        auth.login(factory.user(role, "wujin"))
        assert client.get("/admin/calendar/").status_code == 403
        assert client.post("/admin/calendar/notice", data={"text": NOTICE_2027}).status_code == 403
        assert client.post("/admin/calendar/window", data={"year": "2027", "opens_on": "2027-06-01",
                                                           "closes_on": "2027-08-31"}).status_code == 403
        auth.logout()
    assert _count(CalendarDay) == 0 and _count(TechSmeWindow) == 0


def test_the_commands(runner, tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text(NOTICE_2027, encoding="utf-8")
    result = runner.invoke(args=["calendar", "load", str(path)])
    assert result.exit_code == 0 and "已导入2027年节假日安排" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("日期,类型\n2027-01-01,放假\n", encoding="utf-8")
    result = runner.invoke(args=["calendar", "load", str(bad)])
    assert result.exit_code != 0 and "缺少法定节假日" in result.output
    result = runner.invoke(args=["calendar", "window", "2027", "2027-06-01", "2027-08-31"])
    assert result.exit_code == 0 and "已保存2027年科技型中小企业评价窗口" in result.output
    result = runner.invoke(args=["calendar", "window", "2027", "2027-06-31", "2027-08-31"])
    assert result.exit_code != 0 and "不是有效日期" in result.output


def test_the_visit_form_and_the_follow_up_page_mark_a_deadline_without_the_notice(client, factory, auth, monkeypatch):
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer)
    auth.login(officer)
    monkeypatch.setattr("tracker.visits.views.today", lambda: D(2026, 12, 28))
    body = client.get(f"/visits/new?company_id={company.id}").get_data(as_text=True)
    assert "按国家法定节假日和调休计算，如今天起5个工作日为 2027-01-05（2027年调休安排尚未公布，暂按法定节假日计算）" in body
    monkeypatch.setattr("tracker.services.visits.records.today", lambda: D(2026, 12, 28))
    monkeypatch.setattr("tracker.web.dates.today", lambda: D(2026, 12, 28))  # the form's not-in-the-future check
    response = client.post(f"/visits/new?company_id={company.id}", data={
        "visited_on": "2026-12-28", "kind": "onsite", "summary": "走访",
        "follow_ups-0-category": "funding", "follow_ups-0-description": "融资", "follow_ups-0-owner_id": str(officer.id),
        "follow_ups-0-due_workdays": "5",
    })
    assert response.status_code == 302
    follow_up = db.session.scalars(select(FollowUp)).one()
    assert follow_up.due_provisional
    page = client.get(f"/visits/follow-ups/{follow_up.id}").get_data(as_text=True)
    assert "2027-01-05<span" in page and "（2027年调休安排尚未公布，暂按法定节假日计算）" in page
    notices.load_notice(None, text=NOTICE_2027)
    page = client.get(f"/visits/follow-ups/{follow_up.id}").get_data(as_text=True)
    assert "（该期限按法定节假日计算，计算时2027年调休安排尚未公布）" in page
    # A deadline within a year whose notice is known carries no note.
    monkeypatch.setattr("tracker.visits.views.today", lambda: D(2026, 11, 2))
    body = client.get(f"/visits/new?company_id={company.id}").get_data(as_text=True)
    assert "如今天起5个工作日为 2026-11-09）" in body
