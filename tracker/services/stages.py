"""Stage in SQL: the same definition as rules.ladder.stage_as_of, as a correlated subquery.

Used to filter and sort company lists by stage without loading designations row by row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, or_, select

from tracker.models import Company, Designation
from tracker.rules.ladder import RUNG_RANK


def in_force_clause(on: dt.date, model=Designation):
    """Designation rows that count on day `on` (rules.ladder.in_force, as SQL)."""
    return and_(
        model.valid_from <= on,
        or_(model.valid_until.is_(None), model.valid_until >= on),
        or_(model.revoked_on.is_(None), model.revoked_on > on),
    )


def rank_case(model=Designation):
    return case(RUNG_RANK, value=model.kind, else_=0)


def stage_rank_subquery(on: dt.date):
    """Scalar subquery: the company's highest rung rank in force on `on` (0 = prospect)."""
    return (
        select(func.coalesce(func.max(rank_case()), 0))
        .where(Designation.company_id == Company.id, in_force_clause(on))
        .correlate(Company)
        .scalar_subquery()
    )
