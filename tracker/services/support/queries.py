"""Reading support records (扶持记录, docs/DOMAIN.md §9): a company's records, the yearly summary
beside its figures, the company-list filter, the scoped list and its export.

Every read goes through the company's visibility (tracker.services.scoping); removed records
(deleted_at) and removed companies never show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterator

from sqlalchemy import and_, func, select

from tracker import clock
from tracker.extensions import db
from tracker.models import Company, SupportRecord, User
from tracker.rules import support as rules
from tracker.rules.districts import DISTRICT_NAMES
from tracker.rules.import_formats import template_headers
from tracker.services import audit, exports
from tracker.services.pagination import Page
from tracker.services.scoping import company_scope_clause, get_company_for
from tracker.services.unit_of_work import use_case

_KIND_ORDER = tuple(rules.KINDS)
_MAX_PAGE = 100_000
_BATCH = 2000


def live_clause():
    """Support records that have not been removed."""
    return SupportRecord.deleted_at.is_(None)


def company_filter_clause(code: str):
    """EXISTS clause for the company list: companies with support of this kind (rules.FILTER_NAMES);
    `listing_active` means a listing process under way (辅导备案 or 申报受理)."""
    conditions = [SupportRecord.company_id == Company.id, live_clause()]
    if code == "listing_active":
        conditions += [SupportRecord.kind == rules.LISTING, SupportRecord.listing_stage.in_(("coaching", "accepted"))]
    elif code in rules.KINDS:
        conditions.append(SupportRecord.kind == code)
    else:
        return None
    return select(SupportRecord.id).where(and_(*conditions)).correlate(Company).exists()


def for_company(user: User, company_id: int) -> list[SupportRecord]:
    """A company's live support records (the caller may see the company), by kind then newest year."""
    company = get_company_for(user, company_id, db.session)
    records = list(db.session.scalars(
        select(SupportRecord).where(SupportRecord.company_id == company.id, live_clause())
        .order_by(SupportRecord.year.desc(), SupportRecord.id.desc())
    ))
    return sorted(records, key=lambda r: (_KIND_ORDER.index(r.kind) if r.kind in _KIND_ORDER else 99, -r.year, -r.id))


@dataclass(frozen=True)
class YearSupport:
    """One year of a company's support, for the profile beside its yearly figures."""

    year: int
    lines: list[tuple[str, str]]  # (kind name, summary)


def yearly_summary(company_id: int) -> list[YearSupport]:
    """A company's support per year, newest first (the caller has scoped the company)."""
    records = db.session.scalars(
        select(SupportRecord).where(SupportRecord.company_id == company_id, live_clause())
        .order_by(SupportRecord.year.desc(), SupportRecord.kind, SupportRecord.id)
    )
    by_year: dict[int, list[tuple[str, str]]] = {}
    for record in records:
        by_year.setdefault(record.year, []).append((rules.kind_name(record.kind), describe(record)))
    return [YearSupport(year, lines) for year, lines in sorted(by_year.items(), reverse=True)]


def describe(record: SupportRecord) -> str:
    """One line in Chinese for a record."""
    values: dict[str, Any] = {name: getattr(record, name) for name in rules.TYPED_FIELDS}
    return rules.summary(record.kind, values)


# --- the list of support records -----------------------------------------------------------------

@dataclass
class SupportFilters:
    """The support list's filters: kind, year, district (administrators), company name or code."""

    kind: str | None = None
    year: int | None = None
    district: str | None = None
    q: str | None = None


def list_query(user: User, filters: SupportFilters):
    """SELECT (SupportRecord, Company) scoped to `user`, filtered, newest first."""
    query = (
        select(SupportRecord, Company)
        .join(Company, Company.id == SupportRecord.company_id)
        .where(company_scope_clause(user), live_clause())
    )
    if filters.kind in rules.KINDS:
        query = query.where(SupportRecord.kind == filters.kind)
    if filters.year:
        query = query.where(SupportRecord.year == filters.year)
    if filters.district:
        query = query.where(Company.district == filters.district)
    if filters.q:
        text = filters.q.strip()
        query = query.where(Company.name.contains(text, autoescape=True) | Company.uscc.startswith(text.upper(), autoescape=True))
    return query.order_by(SupportRecord.year.desc(), Company.name, SupportRecord.kind, SupportRecord.id)


