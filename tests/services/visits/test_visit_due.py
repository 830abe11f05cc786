import datetime as dt

from tracker.extensions import db
from tracker.models import Visit
from tracker.rules import cadence
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
