"""The yearly list of key companies (重点陪伴企业, plan §7; docs/DOMAIN.md §9) and the managers'
quarter review: which key companies have had no diagnosis (把脉) this quarter.

Who: district managers keep their district's list, administrators every district's; officers
see the key companies assigned to them (read only). Each entry names a responsible person
(陪伴责任人: an active officer or manager who can see the company) and optionally the bureau
leader it is tied to (挂钩领导). A company is on a year's list at most once; removing it is a
soft delete (its diagnoses stay in the history). Every change writes one audit row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import AccompanimentRecord, Assignment, Company, Designation, KeyCompany, User
from tracker.rules import accompaniment as rules
from tracker.services import audit
from tracker.services.errors import Conflict, Forbidden, NotFound, ServiceError
from tracker.services.pagination import Page
from tracker.services.scoping import company_scope_clause, get_company_for
from tracker.services.stages import in_force_clause, stage_rank_subquery
from tracker.services.unit_of_work import DEFAULT_CONFLICT, use_case

FIELDS = ("company_id", "year", "responsible_id", "leader", "reason")
MISSING = "重点陪伴企业不存在或您无权查看"
CONFLICT_MESSAGE = DEFAULT_CONFLICT  # the app-wide wording (tracker.services.unit_of_work)
_MAX_ID = 2**63
_MAX_PAGE = 100_000


def may_manage(actor: User, company: Company | None = None) -> bool:
    """Administrators manage every list; a district manager their district's."""
    if actor.is_admin:
        return True
    return actor.is_manager and (company is None or company.district == actor.district)


def check_may_manage(actor: User, company: Company | None = None) -> None:
    if not may_manage(actor, company):
        raise Forbidden("只有辖区管理员和市级管理员可以维护重点陪伴企业名单")


def get_key_company_for(user: User, key_id: int) -> KeyCompany:
    """A live list entry whose company `user` may see; otherwise NotFound."""
    if not 0 < key_id < _MAX_ID:
        raise NotFound(MISSING)
    entry = db.session.scalar(
        select(KeyCompany).join(Company, Company.id == KeyCompany.company_id)
        .where(KeyCompany.id == key_id, KeyCompany.deleted_at.is_(None), company_scope_clause(user))
    )
    if entry is None:
        raise NotFound(MISSING)
    return entry


def entry_for(user: User, company_id: int, year: int) -> KeyCompany | None:
    """The company's live entry on the year's list (the caller may see the company), if any."""
    return db.session.scalar(
        select(KeyCompany).join(Company, Company.id == KeyCompany.company_id)
        .where(KeyCompany.company_id == company_id, KeyCompany.year == year, KeyCompany.deleted_at.is_(None),
               company_scope_clause(user))
    )


def responsible_candidates(company: Company) -> list[User]:
    """Who may be responsible: the company's current officers, then its district's managers."""
    assigned = (
        select(Assignment.id)
        .where(Assignment.company_id == company.id, Assignment.officer_id == User.id, Assignment.assigned_until.is_(None))
        .exists()
    )
    return list(db.session.scalars(
        select(User).where(
            User.active.is_(True),
            or_(and_(User.role == "officer", assigned), and_(User.role == "manager", User.district == company.district)),
        ).order_by(User.role.desc(), User.name)
    ))


def _check_responsible(responsible_id: int | None, company: Company) -> User:
    person = db.session.get(User, responsible_id) if responsible_id else None
    if person is None or not person.active:
        raise ServiceError("请选择陪伴责任人", field="responsible_id")
    visible = db.session.scalar(select(Company.id).where(Company.id == company.id, company_scope_clause(person)))
    if visible is None:
        raise ServiceError(f"{person.name} 无权查看该企业，不能作为陪伴责任人", field="responsible_id")
    return person


def _clean(data: dict) -> dict:
    try:
        return {
            "leader": rules.clean_text(data.get("leader"), "leader", "挂钩领导"),
            "reason": rules.clean_text(data.get("reason"), "reason", "列入理由"),
        }
    except rules.AccompanimentRefused as exc:
        raise ServiceError(exc.message, field=exc.field) from exc


