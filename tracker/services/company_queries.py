"""Reading companies: the filtered, scoped, paginated list and one company's page.

One query builder serves the list page, its exports and the API, so they always agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from tracker.extensions import db
from tracker.models import Assignment, Company, Designation, User
from tracker.rules import ladder
from tracker.rules.uscc import normalize
from tracker.services.scoping import company_scope_clause, get_company_for
from tracker.services.stages import stage_rank_subquery

SORTS = {
    "name": Company.name,
    "uscc": Company.uscc,
    "district": Company.district,
    "founded_on": Company.founded_on,
    "created": Company.id,
}


@dataclass
class CompanyFilters:
    q: str | None = None
    district: str | None = None
    industry: str | None = None
    stage: str | None = None
    officer_id: int | None = None
    sort: str = "name"
    descending: bool = False
    on: dt.date | None = None
    extra: list = field(default_factory=list)  # further WHERE clauses added by feature modules


def filtered_query(user: User, filters: CompanyFilters, on: dt.date):
    """SELECT Company, stage rank — scoped to `user`, filtered, sorted (not paginated)."""
    rank = stage_rank_subquery(on).label("stage_rank")
    query = select(Company, rank).where(company_scope_clause(user))
    if filters.q:
        text = filters.q.strip()
        code = normalize(text)
        query = query.where(or_(Company.name.contains(text, autoescape=True), Company.uscc.startswith(code, autoescape=True)))
    if filters.district:
        query = query.where(Company.district == filters.district)
    if filters.industry:
        query = query.where(Company.industry == filters.industry)
    if filters.stage in ladder.STAGE_RANK:
        query = query.where(stage_rank_subquery(on) == ladder.STAGE_RANK[filters.stage])
    if filters.officer_id:
        query = query.where(
            select(Assignment.id).where(
                Assignment.company_id == Company.id, Assignment.officer_id == filters.officer_id,
                Assignment.assigned_until.is_(None),
            ).exists()
        )
    for clause in filters.extra:
        query = query.where(clause)
    if filters.sort == "stage":
        order = rank.desc() if filters.descending else rank.asc()
        query = query.order_by(order, Company.id)
    else:
        column = SORTS.get(filters.sort, Company.name)
        query = query.order_by(column.desc() if filters.descending else column.asc(), Company.id)
    return query


@dataclass
class CompanyRow:
    company: Company
    stage: str
    officers: list[str]


@dataclass
class Page:
    rows: list[CompanyRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def officers_by_company(company_ids: list[int]) -> dict[int, list[str]]:
    """Names of current officers for a page of companies, in one query (no query per row)."""
    if not company_ids:
        return {}
    rows = db.session.execute(
        select(Assignment.company_id, User.name)
        .join(User, User.id == Assignment.officer_id)
        .where(Assignment.company_id.in_(company_ids), Assignment.assigned_until.is_(None))
        .order_by(Assignment.is_primary.desc(), User.name)
    ).all()
    result: dict[int, list[str]] = {}
    for company_id, name in rows:
        result.setdefault(company_id, []).append(name)
    return result


def list_companies(user: User, filters: CompanyFilters, on: dt.date, page: int, per_page: int) -> Page:
    """One page of the company list and the total count."""
    query = filtered_query(user, filters, on)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = max(1, page)
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    officers = officers_by_company([c.id for c, _ in rows])
    return Page(
        rows=[CompanyRow(c, ladder.RANK_STAGE[int(r or 0)], officers.get(c.id, [])) for c, r in rows],
        total=total, page=page, per_page=per_page,
    )


@dataclass
class CompanyProfile:
    company: Company
    stage: str
    rungs_held: set[str]
    designations: list[Designation]
    timeline: list[ladder.StageChange]
    assignments: list[Assignment]


def company_profile(user: User, company_id: int, on: dt.date) -> CompanyProfile:
    """Everything the company page shows, derived from the designation history."""
    company = get_company_for(user, company_id, db.session)
    designations = list(
        db.session.scalars(select(Designation).where(Designation.company_id == company.id).order_by(Designation.valid_from, Designation.id))
    )
    assignments = list(
        db.session.scalars(
            select(Assignment).where(Assignment.company_id == company.id)
            .order_by(Assignment.assigned_until.is_not(None), Assignment.assigned_from.desc())
        )
    )
    return CompanyProfile(
        company=company,
        stage=ladder.stage_as_of(designations, on),
        rungs_held=ladder.rungs_held(designations, on),
        designations=designations,
        timeline=ladder.stage_timeline(designations),
        assignments=assignments,
    )
