"""Visit cadence (走访频次): how often a company should be visited, by its stage.

A company is *due* when its planned date (or last visit + cadence) has come, *overdue* once a
grace period has passed too, and *escalated* to the district manager when overdue long enough.
All numbers are defaults of docs/DOMAIN.md §7 and can be replaced by a CadencePolicy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DEFAULT_CADENCE_DAYS: dict[str, int] = {
    "unicorn": 30,
    "potential_unicorn": 30,
    "gazelle": 60,
    "hnte": 90,
    "tech_sme": 180,
    "prospect": 365,
}

OK, UPCOMING, DUE, OVERDUE, ESCALATED = "ok", "upcoming", "due", "overdue", "escalated"
STATE_NAMES = {OK: "正常", UPCOMING: "即将到期", DUE: "应走访", OVERDUE: "已逾期", ESCALATED: "逾期督办"}


@dataclass(frozen=True)
class CadencePolicy:
    days_by_stage: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CADENCE_DAYS))
    upcoming_days: int = 7  # shown on My work ahead of the due date
    grace_days: int = 14  # due → overdue
    escalate_after_days: int = 30  # overdue → escalated to the district manager

    def cadence(self, stage: str) -> int:
        return self.days_by_stage.get(stage, self.days_by_stage["prospect"])


DEFAULT_POLICY = CadencePolicy()


def visit_due_on(
    stage: str, last_visited_on: dt.date | None, next_planned_on: dt.date | None, since: dt.date,
    policy: CadencePolicy = DEFAULT_POLICY,
) -> dt.date:
    """The date the next visit is due.

    An explicit plan (next planned date of the latest visit) wins: it is how an officer reschedules.
    Otherwise last visit + the stage's cadence; a company never visited is due from `since`
    (its assignment date), so new assignments show up at once.
    """
    if next_planned_on is not None:
        return next_planned_on
    if last_visited_on is None:
        return since
    return last_visited_on + dt.timedelta(days=policy.cadence(stage))


def unassigned_since(last_assignment_end: dt.date | None, recorded_on: dt.date) -> dt.date:
    """The day a company without an officer became unassigned (未分配服务专员): the end of its last
    assignment, else the day it was recorded.

    It is the `since` of `visit_due_on` for such a company: a fixed day, so the company is one
    due item for its district manager (reminded once) that turns overdue and escalated on the
    same ladder as any other, instead of a due date that follows today (docs/DOMAIN.md §7).
    """
    return last_assignment_end or recorded_on


def visit_state(due_on: dt.date, today: dt.date, policy: CadencePolicy = DEFAULT_POLICY) -> str:
    """ok / upcoming / due / overdue / escalated for a due date seen on `today`."""
    late = (today - due_on).days
    if late >= policy.grace_days + policy.escalate_after_days:
        return ESCALATED
    if late >= policy.grace_days:
        return OVERDUE
    if late >= 0:
        return DUE
    if -late <= policy.upcoming_days:
        return UPCOMING
    return OK


def last_visit_cutoffs(today: dt.date, policy: CadencePolicy = DEFAULT_POLICY, *, extra_days: int = 0) -> dict[str, dt.date]:
    """Per stage, the latest last-visit date that makes a company due on `today` (+ extra days).

    SQL compares a company's last visit with the cutoff of its stage, which avoids date arithmetic
    that differs between SQLite and PostgreSQL.
    """
    return {stage: today - dt.timedelta(days=days - extra_days) for stage, days in policy.days_by_stage.items()}
