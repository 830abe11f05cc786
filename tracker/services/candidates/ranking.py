"""Finding the next rung's candidates (精准挖掘): ranking, the page of the list, the export.

The eligibility rules (tracker.rules.eligibility) judge one company's `CompanyFacts` (built from
the database by `facts`). Two ways to rank, which must give the same list (a test compares them
after every kind of change):

- `rank`, the reference computation: SQL narrows the companies (scoped to the user, or the whole
  city for the system: the CLI; filtered by district / industry / officer; not holding the target
  rung on the evaluation date beyond the evaluation year; with the figures every listed company
  must have, see `_necessary_clauses`), then the checks run in Python over every one of them, in
  id-ordered batches. A company whose certificate of the target rung ends in the evaluation year
  is a re-certification candidate (重新认定, docs/DOMAIN.md §1 and §6): it must re-apply that
  year, so it is listed, marked with the end of its certificate (`holds_until`), and ranked
  first; a company whose HNTE was revoked in the year cannot re-apply in it and is not an HNTE
  candidate of that year. Seconds at 100,000 companies.
- `ranked`, `candidate_page` and `iter_candidates` (the page, export, CLI and gap plan): the same
  SQL conditions over the stored results (tracker.services.candidates.results), ordered in SQL;
  only the rows shown (or exported) are evaluated again in full, for their reasons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator, Sequence

from sqlalchemy import and_, case, exists, false, func, or_, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import (
    Assignment, CandidateResult, Company, CompanyYearFigures, CultivationTrack, Designation, User,
)
from tracker.rules import eligibility, ladder
from tracker.rules.eligibility import CompanyFacts, EligibilityResult
from tracker.services.candidates import results
from tracker.services.candidates.facts import (  # noqa: F401  (re-exported: profile, maintenance, tests)
    BATCH_SIZE, FIGURE_FIELDS, _figures_by_company, _first_year_needed, _hnte_in_force, evaluation_date,
    facts_from_rows, load_facts, year_figures,
)
from tracker.services.companies.queries import officers_by_company
from tracker.services.cultivation.refusals import revoked_hnte_in_year_clause
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.pagination import Page, page_count
from tracker.services.scoping import company_scope_clause
from tracker.services.stages import in_force_clause, not_revoked_clause, stage_rank_subquery

TARGET_RUNGS: tuple[str, ...] = ladder.RUNG_CODES
# How far a listed company may be from the rung: 0 = passes, 1 = passes or misses one condition.
MAX_MISSING_CHOICES = tuple(range(results.KEPT_MISSING + 1))


def _recertifying(rung: str, on: dt.date, year: int):
    """Designations of `rung` due for re-certification in `year`: started before the year, ending
    in it, not revoked by `on` (docs/DOMAIN.md §1: re-application happens in the expiry year).

    Starting before the year keeps a tech SME registered for `year` itself (valid to 31 Dec)
    out: it is done for the year, not due again.
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return and_(
        Designation.rung == rung, Designation.valid_from < start,
        Designation.valid_until >= start, Designation.valid_until <= end,
        not_revoked_clause(on),
    )


