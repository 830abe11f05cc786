import datetime as dt

from tracker.rules import cadence as c

D = dt.date


def test_due_date_by_stage_cadence():
    assert c.visit_due_on("hnte", D(2026, 1, 1), None, D(2025, 1, 1)) == D(2026, 4, 1)
    assert c.visit_due_on("unicorn", D(2026, 1, 1), None, D(2025, 1, 1)) == D(2026, 1, 31)
    assert c.visit_due_on("prospect", D(2026, 1, 1), None, D(2025, 1, 1)) == D(2027, 1, 1)


def test_plan_overrides_cadence_and_never_visited_is_due_from_assignment():
    assert c.visit_due_on("hnte", D(2026, 1, 1), D(2026, 2, 1), D(2025, 1, 1)) == D(2026, 2, 1)
    assert c.visit_due_on("hnte", None, None, D(2025, 6, 1)) == D(2025, 6, 1)


def test_states_at_each_boundary():
    due = D(2026, 3, 1)
    assert c.visit_state(due, D(2026, 2, 21)) == "ok"
    assert c.visit_state(due, D(2026, 2, 22)) == "upcoming"
    assert c.visit_state(due, D(2026, 3, 1)) == "due"
    assert c.visit_state(due, D(2026, 3, 14)) == "due"
    assert c.visit_state(due, D(2026, 3, 15)) == "overdue"
    assert c.visit_state(due, D(2026, 4, 13)) == "overdue"
    assert c.visit_state(due, D(2026, 4, 14)) == "escalated"


def test_custom_policy_and_cutoffs():
    policy = c.CadencePolicy(days_by_stage={**c.DEFAULT_CADENCE_DAYS, "hnte": 30}, grace_days=0, escalate_after_days=5)
    assert c.visit_state(D(2026, 1, 1), D(2026, 1, 1), policy) == "overdue"
    assert c.visit_state(D(2026, 1, 1), D(2026, 1, 6), policy) == "escalated"
    cutoffs = c.last_visit_cutoffs(D(2026, 3, 31), policy)
    assert cutoffs["hnte"] == D(2026, 3, 1) and cutoffs["prospect"] == D(2025, 3, 31)


def test_an_unassigned_company_is_due_from_the_day_it_lost_its_officer():
    assert c.unassigned_since(D(2026, 5, 28), D(2024, 1, 1)) == D(2026, 5, 28)
    assert c.unassigned_since(None, D(2026, 5, 30)) == D(2026, 5, 30)
    since = c.unassigned_since(D(2026, 5, 28), D(2024, 1, 1))
    # The same due date whatever day it is seen on: due, overdue, escalated on the usual ladder.
    assert [c.visit_state(c.visit_due_on("prospect", None, None, since), D(2026, 5, 28) + dt.timedelta(days=n))
            for n in (0, 13, 14, 43, 44)] == ["due", "due", "overdue", "overdue", "escalated"]