@use_case
def add_key_company(actor: User, company_id: int, year: int, data: dict) -> KeyCompany:
    """Put a company on the year's key-company list with its responsible person."""
    company = get_company_for(actor, company_id, db.session)
    check_may_manage(actor, company)
    problem = rules.list_year_error(year, today())
    if problem:
        raise ServiceError(problem, field="year")
    values = _clean(data)
    person = _check_responsible(data.get("responsible_id"), company)
    existing = db.session.scalar(select(KeyCompany.id).where(
        KeyCompany.company_id == company.id, KeyCompany.year == year, KeyCompany.deleted_at.is_(None)))
    if existing is not None:
        raise ServiceError(f"{company.name} 已在 {year} 年重点陪伴企业名单中", field="company_id")
    entry = KeyCompany(company_id=company.id, year=year, responsible_id=person.id, added_by_id=actor.id, **values)
    db.session.add(entry)
    audit.record(actor.id, "key_company.create", entry, after=audit.snapshot(entry, FIELDS))
    return entry


@use_case(conflict=CONFLICT_MESSAGE)
def update_key_company(actor: User, entry: KeyCompany, data: dict, *, version: int | None) -> KeyCompany:
    """Change the responsible person, leader or reason (company and year stay)."""
    check_may_manage(actor, entry.company)
    if version is not None and entry.version != version:
        raise Conflict(CONFLICT_MESSAGE)
    values = _clean(data)
    person = _check_responsible(data.get("responsible_id"), entry.company)
    before = audit.snapshot(entry, FIELDS)
    entry.responsible_id = person.id
    entry.leader, entry.reason = values["leader"], values["reason"]
    after = audit.snapshot(entry, FIELDS)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        audit.record(actor.id, "key_company.update", entry, before={k: before[k] for k in changed},
                     after={k: after[k] for k in changed})
    return entry


@use_case(conflict=CONFLICT_MESSAGE)
def remove_key_company(actor: User, entry: KeyCompany, *, version: int | None = None) -> None:
    """Take a company off the year's list (soft delete; its diagnoses stay in the history)."""
    check_may_manage(actor, entry.company)
    if version is not None and entry.version != version:
        raise Conflict(CONFLICT_MESSAGE)
    entry.deleted_at = now()
    audit.record(actor.id, "key_company.delete", entry, before=audit.snapshot(entry, FIELDS))


# --- the list and the quarter review ------------------------------------------------------------

@dataclass
class KeyListFilters:
    """year (required), district (administrators), name or code, and only those without a
    diagnosis in the quarter holding `on` (本季度未把脉)."""

    year: int
    district: str | None = None
    q: str | None = None
    missing_quarter: bool = False


@dataclass
class KeyRow:
    entry: KeyCompany
    company: Company
    responsible: str
    stage_rank: int
    records_this_year: int
    last_held_on: dt.date | None
    in_quarter: bool


def _quarter_exists(start: dt.date, end: dt.date):
    return (
        select(AccompanimentRecord.id)
        .where(AccompanimentRecord.key_company_id == KeyCompany.id, AccompanimentRecord.deleted_at.is_(None),
               AccompanimentRecord.held_on.between(start, end))
        .correlate(KeyCompany).exists()
    )


def _query(user: User, filters: KeyListFilters, on: dt.date):
    query = (
        select(KeyCompany, Company, stage_rank_subquery(on).label("stage_rank"))
        .join(Company, Company.id == KeyCompany.company_id)
        .where(company_scope_clause(user), KeyCompany.deleted_at.is_(None), KeyCompany.year == filters.year)
    )
    if filters.district:
        query = query.where(Company.district == filters.district)
    if filters.q:
        text = filters.q.strip()
        query = query.where(Company.name.contains(text, autoescape=True) | Company.uscc.startswith(text.upper(), autoescape=True))
    if filters.missing_quarter:
        query = query.where(~_quarter_exists(*rules.quarter_of(on)))
    return query


