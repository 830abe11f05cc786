"""Follow-up handling: lifecycle, referral, chase/escalate, owners, version conflicts and the scoped list."""

import datetime as dt

import pytest
from sqlalchemy import select

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import AuditEvent, FollowUp
from tracker.rules.workdays import add_workdays
from tracker.services.visits import follow_ups as service
from tracker.services.errors import Conflict, NotFound, ServiceError


def _follow_up(company, owner, due_on=None, status="open", **fields):
    follow_up = FollowUp(company_id=company.id, description=fields.pop("description", "需要政策辅导"), owner_id=owner.id,
                         due_on=due_on if due_on is not None else today() + dt.timedelta(days=10), status=status, **fields)
    db.session.add(follow_up)
    db.session.commit()
    return follow_up


@pytest.fixture
def setup(app, factory):
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer)
    return officer, company


def test_full_lifecycle_with_resolution_and_satisfaction(setup):
    officer, company = setup
    f = _follow_up(company, officer)
    service.move_status(officer, f, "in_progress", version=f.version)
    with pytest.raises(ServiceError) as err:
        service.move_status(officer, f, "resolved", version=f.version, resolution="")
    assert err.value.field == "resolution"
    db.session.rollback()
    service.move_status(officer, f, "resolved", version=f.version, resolution="已协调税务部门上门辅导")
    assert f.resolved_at is not None and f.resolution == "已协调税务部门上门辅导"
    with pytest.raises(ServiceError, match="满意度"):
        service.move_status(officer, f, "closed", version=f.version)
    service.move_status(officer, f, "closed", version=f.version, satisfaction="basically")
    assert f.status == "closed" and f.satisfaction == "basically" and f.closed_at is not None
    with pytest.raises(ServiceError, match="已销号"):
        service.move_status(officer, f, "in_progress", version=f.version)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "follow_up")).all()
    assert actions.count("follow_up.status") == 3
    last = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "follow_up").order_by(AuditEvent.id.desc())).first()
    assert last.before["status"] == "resolved" and last.after["status"] == "closed"


def test_two_people_acting_at_once_get_a_conflict(setup):
    officer, company = setup
    f = _follow_up(company, officer)
    seen = f.version
    service.move_status(officer, f, "in_progress", version=seen)
    with pytest.raises(Conflict):
        service.move_status(officer, f, "resolved", version=seen, resolution="已解决")
    assert f.status == "in_progress"


def test_referral_sets_unit_and_deadline_and_starts_handling(setup):
    officer, company = setup
    f = _follow_up(company, officer)
    service.refer(officer, f, version=f.version, unit="武进区市场监管局", contact="王科长 13800000000", deadline=None,
                  deadline_workdays=5)
    assert f.status == "in_progress" and f.referred_unit == "武进区市场监管局"
    assert f.referred_deadline == add_workdays(today(), 5)
    with pytest.raises(ServiceError) as err:
        service.refer(officer, f, version=f.version, unit="某局", contact=None, deadline=today(), deadline_workdays=2)
    assert err.value.field == "deadline"
    with pytest.raises(ServiceError) as err:
        service.refer(officer, f, version=f.version, unit="", contact=None, deadline=today())
    assert err.value.field == "unit"


def test_chase_then_escalate_for_officers_and_at_once_for_managers(app, factory, setup):
    officer, company = setup
    manager = factory.user("manager", "wujin")
    late = _follow_up(company, officer, due_on=today() - dt.timedelta(days=3))
    fresh = _follow_up(company, officer)
    with pytest.raises(ServiceError, match="尚未逾期"):
        service.chase(officer, fresh, version=fresh.version)
    with pytest.raises(ServiceError, match="请先催办"):
        service.escalate(officer, late, version=late.version)
    service.chase(officer, late, version=late.version)
    assert late.chased_at is not None
    with pytest.raises(ServiceError, match="个工作日仍未办结"):
        service.escalate(officer, late, version=late.version)
    late.chased_at = now() - dt.timedelta(days=10)  # long enough ago, whatever the holidays
    db.session.commit()
    service.escalate(officer, late, version=late.version)
    assert late.escalated_at is not None
    other = _follow_up(company, officer, due_on=today() - dt.timedelta(days=1))
    service.escalate(manager, other, version=other.version)
    assert other.escalated_at is not None
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"follow_up.chase", "follow_up.escalate"} <= actions


def test_reassign_only_to_someone_who_sees_the_company(app, factory, setup):
    officer, company = setup
    manager = factory.user("manager", "wujin")
    foreign_manager = factory.user("manager", "liyang")
    f = _follow_up(company, officer)
    with pytest.raises(ServiceError, match="无权查看该企业"):
        service.reassign(officer, f, foreign_manager.id, version=f.version)
    with pytest.raises(ServiceError, match="有效的承办人"):
        service.reassign(officer, f, 999999, version=f.version)
    service.reassign(officer, f, manager.id, version=f.version)
    assert f.owner_id == manager.id
    names = [u.name for u in service.owner_candidates(company)]
    assert officer.name in names and manager.name in names and foreign_manager.name not in names


def test_scoping_of_single_follow_ups_and_the_list(app, factory, setup):
    officer, company = setup
    liyang_officer = factory.user("officer", "liyang")
    liyang = factory.company("liyang", officer=liyang_officer)
    mine = _follow_up(company, officer, due_on=today() - dt.timedelta(days=1))
    soon = _follow_up(company, officer, due_on=today() + dt.timedelta(days=3))
    later = _follow_up(company, officer, due_on=today() + dt.timedelta(days=30))
    done = _follow_up(company, officer, status="closed")
    foreign = _follow_up(liyang, liyang_officer)
    with pytest.raises(NotFound):
        service.get_follow_up_for(officer, foreign.id)
    assert service.get_follow_up_for(officer, mine.id) is mine

    def ids(**kw):
        page = service.list_follow_ups(officer, service.FollowUpFilters(**kw), today())
        return [r.id for r in page.rows]

    assert ids() == [mine.id, soon.id, later.id]  # active, soonest due first, no foreign row
    assert ids(status="all") == [mine.id, soon.id, done.id, later.id]  # done is due in 10 days
    assert ids(status="closed") == [done.id]
    assert ids(due="overdue") == [mine.id]
    assert ids(due="week") == [mine.id, soon.id]
    assert ids(owner="me") == [mine.id, soon.id, later.id]
    page = service.list_follow_ups(officer, service.FollowUpFilters(), today())
    assert [r.deadline_state for r in page.rows] == ["overdue", "due_soon", "ok"]
    admin_page = service.list_follow_ups(factory.user("admin"), service.FollowUpFilters(), today(), per_page=2)
    assert admin_page.total == 4 and len(admin_page.rows) == 2 and admin_page.pages == 2