def _settled_holding(rung: str, on: dt.date, year: int):
    """WHERE clause on a designation: its company needs no application of `rung` in `year`.

    The company holds it on `on` through a designation that is not due for re-certification that
    year (it runs beyond the year, has no end, or is the year's own), or already has a later one
    starting by the year end (a renewal granted ahead of its start).
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return and_(
        Designation.rung == rung,
        or_(
            and_(in_force_clause(on), or_(
                Designation.valid_until.is_(None), Designation.valid_until > end, Designation.valid_from >= start,
            )),
            and_(Designation.valid_from > on, Designation.valid_from <= end, Designation.granted_on <= on,
                 Designation.revoked_on.is_(None)),
        ),
    )


def recertification_ends(rung: str, on: dt.date, year: int) -> dict[int, dt.date]:
    """Company id → the end of its certificate of `rung` due for re-certification in `year`.

    One aggregate query for the whole city (one row per certificate ending that year, through
    ix_designation_rung_until), read once per ranking instead of joined into every batch.
    """
    return dict(db.session.execute(
        select(Designation.company_id, func.max(Designation.valid_until))
        .where(_recertifying(rung, on, year))
        .group_by(Designation.company_id)
    ).all())


def _live_scope(user: User | None):
    """What `user` may see; the system (user None: the CLI) sees every live company."""
    return company_scope_clause(user) if user is not None else Company.deleted_at.is_(None)


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class CandidateFilters:
    """What the candidates page is asked for. Money is in 万元; the year is the evaluation year."""

    target_rung: str
    year: int
    district: str | None = None
    industry: str | None = None
    officer_id: int | None = None
    max_missing: int = 1


@dataclass(frozen=True)
class RankKey:
    """Where one company ranks: fewer failed, then fewer unknown, then (tech SME) higher score."""

    failed: int
    unknown: int
    score: Decimal
    name: str
    company_id: int
    holds_until: dt.date | None = None  # the certificate's end for a re-certification (重新认定)

    def sort_key(self) -> tuple:
        """Re-certifications first (docs/DOMAIN.md §6), then closest first; name and id make the
        order stable between page loads."""
        return (
            self.holds_until is None, self.failed, self.unknown, -self.score,
            self.holds_until or dt.date.max, self.name, self.company_id,
        )


@dataclass
class Candidate:
    """One listed company with its pre-check and what the page shows beside it."""

    company: Any  # a row with id, name, uscc, district, industry
    result: EligibilityResult
    stage: str
    officers: list[str] = field(default_factory=list)
    track_status: str | None = None  # its status on the target rung's cultivation list, if there
    holds_until: dt.date | None = None  # the current certificate's end, for a re-certification

    @property
    def recertification(self) -> bool:
        """True for a company that must re-certify (重新认定) in the evaluation year."""
        return self.holds_until is not None

    @property
    def verdict(self) -> str:
        """符合 / 差一项 / 待补数据 … in Chinese, for the list and the export."""
        if self.result.eligible:
            return "符合条件"
        failed, unknown = len(self.result.failed), len(self.result.unknown)
        if failed and unknown:
            return f"差 {failed} 项，{unknown} 项数据不足"
        if failed:
            return f"差 {failed} 项"
        return f"{unknown} 项数据不足"


@dataclass
class CandidatePage(Page[Candidate]):
    """One page of the ranked candidates, with how many of all of them already pass."""

    eligible: int
    on: dt.date  # the day "holds the rung" was judged on
    recertifications: int = 0  # how many of all of them must re-certify (重新认定) this year
    pending: results.SetState | None = None  # the progress while the results are being computed


def check_filters(user: User | None, filters: CandidateFilters) -> None:
    """Refuse what the page cannot answer: officers, unknown rungs, wild years, other districts.

    `user` None is the system (the CLI), which may rank the whole city.
    """
    if user is not None and not (user.is_admin or user.is_manager):
        raise Forbidden("精准挖掘仅对辖区管理员和市级管理员开放")
    if filters.target_rung not in TARGET_RUNGS:
        raise ServiceError("请选择目标梯次", field="target")
    if filters.max_missing not in MAX_MISSING_CHOICES:
        raise ServiceError("请选择列出范围", field="max_missing")
    current = today().year
    if not 2016 <= filters.year <= current + 1:
        raise ServiceError(f"评价年度须在 2016–{current + 1} 年之间", field="year")


def _necessary_clauses(filters: CandidateFilters) -> list:
    """SQL conditions every company within `max_missing` (≤ 1) of the rung necessarily meets.

    They only cut companies the rules would leave out anyway (tests/services check that against
    an unfiltered evaluation):
    - a figures row for Y − 1: without it every rung has at least two conditions unknown
      (tech SME: the three size caps; HNTE: S&T staff, high-tech revenue, IP, score; gazelle:
      the R&D ratio and every growth route; unicorns: the valuation and the listing status);
    - (potential) unicorn: a positive financing or valuation in some year up to Y − 1, since
      without one both "invested" and "valuation" are not met.
    """
    latest = filters.year - 1
    clauses = [
        exists().where(CompanyYearFigures.company_id == Company.id, CompanyYearFigures.year == latest)
    ]
    if filters.target_rung in ("potential_unicorn", "unicorn"):
        clauses.append(exists().where(
            CompanyYearFigures.company_id == Company.id,
            CompanyYearFigures.year <= latest,
            or_(CompanyYearFigures.financing_amount > 0, CompanyYearFigures.valuation > 0),
        ))
    return clauses


def _candidate_clauses(user: User | None, filters: CandidateFilters, day: dt.date) -> list:
    """Who may be a candidate on evaluation day `day` (scoped, filtered): not holding the rung
    beyond the year, and (HNTE) not disqualified in it. Shared by the reference ranking and the
    read of the stored results, so both list the same companies."""
    # NOT EXISTS, not NOT IN (subquery): PostgreSQL can plan it as an anti-join, where NOT IN, with
    # its NULL semantics, stays a filter over a hashed list: 20–25 % off the page at 100,000+
    # companies (docs/benchmarks.md).
    clauses = [_live_scope(user), ~exists().where(
        Designation.company_id == Company.id, _settled_holding(filters.target_rung, day, filters.year))]
    if filters.target_rung == "hnte":
        # Disqualified this year: no re-application until next year (docs/DOMAIN.md §1).
        clauses.append(~exists().where(Designation.company_id == Company.id, revoked_hnte_in_year_clause(filters.year)))
    if filters.district:
        clauses.append(Company.district == filters.district)
    if filters.industry:
        clauses.append(Company.industry == filters.industry)
    if filters.officer_id:
        clauses.append(exists().where(
            Assignment.company_id == Company.id, Assignment.officer_id == filters.officer_id,
            Assignment.assigned_until.is_(None),
        ))
    return clauses


def candidate_query(user: User | None, filters: CandidateFilters, on: dt.date, *, prefilter: bool = True):
    """SELECT id, name, founded_on, holds-HNTE of companies that may be candidates (scoped)."""
    day = evaluation_date(filters.year, on)
    query = select(
        Company.id, Company.name, Company.founded_on, _hnte_in_force(day).label("hnte")
    ).where(*_candidate_clauses(user, filters, day))
    if prefilter:
        query = query.where(*_necessary_clauses(filters))
    return query


def _evaluate(filters: CandidateFilters, facts: CompanyFacts) -> EligibilityResult:
    return eligibility.check(filters.target_rung, facts, filters.year)


def rank(user: User | None, filters: CandidateFilters, *, on: dt.date | None = None, prefilter: bool = True) -> list[RankKey]:
    """Every candidate's rank key, re-certifications first, then closest first (scoped; three
    queries per batch of companies, and one for the certificates ending in the year)."""
    check_filters(user, filters)
    current = on or today()
    base = candidate_query(user, filters, current, prefilter=prefilter)
    ends = recertification_ends(filters.target_rung, evaluation_date(filters.year, current), filters.year)
    first_year = _first_year_needed(filters.target_rung, filters.year)
    keys: list[RankKey] = []
    last_id = 0
    while True:
        heads = db.session.execute(
            base.where(Company.id > last_id).order_by(Company.id).limit(BATCH_SIZE)
        ).all()
        if not heads:
            break
        last_id = heads[-1].id
        figures = _figures_by_company([h.id for h in heads], first_year, filters.year - 1)
        for head in heads:
            facts = facts_from_rows(head.founded_on, figures.get(head.id, ()), head.hnte)
            result = _evaluate(filters, facts)
            if result.missing_count > filters.max_missing:
                continue
            keys.append(RankKey(
                failed=len(result.failed), unknown=len(result.unknown),
                score=result.score if result.score is not None else Decimal(0),
                name=head.name, company_id=head.id, holds_until=ends.get(head.id),
            ))
        if len(heads) < BATCH_SIZE:
            break
    keys.sort(key=RankKey.sort_key)
    return keys


# --------------------------------------------------------------------------- stored results
#
# `rank` above is the reference computation: the rules over every company in scope. The page, its
# export, the CLI and the gap plan read the stored results instead (tracker.services.candidates
# .results keeps them in step with the data); what depends on the evaluation day or on the user
# (holders, revocations, re-certifications, scope, filters) stays SQL here, at read time.


class ResultsPending(ServiceError):
    """The (rung, year) results are being computed in the background: try again shortly."""

    def __init__(self, state: results.SetState):
        super().__init__(f"候选企业预判结果{state.progress_text}，请稍后再试")
        self.state = state


def _stored(user: User | None, filters: CandidateFilters, day: dt.date):
    """(query of stored rows in scope with their certificate end, order_by clauses)."""
    ends = (
        select(Designation.company_id.label("company_id"), func.max(Designation.valid_until).label("until"))
        .where(_recertifying(filters.target_rung, day, filters.year))
        .group_by(Designation.company_id).subquery()
    )
    # The row computed with the HNTE flag the company has on the evaluation day.
    flag = _hnte_in_force(day) if filters.target_rung in results.READS_HNTE_FLAG else false()
    query = (
        select(
            CandidateResult.company_id, CandidateResult.failed_count, CandidateResult.unknown_count,
            CandidateResult.score, Company.name, ends.c.until,
        )
        .join(Company, Company.id == CandidateResult.company_id)
        .outerjoin(ends, ends.c.company_id == CandidateResult.company_id)
        .where(
            CandidateResult.target_rung == filters.target_rung, CandidateResult.year == filters.year,
            CandidateResult.holds_valid_hnte == flag, CandidateResult.missing_count <= filters.max_missing,
            *_candidate_clauses(user, filters, day),
        )
    )
    # RankKey.sort_key in SQL; names compared by code point as Python does (PostgreSQL's "C").
    name = Company.name.collate("C") if db.session.get_bind().dialect.name == "postgresql" else Company.name
    order = (
        ends.c.until.is_(None), CandidateResult.failed_count, CandidateResult.unknown_count,
        CandidateResult.score.desc(), ends.c.until, name, CandidateResult.company_id,
    )
    return query, order


def _key(row) -> RankKey:
    return RankKey(
        failed=row.failed_count, unknown=row.unknown_count, score=Decimal(row.score),
        name=row.name, company_id=row.company_id, holds_until=row.until,
    )


def _ready(filters: CandidateFilters, *, allow_inline: bool = True) -> results.SetState:
    return results.ensure_ready(filters.target_rung, filters.year, allow_inline=allow_inline)


def pending(filters: CandidateFilters) -> results.SetState | None:
    """The progress while the (rung, year) results are computed in the background; None when ready."""
    state = _ready(filters)
    return None if state.ready else state


def ranked(user: User | None, filters: CandidateFilters, *, on: dt.date | None = None) -> list[RankKey]:
    """Every candidate's rank key from the stored results, in the order of `rank` (the same list).

    Raises ResultsPending while the (rung, year) set is being computed in the background.
    """
    check_filters(user, filters)
    state = _ready(filters)
    if not state.ready:
        raise ResultsPending(state)
    query, order = _stored(user, filters, evaluation_date(filters.year, on or today()))
    return [_key(row) for row in db.session.execute(query.order_by(*order))]


def _candidates_for(
    keys: Sequence[RankKey], filters: CandidateFilters, on: dt.date, list_year: int | None
) -> list[Candidate]:
    """Full rows (company, result, stage, officers, list status) for ranked keys, in their order."""
    ids = [k.company_id for k in keys]
    holds_until = {k.company_id: k.holds_until for k in keys}
    if not ids:
        return []
    day = evaluation_date(filters.year, on)
    # Plain rows, not ORM objects: an export of every candidate then keeps no identity map.
    companies = {
        row.id: (row, int(row.stage_rank or 0)) for row in db.session.execute(
            select(
                Company.id, Company.name, Company.uscc, Company.district, Company.industry,
                stage_rank_subquery(day).label("stage_rank"),
            ).where(Company.id.in_(ids))
        )
    }
    facts = load_facts(ids, filters.year, on=on, target_rung=filters.target_rung)
    officers = officers_by_company(list(ids))
    statuses = dict(db.session.execute(
        select(CultivationTrack.company_id, CultivationTrack.status).where(
            CultivationTrack.company_id.in_(ids), CultivationTrack.target_rung == filters.target_rung,
            CultivationTrack.year == (list_year or filters.year),
        )
    ).all())
    rows = []
    for company_id in ids:
        if company_id not in companies:
            continue
        company, stage_rank = companies[company_id]
        rows.append(Candidate(
            company=company, result=_evaluate(filters, facts[company_id]),
            stage=ladder.RANK_STAGE[stage_rank], officers=officers.get(company_id, []),
            track_status=statuses.get(company_id), holds_until=holds_until.get(company_id),
        ))
    return rows


def candidate_page(
    user: User | None, filters: CandidateFilters, page: int, per_page: int, *,
    on: dt.date | None = None, list_year: int | None = None,
) -> CandidatePage:
    """One page of the ranked candidates, each with its reasons, officers and list status.

    Read from the stored results: one count and one page query, then the shown rows' reasons are
    evaluated again in full. While the set is computed in the background the page is empty and
    `pending` carries the progress.
    """
    check_filters(user, filters)
    current = on or today()
    day = evaluation_date(filters.year, current)
    state = _ready(filters)
    if not state.ready:
        return CandidatePage(rows=[], total=0, page=1, per_page=per_page, eligible=0, on=day, pending=state)
    query, order = _stored(user, filters, day)
    listed = query.subquery()
    total, eligible, recertifications = db.session.execute(select(
        func.count(),
        func.coalesce(func.sum(case((and_(listed.c.failed_count == 0, listed.c.unknown_count == 0), 1), else_=0)), 0),
        func.count(listed.c.until),
    ).select_from(listed)).one()
    pages = page_count(total, per_page)
    page = min(max(1, page), pages)
    keys = [_key(row) for row in db.session.execute(
        query.order_by(*order).offset((page - 1) * per_page).limit(per_page)
    )]
    return CandidatePage(
        rows=_candidates_for(keys, filters, current, list_year),
        total=total, eligible=int(eligible), recertifications=recertifications,
        page=page, per_page=per_page, on=day,
    )


def iter_candidates(
    user: User | None, filters: CandidateFilters, *, on: dt.date | None = None,
) -> Iterator[Candidate]:
    """Every ranked candidate in order, in batches (for exports): same scope and order as the page."""
    current = on or today()
    keys = ranked(user, filters, on=current)
    for start in range(0, len(keys), BATCH_SIZE // 4):
        yield from _candidates_for(keys[start:start + BATCH_SIZE // 4], filters, current, None)


def officer_choices(user: User) -> list[tuple[int, str]]:
    """Officers the user may filter by: their district's for a manager, every officer for an admin."""
    query = select(User.id, User.name, User.district).where(User.role == "officer", User.active.is_(True))
    if not user.is_admin:
        query = query.where(User.district == user.district)
    return [(uid, name) for uid, name, _d in db.session.execute(query.order_by(User.district, User.name))]


def conditions_text(result: EligibilityResult, status: str | None = None) -> str:
    """Conditions of one status (or all) as one line of Chinese, for exports."""
    return "；".join(
        f"{c.label}：{c.detail}" for c in result.conditions if status is None or c.status == status
    )
