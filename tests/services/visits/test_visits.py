"""Logging and editing visits with their follow-ups: all or nothing, scoped, audited, locked after the window."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import AuditEvent, FollowUp, Visit
from tracker.rules.workdays import add_workdays
from tracker.services.visits import records as service
from tracker.services.errors import Conflict, Forbidden, NotFound, ServiceError


def _data(**changes):
    data = {"visited_on": today(), "kind": "onsite", "people_met": "张总", "summary": "了解研发投入情况", "next_planned_on": None}
    data.update(changes)
    return data


def _on_the_day(changes):
    """Dates in a parametrize list are given as callables, so they are taken on the day the test runs:
    a run that crosses midnight in Shanghai would otherwise test yesterday's "tomorrow"."""
    return {key: value() if callable(value) else value for key, value in changes.items()}


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_visit_and_its_follow_ups_are_saved_together_and_audited(app, factory):
    officer = factory.user("officer", "wujin")
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin", officer=officer)
    rows = [
        service.FollowUpInput(index=0, description="申请研发费用加计扣除辅导", category="policy", due_workdays=5),
        service.FollowUpInput(index=1, description="需要用地", category="land", owner_id=manager.id,
                              due_on=today() + dt.timedelta(days=30)),
    ]
    visit = service.log_visit(officer, company.id, _data(next_planned_on=today() + dt.timedelta(days=60)), rows)
    assert visit.officer_id == officer.id and visit.company_id == company.id
    saved = db.session.scalars(select(FollowUp).order_by(FollowUp.id)).all()
    assert [f.visit_id for f in saved] == [visit.id, visit.id]
    assert saved[0].owner_id == officer.id and saved[0].status == "open"
    assert saved[0].due_on == add_workdays(today(), 5)
    assert saved[1].owner_id == manager.id
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-3:] == ["visit.create", "follow_up.create", "follow_up.create"]


def test_a_bad_follow_up_saves_nothing(app, factory):
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer)
    rows = [
        service.FollowUpInput(index=0, description="融资需求", category="funding", due_workdays=3),
        service.FollowUpInput(index=1, description="  ", category="other", due_workdays=3),
    ]
    audits_before = _count(AuditEvent)
    with pytest.raises(ServiceError) as err:
        service.log_visit(officer, company.id, _data(), rows)
    assert err.value.field == "follow_ups-1-description" and err.value.message == "请填写诉求内容"
    db.session.rollback()
    assert _count(Visit) == 0 and _count(FollowUp) == 0 and _count(AuditEvent) == audits_before


@pytest.mark.parametrize("changes, field, words", [
    ({"visited_on": None}, "visited_on", "请填写走访日期"),
    ({"visited_on": lambda: today() + dt.timedelta(days=1)}, "visited_on", "不能晚于今天"),
    ({"visited_on": dt.date(2019, 1, 1)}, "visited_on", "不能早于"),
    ({"kind": "fax"}, "kind", "走访方式"),
    ({"summary": "   "}, "summary", "请填写走访情况"),
    ({"next_planned_on": today}, "next_planned_on", "应晚于本次走访日期"),
    ({"next_planned_on": lambda: today() + dt.timedelta(days=900)}, "next_planned_on", "过远"),
])
def test_visit_fields_are_checked(app, factory, changes, field, words):
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer)
    with pytest.raises(ServiceError) as err:
        service.log_visit(officer, company.id, _data(**_on_the_day(changes)))
    assert err.value.field == field and words in err.value.message
    assert _count(Visit) == 0


@pytest.mark.parametrize("row, field, words", [
    ({"category": "nonsense"}, "category", "诉求类别"),
    ({"due_workdays": None}, "due_on", "请填写办理期限"),
    ({"due_on": today, "due_workdays": 2}, "due_on", "其中一项"),
])
def test_follow_up_rows_are_checked_with_their_row_in_the_field(app, factory, row, field, words):
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer)
    values = {"index": 2, "description": "诉求", "category": "other", "due_workdays": 3}
    values.update(_on_the_day(row))
    with pytest.raises(ServiceError) as err:
        service.log_visit(officer, company.id, _data(), [service.FollowUpInput(**values)])
    assert err.value.field == f"follow_ups-2-{field}" and words in err.value.message


def test_the_owner_must_see_the_company(app, factory):
    officer = factory.user("officer", "wujin")
    stranger = factory.user("officer", "wujin", name="另一位专员")  # same district, not assigned
    company = factory.company("wujin", officer=officer)
    row = service.FollowUpInput(index=0, description="诉求", category="other", owner_id=stranger.id, due_workdays=2)
    with pytest.raises(ServiceError) as err:
        service.log_visit(officer, company.id, _data(), [row])
    assert err.value.field == "follow_ups-0-owner_id" and "无权查看该企业" in err.value.message


def test_only_visible_companies_and_managers_may_log_too(app, factory):
    officer = factory.user("officer", "wujin")
    manager = factory.user("manager", "wujin")
    mine = factory.company("wujin", officer=officer)
    unassigned = factory.company("wujin")
    foreign = factory.company("liyang")
    with pytest.raises(NotFound):
        service.log_visit(officer, unassigned.id, _data())
    with pytest.raises(NotFound):
        service.log_visit(manager, foreign.id, _data())
    visit = service.log_visit(manager, mine.id, _data())
    assert visit.officer_id == manager.id


def test_own_visit_editable_within_the_window_then_locked(app, factory):
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer)
    visit = service.log_visit(officer, company.id, _data())
    service.edit_visit(officer, visit, {"summary": "补充：计划明年申报高企"}, version=visit.version, window_days=7)
    assert visit.summary == "补充：计划明年申报高企"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "visit.update")).one()
    assert event.before == {"summary": "了解研发投入情况"} and event.after == {"summary": "补充：计划明年申报高企"}
    visit.created_at = now() - dt.timedelta(days=8)
    db.session.commit()
    with pytest.raises(Forbidden) as err:
        service.edit_visit(officer, visit, {"summary": "再改"}, version=visit.version, window_days=7)
    assert "已超过可修改期限" in err.value.message
    assert service.edit_refusal(officer, visit, window_days=30) is None


def test_managers_and_admins_do_not_edit_an_officers_notes(app, factory):
    officer = factory.user("officer", "wujin")
    manager = factory.user("manager", "wujin")
    admin = factory.user("admin")
    company = factory.company("wujin", officer=officer)
    visit = service.log_visit(officer, company.id, _data())
    for actor in (manager, admin):
        with pytest.raises(Forbidden, match="记录人本人"):
            service.edit_visit(actor, visit, {"summary": "改写"}, version=visit.version, window_days=7)
    db.session.refresh(visit)
    assert visit.summary == "了解研发投入情况"


def test_a_stale_version_is_a_conflict(app, factory):
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer)
    visit = service.log_visit(officer, company.id, _data())
    old = visit.version
    service.edit_visit(officer, visit, {"people_met": "李经理"}, version=old, window_days=7)
    with pytest.raises(Conflict):
        service.edit_visit(officer, visit, {"people_met": "王经理"}, version=old, window_days=7)
    assert visit.people_met == "李经理"


def test_edit_checks_fields_too(app, factory):
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer)
    visit = service.log_visit(officer, company.id, _data())
    with pytest.raises(ServiceError) as err:
        service.edit_visit(officer, visit, {"next_planned_on": visit.visited_on}, version=visit.version, window_days=7)
    assert err.value.field == "next_planned_on"
