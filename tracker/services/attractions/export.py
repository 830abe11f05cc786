"""Exporting attraction projects (招引项目) in the import layout (ATTRACTION_COLUMNS), scoped.

Chinese names for channels, districts and statuses, the lead officer's email and the settled
company's credit code and name, so an export re-imports as is.
"""

from __future__ import annotations

from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import aliased

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AttractionProject, Company, User
from tracker.rules import import_formats as fmt
from tracker.rules.attraction import STATUS_NAMES
from tracker.rules.districts import DISTRICT_NAMES
from tracker.services.attractions.channels import channel_names
from tracker.services.exports import scope_label, title_line, xlsx_bytes
from tracker.services.scoping import project_scope_clause

_BATCH = 2000


def project_rows(actor: User | None = None) -> Iterator[list[Any]]:
    """Live projects `actor` may see (all for the system) in ATTRACTION_COLUMNS order."""
    names = channel_names()
    officer = aliased(User)
    query = (
        select(AttractionProject, Company.uscc, Company.name, officer.email)
        .outerjoin(Company, Company.id == AttractionProject.company_id)
        .outerjoin(officer, officer.id == AttractionProject.lead_officer_id)
        .where(project_scope_clause(actor))
        .order_by(AttractionProject.district, AttractionProject.name, AttractionProject.id)
    )
    for p, uscc, company_name, email in db.session.execute(query.execution_options(yield_per=_BATCH)):
        yield [
            p.name, names.get(p.channel, p.channel), p.source, DISTRICT_NAMES.get(p.district, p.district),
            STATUS_NAMES.get(p.status, p.status), p.signed_on, p.settled_on, uscc, company_name, p.industry, email,
        ]


def export_xlsx(actor: User) -> bytes:
    """The projects the actor may see as an xlsx file."""
    return xlsx_bytes(fmt.template_headers("attractions"), project_rows(actor), sheet_title=fmt.KIND_NAMES["attractions"],
                      title=title_line("招引项目", scope_label(actor), today()))
