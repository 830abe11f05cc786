import datetime as dt

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Assignment, AuditEvent, CultivationTrack
from tracker.services.cultivation import tracks
from tracker.services.assignments.assign import BULK_LIMIT, assign_companies, assignable_officers
from tracker.services.errors import Forbidden, ServiceError

D = dt.date


def _open(company_id):
    return db.session.scalars(
        select(Assignment.officer_id).where(Assignment.company_id == company_id, Assignment.assigned_until.is_(None))
    ).all()


def test_reassign_keeps_history_moves_open_tracks_and_audits(app, factory):
    manager = factory.user("manager", "wujin")
    old = factory.user("officer", "wujin", name="旧专员")
    new = factory.user("officer", "wujin", name="新专员")
    a = factory.company("wujin", officer=old)
    b = factory.company("wujin")
    track_id = tracks.add_companies(manager, [a.id], "hnte", 2026).created[0]
    result = assign_companies(manager, [a.id, b.id], new.id, on=D(2026, 11, 24))
    assert sorted(result.assigned) == sorted([a.id, b.id]) and result.skipped == []
    assert _open(a.id) == [new.id] and _open(b.id) == [new.id]
    ended = db.session.scalar(select(Assignment).where(Assignment.company_id == a.id, Assignment.officer_id == old.id))
    assert ended.assigned_until == D(2026, 11, 24)  # history kept, not deleted
    assert db.session.get(CultivationTrack, track_id).owner_id == new.id
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("assignment.%")).order_by(AuditEvent.company_id)).all()
    by_company = {e.company_id: e for e in events}
    assert by_company[a.id].action == "assignment.reassign" and by_company[a.id].before == {"officer_ids": [old.id]}
    assert by_company[b.id].action == "assignment.assign" and by_company[b.id].after["officer_id"] == new.id


def test_skips_with_reasons_and_changes_nothing_for_them(app, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin", name="王专员")
    served = factory.company("wujin", officer=officer)
    foreign = factory.company("liyang", name="溧阳企业")
    admin = factory.user("admin")
    result = assign_companies(manager, [served.id, foreign.id], officer.id)
    reasons = dict(result.skipped)
    assert result.assigned == []
    assert "已由王专员负责" in reasons[served.id] and "无权" in reasons[foreign.id]
    # An administrator sees both districts, but an officer only serves their own district.
    result = assign_companies(admin, [foreign.id], officer.id)
    assert "不能负责溧阳市的企业" in dict(result.skipped)[foreign.id]
    assert _open(foreign.id) == []
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action.like("assignment.%"))) is None


def test_who_may_assign_and_to_whom(app, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    liyang_officer = factory.user("officer", "liyang")
    company = factory.company("wujin")
    with pytest.raises(Forbidden):
        assign_companies(officer, [company.id], officer.id)
    with pytest.raises(ServiceError, match="本辖区"):
        assign_companies(manager, [company.id], liyang_officer.id)
    with pytest.raises(ServiceError, match="有效的服务专员"):
        assign_companies(manager, [company.id], manager.id)
    with pytest.raises(ServiceError, match=str(BULK_LIMIT)):
        assign_companies(manager, list(range(1, BULK_LIMIT + 2)), officer.id)
    officer.active = False
    db.session.commit()
    with pytest.raises(ServiceError, match="有效的服务专员"):
        assign_companies(manager, [company.id], officer.id)
    assert _open(company.id) == []


def test_assignable_officers_by_role(app, factory):
    manager = factory.user("manager", "wujin")
    admin = factory.user("admin")
    mine = factory.user("officer", "wujin")
    other = factory.user("officer", "liyang")
    inactive = factory.user("officer", "wujin")
    inactive.active = False
    db.session.commit()
    assert [o.id for o in assignable_officers(manager)] == [mine.id]
    assert {o.id for o in assignable_officers(admin)} == {mine.id, other.id}
    assert [o.id for o in assignable_officers(admin, "liyang")] == [other.id]
    assert [o.id for o in assignable_officers(mine)] == [mine.id]
