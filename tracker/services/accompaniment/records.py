"""Diagnosis records (把脉, plan §7 "一对一把脉，定制化解决科创难题"; docs/DOMAIN.md §9) of key companies.

A record says when the diagnosis took place (in the key-company list's year), who took part, what
was found and which resources were introduced (资本, 人才, 平台, 政策: any of them). It links the
follow-ups (诉求) it raised — new ones created with it, in the same unit of work, each with an
owner and a deadline as on a visit — and existing open follow-ups of the company it took up.

Who: anyone who can see the company (its officers, its district's managers, administrators)
records a diagnosis; whoever recorded it, managers and administrators correct or remove it (soft
delete; its follow-ups stay, they are handled on their own pages). Every change writes one
audit row, and each follow-up created its own, as on a visit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import AccompanimentRecord, Company, FollowUp, KeyCompany, User
from tracker.rules import accompaniment as rules
from tracker.rules import follow_ups as fu_rules
from tracker.services import audit
from tracker.services.calendar.notices import current_calendar
from tracker.services.errors import Conflict, Forbidden, NotFound, ServiceError
from tracker.services.notifications import notify
from tracker.services.scoping import company_scope_clause, get_company_for
from tracker.services.unit_of_work import DEFAULT_CONFLICT, use_case
from tracker.services.visits.follow_ups import FIELDS as FOLLOW_UP_FIELDS
from tracker.services.visits.records import FollowUpInput, check_follow_up

FIELDS = ("key_company_id", "held_on", "participants", "findings", "resources", "resource_notes", "follow_up_ids")
MISSING = "陪伴记录不存在或您无权查看"
CONFLICT_MESSAGE = DEFAULT_CONFLICT  # the app-wide wording (tracker.services.unit_of_work)
_MAX_ID = 2**63

__all__ = ["FollowUpInput", "log_record", "edit_record", "delete_record", "get_record_for", "company_year"]


def get_record_for(user: User, record_id: int) -> AccompanimentRecord:
    """A live record whose company `user` may see; otherwise NotFound."""
    if not 0 < record_id < _MAX_ID:
        raise NotFound(MISSING)
    record = db.session.scalar(
        select(AccompanimentRecord).join(Company, Company.id == AccompanimentRecord.company_id)
        .where(AccompanimentRecord.id == record_id, AccompanimentRecord.deleted_at.is_(None), company_scope_clause(user))
    )
    if record is None:
        raise NotFound(MISSING)
    return record


def _snapshot(record: AccompanimentRecord) -> dict:
    values = audit.snapshot(record, FIELDS[:-1])
    values["resources"] = rules.resource_names(record.resources) or None  # the log shows names, not codes
    values["follow_up_ids"] = sorted(f.id for f in record.follow_ups)
    return values


def _check_fields(data: dict, entry: KeyCompany) -> dict:
    try:
        return {
            "held_on": rules.check_record_date(data.get("held_on"), entry.year, today()),
            "participants": rules.clean_text(data.get("participants"), "participants", "参加人员", required=True),
            "findings": rules.clean_text(data.get("findings"), "findings", "把脉情况（发现的问题与建议）", required=True),
            "resources": rules.join_resources(rules.check_resources(data.get("resources"))) or None,
            "resource_notes": rules.clean_text(data.get("resource_notes"), "resource_notes", "资源对接说明"),
        }
    except rules.AccompanimentRefused as exc:
        raise ServiceError(exc.message, field=exc.field) from exc


def _linkable(company: Company, follow_up_ids: list[int] | None) -> list[FollowUp]:
    """Existing follow-ups of this company to link (any status: an old one taken up again counts)."""
    ids = sorted({int(i) for i in (follow_up_ids or []) if 0 < int(i) < _MAX_ID})
    if not ids:
        return []
    found = list(db.session.scalars(select(FollowUp).where(FollowUp.id.in_(ids), FollowUp.company_id == company.id)))
    if len(found) != len(ids):
        raise ServiceError("只能关联本企业的诉求", field="link_follow_up_ids")
    return found


def linkable_follow_ups(user: User, company_id: int, limit: int = 30) -> list[FollowUp]:
    """The company's unfinished follow-ups a diagnosis may take up (the form's checkboxes)."""
    return list(db.session.scalars(
        select(FollowUp).join(Company, Company.id == FollowUp.company_id)
        .where(FollowUp.company_id == company_id, FollowUp.status.in_(fu_rules.ACTIVE_STATUSES), company_scope_clause(user))
        .order_by(FollowUp.id.desc()).limit(limit)
    ))


@use_case
def log_record(actor: User, entry: KeyCompany, data: dict, follow_ups: list[FollowUpInput] | None = None,
               link_follow_up_ids: list[int] | None = None) -> AccompanimentRecord:
    """Record a diagnosis of a key company with the follow-ups it raised, all or nothing.

    New follow-ups count their deadline from the diagnosis date; one handed to someone other
    than the actor notifies its owner at once (as on a visit).
    """
    company = get_company_for(actor, entry.company_id, db.session)
    if entry.deleted_at is not None:
        raise NotFound("该企业已移出重点陪伴企业名单")
    values = _check_fields(data, entry)
    calendar = current_calendar()
    rows = [check_follow_up(r, company, values["held_on"], actor, calendar) for r in (follow_ups or [])]
    linked = _linkable(company, link_follow_up_ids)
    record = AccompanimentRecord(key_company_id=entry.id, company_id=company.id, recorded_by_id=actor.id, **values)
    db.session.add(record)
    raised = []
    for row in rows:
        follow_up = FollowUp(company_id=company.id, visit_id=None, status=fu_rules.OPEN, **row)
        db.session.add(follow_up)
        audit.record(actor.id, "follow_up.create", follow_up, after=audit.snapshot(follow_up, FOLLOW_UP_FIELDS))
        raised.append(follow_up)
    record.follow_ups = [*linked, *raised]
    audit.record(actor.id, "accompaniment.create", record, after=_snapshot(record))
    notify.follow_ups_assigned(actor, raised)
    return record


def may_change(actor: User, record: AccompanimentRecord) -> bool:
    """Whoever recorded it, managers of its district and administrators."""
    return actor.is_admin or actor.is_manager or record.recorded_by_id == actor.id


@use_case(conflict=CONFLICT_MESSAGE)
def edit_record(actor: User, record: AccompanimentRecord, data: dict, *, version: int | None,
                link_follow_up_ids: list[int] | None = None) -> AccompanimentRecord:
    """Correct a diagnosis (date, people, findings, resources, linked follow-ups); version-checked."""
    if not may_change(actor, record):
        raise Forbidden("陪伴记录只能由记录人或管理员修改")
    if version is not None and record.version != version:
        raise Conflict(CONFLICT_MESSAGE)
    values = _check_fields(data, record.key_company)
    before = _snapshot(record)
    for name, value in values.items():
        setattr(record, name, value)
    if link_follow_up_ids is not None:
        record.follow_ups = _linkable(record.company, link_follow_up_ids)
    after = _snapshot(record)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        record.updated_at = now()  # a change of links alone must still bump the version
        audit.record(actor.id, "accompaniment.update", record, before={k: before[k] for k in changed},
                     after={k: after[k] for k in changed})
    return record


@use_case(conflict=CONFLICT_MESSAGE)
def delete_record(actor: User, record: AccompanimentRecord, *, version: int | None = None) -> None:
    """Remove a diagnosis (soft delete); the follow-ups it raised stay and are handled as before."""
    if not may_change(actor, record):
        raise Forbidden("陪伴记录只能由记录人或管理员删除")
    if version is not None and record.version != version:
        raise Conflict(CONFLICT_MESSAGE)
    record.deleted_at = now()
    audit.record(actor.id, "accompaniment.delete", record, before=_snapshot(record))


# --- the company's year of accompaniment ---------------------------------------------------------

@dataclass
class CompanyYear:
    """What the per-company page shows: the list entry (if any), the year's diagnoses, and the
    other years the company was a key company."""

    company: Company
    year: int
    entry: KeyCompany | None
    records: list[AccompanimentRecord]
    years: list[int]


def company_year(user: User, company_id: int, year: int) -> CompanyYear:
    """A company's accompaniment in one year (the caller may see the company, else NotFound)."""
    company = get_company_for(user, company_id, db.session)
    entries = list(db.session.scalars(
        select(KeyCompany).where(KeyCompany.company_id == company.id, KeyCompany.deleted_at.is_(None))
        .order_by(KeyCompany.year.desc())
    ))
    entry = next((e for e in entries if e.year == year), None)
    records = list(db.session.scalars(
        select(AccompanimentRecord)
        .where(AccompanimentRecord.company_id == company.id, AccompanimentRecord.deleted_at.is_(None),
               AccompanimentRecord.held_on.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
        .options(selectinload(AccompanimentRecord.follow_ups), selectinload(AccompanimentRecord.recorded_by))
        .order_by(AccompanimentRecord.held_on.desc(), AccompanimentRecord.id.desc())
    ))
    return CompanyYear(company=company, year=year, entry=entry, records=records, years=[e.year for e in entries])
