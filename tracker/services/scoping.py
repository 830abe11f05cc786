"""Who may see what: the one place that turns (user, query) into what that user may see.

officer: companies with an open assignment to them; manager: companies of their district;
admin: everything. Every list, page, export, API and digest goes through these functions.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import aliased

from tracker.extensions import db
from tracker.models import Assignment, AttractionProject, Company, User
from tracker.services.errors import NotFound


def officer_assignment_exists(officer_id: int):
    """EXISTS clause: the company has an open assignment to this officer.

    An alias, correlated to Company only, so the clause also works in queries that join
    Assignment themselves.
    """
    own = aliased(Assignment)
    return (
        select(own.id)
        .where(own.company_id == Company.id, own.officer_id == officer_id, own.assigned_until.is_(None))
        .correlate(Company)
        .exists()
    )


def company_scope_clause(user: User):
    """The WHERE clause limiting Company rows to what `user` may see (live companies only)."""
    live = Company.deleted_at.is_(None)
    if user.is_admin:
        return live
    if user.is_manager:
        return and_(live, Company.district == user.district)
    if user.is_officer:
        return and_(live, officer_assignment_exists(user.id))
    return and_(live, Company.id.is_(None))  # unknown role: nothing


def scope_companies(user: User, query: Select | None = None) -> Select:
    """Limit a SELECT that involves Company to the companies `user` may see."""
    query = query if query is not None else select(Company)
    return query.where(company_scope_clause(user))


def district_scope_clause(user: User, district_column):
    """For records that carry a district of their own (registries): managers and officers see theirs."""
    if user.is_admin:
        return district_column.is_not(None) | district_column.is_(None)
    return district_column == user.district


def project_scope_clause(user: User | None, model=AttractionProject):
    """WHERE clause on attraction projects (招引项目): live ones; an officer sees the projects they
    lead, a manager their district's, an administrator (and the system, `user` None) all.
    `model` may be an alias of AttractionProject."""
    live = model.deleted_at.is_(None)
    if user is None or user.is_admin:
        return live
    if user.is_manager:
        return and_(live, model.district == user.district)
    if user.is_officer:
        return and_(live, model.lead_officer_id == user.id)
    return and_(live, model.id.is_(None))  # unknown role: nothing


def visible_districts(user: User, all_codes: tuple[str, ...]) -> tuple[str, ...]:
    """District codes whose figures `user` may see."""
    if user.is_admin:
        return all_codes
    return tuple(c for c in all_codes if c == user.district)


def get_company_for(user: User, company_id: int, session) -> Company:
    """The company if `user` may see it; otherwise NotFound (never reveal that it exists)."""
    company = session.scalar(scope_companies(user).where(Company.id == company_id))
    if company is None:
        raise NotFound("企业不存在或您无权查看")
    return company


def get_company_record_for(user: User, model, record_id: int, missing: str):
    """A record that belongs to a company (visit, follow-up, track ...) if `user` may see that
    company; otherwise NotFound(missing), never revealing that the record exists."""
    record = db.session.scalar(
        select(model).join(Company, Company.id == model.company_id)
        .where(model.id == record_id, company_scope_clause(user))
    )
    if record is None:
        raise NotFound(missing)
    return record
