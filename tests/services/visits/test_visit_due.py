import datetime as dt

import pytest
from sqlalchemy import select

from tracker.clock import TZ
from tracker.extensions import db
from tracker.models import Assignment, Notification, Visit
from tracker.rules import cadence
from tracker.rules import reminders as reminder_rules
from tracker.services.notifications import outbox, sweep
from tracker.services.companies.records import soft_delete_company
from tracker.services.visits.due import due_visits

D = dt.date
TODAY = D(2026, 6, 1)


def _visit(company, officer, on, planned=None):
    db.session.add(Visit(company_id=company.id, officer_id=officer.id, visited_on=on, summary="走访", next_planned_on=planned))
    db.session.commit()


def test_due_states_follow_stage_cadence_and_plans(app, factory):
    officer = factory.user("officer", "wujin")
    hnte = factory.company(officer=officer, name="高企")
    factory.designation(hnte, "hnte", D(2025, 1, 1))
    prospect = factory.company(officer=officer, name="培育对象")
    planned = factory.company(officer=officer, name="已计划")
    never = factory.company(officer=officer, name="从未走访")  # assigned 2023-01-01 by the factory
    _visit(hnte, officer, TODAY - dt.timedelta(days=90 + 14))  # due 14 days ago -> overdue
    _visit(prospect, officer, TODAY - dt.timedelta(days=200))  # 365-day cadence -> ok
    _visit(planned, officer, TODAY - dt.timedelta(days=300), planned=TODAY + dt.timedelta(days=3))  # upcoming
    rows = {r.company_name: r for r in due_visits(None, TODAY)}
    assert set(rows) == {"高企", "已计划", "从未走访"}
    assert rows["高企"].state == cadence.OVERDUE and rows["高企"].stage == "hnte"
    assert rows["已计划"].state == cadence.UPCOMING and rows["已计划"].due_on == TODAY + dt.timedelta(days=3)
    assert rows["从未走访"].state == cadence.ESCALATED
    overdue_only = {r.company_name for r in due_visits(None, TODAY, min_state=cadence.OVERDUE)}
    assert overdue_only == {"高企", "从未走访"}


def test_a_new_visit_clears_the_company(app, factory):
    officer = factory.user("officer", "wujin")
    company = factory.company(officer=officer)
    _visit(company, officer, TODAY - dt.timedelta(days=400))
    assert [r.company_id for r in due_visits(None, TODAY)] == [company.id]
    _visit(company, officer, TODAY)
    assert due_visits(None, TODAY) == []


def test_scoped_to_the_user_and_deleted_companies_never_due(app, factory):
    mine = factory.user("officer", "wujin")
    other = factory.user("officer", "liyang")
    a = factory.company("wujin", officer=mine)
    factory.company("liyang", officer=other)
    assert [r.company_id for r in due_visits(mine, TODAY)] == [a.id]
    assert len(due_visits(None, TODAY)) == 2
    soft_delete_company(factory.user("admin"), a)
    assert [r.district for r in due_visits(None, TODAY)] == ["liyang"]


# --------------------------------------------------------------------------- unassigned (未分配服务专员)


@pytest.fixture
def unassigned(app, factory, monkeypatch, tmp_path):
    """Two Wujin companies without an officer: one whose officer left on 28 May, one recorded on
    30 May and never assigned; neither visited."""
    app.config["MAIL_FOLDER"] = str(tmp_path / "mail")
    monkeypatch.setattr(outbox, "publish", lambda ids: True)  # no broker: rows stay in the outbox
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    left = factory.company("wujin", officer=officer, name="专员已调离")
    db.session.execute(Assignment.__table__.update().where(Assignment.company_id == left.id)
                       .values(assigned_until=D(2026, 5, 28)))
    new = factory.company("wujin", name="新录入企业")
    new.created_at = dt.datetime(2026, 5, 30, 9, 0, tzinfo=TZ)
    db.session.commit()
    return {"manager": manager, "left": left, "new": new}


def _visit_rows(company_id=None):
    query = select(Notification).where(Notification.kind.in_(
        (reminder_rules.VISIT_DUE, reminder_rules.VISIT_OVERDUE, reminder_rules.VISIT_ESCALATED)))
    if company_id is not None:
        query = query.where(Notification.company_id == company_id)
    return db.session.scalars(query.order_by(Notification.id)).all()


def test_unassigned_companies_are_due_from_the_day_they_lost_their_officer(app, unassigned):
    rows = {r.company_name: r for r in due_visits(None, TODAY)}
    left, new = rows["专员已调离"], rows["新录入企业"]
    assert (left.officer_id, left.due_on, left.state, left.unassigned) == (None, D(2026, 5, 28), cadence.DUE, True)
    assert (new.due_on, new.state) == (D(2026, 5, 30), cadence.DUE)
    # The same answer on the following days: the due date does not follow today.
    later = {r.company_name: r.due_on for r in due_visits(None, TODAY + dt.timedelta(days=3))}
    assert later == {"专员已调离": D(2026, 5, 28), "新录入企业": D(2026, 5, 30)}
    assert {r.company_name for r in due_visits(None, D(2026, 6, 11), min_state=cadence.OVERDUE)} == {"专员已调离"}


def test_sweeping_five_days_reminds_the_manager_once_per_unassigned_company(app, unassigned):
    """Issue 16 defect 3: one reminder for five daily sweeps, not five."""
    for n in range(5):
        sweep.sweep(TODAY + dt.timedelta(days=n))
    got = [(r.recipient_id, r.company_id, r.kind, r.period) for r in _visit_rows()]
    manager = unassigned["manager"].id
    assert sorted(got) == sorted([
        (manager, unassigned["left"].id, reminder_rules.VISIT_DUE, "2026-05-28"),
        (manager, unassigned["new"].id, reminder_rules.VISIT_DUE, "2026-05-30"),
    ])
    first = _visit_rows(unassigned["left"].id)[0]
    assert first.title == "未分配服务专员：专员已调离" and "请分配服务专员" in first.body


def test_an_unassigned_company_escalates_by_the_same_ladder(app, unassigned):
    since = D(2026, 5, 28)
    for offset in (0, 1, 13, 14, 15, 43, 44, 45, 60):
        sweep.sweep(since + dt.timedelta(days=offset))
    got = [(r.kind, r.period, r.urgent, r.created_at is not None) for r in _visit_rows(unassigned["left"].id)]
    assert got == [
        (reminder_rules.VISIT_DUE, "2026-05-28", False, True),
        (reminder_rules.VISIT_OVERDUE, "2026-05-28", False, True),
        (reminder_rules.VISIT_ESCALATED, "2026-05-28", True, True),
    ]
    assert all(r.recipient_id == unassigned["manager"].id for r in _visit_rows())
    # Assigning an officer ends it: the officer's own ladder starts from the assignment.
    officer = db.session.scalar(select(Assignment.officer_id).where(Assignment.company_id == unassigned["left"].id))
    db.session.add(Assignment(company_id=unassigned["left"].id, officer_id=officer, is_primary=True,
                              assigned_from=D(2026, 8, 1)))
    db.session.commit()
    [row] = [r for r in due_visits(None, D(2026, 8, 2)) if r.company_id == unassigned["left"].id]
    assert (row.officer_id, row.due_on, row.unassigned) == (officer, D(2026, 8, 1), False)
