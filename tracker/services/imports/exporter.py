"""Exporting companies, designations, yearly figures and cultivation lists in the very layout the
importers read.

So a city can be moved or backed up as spreadsheets: export, import into another database, and
the same companies, designations and indicator table come back (tested by a round trip).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Company, CompanyYearFigures, CultivationTrack, Designation, User
from tracker.rules.cultivation import STATUS_NAMES
from tracker.rules import import_formats as fmt
from tracker.rules.districts import DISTRICT_NAMES
from tracker.rules.ladder import RUNG_BY_CODE
from tracker.services.exports import write_table
from tracker.services.scoping import company_scope_clause

_BATCH = 2000


def _live(actor: User | None):
    return company_scope_clause(actor) if actor is not None else Company.deleted_at.is_(None)


def company_rows(actor: User | None = None) -> Iterator[list[Any]]:
    """Live companies (those `actor` may see; all for the system) in COMPANY_COLUMNS order."""
    query = select(Company).where(_live(actor)).order_by(Company.uscc)
    for company in db.session.scalars(query.execution_options(yield_per=_BATCH)):
        yield [
            company.uscc, company.name, DISTRICT_NAMES.get(company.district, company.district),
            company.industry, company.founded_on, company.attracted_on, company.attraction_channel,
            company.address, company.contact_name, company.contact_phone,
        ]


def designation_rows(actor: User | None = None) -> Iterator[list[Any]]:
    """Designations of live companies in DESIGNATION_COLUMNS order (revocations included)."""
    query = (
        select(Designation, Company.uscc, Company.name)
        .join(Company, Company.id == Designation.company_id)
        .where(_live(actor))
        .order_by(Company.uscc, Designation.rung, Designation.valid_from, Designation.id)
    )
    for d, uscc, name in db.session.execute(query.execution_options(yield_per=_BATCH)):
        yield [
            uscc, name, RUNG_BY_CODE[d.rung].name if d.rung in RUNG_BY_CODE else d.rung, d.reference,
            d.granted_on, d.valid_from, d.valid_until, d.batch, d.revoked_on, d.revoke_reason,
        ]


def figure_rows(actor: User | None = None) -> Iterator[list[Any]]:
    """Yearly figures of live companies in FIGURE_COLUMNS order."""
    query = (
        select(CompanyYearFigures, Company.uscc, Company.name)
        .join(Company, Company.id == CompanyYearFigures.company_id)
        .where(_live(actor))
        .order_by(Company.uscc, CompanyYearFigures.year)
    )
    for f, uscc, name in db.session.execute(query.execution_options(yield_per=_BATCH)):
        yield [uscc, name, f.year, *(getattr(f, field) for field in CompanyYearFigures.FIELDS)]


def track_rows(actor: User | None = None) -> Iterator[list[Any]]:
    """Cultivation tracks of live companies in TRACK_COLUMNS order (names, not codes)."""
    query = (
        select(CultivationTrack, Company.uscc, Company.name)
        .join(Company, Company.id == CultivationTrack.company_id)
        .where(_live(actor))
        .order_by(CultivationTrack.year, CultivationTrack.target_rung, Company.uscc)
    )
    for t, uscc, name in db.session.execute(query.execution_options(yield_per=_BATCH)):
        rung = RUNG_BY_CODE[t.target_rung].name if t.target_rung in RUNG_BY_CODE else t.target_rung
        yield [uscc, name, rung, t.year, STATUS_NAMES.get(t.status, t.status), t.note]


ROW_SOURCES = {"companies": company_rows, "designations": designation_rows, "figures": figure_rows,
               "tracks": track_rows}


def export_kind(kind: str, path: str | Path, actor: User | None = None) -> int:
    """Write one kind to a file (xlsx by extension, else CSV with BOM); returns the rows written."""
    return write_table(path, fmt.template_headers(kind), ROW_SOURCES[kind](actor), sheet_title=fmt.KIND_NAMES[kind])
