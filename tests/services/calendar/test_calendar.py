"""Issue 16, defects 7 and 14: holiday notices and tech SME windows as data, used by the deadlines and reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.services.notifications.conftest import rows, visit
from tracker.extensions import db
from tracker.models import AuditEvent, CalendarDay, TechSmeWindow
from tracker.rules import reminders as reminder_rules
from tracker.rules import workdays
from tracker.services.calendar import notices, windows
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.notifications import outbox, sweep
from tracker.services.visits import records as visit_service

D = dt.date

NOTICE_2027 = "\n".join([
    "日期,类型,名称",
    "2027-01-01,放假,元旦",
    *[f"2027-02-{d:02d},放假,春节" for d in range(5, 12)],
    "2027-02-20,上班,春节调休",
    "2027-04-05,放假,清明节",
    *[f"2027-05-{d:02d},放假,劳动节" for d in range(1, 6)],
    "2027-06-09,放假,端午节",
    "2027-09-15,放假,中秋节",
    *[f"2027-10-{d:02d},放假,国庆节" for d in range(1, 8)],
    "2027-10-09,上班,国庆节调休",
])


@pytest.fixture
def published(monkeypatch):
    monkeypatch.setattr(outbox, "publish", lambda ids: True)


def test_a_loaded_notice_replaces_the_fallback_and_is_audited(app, factory):
    admin = factory.user("admin")
    assert notices.current_calendar().source(2027) == workdays.STATUTORY
    result = notices.load_notice(admin, text=NOTICE_2027, source="国办发明电〔2026〕x号")
    assert (result.year, result.holidays, result.workdays, result.replaced) == (2027, 23, 2, 0)
    calendar = notices.current_calendar()
    assert calendar.source(2027) == workdays.NOTICE
    assert not calendar.is_workday(D(2027, 2, 11)) and calendar.is_workday(D(2027, 2, 20))
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar.notice_load")).all()
    assert event.actor_id == admin.id and event.after["year"] == 2027
    again = notices.load_notice(admin, text=NOTICE_2027.replace("\n2027-10-09,上班,国庆节调休", ""))
    assert again.replaced == 25
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 24


@pytest.mark.parametrize("text, words", [
    ("", "没有内容"),
    ("日子,种类\n2027-01-01,放假", "表头"),
    ("日期,类型,名称\n2027-13-01,放假,元旦", "第2行：日期“2027-13-01”无法识别"),
    ("日期,类型,名称\n2027-01-01,休假吧,元旦", "类型应为“放假”或“上班”"),
    ("日期,类型,名称\n2027-01-01,放假,元旦", "缺少法定节假日"),
])
def test_a_bad_notice_is_refused_in_chinese_and_nothing_is_written(app, factory, text, words):
    admin = factory.user("admin")
    with pytest.raises(ServiceError) as err:
        notices.load_notice(admin, text=text)
    assert words in err.value.message
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 0


def test_only_administrators_load_notices_and_set_windows(app, factory):
    manager = factory.user("manager", "wujin")
    with pytest.raises(Forbidden):
        notices.load_notice(manager, text=NOTICE_2027)
    with pytest.raises(Forbidden):
        windows.set_window(manager, 2027, D(2027, 6, 1), D(2027, 8, 31))


def test_a_deadline_counted_into_2027_is_marked_until_the_notice_is_loaded(app, factory):
    officer = factory.user("officer", "wujin")
    company = factory.company(officer=officer)
    rows_in = [visit_service.FollowUpInput(index=0, description="融资需求", category="funding", due_workdays=5)]
    # Counted from a visit on 28 December 2026: the deadline lands in January 2027, with no notice yet.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(visit_service, "today", lambda: D(2026, 12, 28))
        v = visit_service.log_visit(officer, company.id, {"visited_on": D(2026, 12, 28), "kind": "onsite",
                                                          "summary": "走访"}, rows_in)
    [f] = v.follow_ups
    assert f.due_on == D(2027, 1, 5) and f.due_provisional  # 1 January is a holiday in the fallback
    assert notices.deadline_note(f.due_on, f.due_provisional) == "（2027年调休安排尚未公布，暂按法定节假日计算）"
    notices.load_notice(None, text=NOTICE_2027)
    assert "计算时2027年调休安排尚未公布" in notices.deadline_note(f.due_on, f.due_provisional)
    hint = notices.deadline_hint(D(2027, 2, 4), 1)
    assert hint.due_on == D(2027, 2, 12) and hint.note == ""  # the notice's 春节 week is skipped


def test_windows_are_data_seeded_by_the_migration_and_editable(app, factory):
    # The test database is emptied before each test; the migration's two rows are restored here as data.
    admin = factory.user("admin")
    windows.set_window(admin, 2025, D(2025, 6, 30), D(2025, 9, 30))
    windows.set_window(admin, 2026, D(2026, 6, 1), D(2026, 8, 31), "全国科技型中小企业评价")
    assert [w.year for w in windows.all_windows()] == [2026, 2025]
    w2027 = windows.window_for(2027)
    assert w2027.assumed and w2027.basis_year == 2026 and w2027.closes_on == D(2027, 8, 31)
    windows.set_window(admin, 2026, D(2026, 6, 1), D(2026, 9, 15))
    assert db.session.scalar(select(TechSmeWindow.closes_on).where(TechSmeWindow.year == 2026)) == D(2026, 9, 15)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "tech_sme_window.set")) == 3


@pytest.mark.parametrize("args, field, words", [
    ((2019, D(2019, 6, 1), D(2019, 8, 31)), "year", "年度应在"),
    ((2027, None, D(2027, 8, 31)), "opens_on", "开始日期"),
    ((2027, D(2026, 6, 1), D(2027, 8, 31)), "opens_on", "2027年内"),
    ((2027, D(2027, 9, 1), D(2027, 8, 31)), "closes_on", "不能早于"),
])
def test_bad_windows_are_refused(app, factory, args, field, words):
    with pytest.raises(ServiceError) as err:
        windows.set_window(factory.user("admin"), *args)
    assert err.value.field == field and words in err.value.message
    assert db.session.scalar(select(func.count()).select_from(TechSmeWindow)) == 0


def test_the_sweep_reminds_relative_to_each_years_window(app, factory, published):
    officer = factory.user("officer", "wujin")
    company = factory.company(officer=officer, name="科小甲")
    visit(company, officer, D(2025, 8, 1))
    factory.designation(company, "tech_sme", D(2024, 4, 1))
    windows.set_window(None, 2025, D(2025, 6, 30), D(2025, 9, 30))
    sweep.sweep(D(2025, 8, 20))  # 2026's dates (1 August) would remind here; 2025's do not
    assert rows(kind=reminder_rules.TECH_SME_RENEWAL) == []
    sweep.sweep(D(2025, 9, 1))
    [sme] = rows(kind=reminder_rules.TECH_SME_RENEWAL)
    assert sme.period == "2025-08-31" and "2025-09-30 关闭" in sme.body
