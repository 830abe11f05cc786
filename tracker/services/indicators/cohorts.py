"""Cohorts (梯次转化分析): of the companies that entered a rung in one year, how many climbed higher."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, exists, func, or_, select

from tracker.extensions import db
from tracker.models import Company, Designation, User
from tracker.rules import indicators as rules
from tracker.rules.ladder import RUNG_RANK, RUNGS
from tracker.services.errors import NotFound
from tracker.services.indicators.scope import scope_for
from tracker.services.stages import counted_clause, counts_from_column, not_revoked_clause


@dataclass
class CohortRow:
    """One district's entrants and how many of them reached each higher rung."""

    district: str | None  # None = the scope's total
    entered: int
    reached: dict[str, int]


@dataclass
class Cohort:
    """The conversion table of one cohort: a row per district, the scope's total last."""

    rung: str
    entry_year: int
    by_year: int
    higher_rungs: tuple[str, ...]
    rows: list[CohortRow]

    @property
    def total(self) -> CohortRow:
        """The scope's total row (always last)."""
        return self.rows[-1]


def _not_revoked_at_grant():
    # A designation revoked on its first day never really held: it does not make an entry.
    return or_(Designation.revoked_on.is_(None), Designation.revoked_on > counts_from_column())


def cohort(rung: str, entry_year: int, by_year: int, user: User | None = None) -> Cohort:
    """Of the companies that entered `rung` in `entry_year` (first recognised at it that year), how
    many reached each higher rung (granted by 31 Dec of `by_year`, not revoked by then), per district."""
    if rung not in RUNG_RANK:
        raise NotFound(f"未知资质类型：{rung}")
    scope = scope_for(user)
    higher = tuple(r.code for r in RUNGS if r.rank > RUNG_RANK[rung])
    cutoff = rules.year_end(by_year)
    entry = (
        select(Designation.company_id, func.min(counts_from_column()).label("entered_on"))
        .where(Designation.rung == rung, _not_revoked_at_grant())
        .group_by(Designation.company_id)
        .subquery()
    )

    def reached(higher_rung: str):
        d = Designation.__table__.alias(f"reached_{higher_rung}")
        return case((
            exists().where(
                d.c.company_id == Company.id, d.c.rung == higher_rung,
                counted_clause(cutoff, d.c), not_revoked_clause(cutoff, d.c),
            ), 1,
        ), else_=0)

    columns = [func.sum(reached(r)).label(r) for r in higher]
    rows = db.session.execute(
        select(Company.district, func.count(Company.id).label("entered"), *columns)
        .join(entry, entry.c.company_id == Company.id)
        .where(
            scope.company_clause(), entry.c.entered_on >= dt.date(entry_year, 1, 1),
            entry.c.entered_on <= rules.year_end(entry_year),
        )
        .group_by(Company.district)
    ).all()
    found = {row.district: row for row in rows}
    result = []
    for code in scope.shown_districts:
        row = found.get(code)
        result.append(CohortRow(
            code, int(row.entered) if row else 0,
            {r: int(getattr(row, r) or 0) if row else 0 for r in higher},
        ))
    total = CohortRow(
        None, sum(int(r.entered) for r in rows),
        {h: sum(int(getattr(r, h) or 0) for r in rows) for h in higher},
    )
    return Cohort(rung, entry_year, by_year, higher, result + [total])
