"""Granting and revoking designations (资质认定/撤销)."""

from __future__ import annotations

import datetime as dt

from tracker.extensions import db
from tracker.models import Company, Designation, User
from tracker.rules.ladder import RUNG_BY_CODE, default_valid_until
from tracker.services import audit
from tracker.services.errors import ServiceError
from tracker.services.stages import refresh_company_stages
from tracker.services.unit_of_work import use_case

FIELDS = ("rung", "reference", "granted_on", "valid_from", "valid_until", "batch", "source", "revoked_on", "revoke_reason")


def build_designation(
    company: Company,
    rung: str,
    *,
    granted_on: dt.date,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    reference: str | None = None,
    batch: str | None = None,
    source: str | None = "manual",
    actor_id: int | None = None,
) -> Designation:
    """Check and build (not add, not commit) a designation with the default validity of its rung."""
    if rung not in RUNG_BY_CODE:
        raise ServiceError(f"未知的资质类型：{rung}", field="rung")
    valid_from = valid_from or granted_on
    if valid_until is None:
        valid_until = default_valid_until(rung, valid_from)
    if valid_until is not None and valid_until < valid_from:
        raise ServiceError("有效期至不能早于有效期起", field="valid_until")
    return Designation(
        company_id=company.id, rung=rung, reference=(reference or "").strip() or None,
        granted_on=granted_on, valid_from=valid_from, valid_until=valid_until,
        batch=batch, source=source, created_by_id=actor_id,
    )


@use_case
def grant_designation(actor: User | None, company: Company, rung: str, **fields) -> Designation:
    """Record a recognition; the company's stage and timeline follow from it at once."""
    designation = build_designation(company, rung, actor_id=actor.id if actor else None, **fields)
    db.session.add(designation)
    refresh_company_stages([company.id])
    audit.record(actor.id if actor else None, "designation.grant", designation, after=audit.snapshot(designation, FIELDS))
    return designation


@use_case
def revoke_designation(actor: User, designation: Designation, *, revoked_on: dt.date, reason: str) -> Designation:
    """Revoke (撤销) a designation from a date: it stops counting from that day in every indicator."""
    if not (reason or "").strip():
        raise ServiceError("请填写撤销原因", field="reason")
    if designation.revoked_on is not None:
        raise ServiceError("该资质已被撤销")
    if revoked_on < designation.valid_from:
        raise ServiceError("撤销日期不能早于有效期起", field="revoked_on")
    before = audit.snapshot(designation, FIELDS)
    designation.revoked_on = revoked_on
    designation.revoke_reason = reason.strip()
    refresh_company_stages([designation.company_id])
    audit.record(actor.id, "designation.revoke", designation, before=before, after=audit.snapshot(designation, FIELDS))
    return designation