def review_quarter(filters: KeyListFilters, on: dt.date) -> dt.date:
    """The day whose quarter the review looks at: `on` in the list's own year, else that year's last quarter."""
    if filters.year == on.year:
        return on
    return dt.date(filters.year, 12, 31) if filters.year < on.year else dt.date(filters.year, 1, 1)


def list_key_companies(user: User, filters: KeyListFilters, page: int, per_page: int, on: dt.date | None = None) -> Page:
    """One page of the year's key companies the user may see, with this quarter's status."""
    day = review_quarter(filters, on or today())
    query = _query(user, filters, day)
    total = db.session.scalar(select(func.count()).select_from(query.with_only_columns(KeyCompany.id).order_by(None).subquery())) or 0
    page = min(max(page, 1), _MAX_PAGE)
    rows = db.session.execute(
        query.order_by(Company.district, Company.name, KeyCompany.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    ids = [entry.id for entry, _, _ in rows]
    stats = _record_stats(ids, day)
    people = _names({entry.responsible_id for entry, _, _ in rows})
    return Page(
        rows=[
            KeyRow(entry, company, people.get(entry.responsible_id, ""), int(rank or 0),
                   *stats.get(entry.id, (0, None, False)))
            for entry, company, rank in rows
        ],
        total=total, page=page, per_page=per_page,
    )


def count_missing_quarter(user: User, year: int, on: dt.date | None = None, district: str | None = None) -> tuple[int, int]:
    """(key companies on the year's list, of which without a diagnosis this quarter) for `user`."""
    filters = KeyListFilters(year=year, district=district)
    day = review_quarter(filters, on or today())
    query = _query(user, filters, day).with_only_columns(KeyCompany.id).order_by(None)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    missing = db.session.scalar(select(func.count()).select_from(
        query.where(~_quarter_exists(*rules.quarter_of(day))).subquery())) or 0
    return total, missing


def _record_stats(key_ids: list[int], on: dt.date) -> dict[int, tuple[int, dt.date | None, bool]]:
    if not key_ids:
        return {}
    start, end = rules.quarter_of(on)
    rows = db.session.execute(
        select(
            AccompanimentRecord.key_company_id, func.count(), func.max(AccompanimentRecord.held_on),
            func.sum(case((AccompanimentRecord.held_on.between(start, end), 1), else_=0)),
        )
        .where(AccompanimentRecord.key_company_id.in_(key_ids), AccompanimentRecord.deleted_at.is_(None))
        .group_by(AccompanimentRecord.key_company_id)
    ).all()
    return {key: (n, last, bool(in_quarter)) for key, n, last, in_quarter in rows}


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())


def suggested_companies(user: User, year: int, on: dt.date | None = None, limit: int = 50) -> list[Company]:
    """Companies the plan names for accompaniment (gazelles and (potential) unicorns in force on
    `on`) that are not yet on the year's list, for the manager's "add" page."""
    day = on or today()
    held = (
        select(Designation.id)
        .where(Designation.company_id == Company.id, Designation.rung.in_(rules.SUGGESTED_RUNGS), in_force_clause(day))
        .correlate(Company).exists()
    )
    listed = (
        select(KeyCompany.id)
        .where(KeyCompany.company_id == Company.id, KeyCompany.year == year, KeyCompany.deleted_at.is_(None))
        .correlate(Company).exists()
    )
    return list(db.session.scalars(
        select(Company).where(company_scope_clause(user), held, ~listed).order_by(Company.name).limit(limit)
    ))


def find_companies(user: User, q: str, limit: int = 20) -> list[Company]:
    """Companies the user may see whose name contains `q` or whose credit code starts with it."""
    text = (q or "").strip()
    if not text:
        return []
    return list(db.session.scalars(
        select(Company).where(
            company_scope_clause(user),
            Company.name.contains(text, autoescape=True) | Company.uscc.startswith(text.upper(), autoescape=True),
        ).order_by(Company.name).limit(limit)
    ))
