"""诉求 as a case: the timeline, notes, referral to a listed department and its reply, the manager's
review before 销号 (per district or city), and the satisfaction call-back after closing."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AuditEvent, FollowUp, FollowUpEvent
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.visits import departments
from tracker.services.visits import follow_ups as service


@pytest.fixture
def case(app, factory):
    admin = factory.user("admin")
    manager = factory.user("manager", "wujin", name="李科长")
    officer = factory.user("officer", "wujin", name="王专员")
    company = factory.company("wujin", officer=officer)
    follow_up = FollowUp(company_id=company.id, description="需要对接高校实验室", owner_id=officer.id,
                         due_on=today() + dt.timedelta(days=10))
    db.session.add(follow_up)
    db.session.commit()
    return admin, manager, officer, follow_up


def _kinds(follow_up):
    return [item.kind for item in service.timeline(follow_up)]


def test_every_step_is_on_the_timeline_with_who_and_when(case):
    admin, manager, officer, f = case
    unit = departments.add_department(admin, "常州大学科技处", "张老师 0519-86330000")
    service.move_status(officer, f, "in_progress", version=f.version, note="已电话联系企业")
    service.add_note(officer, f, "约定下周上门", version=f.version)
    service.refer(officer, f, version=f.version, department_id=unit.id, deadline=None, deadline_workdays=5,
                  note="请协助对接")
    assert f.referred_unit == "常州大学科技处" and f.referred_department_id == unit.id
    assert f.referred_contact == "张老师 0519-86330000"  # the department's contact by default
    service.record_reply(officer, f, replied_on=today(), text="已安排实验室开放日", version=f.version)
    service.move_status(officer, f, "resolved", version=f.version, resolution="企业已与高校签约")
    service.move_status(officer, f, "closed", version=f.version, satisfaction="satisfied")
    service.record_callback(manager, f, called_on=today(), result="basically", note="希望加快进度",
                            version=f.version)
    items = service.timeline(f)
    assert [i.kind for i in items] == ["raised", "status", "note", "refer", "reply", "status", "status", "callback"]
    assert [i.label for i in items][:2] == ["提出诉求", "开始办理"]
    assert items[1].note == "已电话联系企业" and items[1].actor_name == "王专员"
    assert items[3].department == "常州大学科技处" and items[3].on_date == f.referred_deadline
    assert items[4].note == "已安排实验室开放日"
    assert items[-1].result == "basically" and items[-1].actor_name == "李科长"
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("follow_up.%"))) == 7


def test_bad_steps_are_refused_with_a_reason_and_change_nothing(case):
    admin, manager, officer, f = case
    with pytest.raises(ServiceError) as err:
        service.add_note(officer, f, "  ", version=f.version)
    assert err.value.field == "note"
    with pytest.raises(ServiceError, match="尚未交办"):
        service.record_reply(officer, f, replied_on=today(), text="已办", version=f.version)
    retired = departments.add_department(admin, "已撤并的单位")
    departments.update_department(admin, retired.id, name="已撤并的单位", contact=None, active=False)
    with pytest.raises(ServiceError, match="请从列表中选择承办单位"):
        service.refer(officer, f, version=f.version, department_id=retired.id, deadline=today())
    with pytest.raises(ServiceError, match="销号后才能登记满意度回访"):
        service.record_callback(officer, f, called_on=today(), result="satisfied", note=None, version=f.version)
    db.session.expire_all()
    assert f.status == "open" and f.referred_unit is None
    assert db.session.scalar(select(func.count(FollowUpEvent.id))) == 0


def test_callback_date_between_closing_and_today(case):
    _, _, officer, f = case
    service.move_status(officer, f, "resolved", version=f.version, resolution="已解决")
    service.move_status(officer, f, "closed", version=f.version, satisfaction="satisfied")
    with pytest.raises(ServiceError, match="不能晚于今天"):
        service.record_callback(officer, f, called_on=today() + dt.timedelta(days=1), result="satisfied", note=None,
                                version=f.version)
    with pytest.raises(ServiceError, match="不能早于销号日期"):
        service.record_callback(officer, f, called_on=today() - dt.timedelta(days=3), result="satisfied", note=None,
                                version=f.version)
    with pytest.raises(ServiceError, match="回访结果"):
        service.record_callback(officer, f, called_on=today(), result="great", note=None, version=f.version)
    assert service.last_callback(f) is None


def test_review_when_the_district_asks_for_it(case):
    admin, manager, officer, f = case
    assert departments.review_required("wujin") is False
    departments.set_review(manager, "wujin", True)
    assert departments.review_required("wujin") is True and departments.review_required("liyang") is False
    service.move_status(officer, f, "resolved", version=f.version, resolution="已协调解决")
    assert f.status == "reviewing" and f.resolved_at is None
    with pytest.raises(ServiceError, match="等待办结审核"):
        service.move_status(officer, f, "closed", version=f.version, satisfaction="satisfied")
    with pytest.raises(ServiceError, match="只有管理员"):
        service.review(officer, f, approve=True, note=None, version=f.version)
    with pytest.raises(ServiceError) as err:
        service.review(manager, f, approve=False, note="", version=f.version)
    assert err.value.field == "note"
    service.review(manager, f, approve=False, note="请补充企业确认材料", version=f.version)
    assert f.status == "in_progress"
    service.move_status(officer, f, "resolved", version=f.version, resolution="已补充材料")
    service.review(manager, f, approve=True, note=None, version=f.version)
    assert f.status == "resolved" and f.resolved_at is not None
    assert _kinds(f) == ["raised", "review_request", "send_back", "review_request", "approve"]
    # A manager's own 办结 needs no review.
    other = FollowUp(company_id=f.company_id, description="另一诉求", owner_id=manager.id)
    db.session.add(other)
    db.session.commit()
    service.move_status(manager, other, "resolved", version=other.version, resolution="已办")
    assert other.status == "resolved"


def test_review_setting_city_default_district_override_and_who_may_set(case):
    admin, manager, officer, f = case
    departments.set_review(admin, "city", True)
    assert departments.review_required("liyang") is True
    departments.set_review(admin, "liyang", False)
    assert departments.review_required("liyang") is False
    departments.set_review(admin, "liyang", None)
    assert departments.review_required("liyang") is True
    with pytest.raises(Forbidden):
        departments.set_review(manager, "liyang", True)
    with pytest.raises(Forbidden):
        departments.set_review(manager, "city", False)
    with pytest.raises(Forbidden):
        departments.review_settings(officer)
    assert [r.scope for r in departments.review_settings(manager)] == ["city", "wujin"]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "review_setting.update")).all()
    assert len(actions) == 3


def test_departments_only_by_administrators_and_names_unique(case):
    admin, manager, _, _ = case
    with pytest.raises(Forbidden):
        departments.add_department(manager, "武进区市场监管局")
    departments.add_department(admin, "武进区市场监管局")
    with pytest.raises(ServiceError, match="已存在"):
        departments.add_department(admin, " 武进区市场监管局 ")
    with pytest.raises(ServiceError) as err:
        departments.add_department(admin, "")
    assert err.value.field == "name"
    assert [d.name for d in departments.departments()] == ["武进区市场监管局"]
