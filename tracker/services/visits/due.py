"""Which companies are due a visit (应走访), in SQL over the whole scope at once.

Used by My work, the company list filter, the workload table and the reminder sweep, so all of
them agree. The rule itself is tracker.rules.cadence; here it becomes one query with correlated
subqueries that use the (company_id, visited_on) and (company_id, assigned_until) indexes — no
query per company. A company without an officer is due from the day it became unassigned
(rules.cadence.unassigned_since), never from "today", so it is one item for its district manager.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from tracker import clock
from tracker.extensions import db
from tracker.models import Assignment, Company, User, Visit
from tracker.rules import cadence
from tracker.rules.ladder import RANK_STAGE, STAGE_RANK
from tracker.services.scoping import company_scope_clause
from tracker.services.stages import stage_rank_subquery

_STATE_ORDER = [cadence.OK, cadence.UPCOMING, cadence.DUE, cadence.OVERDUE, cadence.ESCALATED]


@dataclass(frozen=True)
class DueVisit:
    company_id: int
    company_name: str
    district: str
    officer_id: int | None
    stage: str
    last_visited_on: dt.date | None
    next_planned_on: dt.date | None
    due_on: dt.date
    state: str

    @property
    def unassigned(self) -> bool:
        """No officer: the company is its district manager's item (未分配服务专员)."""
        return self.officer_id is None


def last_visit_subquery():
    """Scalar subquery: the company's latest visit date."""
    return select(func.max(Visit.visited_on)).where(Visit.company_id == Company.id, Visit.live()).correlate(Company).scalar_subquery()


def next_planned_subquery():
    """Scalar subquery: the next planned date recorded at the company's latest visit."""
    return (
        select(Visit.next_planned_on).where(Visit.company_id == Company.id, Visit.live())
        .order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(1)
        .correlate(Company).scalar_subquery()
    )


def last_assignment_end_subquery():
    """Scalar subquery: the end of the company's latest closed primary assignment (None if never)."""
    past = aliased(Assignment)
    return (
        select(func.max(past.assigned_until))
        .where(past.company_id == Company.id, past.assigned_until.is_not(None), past.is_primary.is_(True))
        .correlate(Company).scalar_subquery()
    )


def _recorded_by(created_at, day: dt.date):
    """WHERE clause: `created_at` (the company's) is on or before local day `day` (timestamps are UTC)."""
    cutoff = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, clock.TZ)
    return created_at < cutoff.astimezone(dt.timezone.utc)


def due_visits(
    user: User | None,
    today: dt.date,
    policy: cadence.CadencePolicy = cadence.DEFAULT_POLICY,
    *,
    officer_id: int | None = None,
    district: str | None = None,
    min_state: str = cadence.UPCOMING,
    limit: int | None = None,
) -> list[DueVisit]:
    """Companies (visible to `user`; None = the whole city) whose visit state is at least `min_state`."""
    extra = {cadence.UPCOMING: policy.upcoming_days, cadence.DUE: 0, cadence.OVERDUE: -policy.grace_days,
             cadence.ESCALATED: -(policy.grace_days + policy.escalate_after_days)}.get(min_state, policy.upcoming_days)
    horizon = today + dt.timedelta(days=extra)
    cutoffs = cadence.last_visit_cutoffs(today, policy, extra_days=extra)
    rank = stage_rank_subquery(today)
    last = last_visit_subquery()
    planned = next_planned_subquery()
    # Read only for the unassigned: CASE leaves the subquery unevaluated for assigned companies.
    ended = case((Assignment.id.is_(None), last_assignment_end_subquery()), else_=None)

    # An officer's own list starts from their open assignments (indexed), not from every company.
    if user is not None and user.is_officer and officer_id is None:
        officer_id = user.id
    per_company = (
        select(Company.id.label("company_id"), Company.name, Company.district, Company.created_at,
               Assignment.id.label("assignment_id"), Assignment.officer_id, Assignment.assigned_from,
               rank.label("rank"), last.label("last"), planned.label("planned"), ended.label("ended"))
        .select_from(Company)
        .outerjoin(Assignment, and_(Assignment.company_id == Company.id, Assignment.assigned_until.is_(None),
                                    Assignment.is_primary.is_(True)))
        .where(Company.deleted_at.is_(None))
    )
    if user is not None:
        per_company = per_company.where(company_scope_clause(user))
    if officer_id is not None:
        per_company = per_company.where(Assignment.officer_id == officer_id)
    if district is not None:
        per_company = per_company.where(Company.district == district)
    # OFFSET 0 keeps the database from folding this derived table into the WHERE below, where each
    # mention of `planned` or `last` would run its subquery again: each now runs once per company
    # (city-wide, 5 index lookups per company became 3).
    c = per_company.offset(0).subquery("per_company")
    cutoff_by_rank = case({STAGE_RANK[s]: cutoffs[s] for s in cutoffs}, value=c.c.rank, else_=cutoffs["prospect"])
    query = select(c.c.company_id, c.c.name, c.c.district, c.c.officer_id, c.c.assigned_from, c.c.rank,
                   c.c.last, c.c.planned, c.c.ended, c.c.created_at).where(
        or_(
            and_(c.c.planned.is_not(None), c.c.planned <= horizon),
            and_(c.c.planned.is_(None), c.c.last.is_not(None), c.c.last <= cutoff_by_rank),
            and_(c.c.planned.is_(None), c.c.last.is_(None), c.c.assigned_from <= horizon),
            # Unassigned, never visited: due from the day it became unassigned.
            and_(c.c.planned.is_(None), c.c.last.is_(None), c.c.assignment_id.is_(None),
                 or_(c.c.ended <= horizon, and_(c.c.ended.is_(None), _recorded_by(c.c.created_at, horizon)))),
        )
    )
    rows = db.session.execute(query).all()
    result = []
    floor = _STATE_ORDER.index(min_state)
    for company_id, name, district_code, officer, assigned_from, rank_value, last_on, planned_on, ended_on, created in rows:
        stage = RANK_STAGE[int(rank_value or 0)]
        since = assigned_from if officer is not None else cadence.unassigned_since(ended_on, _local_day(created, today))
        due_on = cadence.visit_due_on(stage, last_on, planned_on, since, policy)
        state = cadence.visit_state(due_on, today, policy)
        if _STATE_ORDER.index(state) >= floor:
            result.append(DueVisit(company_id, name, district_code, officer, stage, last_on, planned_on, due_on, state))
    result.sort(key=lambda d: (d.due_on, d.company_id))
    return result[:limit] if limit else result


def _local_day(moment: dt.datetime | None, default: dt.date) -> dt.date:
    """The Asia/Shanghai day of a stored timestamp (SQLite hands it back naive, in UTC)."""
    if moment is None:
        return default
    return clock.local(moment).date()
