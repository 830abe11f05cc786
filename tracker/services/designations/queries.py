"""Reading a company's designations for the designation pages (资质)."""

from __future__ import annotations

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Designation


def unrevoked_designations(company_id: int) -> list[Designation]:
    """A company's designations that have not been revoked, latest start first (the revoke list)."""
    return list(db.session.scalars(
        select(Designation).where(Designation.company_id == company_id, Designation.revoked_on.is_(None))
        .order_by(Designation.valid_from.desc(), Designation.id.desc())
    ))


def designation_of(company_id: int, designation_id: int) -> Designation | None:
    """One designation of the company, or None (also for the id of another company's designation)."""
    return db.session.scalar(
        select(Designation).where(Designation.id == designation_id, Designation.company_id == company_id)
    )
