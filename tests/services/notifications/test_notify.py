"""Immediate notifications from the follow-up and visit use cases, with no request in sight.

The services call the notification service with the acting user, so a view, the CLI and a task
notify the same people: the new owner of a follow-up (unless they handed it to themself), the
district's managers (except the actor) when one is escalated.
"""

from __future__ import annotations

import datetime as dt

from flask import has_request_context
from sqlalchemy import event

from tests.services.notifications.conftest import rows
from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import FollowUp
from tracker.models.notification import PENDING
from tracker.rules import reminders as rules
from tracker.services.notifications import notify
from tracker.services.visits import follow_ups, records


def _data():
    return {"visited_on": today(), "kind": "onsite", "summary": "了解融资需求"}


def _row(owner_id: int | None, description: str = "需要对接银行贷款", **fields) -> records.FollowUpInput:
    return records.FollowUpInput(description=description, category="funding", owner_id=owner_id,
                                 due_on=today() + dt.timedelta(days=20), **fields)


def test_logging_a_visit_without_a_request_notifies_the_owner_after_the_commit(app, factory, published):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    company = factory.company(officer=officer, name="甲公司")
    assert not has_request_context()
    records.log_visit(officer, company.id, _data(), [_row(manager.id), _row(None, "本人承办的诉求", index=1)])
    [follow_up, own] = db.session.query(FollowUp).order_by(FollowUp.id).all()
    [row] = rows()
    assert (row.recipient_id, row.kind, row.status) == (manager.id, rules.FOLLOW_UP_ASSIGNED, PENDING)
    assert (row.subject_key, row.period) == (f"follow_up:{follow_up.id}", f"owner:{manager.id}")
    assert row.title == "新诉求待办理：甲公司" and row.company_id == company.id
    due = (today() + dt.timedelta(days=20)).isoformat()
    assert row.body == f"甲公司的诉求“需要对接银行贷款”已交由您办理，期限 {due}。"
    assert row.link == f"/visits/follow-ups/{follow_up.id}"
    assert own.owner_id == officer.id  # the actor's own follow-up notified nobody
    assert published == [[row.id]]


def test_notifying_many_follow_ups_costs_the_same_queries_as_one(app, factory, published):
    officer = factory.user("officer", "wujin")
    managers = [factory.user("manager", "wujin") for _ in range(3)]
    company = factory.company(officer=officer)
    raised = []
    for manager in managers:
        follow_up = FollowUp(company_id=company.id, description="诉求", owner_id=manager.id, status="open",
                             due_on=today() + dt.timedelta(days=5))
        db.session.add(follow_up)
        raised.append(follow_up)
    db.session.commit()

    def statements(items) -> int:
        for obj in [officer, *items]:
            obj.id  # load what the last commit expired before counting  # noqa: B018
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            notify.follow_ups_assigned(officer, items)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    one = statements(raised[:1])
    assert statements(raised[1:]) == one
    assert {r.recipient_id for r in rows(kind=rules.FOLLOW_UP_ASSIGNED)} == {m.id for m in managers}


def _open_follow_up(company, owner) -> FollowUp:
    follow_up = FollowUp(company_id=company.id, description="用地需求", owner_id=owner.id, status="open",
                         due_on=today() + dt.timedelta(days=5))
    db.session.add(follow_up)
    db.session.commit()
    return follow_up


def test_reassigning_notifies_the_new_owner_unless_it_is_the_actor(app, factory, published):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    company = factory.company(officer=officer)
    follow_up = _open_follow_up(company, officer)
    follow_ups.reassign(officer, follow_up, manager.id, version=follow_up.version)
    assert [(n.recipient_id, n.kind, n.period) for n in rows()] == [(manager.id, rules.FOLLOW_UP_ASSIGNED, f"owner:{manager.id}")]
    follow_ups.reassign(manager, follow_up, officer.id, version=follow_up.version)
    follow_ups.reassign(officer, follow_up, manager.id, version=follow_up.version)  # the same key again: no new row
    assert [(n.recipient_id, n.period) for n in rows()] == [(manager.id, f"owner:{manager.id}"), (officer.id, f"owner:{officer.id}")]
    taken = _open_follow_up(company, officer)
    follow_ups.reassign(manager, taken, manager.id, version=taken.version)  # taken over by the actor: nobody is told
    assert len(rows()) == 2


def test_escalating_notifies_the_district_managers_except_the_actor(app, factory, published):
    officer = factory.user("officer", "wujin")
    first, second = factory.user("manager", "wujin"), factory.user("manager", "wujin")
    factory.user("manager", "liyang")  # another district: not told
    company = factory.company(officer=officer, name="乙公司")
    due = today() - dt.timedelta(days=3)
    late = FollowUp(company_id=company.id, description="融资需求", owner_id=officer.id, status="open", due_on=due,
                    chased_at=now() - dt.timedelta(days=10))
    other = FollowUp(company_id=company.id, description="人才需求", owner_id=officer.id, status="open", due_on=due)
    db.session.add_all([late, other])
    db.session.commit()
    follow_ups.escalate(officer, late, version=late.version)
    got = {(n.recipient_id, n.kind, n.subject_key, n.period, n.urgent) for n in rows()}
    assert got == {(m.id, rules.FOLLOW_UP_ESCALATED, f"follow_up:{late.id}", due.isoformat(), True) for m in (first, second)}
    assert {n.title for n in rows()} == {"诉求逾期督办：乙公司"}
    assert rows()[0].body == f"乙公司的诉求“融资需求”已逾期并提请督办，期限 {due.isoformat()}。"
    follow_ups.escalate(first, other, version=other.version)  # a manager escalates at once
    assert {n.recipient_id for n in rows(subject_key=f"follow_up:{other.id}")} == {second.id}
