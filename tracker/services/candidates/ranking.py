"""Finding the next rung's candidates (精准挖掘): ranking, the page of the list, the export.

The eligibility rules (tracker.rules.eligibility) judge one company's `CompanyFacts`. This module
builds those facts from the database for many companies at once and ranks them (one company's
profile, 科创属性画像, is in `profile`):

1. SQL narrows the companies: scoped to the user (or the whole city for the system: the CLI),
   filtered by district / industry / officer, not holding the target rung on the evaluation date
   beyond the evaluation year, and with the figures every listed company must have (see
   `_necessary_clauses`), walked in id order in batches (keyset, no OFFSET). A company whose
   certificate of the target rung ends in the evaluation year is a re-certification candidate
   (重新认定, docs/DOMAIN.md §1 and §6): it must re-apply that year, so it is listed, marked with
   the end of its certificate (`holds_until`), and ranked first; a company whose HNTE was revoked
   in the year cannot re-apply in it and is not an HNTE candidate of that year;
2. each batch's figures and "holds a valid HNTE" come in one query each, so the page costs
   three queries per batch of companies, never one per company;
3. the checks run in Python and only the ranking key is kept, so memory stays small for 100,000
   companies; the rows of the page shown (or of an export) are evaluated again in full.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import and_, exists, func, or_, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import (
    Assignment, AuditEvent, Company, CompanyYearFigures, CultivationTrack, Designation, User,
)
from tracker.rules import eligibility, ladder
from tracker.rules.eligibility import CompanyFacts, EligibilityResult, YearFigures
from tracker.rules.eligibility_thresholds import thresholds_for
from tracker.services.companies.queries import officers_by_company
from tracker.services.cultivation.refusals import revoked_hnte_in_year_clause
from tracker.services.caching import StampedCache
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.pagination import Page, page_count
from tracker.services.scoping import company_scope_clause
from tracker.services.stages import in_force_clause, not_revoked_clause, stage_rank_subquery

TARGET_RUNGS: tuple[str, ...] = ladder.RUNG_CODES
BATCH_SIZE = 5000
# How far a listed company may be from the rung: 0 = passes, 1 = passes or misses one condition.
MAX_MISSING_CHOICES = (0, 1)
FIGURE_FIELDS = tuple(CompanyYearFigures.FIELDS)


# --------------------------------------------------------------------------- facts from rows


def evaluation_date(year: int, on: dt.date | None = None) -> dt.date:
    """The day "holds the rung" is judged on for evaluation year `year`.

    Today for the current year; 31 Dec for a past year (what the company held by its end); 1 Jan
    for a future year (certificates that lapse before then do not count).
    """
    current = on or today()
    if year == current.year:
        return current
    if year < current.year:
        return dt.date(year, 12, 31)
    return dt.date(year, 1, 1)


def year_figures(row) -> YearFigures:
    """A rules YearFigures from a CompanyYearFigures row (or any object with the same fields)."""
    return YearFigures(year=row.year, **{name: getattr(row, name) for name in FIGURE_FIELDS})


def facts_from_rows(founded_on: dt.date | None, rows: Iterable, holds_valid_hnte: bool) -> CompanyFacts:
    """The rules' CompanyFacts from a founding date, figure rows (or YearFigures) and the HNTE flag."""
    return CompanyFacts(
        founded_on=founded_on,
        figures={
            row.year: row if isinstance(row, YearFigures) else year_figures(row) for row in rows
        },
        holds_valid_hnte=bool(holds_valid_hnte),
    )


def _holders(rung: str, on: dt.date):
    """Uncorrelated: ids of companies holding `rung` on `on`.

    Used as `Company.id IN (...)` rather than a correlated EXISTS: the set is built once per
    query, and SQLite's planner (no statistics) would otherwise scan the designations of that
    rung once per company through the (rung, valid_from) index.
    """
    return select(Designation.company_id).where(Designation.rung == rung, in_force_clause(on))


def _hnte_in_force(on: dt.date):
    return Company.id.in_(_holders("hnte", on))


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


