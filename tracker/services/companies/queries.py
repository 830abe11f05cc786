"""Reading companies: the filtered, scoped, paginated list and one company's page.

One query builder (`filtered_query`) serves the list page, its export (companies/export.py),
bulk actions and the API, so they always agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from tracker.extensions import db
from tracker.models import Assignment, Company, Designation, FollowUp, User, Visit
from tracker.rules import follow_ups as follow_up_rules
from tracker.rules import ladder
from tracker.rules.uscc import normalize
from tracker.services.pagination import Page
from tracker.services.scoping import company_scope_clause, get_company_for
from tracker.services.support import queries as support_queries
from tracker.services.stages import in_force_clause, stage_clause, stage_rank_subquery, stage_table_holds

SORTS = {
    "name": Company.name,
    "uscc": Company.uscc,
    "district": Company.district,
    "founded_on": Company.founded_on,
    "industry": Company.industry,
    "created": Company.id,
}
OPEN_FOLLOW_UP_STATUSES = tuple(sorted(follow_up_rules.ACTIVE_STATUSES))  # 待审核 is still open


@dataclass
class CompanyFilters:
    q: str | None = None
    district: str | None = None
    industry: str | None = None
    stage: str | None = None
    officer_id: int | None = None
    idle_days: int | None = None  # not visited for this many days (or never)
    expiring_days: int | None = None  # an HNTE certificate in force expires within this many days
    open_follow_ups: bool = False  # has follow-ups (诉求) not yet resolved
    support: str | None = None  # has support records of a kind (tracker/rules/support.py FILTER_NAMES)
    sort: str = "name"
    descending: bool = False
    on: dt.date | None = None
    extra: list = field(default_factory=list)  # further WHERE clauses added by feature modules


def filtered_query(user: User, filters: CompanyFilters, on: dt.date, *, use_table: bool | None = None):
    """SELECT Company, stage rank — scoped to `user`, filtered, sorted (not paginated).

    The stage comes from the current-stage table when it holds `on` (tracker.services.stages);
    `use_table` passes on that answer when the caller already has it.
    """
    if use_table is None:
        use_table = stage_table_holds(on)
    rank = stage_rank_subquery(on, use_table=use_table).label("stage_rank")
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
        query = query.where(stage_clause(filters.stage, on, use_table=use_table))
    if filters.officer_id:
        query = query.where(
            select(Assignment.id).where(
                Assignment.company_id == Company.id, Assignment.officer_id == filters.officer_id,
                Assignment.assigned_until.is_(None),
            ).exists()
        )
    if filters.idle_days is not None:
        since = on - dt.timedelta(days=filters.idle_days)
        # NOT EXISTS over the (company_id, visited_on) index: no aggregate over all visits.
        query = query.where(~select(Visit.id).where(Visit.company_id == Company.id, Visit.visited_on > since, Visit.live()).exists())
    if filters.expiring_days is not None:
        query = query.where(select(Designation.id).where(
            Designation.company_id == Company.id, Designation.rung == "hnte", in_force_clause(on),
            Designation.valid_until.is_not(None), Designation.valid_until <= on + dt.timedelta(days=filters.expiring_days),
        ).exists())
    if filters.open_follow_ups:
        query = query.where(select(FollowUp.id).where(
            FollowUp.company_id == Company.id, FollowUp.status.in_(OPEN_FOLLOW_UP_STATUSES),
        ).exists())
    if filters.support and (clause := support_queries.company_filter_clause(filters.support)) is not None:
        query = query.where(clause)
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
    last_visited_on: dt.date | None = None




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


def last_visits_by_company(company_ids: list[int]) -> dict[int, dt.date]:
    """The latest visit date of each company of a page, in one grouped query."""
    if not company_ids:
        return {}
    return dict(db.session.execute(
        select(Visit.company_id, func.max(Visit.visited_on))
        .where(Visit.company_id.in_(company_ids), Visit.live()).group_by(Visit.company_id)
    ).all())


def count_companies(user: User, filters: CompanyFilters, on: dt.date) -> int:
    """How many companies the filtered, scoped list holds."""
    query = filtered_query(user, filters, on)
    # Counting needs neither the stage column nor the order: count ids under the same WHERE.
    ids = query.with_only_columns(Company.id).order_by(None)
    return db.session.scalar(select(func.count()).select_from(ids.subquery()))


def list_companies(user: User, filters: CompanyFilters, on: dt.date, page: int, per_page: int) -> Page:
    """One page of the company list and the total count."""
    query = filtered_query(user, filters, on)
    total = count_companies(user, filters, on)
    page = max(1, page)
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    ids = [c.id for c, _ in rows]
    officers = officers_by_company(ids)
    visits = last_visits_by_company(ids)
    return Page(
        rows=[CompanyRow(c, ladder.RANK_STAGE[int(r or 0)], officers.get(c.id, []), visits.get(c.id)) for c, r in rows],
        total=total, page=page, per_page=per_page,
    )


def selected_company_ids(user: User, filters: CompanyFilters, on: dt.date, ids: list[int], *,
                         all_matching: bool = False, limit: int | None = None) -> list[int]:
    """The companies a bulk action applies to: the ticked ones that the filtered list holds, or all of it.

    Going through filtered_query means a bulk action can never reach a company the list (and
    so the export) would not show.
    """
    query = filtered_query(user, filters, on).with_only_columns(Company.id)
    if not all_matching:
        if not ids:
            return []
        query = query.where(Company.id.in_(ids))
    if limit is not None:
        query = query.limit(limit + 1)  # one more, so the caller can tell "too many"
    return list(db.session.scalars(query))


def deleted_companies(limit: int = 200) -> list[Company]:
    """Soft-deleted companies, most recently deleted first (the administrators' restore list)."""
    return list(db.session.scalars(
        select(Company).where(Company.deleted_at.is_not(None)).order_by(Company.deleted_at.desc()).limit(limit)
    ))


@dataclass
class CompanyProfile:
    company: Company
    stage: str
    rungs_held: set[str]
    designations: list[Designation]
    timeline: ladder.Timeline
    assignments: list[Assignment]


def company_profile(user: User, company_id: int, on: dt.date) -> CompanyProfile:
    """Everything the company page shows, derived from the designation history."""
    company = get_company_for(user, company_id, db.session)
    designations = list(
        db.session.scalars(
            select(Designation).where(Designation.company_id == company.id).order_by(Designation.valid_from, Designation.id)
        )
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