def list_records(user: User, filters: SupportFilters, page: int, per_page: int) -> Page:
    """One page of support records the user may see, and the total."""
    query = list_query(user, filters)
    page = min(max(page, 1), _MAX_PAGE)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(rows=[(r, c) for r, c in rows], total=total, page=page, per_page=per_page)


def totals_by_kind(user: User, filters: SupportFilters) -> dict[str, dict[str, Any]]:
    """Per kind: how many records and companies, and the amount (万元), under the list's filters."""
    base = list_query(user, SupportFilters(year=filters.year, district=filters.district, q=filters.q)).order_by(None).subquery()
    rows = db.session.execute(
        select(base.c.kind, func.count(), func.count(func.distinct(base.c.company_id)), func.sum(base.c.amount))
        .group_by(base.c.kind)
    ).all()
    return {kind: {"records": n, "companies": c, "amount": amount} for kind, n, c, amount in rows}


# --- export in the import layout (tracker/rules/import_formats.py SUPPORT_COLUMNS) ---------------

def _names(code: str | None, vocabulary: dict[str, str]) -> str | None:
    return vocabulary.get(code, code) if code else None


def export_rows(user: User | None, filters: SupportFilters | None = None) -> Iterator[list[Any]]:
    """Live support records of live companies (those `user` may see; all for the system, None) in
    SUPPORT_COLUMNS order, vocabularies by their Chinese names, so the file re-imports as is."""
    filters = filters or SupportFilters()
    if user is not None:
        query = list_query(user, filters)
    else:
        query = (
            select(SupportRecord, Company).join(Company, Company.id == SupportRecord.company_id)
            .where(Company.deleted_at.is_(None), live_clause())
        )
    query = query.order_by(None).order_by(Company.uscc, SupportRecord.kind, SupportRecord.year, SupportRecord.id)
    for r, company in db.session.execute(query.execution_options(yield_per=_BATCH)):
        yield [
            company.uscc, company.name, rules.kind_name(r.kind), r.year, r.amount, r.occurred_on,
            _names(r.loan_product, rules.LOAN_PRODUCTS), r.bank, _names(r.listing_stage, rules.LISTING_STAGES),
            _names(r.listing_board, rules.LISTING_BOARDS), r.filed_on, r.accepted_on, r.listed_on, r.name,
            _names(r.level, rules.CONTEST_LEVELS), r.award, r.note,
        ]


EXPORT_TITLE = "扶持记录"


@use_case
def export_xlsx(user: User, filters: SupportFilters) -> tuple[bytes, int]:
    """The user's (filtered) support records as xlsx bytes in the import layout, with an audit row."""
    counter = {"rows": 0}

    def counted():
        for row in export_rows(user, filters):
            counter["rows"] += 1
            yield row

    # The header row is the import file's, so an export re-imports as is.
    data = exports.xlsx_bytes(template_headers("support"), counted(), sheet_title=EXPORT_TITLE,
                              title=exports.title_line(EXPORT_TITLE, exports.scope_label(user), clock.today()))
    summary = {k: v for k, v in vars(filters).items() if v not in (None, "")}
    audit.record(user.id, "support.export", entity_type="support_record",
                 after={"format": "xlsx", "rows": counter["rows"], "filters": summary})
    return data, counter["rows"]


def district_name(code: str) -> str:
    """A district's Chinese name (lists)."""
    return DISTRICT_NAMES.get(code, code)


def year_choices(on: dt.date) -> list[int]:
    """Years offered by the forms and filters: the plan's years up to next year, newest first."""
    return list(range(on.year + 1, rules.EARLIEST_YEAR - 1, -1))
