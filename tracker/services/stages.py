"""Stage in SQL: the same definition as rules.ladder.stage_as_of, as a correlated subquery.

Used to filter and sort company lists by stage without loading designations row by row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from tracker.extensions import db

from tracker.models import Company, Designation
from tracker.rules.ladder import RUNG_RANK, STAGE_RANK


def counted_clause(on: dt.date, model=Designation):
    """Designation rows granted and started by `on`: both the grant date and valid_from on or before
    it (rules.ladder.counts_from, as SQL: the one date rule for the stage and every indicator)."""
    return and_(model.granted_on <= on, model.valid_from <= on)


def counts_from_column(model=Designation):
    """The first day a designation row counts, as a SQL expression: the later of its grant date and
    its valid_from (rules.ladder.counts_from). For grouping by that day (by month, by year)."""
    return case((model.granted_on > model.valid_from, model.granted_on), else_=model.valid_from)


def not_revoked_clause(on: dt.date, model=Designation):
    """Designation rows not revoked by `on` (a revocation takes effect on its day)."""
    return or_(model.revoked_on.is_(None), model.revoked_on > on)


def in_force_clause(on: dt.date, model=Designation):
    """Designation rows that count on day `on` (rules.ladder.in_force, as SQL)."""
    return and_(
        counted_clause(on, model),
        or_(model.valid_until.is_(None), model.valid_until >= on),
        not_revoked_clause(on, model),
    )


def rank_case(model=Designation):
    """The rank of a designation row's rung (1 = tech SME … 5 = unicorn), as SQL."""
    return case(RUNG_RANK, value=model.rung, else_=0)


def stage_rank_subquery(on: dt.date):
    """Scalar subquery: the company's highest rung rank in force on `on` (0 = prospect)."""
    return (
        select(func.coalesce(func.max(rank_case()), 0))
        .where(Designation.company_id == Company.id, in_force_clause(on))
        .correlate(Company)
        .scalar_subquery()
    )


def stage_clause(stage: str, on: dt.date):
    """WHERE clause: the company's stage on `on` is `stage`.

    Written as IN / NOT EXISTS over designations rather than comparing the per-row subquery, so
    PostgreSQL can use semi- and anti-joins: filtering 100,000 companies by stage stays fast.
    """
    target = STAGE_RANK[stage]
    higher = [rung for rung, rank in RUNG_RANK.items() if rank > target]
    held = aliased(Designation)
    above = aliased(Designation)
    not_above = ~(
        select(above.id)
        .where(above.company_id == Company.id, above.rung.in_(higher), in_force_clause(on, above))
        .correlate(Company)
        .exists()
    )
    if target == 0:
        return not_above
    holds = Company.id.in_(select(held.company_id).where(held.rung == stage, in_force_clause(on, held)))
    return and_(holds, not_above) if higher else holds


def stage_rank_counts(scope_clause, on: dt.date) -> dict[int, int]:
    """Companies matching `scope_clause` counted by stage rank on `on` (rank 0 = prospect).

    Aggregates the designations in force once (GROUP BY company) instead of a subquery per company.
    """
    ranks = (
        select(Designation.company_id.label("company_id"), func.max(rank_case()).label("rank"))
        .where(in_force_clause(on))
        .group_by(Designation.company_id)
        .subquery()
    )
    rows = db.session.execute(
        select(ranks.c.rank, func.count())
        .select_from(Company)
        .outerjoin(ranks, ranks.c.company_id == Company.id)
        .where(scope_clause)
        .group_by(ranks.c.rank)
    ).all()
    counts: dict[int, int] = {}
    for rank, count in rows:  # NULL rank: no designation in force, a prospect
        counts[int(rank or 0)] = counts.get(int(rank or 0), 0) + count
    return counts
