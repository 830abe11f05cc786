"""Logging and editing visits (走访记录) with the follow-ups (诉求) raised during them.

A visit and all its follow-ups are checked first and then written in one unit of work: either the
whole record is saved or nothing is, and the owners the follow-ups were handed to are notified in
that same transaction. An officer may correct their own visit for a few days after recording it
(VISIT_EDIT_WINDOW_DAYS, which the view passes in); after that it is locked.

Decision: nobody else edits a visit, not even a manager or administrator. The notes are the
officer's own account of what they saw; a manager who disagrees adds a visit or a follow-up of
their own, and every change that did happen is in the audit log.

Withdrawal (撤回): within the same window the officer may withdraw their own visit (a visit
recorded by mistake, or twice). It is a soft delete: the row stays, marked `withdrawn_at`, the
audit log shows who withdrew it and when, and `Visit.live()` keeps it out of every count (My work
cadence, due visits, the company list's last visit, workloads, the company page). Decision: a
visit whose follow-ups (诉求) are not all 销号 cannot be withdrawn: a company's request, once
raised, is handled or closed on its own page, never silently dropped with the visit.

Location check-in (记录位置): with the officer's consent the form sends the phone's latitude,
longitude and accuracy; `far_from_company` (tracker/rules/geo.py) flags a visit recorded further
than VISIT_FAR_METRES from the company's hand-entered or imported position.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tracker.clock import local, now, today
from tracker.extensions import db
from tracker.models import Company, FollowUp, User, Visit
from tracker.models.visit import FOLLOW_UP_CATEGORIES, VISIT_KINDS
from tracker.rules import follow_ups as fu_rules
from tracker.rules import geo, workdays
from tracker.services import audit
from tracker.services.attachments import files as attachment_files
from tracker.services.calendar.notices import current_calendar
from tracker.services.errors import Conflict, Forbidden, ServiceError
from tracker.services.notifications import notify
from tracker.services.scoping import company_scope_clause, get_company_for, get_company_record_for
from tracker.services.unit_of_work import unit_of_work, use_case
from tracker.services.visits.follow_ups import FIELDS as FOLLOW_UP_FIELDS
from tracker.services.visits.follow_ups import check_owner

VISIT_FIELDS = ("company_id", "officer_id", "visited_on", "kind", "people_met", "summary", "next_planned_on")
LOCATION_FIELDS = ("latitude", "longitude", "location_accuracy")
EDITABLE_FIELDS = ("visited_on", "kind", "people_met", "summary", "next_planned_on")
EARLIEST_VISIT = dt.date(2023, 1, 1)  # the plan starts in 2023; older dates are typing errors
MAX_PLAN_AHEAD_DAYS = 730
DEFAULT_EDIT_WINDOW_DAYS = 7  # VISIT_EDIT_WINDOW_DAYS's default
LOCKED_MESSAGE = "已超过可修改期限"
CONFLICT_MESSAGE = "该记录已被修改（可能是您在另一窗口的操作），您的修改未保存，请对照当前内容后重新提交"
WITHDRAWN_MESSAGE = "该走访记录已撤回"


@dataclass
class FollowUpInput:
    """One follow-up row of the visit form; `index` names its row in error messages."""

    description: str
    category: str = "other"
    owner_id: int | None = None
    due_on: dt.date | None = None
    due_workdays: int | None = None
    index: int = 0


def get_visit_for(user: User, visit_id: int) -> Visit:
    """The visit if `user` may see its company; otherwise NotFound."""
    return get_company_record_for(user, Visit, visit_id, "走访记录不存在或您无权查看")


def _check_visit_fields(data: dict, on: dt.date) -> dict:
    visited_on = data.get("visited_on")
    if visited_on is None:
        raise ServiceError("请填写走访日期", field="visited_on")
    if visited_on > on:
        raise ServiceError("走访日期不能晚于今天", field="visited_on")
    if visited_on < EARLIEST_VISIT:
        raise ServiceError(f"走访日期不能早于 {EARLIEST_VISIT.isoformat()}", field="visited_on")
    if data.get("kind") not in VISIT_KINDS:
        raise ServiceError("请选择走访方式", field="kind")
    summary = (data.get("summary") or "").strip()
    if not summary:
        raise ServiceError("请填写走访情况", field="summary")
    planned = data.get("next_planned_on")
    if planned is not None:
        if planned <= visited_on:
            raise ServiceError("下次计划走访日期应晚于本次走访日期", field="next_planned_on")
        if (planned - visited_on).days > MAX_PLAN_AHEAD_DAYS:
            raise ServiceError("下次计划走访日期过远（不超过两年）", field="next_planned_on")
    return {
        "visited_on": visited_on, "kind": data["kind"], "summary": summary, "next_planned_on": planned,
        "people_met": (data.get("people_met") or "").strip() or None,
    }


def _check_location(data: dict) -> dict:
    """Latitude, longitude and accuracy from the check-in, all three or none (never half a position)."""
    raw = [data.get(name) for name in LOCATION_FIELDS]
    if all(value in (None, "") for value in raw):
        return {}
    try:
        latitude, longitude, accuracy = (Decimal(str(value)) for value in raw)
    except (InvalidOperation, ValueError):
        raise ServiceError("位置信息无效，请重新点击“记录位置”", field="latitude") from None
    if not geo.valid_position(float(latitude), float(longitude)) or not 0 <= accuracy <= geo.MAX_ACCURACY_METRES:
        raise ServiceError("位置信息无效，请重新点击“记录位置”", field="latitude")
    return {"latitude": latitude.quantize(Decimal("0.000001")), "longitude": longitude.quantize(Decimal("0.000001")),
            "location_accuracy": float(accuracy)}


def check_follow_up(row: FollowUpInput, company: Company, raised_on: dt.date, actor: User,
                    calendar: workdays.Calendar) -> dict:
    """One follow-up (诉求) raised on `raised_on`: its category, an owner who can see the company and
    its deadline (a date or working days); the values to store, or a ServiceError on its field.
    Shared by visits and accompaniment diagnoses, so both raise 诉求 by the same rules."""
    prefix = f"follow_ups-{row.index}-"
    description = (row.description or "").strip()
    if not description:
        raise ServiceError("请填写诉求内容", field=prefix + "description")
    if row.category not in FOLLOW_UP_CATEGORIES:
        raise ServiceError("请选择诉求类别", field=prefix + "category")
    owner = check_owner(row.owner_id or actor.id, company, field=prefix + "owner_id")
    try:
        due_on = fu_rules.deadline_from(raised_on, due_on=row.due_on, workdays_count=row.due_workdays, calendar=calendar)
    except fu_rules.FollowUpRefused as exc:
        raise ServiceError(exc.message, field=prefix + (exc.field or "due_on")) from exc
    return {"description": description, "category": row.category, "owner_id": owner.id, "due_on": due_on,
            "due_provisional": fu_rules.counted_without_notice(raised_on, due_on, row.due_workdays, calendar)}


@use_case
def log_visit(actor: User, company_id: int, data: dict, follow_ups: list[FollowUpInput] | None = None,
              uploads: list[attachment_files.Upload] | None = None) -> Visit:
    """Record a visit, the follow-ups raised in it and its photos or PDFs, all or nothing.

    Officers log visits for companies assigned to them, managers for their district; the visit's
    officer is whoever logs it. Follow-up deadlines count from the visit date. A follow-up handed
    to someone other than the actor notifies its owner at once.
    """
    company = get_company_for(actor, company_id, db.session)
    values = _check_visit_fields(data, today())
    location = _check_location(data)
    calendar = current_calendar()  # working days with the loaded holiday notices (issue 16)
    rows = [check_follow_up(r, company, values["visited_on"], actor, calendar) for r in (follow_ups or [])]
    prepared = attachment_files.prepare(uploads or [])  # refuse a bad file before anything is written
    visit = Visit(company_id=company.id, officer_id=actor.id, **values, **location)
    db.session.add(visit)
    audit.record(actor.id, "visit.create", visit, after=audit.snapshot(visit, VISIT_FIELDS + tuple(location)))
    raised = []
    for row in rows:
        follow_up = FollowUp(company_id=company.id, visit_id=visit.id, status=fu_rules.OPEN, **row)
        db.session.add(follow_up)
        audit.record(actor.id, "follow_up.create", follow_up, after=audit.snapshot(follow_up, FOLLOW_UP_FIELDS))
        raised.append(follow_up)
    attachment_files.attach(actor, prepared, visit=visit)
    notify.follow_ups_assigned(actor, raised)
    return visit


def edit_refusal(actor: User, visit: Visit, on: dt.date | None = None,
                 window_days: int = DEFAULT_EDIT_WINDOW_DAYS) -> str | None:
    """Why `actor` may not edit `visit` now (Chinese), or None when they may.

    `window_days`: how many days after recording the officer may still correct it.
    """
    if visit.withdrawn_at is not None:
        return WITHDRAWN_MESSAGE
    if visit.officer_id != actor.id:
        return "走访记录只能由记录人本人修改"
    recorded_on = local(visit.created_at).date()
    if (on or today()) > recorded_on + dt.timedelta(days=window_days):
        return f"{LOCKED_MESSAGE}（记录后{window_days}天内可修改），该记录已锁定"
    return None


@use_case(conflict=CONFLICT_MESSAGE)
def edit_visit(actor: User, visit: Visit, data: dict, *, version: int | None,
               window_days: int = DEFAULT_EDIT_WINDOW_DAYS) -> Visit:
    """Correct one's own visit within the edit window; version-checked; every change audited."""
    refusal = edit_refusal(actor, visit, window_days=window_days)
    if refusal:
        raise Forbidden(refusal)
    if version is not None and visit.version != version:
        raise Conflict(CONFLICT_MESSAGE)
    values = _check_visit_fields({**{f: getattr(visit, f) for f in EDITABLE_FIELDS}, **data}, today())
    before = audit.snapshot(visit, EDITABLE_FIELDS)
    for field, value in values.items():
        setattr(visit, field, value)
    after = audit.snapshot(visit, EDITABLE_FIELDS)
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return visit
    audit.record(actor.id, "visit.update", visit, before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return visit


def check_all_fields(data: dict, on: dt.date | None = None) -> list[ServiceError]:
    """Every meaning error of the visit's own fields at once (the form shows them beside its shape errors).

    `_check_visit_fields` stops at the first; this runs each check on its own so a future date is
    reported together with a missing summary, not after it is fixed.
    """
    on = on or today()
    errors: list[ServiceError] = []
    base = {"visited_on": on, "kind": "onsite", "summary": "-"}
    for name in ("visited_on", "kind", "summary", "next_planned_on"):
        if name not in data:
            continue
        trial = {**base, name: data[name]}
        if name == "next_planned_on" and data.get("visited_on") is not None:
            trial["visited_on"] = data["visited_on"]
        try:
            _check_visit_fields(trial, on)
        except ServiceError as exc:
            if exc.field == name:
                errors.append(exc)
    return errors


def withdraw_refusal(actor: User, visit: Visit, on: dt.date | None = None,
                     window_days: int = DEFAULT_EDIT_WINDOW_DAYS) -> str | None:
    """Why `actor` may not withdraw (撤回) `visit` now, or None: the edit window, own visits, 诉求 all 销号."""
    refusal = edit_refusal(actor, visit, on, window_days)
    if refusal:
        return refusal.replace("修改", "撤回") if visit.withdrawn_at is None else refusal
    unfinished = db.session.scalar(
        select(func.count(FollowUp.id)).where(FollowUp.visit_id == visit.id, FollowUp.status != fu_rules.CLOSED)
    )
    if unfinished:
        return f"该走访登记的 {unfinished} 条诉求尚未销号，不能撤回（诉求请在诉求页办理）"
    return None


@use_case(conflict=CONFLICT_MESSAGE)
def withdraw_visit(actor: User, visit: Visit, *, version: int | None,
                   window_days: int = DEFAULT_EDIT_WINDOW_DAYS, reason: str | None = None) -> Visit:
    """Withdraw one's own visit (soft delete), audited as visit.withdraw; it then counts nowhere."""
    refusal = withdraw_refusal(actor, visit, window_days=window_days)
    if refusal:
        raise Forbidden(refusal)
    if version is not None and visit.version != version:
        raise Conflict(CONFLICT_MESSAGE)
    visit.withdrawn_at = now()
    after = {"withdrawn_at": visit.withdrawn_at}
    if reason and reason.strip():
        after["withdraw_reason"] = reason.strip()[:200]
    audit.record(actor.id, "visit.withdraw", visit, before={"withdrawn_at": None}, after=after)
    return visit


def add_attachments(actor: User, visit: Visit, uploads: list[attachment_files.Upload], *,
                    window_days: int = DEFAULT_EDIT_WINDOW_DAYS) -> list:
    """Add photos or PDFs to one's own visit while it may still be edited (走访留痕)."""
    refusal = edit_refusal(actor, visit, window_days=window_days)
    if refusal:
        raise Forbidden(refusal)
    if not uploads:
        raise ServiceError("请选择要上传的文件", field="files")
    with unit_of_work():
        return attachment_files.attach(actor, uploads, visit=visit)


def far_from_company(visit: Visit, company: Company, limit_metres: float) -> float | None:
    """Metres between the visit's check-in and the company's position when over `limit_metres`, else None."""
    if None in (visit.latitude, visit.longitude, company.latitude, company.longitude):
        return None
    distance = geo.haversine_metres(float(visit.latitude), float(visit.longitude),
                                    float(company.latitude), float(company.longitude))
    return distance if distance > limit_metres else None


def recent_for_company(user: User, company_id: int, limit: int = 5) -> list[Visit]:
    """The company's latest live visits (for its page), newest first."""
    return list(
        db.session.scalars(
            select(Visit).join(Company, Company.id == Visit.company_id)
            .where(Visit.company_id == company_id, company_scope_clause(user), Visit.live())
            .options(selectinload(Visit.officer))  # one query for the names, not one per visit
            .order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(limit)
        )
    )

