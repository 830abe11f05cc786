import datetime as dt
from collections import Counter

from sqlalchemy import event

from tracker.extensions import db
from tracker.models import FollowUp, Visit
from tracker.rules import cadence
from tracker.services.visits.due import due_visits
from tracker.services.assignments.workload import officer_workload, overdue_visits_by_officer, quarter_start

TODAY = dt.date(2026, 11, 24)


def _visit(company, officer, on):
    db.session.add(Visit(company_id=company.id, officer_id=officer.id, visited_on=on, summary="走访"))


def _follow_up(company, officer, status, due):
    db.session.add(FollowUp(company_id=company.id, owner_id=officer.id, description="诉求", status=status, due_on=due))


def test_quarter_start():
    assert quarter_start(dt.date(2026, 11, 24)) == dt.date(2026, 10, 1)
    assert quarter_start(dt.date(2026, 3, 31)) == dt.date(2026, 1, 1)
    assert quarter_start(dt.date(2026, 4, 1)) == dt.date(2026, 4, 1)


def test_workload_counts_per_officer(app, factory):
    manager = factory.user("manager", "wujin")
    busy = factory.user("officer", "wujin", name="甲专员")
    idle = factory.user("officer", "wujin", name="乙专员")
    factory.user("officer", "liyang", name="溧阳专员")
    c1 = factory.company("wujin", officer=busy)
    c2 = factory.company("wujin", officer=busy)
    c3 = factory.company("wujin", officer=busy)
    factory.company("wujin")  # nobody serves it
    _visit(c1, busy, dt.date(2026, 10, 15))  # this quarter
    _visit(c1, busy, dt.date(2026, 11, 20))
    _visit(c2, busy, dt.date(2026, 9, 30))  # last quarter
    # c2 (prospect, 365 days) was visited recently enough; c3 was never visited and is assigned since
    # 2023: overdue. c1 is fine.
    _follow_up(c1, busy, "open", dt.date(2026, 11, 1))  # overdue
    _follow_up(c1, busy, "in_progress", dt.date(2026, 12, 31))
    _follow_up(c2, busy, "resolved", dt.date(2026, 1, 1))  # done: not counted
    db.session.commit()
    workload = officer_workload(manager, TODAY)
    rows = {r.name: r for r in workload.rows}
    assert set(rows) == {"甲专员", "乙专员"}
    a = rows["甲专员"]
    assert (a.companies, a.visits_quarter, a.overdue_visits, a.open_follow_ups, a.overdue_follow_ups) == (3, 2, 1, 2, 1)
    b = rows["乙专员"]
    assert (b.companies, b.visits_quarter, b.overdue_visits, b.open_follow_ups) == (0, 0, 0, 0)
    assert workload.unassigned == 1
    assert workload.total("companies") == 3
    ordered = officer_workload(manager, TODAY, sort="companies", descending=True)
    assert ordered.rows[0].name == "甲专员"


def test_workload_is_scoped_and_uses_a_fixed_number_of_queries(app, factory):
    admin = factory.user("admin")
    manager = factory.user("manager", "liyang")
    for n in range(6):
        officer = factory.user("officer", "wujin")
        company = factory.company("wujin", officer=officer)
        _visit(company, officer, dt.date(2026, 11, 1))
    db.session.commit()
    assert officer_workload(manager, TODAY).rows == []
    admin.role  # load before counting
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        rows = officer_workload(admin, TODAY).rows
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(rows) == 6 and all(r.visits_quarter == 1 for r in rows)
    # officers, 4 GROUP BYs, unassigned count, the day the current-stage table holds (the overdue
    # cadence depends on the stage) (+ SET LOCAL jit on PostgreSQL): the same for 6 officers or 600.
    assert len(statements) <= 8
    assert [r.name for r in officer_workload(admin, TODAY, district="liyang").rows] == []


def test_overdue_counts_agree_with_due_visits(app, factory):
    manager = factory.user("manager", "wujin")
    officers = [factory.user("officer", "wujin") for _ in range(3)]
    cases = [  # (days since last visit or None, next planned offset or None, HNTE holder)
        (None, None, False), (400, None, False), (100, None, False), (100, None, True), (80, None, True),
        (10, -20, False), (10, -5, False), (10, 30, False), (200, None, True), (5, None, False),
    ]
    for i, (last, planned, hnte) in enumerate(cases):
        company = factory.company("wujin", officer=officers[i % 3])
        if hnte:
            factory.designation(company, "hnte", TODAY - dt.timedelta(days=400))
        if last is not None:
            db.session.add(Visit(company_id=company.id, officer_id=officers[i % 3].id, summary="走访",
                                 visited_on=TODAY - dt.timedelta(days=last),
                                 next_planned_on=TODAY + dt.timedelta(days=planned) if planned is not None else None))
    db.session.commit()
    expected = Counter(d.officer_id for d in due_visits(manager, TODAY, min_state=cadence.OVERDUE))
    assert sum(expected.values()) >= 4  # the cases really include overdue companies
    assert overdue_visits_by_officer(manager, TODAY) == dict(expected)