def _settled_holders(rung: str, on: dt.date, year: int):
    """Uncorrelated: ids of companies that need no application of `rung` in `year`.

    They hold it on `on` through a designation that is not due for re-certification that year
    (it runs beyond the year, has no end, or is the year's own), or already have a later one
    starting by the year end (a renewal granted ahead of its start).
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return select(Designation.company_id).where(
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


def _first_year_needed(target_rung: str | None, year: int) -> int | None:
    """The earliest figures year a rung's check reads (None: every year, for investment history).

    Reading only those years keeps the rows per company low (one for tech SME instead of five).
    """
    t = thresholds_for(year)
    if target_rung == "tech_sme":
        return year - 1
    if target_rung == "hnte":
        return year - t.hnte.rd_window_years
    if target_rung == "gazelle":
        return year - t.gazelle.base_year_offset
    return None


def _figures_by_company(company_ids: Sequence[int], first_year: int | None, last_year: int) -> dict[int, list[YearFigures]]:
    """YearFigures of many companies in one query, grouped by company.

    Plain column rows turned straight into YearFigures: no ORM identity map to fill and no
    attribute lookups per value, which matters at 100,000 companies.
    """
    columns = [CompanyYearFigures.company_id, CompanyYearFigures.year] + [
        getattr(CompanyYearFigures, name) for name in FIGURE_FIELDS
    ]
    query = select(*columns).where(
        CompanyYearFigures.company_id.in_(company_ids), CompanyYearFigures.year <= last_year
    )
    if first_year is not None:
        query = query.where(CompanyYearFigures.year >= first_year)
    result: dict[int, list[YearFigures]] = {}
    names = FIGURE_FIELDS
    for row in db.session.execute(query).tuples():
        result.setdefault(row[0], []).append(YearFigures(row[1], **dict(zip(names, row[2:]))))
    return result


def load_facts(
    company_ids: Sequence[int], year: int, *, on: dt.date | None = None, target_rung: str | None = None
) -> dict[int, CompanyFacts]:
    """CompanyFacts for many companies in two queries per chunk of ids (no query per company).

    `year` is the evaluation year: figures up to Y − 1 are read (from the years `target_rung` needs),
    and "holds a valid HNTE" is judged on `evaluation_date(year, on)`. Callers pass ids they
    already scoped.
    """
    day = evaluation_date(year, on)
    facts: dict[int, CompanyFacts] = {}
    ids = list(dict.fromkeys(company_ids))
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start:start + BATCH_SIZE]
        heads = db.session.execute(
            select(Company.id, Company.founded_on, _hnte_in_force(day).label("hnte"))
            .where(Company.id.in_(chunk))
        ).all()
        figures = _figures_by_company(chunk, _first_year_needed(target_rung, year), year - 1)
        for company_id, founded_on, hnte in heads:
            facts[company_id] = facts_from_rows(founded_on, figures.get(company_id, ()), hnte)
    return facts


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


def candidate_query(user: User | None, filters: CandidateFilters, on: dt.date, *, prefilter: bool = True):
    """SELECT id, name, founded_on, holds-HNTE of companies that may be candidates (scoped):
    not holding the rung beyond the year, and (HNTE) not disqualified in it."""
    day = evaluation_date(filters.year, on)
    query = select(
        Company.id, Company.name, Company.founded_on, _hnte_in_force(day).label("hnte")
    ).where(_live_scope(user), Company.id.not_in(_settled_holders(filters.target_rung, day, filters.year)))
    if filters.target_rung == "hnte":
        # Disqualified this year: no re-application until next year (docs/DOMAIN.md §1).
        query = query.where(Company.id.not_in(
            select(Designation.company_id).where(revoked_hnte_in_year_clause(filters.year))
        ))
    if filters.district:
        query = query.where(Company.district == filters.district)
    if filters.industry:
        query = query.where(Company.industry == filters.industry)
    if filters.officer_id:
        query = query.where(exists().where(
            Assignment.company_id == Company.id, Assignment.officer_id == filters.officer_id,
            Assignment.assigned_until.is_(None),
        ))
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


# --------------------------------------------------------------------------- ranking cache
#
# Ranking a whole city (100,000 companies) takes seconds, and a manager pages through the result
# and exports it. The ranking is therefore kept for a few minutes per process, keyed by the user,
# the filters, the day and a stamp of the data it was computed from: any audited change, any
# figures edit, new designation, assignment or company edit changes the stamp, so a stale list
# is never served after a change the app made. The views pass CANDIDATES_CACHE_SECONDS; 0 turns
# it off (the setting under TESTING, where ids restart between tests).

_CACHE: StampedCache[list[RankKey]] = StampedCache(entries=8)


def _data_stamp() -> tuple:
    """One cheap query whose answer changes whenever the inputs of a ranking change."""
    return tuple(db.session.execute(select(
        select(func.max(AuditEvent.id)).scalar_subquery(),
        select(func.max(CompanyYearFigures.updated_at)).scalar_subquery(),
        select(func.count(CompanyYearFigures.id)).scalar_subquery(),
        select(func.max(Designation.id)).scalar_subquery(),
        select(func.max(Assignment.id)).scalar_subquery(),
        select(func.max(Company.updated_at)).scalar_subquery(),
    )).one())


def clear_cache() -> None:
    """Forget every kept ranking (tests, or after a bulk change made outside the app)."""
    _CACHE.clear()


def ranked(
    user: User | None, filters: CandidateFilters, *, on: dt.date | None = None, cache_seconds: float = 0,
) -> list[RankKey]:
    """`rank`, kept for `cache_seconds` while the data stays the same (0: computed every time)."""
    current = on or today()
    if cache_seconds <= 0:
        return rank(user, filters, on=current)
    check_filters(user, filters)
    who = (user.id, user.role, user.district) if user is not None else (None, "system", None)
    key = (*who, filters, current, _data_stamp())
    return _CACHE.get_or_compute(key, cache_seconds, lambda: rank(user, filters, on=current))


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
    on: dt.date | None = None, list_year: int | None = None, cache_seconds: float = 0,
) -> CandidatePage:
    """One page of the ranked candidates, each with its reasons, officers and list status.

    `cache_seconds` (CANDIDATES_CACHE_SECONDS) keeps the ranking between page loads (see `ranked`).
    """
    current = on or today()
    keys = ranked(user, filters, on=current, cache_seconds=cache_seconds)
    pages = page_count(len(keys), per_page)
    page = min(max(1, page), pages)
    chosen = keys[(page - 1) * per_page: page * per_page]
    return CandidatePage(
        rows=_candidates_for(chosen, filters, current, list_year),
        total=len(keys),
        eligible=sum(1 for k in keys if k.failed == 0 and k.unknown == 0),
        recertifications=sum(1 for k in keys if k.holds_until is not None),
        page=page, per_page=per_page, on=evaluation_date(filters.year, current),
    )


def iter_candidates(
    user: User | None, filters: CandidateFilters, *, on: dt.date | None = None, cache_seconds: float = 0,
) -> Iterator[Candidate]:
    """Every ranked candidate in order, in batches (for exports): same scope and order as the page."""
    current = on or today()
    keys = ranked(user, filters, on=current, cache_seconds=cache_seconds)
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
