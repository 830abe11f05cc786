"""Writing support records (扶持记录, docs/DOMAIN.md §9): add, correct, remove, and the subsidy a paid
policy claim becomes.

Who: anyone who can see the company (its officers, its district's managers, administrators)
records and corrects its support; removing one (soft delete) is for managers, administrators and
whoever recorded it. The meaning of each kind is checked by tracker.rules.support.check_record,
the same check the importer applies. Every change writes one audit row. Uniqueness the rules
need: one 研发费用加计扣除 record per company and year, one live listing process per company.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import Company, SupportRecord, User
from tracker.rules import support as rules
from tracker.services import audit
from tracker.services.errors import Conflict, Forbidden, NotFound, ServiceError
from tracker.services.scoping import get_company_for, get_company_record_for
from tracker.services.unit_of_work import DEFAULT_CONFLICT, use_case

CONFLICT_MESSAGE = DEFAULT_CONFLICT  # the app-wide wording (tracker.services.unit_of_work)
MISSING = "扶持记录不存在或您无权查看"
_MAX_ID = 2**63
AUDIT_FIELDS = ("year", *rules.TYPED_FIELDS, "note", "source", "source_claim_id")


# Audit keys of their own where the log already labels a field name differently (filed_on is an
# annual report's 报送日期 there), and vocabularies written by their Chinese names, so the log
# (tracker/services/auditlog/events.py) never shows a code.
_AUDIT_KEYS = {"filed_on": "listing_filed_on", "level": "contest_level"}
_AUDIT_NAMES = {"loan_product": rules.LOAN_PRODUCTS, "listing_stage": rules.LISTING_STAGES,
                "listing_board": rules.LISTING_BOARDS, "level": rules.CONTEST_LEVELS}


def snapshot(record: SupportRecord) -> dict:
    """The audited values of a record (empty fields left out); the kind as `support_kind`."""
    values = audit.snapshot(record, AUDIT_FIELDS)
    out = {"support_kind": rules.kind_name(record.kind)}
    for name, value in values.items():
        if value is None:
            continue
        if name in _AUDIT_NAMES:
            value = _AUDIT_NAMES[name].get(value, value)
        out[_AUDIT_KEYS.get(name, name)] = value
    return out


def get_record_for(user: User, record_id: int) -> SupportRecord:
    """A live support record whose company `user` may see; otherwise NotFound."""
    if not 0 < record_id < _MAX_ID:
        raise NotFound(MISSING)
    record = get_company_record_for(user, SupportRecord, record_id, MISSING)
    if record.deleted_at is not None:
        raise NotFound(MISSING)
    return record


def _refused(exc: rules.SupportRefused) -> ServiceError:
    return ServiceError(exc.message, field=exc.field)


def _check_unique(company_id: int, checked: rules.CheckedRecord, exclude_id: int | None = None) -> None:
    if checked.kind not in (rules.RD_DEDUCTION, rules.LISTING):
        return
    query = select(SupportRecord).where(
        SupportRecord.company_id == company_id, SupportRecord.kind == checked.kind, SupportRecord.deleted_at.is_(None),
    )
    if checked.kind == rules.RD_DEDUCTION:
        query = query.where(SupportRecord.year == checked.year)
    if exclude_id is not None:
        query = query.where(SupportRecord.id != exclude_id)
    other = db.session.scalars(query.limit(1)).first()
    if other is None:
        return
    if checked.kind == rules.RD_DEDUCTION:
        raise ServiceError(f"该企业 {checked.year} 年的研发费用加计扣除已登记，请修改原记录", field="year")
    raise ServiceError("该企业已有上市培育记录，请在原记录上更新阶段", field="kind")


def _apply(record: SupportRecord, checked: rules.CheckedRecord) -> None:
    record.kind = checked.kind
    record.year = checked.year
    for name, value in checked.values.items():
        setattr(record, name, value)
    record.note = checked.note


def check(data: dict) -> rules.CheckedRecord:
    """The rules' check of a record's values, as a ServiceError naming the field."""
    try:
        return rules.check_record(data, today())
    except rules.SupportRefused as exc:
        raise _refused(exc) from exc


@use_case
def add_record(actor: User, company_id: int, data: dict, *, source: str = "manual") -> SupportRecord:
    """Record one support of a company the actor may see (`data`: typed values by field)."""
    company = get_company_for(actor, company_id, db.session)
    checked = check(data)
    _check_unique(company.id, checked)
    record = SupportRecord(company_id=company.id, recorded_by_id=actor.id, source=source)
    _apply(record, checked)
    db.session.add(record)
    audit.record(actor.id, "support.create", record, after=snapshot(record))
    return record


@use_case(conflict=CONFLICT_MESSAGE)
def update_record(actor: User, record: SupportRecord, data: dict, *, version: int | None) -> SupportRecord:
    """Correct a record (its kind stays); version-checked; one audit row with what changed."""
    if version is not None and record.version != version:
        raise Conflict(CONFLICT_MESSAGE)
    checked = check({**data, "kind": record.kind})
    _check_unique(record.company_id, checked, exclude_id=record.id)
    before = snapshot(record)
    _apply(record, checked)
    after = snapshot(record)
    changed = sorted(set(before) | set(after))
    changed = [k for k in changed if before.get(k) != after.get(k)]
    if changed:
        audit.record(actor.id, "support.update", record, before={k: before.get(k) for k in changed},
                     after={k: after.get(k) for k in changed})
    return record


def may_delete(actor: User, record: SupportRecord) -> bool:
    """Managers and administrators remove records; an officer only what they recorded."""
    return not actor.is_officer or record.recorded_by_id == actor.id


@use_case(conflict=CONFLICT_MESSAGE)
def delete_record(actor: User, record: SupportRecord, *, version: int | None = None) -> None:
    """Remove a record (soft delete: it stays in the history and the audit log)."""
    if not may_delete(actor, record):
        raise Forbidden("服务专员只能删除本人登记的扶持记录")
    if version is not None and record.version != version:
        raise Conflict(CONFLICT_MESSAGE)
    record.deleted_at = now()
    audit.record(actor.id, "support.delete", record, before=snapshot(record))


@use_case
def record_subsidy(actor: User | None, company_id: int, year: int, policy_name: str, amount: Decimal,
                   paid_on: dt.date | None, source_claim_id: int | None = None) -> SupportRecord:
    """The subsidy or reward a paid policy claim becomes (政策兑现 → 补贴奖励记录).

    Callable inside the caller's unit of work (it joins it; only the outermost unit commits).
    `actor` None is the system. A claim paid again (same `source_claim_id`) updates its record
    instead of adding a second one. Refused values raise ServiceError like the form's.
    """
    if actor is not None:
        company = get_company_for(actor, company_id, db.session)
    else:
        company = db.session.get(Company, company_id)
        if company is None or company.deleted_at is not None:
            raise NotFound("企业不存在或已删除")
    checked = check({"kind": rules.SUBSIDY, "year": year, "name": policy_name, "amount": amount,
                     "occurred_on": paid_on})
    existing = None
    if source_claim_id is not None:
        existing = db.session.scalars(select(SupportRecord).where(
            SupportRecord.source_claim_id == source_claim_id, SupportRecord.kind == rules.SUBSIDY,
            SupportRecord.deleted_at.is_(None),
        ).limit(1)).first()
    actor_id = actor.id if actor is not None else None
    if existing is not None:
        before = snapshot(existing)
        _apply(existing, checked)
        after = snapshot(existing)
        changed = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
        if changed:
            audit.record(actor_id, "support.update", existing, before={k: before.get(k) for k in changed},
                         after={k: after.get(k) for k in changed})
        return existing
    record = SupportRecord(company_id=company.id, recorded_by_id=actor_id, source="policy",
                           source_claim_id=source_claim_id)
    _apply(record, checked)
    db.session.add(record)
    audit.record(actor_id, "support.create", record, after=snapshot(record))
    return record


def form_values(record: SupportRecord) -> dict[str, Any]:
    """A record's values by field (to fill the edit form)."""
    return {"kind": record.kind, "year": record.year, "note": record.note,
            **{name: getattr(record, name) for name in rules.TYPED_FIELDS}}
