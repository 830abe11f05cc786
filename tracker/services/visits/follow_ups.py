"""Follow-ups (诉求办理) handled as a case: status, notes, referral (交办) to a department and its
reply (反馈), chasing (催办), escalation (督办), owners, the manager's review (办结审核) and the
satisfaction call-back (满意度回访).

The rules live in tracker.rules.follow_ups; here they are applied to records with a version check
(two people acting on the same follow-up get a Conflict, not a silent overwrite), one audit row and
one timeline event (FollowUpEvent) per change, in one unit of work per action. Handing a follow-up
to someone notifies the new owner and escalating it the district's managers, in that same unit.
Lists are scoped through the company's visibility. docs/DOMAIN.md §7.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from tracker.clock import local, now, today
from tracker.extensions import db
from tracker.models import Assignment, Company, Department, FollowUp, FollowUpEvent, User
from tracker.rules import follow_ups as rules
from tracker.rules import workdays
from tracker.services import audit
from tracker.services.calendar.notices import current_calendar
from tracker.services.visits.departments import review_required
from tracker.services.errors import Conflict, ServiceError
from tracker.services.notifications import notify
from tracker.services.pagination import Page, page_count
from tracker.services.scoping import company_scope_clause, get_company_record_for
from tracker.services.unit_of_work import use_case

FIELDS = (
    "status", "category", "description", "owner_id", "due_on", "resolution", "satisfaction",
    "referred_unit", "referred_department_id", "referred_contact", "referred_deadline", "chased_at", "escalated_at",
)
CONFLICT_MESSAGE = "该诉求已被他人更新，请刷新后重试（您的操作未保存）"


def get_follow_up_for(user: User, follow_up_id: int) -> FollowUp:
    """The follow-up if `user` may see its company; otherwise NotFound (never reveal it exists)."""
    return get_company_record_for(user, FollowUp, follow_up_id, "诉求不存在或您无权查看")


def owner_candidates(company: Company, actor: User | None = None) -> list[User]:
    """People who may own a follow-up of `company`: its officers, its district's managers (and the actor)."""
    assigned = (
        select(Assignment.id)
        .where(Assignment.company_id == company.id, Assignment.officer_id == User.id, Assignment.assigned_until.is_(None))
        .exists()
    )
    users = list(
        db.session.scalars(
            select(User).where(
                User.active.is_(True),
                or_(and_(User.role == "officer", assigned), and_(User.role == "manager", User.district == company.district)),
            ).order_by(User.role.desc(), User.name)
        )
    )
    if actor is not None and all(u.id != actor.id for u in users):
        users.insert(0, actor)
    return users


def check_owner(owner_id: int | None, company: Company, *, field: str = "owner_id") -> User:
    """The owner must be an active user who can see the company (else nobody could handle it)."""
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None or not owner.active:
        raise ServiceError("请选择有效的承办人", field=field)
    visible = db.session.scalar(select(Company.id).where(Company.id == company.id, company_scope_clause(owner)))
    if visible is None:
        raise ServiceError(f"{owner.name} 无权查看该企业，不能作为承办人", field=field)
    return owner


def _check_version(follow_up: FollowUp, version: int | None) -> None:
    if version is not None and follow_up.version != version:
        raise Conflict(CONFLICT_MESSAGE)


def _refused(exc: rules.FollowUpRefused) -> ServiceError:
    return ServiceError(exc.message, field=exc.field)


def _clean_note(note: str | None, field: str = "note") -> str | None:
    text = (note or "").strip()
    if len(text) > rules.MAX_NOTE:
        raise ServiceError(f"说明不超过{rules.MAX_NOTE}字", field=field)
    return text or None


def _event(actor: User, follow_up: FollowUp, kind: str, **values) -> FollowUpEvent:
    event = FollowUpEvent(follow_up_id=follow_up.id, company_id=follow_up.company_id, kind=kind,
                          actor_id=actor.id if actor else None, at=now(), **values)
    db.session.add(event)
    return event


@use_case(conflict=CONFLICT_MESSAGE)
def move_status(
    actor: User, follow_up: FollowUp, to_status: str, *, version: int | None,
    resolution: str | None = None, satisfaction: str | None = None, note: str | None = None,
) -> FollowUp:
    """Move a follow-up through open → in_progress → resolved (办结) → closed (销号), with an optional note.

    Where a review is required (办结审核) an officer's 办结 enters 待审核 instead; a reviewing
    follow-up only moves by `review`.
    """
    _check_version(follow_up, version)
    if follow_up.status == rules.REVIEWING:
        raise ServiceError("该诉求正在等待办结审核，请由管理员审核通过或退回", field="status")
    note = _clean_note(note)
    try:
        rules.check_transition(follow_up.status, to_status, resolution=resolution, satisfaction=satisfaction)
    except rules.FollowUpRefused as exc:
        raise _refused(exc) from exc
    target = rules.resolve_target(to_status, review_required=review_required(follow_up.company.district),
                                  by_manager=not actor.is_officer)
    before = audit.snapshot(follow_up, FIELDS)
    follow_up.status = target
    if to_status == rules.RESOLVED:
        follow_up.resolution = resolution.strip()
        if target == rules.RESOLVED:
            follow_up.resolved_at = now()
    elif to_status == rules.CLOSED:
        follow_up.satisfaction = satisfaction
        follow_up.closed_at = now()
    elif to_status == rules.IN_PROGRESS and before["status"] == rules.RESOLVED:
        follow_up.resolved_at = None  # handled again: the earlier resolution note stays for the record
    kind = "review_request" if target == rules.REVIEWING else "status"
    _event(actor, follow_up, kind, from_status=before["status"], to_status=target,
           note=note or (follow_up.resolution if to_status == rules.RESOLVED else None),
           result=satisfaction if to_status == rules.CLOSED else None)
    _audit(actor, "follow_up.status", follow_up, before, note=note)
    return follow_up


@use_case(conflict=CONFLICT_MESSAGE)
def review(actor: User, follow_up: FollowUp, *, approve: bool, note: str | None, version: int | None) -> FollowUp:
    """办结审核: a manager of the company's district (or an administrator) approves an officer's
    办结 (→ 已办结) or sends it back with a note (→ 办理中)."""
    _check_version(follow_up, version)
    note = _clean_note(note)
    try:
        target = rules.check_review(follow_up.status, approve, note, by_manager=not actor.is_officer)
    except rules.FollowUpRefused as exc:
        raise _refused(exc) from exc
    before = audit.snapshot(follow_up, FIELDS)
    follow_up.status = target
    if target == rules.RESOLVED:
        follow_up.resolved_at = now()
    _event(actor, follow_up, "approve" if approve else "send_back", from_status=before["status"], to_status=target,
           note=note)
    _audit(actor, "follow_up.review", follow_up, before, note=note)
    return follow_up


@use_case(conflict=CONFLICT_MESSAGE)
def add_note(actor: User, follow_up: FollowUp, note: str | None, *, version: int | None) -> FollowUp:
    """A progress note (办理进展) on the timeline; the follow-up itself does not change."""
    _check_version(follow_up, version)
    text = _clean_note(note)
    if not text:
        raise ServiceError("请填写办理进展", field="note")
    if follow_up.status == rules.CLOSED:
        raise ServiceError("该诉求已销号，请登记满意度回访", field="note")
    _event(actor, follow_up, "note", note=text)
    audit.record(actor.id, "follow_up.note", follow_up, after={"note": text})
    return follow_up


@use_case(conflict=CONFLICT_MESSAGE)
def record_reply(actor: User, follow_up: FollowUp, *, replied_on: dt.date | None, text: str | None,
                 version: int | None) -> FollowUp:
    """The department's reply (反馈) to a referral: its date and content, on the timeline."""
    _check_version(follow_up, version)
    try:
        rules.check_reply(follow_up.status, bool(follow_up.referred_unit), replied_on, text, today())
    except rules.FollowUpRefused as exc:
        raise _refused(exc) from exc
    text = _clean_note(text, "text")
    _event(actor, follow_up, "reply", note=text, on_date=replied_on, department_id=follow_up.referred_department_id)
    audit.record(actor.id, "follow_up.reply", follow_up,
                 after={"replied_on": replied_on, "reply": text, "referred_unit": follow_up.referred_unit})
    return follow_up


@use_case(conflict=CONFLICT_MESSAGE)
def record_callback(actor: User, follow_up: FollowUp, *, called_on: dt.date | None, result: str | None,
                    note: str | None, version: int | None) -> FollowUp:
    """满意度回访 after 销号: the date of the call, the company's answer and a note."""
    _check_version(follow_up, version)
    closed_on = local(follow_up.closed_at).date() if follow_up.closed_at else None
    try:
        rules.check_callback(follow_up.status, called_on, result, closed_on, today())
    except rules.FollowUpRefused as exc:
        raise _refused(exc) from exc
    note = _clean_note(note)
    _event(actor, follow_up, "callback", on_date=called_on, result=result, note=note)
    audit.record(actor.id, "follow_up.callback", follow_up,
                 after={"called_on": called_on, "callback_result": result, "note": note})
    return follow_up


@use_case(conflict=CONFLICT_MESSAGE)
def refer(
    actor: User, follow_up: FollowUp, *, version: int | None, unit: str | None = None, contact: str | None = None,
    deadline: dt.date | None, deadline_workdays: int | None = None, department_id: int | None = None,
    note: str | None = None,
) -> FollowUp:
    """Refer (交办) to a department from the administrator's list (or, for older callers, a unit
    typed in) with a contact and a deadline; an open one becomes in progress.

    The deadline is a date or N working days from today (not both).
    """
    _check_version(follow_up, version)
    department = None
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None or not department.active:
            raise ServiceError("请从列表中选择承办单位", field="department_id")
        unit = department.name
        contact = (contact or "").strip() or department.contact
    note = _clean_note(note)
    calendar = current_calendar()
    if deadline_workdays is not None:
        if deadline is not None:
            raise ServiceError("交办期限请只填写日期或工作日数其中一项", field="deadline")
        if not 1 <= deadline_workdays <= workdays.MAX_WORKDAYS:
            raise ServiceError(f"工作日数应在 1 到 {workdays.MAX_WORKDAYS} 之间", field="deadline_workdays")
        deadline = calendar.add_workdays(today(), deadline_workdays)
    try:
        rules.check_referral(follow_up.status, unit, contact, deadline, today())
    except rules.FollowUpRefused as exc:
        if exc.field == "unit" and department_id is None:
            raise ServiceError(exc.message, field="department_id" if unit is None else "unit") from exc
        raise _refused(exc) from exc
    before = audit.snapshot(follow_up, FIELDS)
    follow_up.referred_unit = unit.strip()
    follow_up.referred_department_id = department.id if department else None
    follow_up.referred_contact = (contact or "").strip() or None
    follow_up.referred_deadline = deadline
    follow_up.referred_deadline_provisional = rules.counted_without_notice(today(), deadline, deadline_workdays, calendar)
    if follow_up.status == rules.OPEN:
        follow_up.status = rules.IN_PROGRESS
    _event(actor, follow_up, "refer", from_status=before["status"], to_status=follow_up.status, note=note,
           department_id=follow_up.referred_department_id, on_date=deadline)
    _audit(actor, "follow_up.refer", follow_up, before, note=note)
    return follow_up


@use_case(conflict=CONFLICT_MESSAGE)
def chase(actor: User, follow_up: FollowUp, *, version: int | None) -> FollowUp:
    """Record a chase (催办) of an overdue follow-up; the time starts the escalation clock."""
    _check_version(follow_up, version)
    try:
        rules.check_chase(follow_up.status, follow_up.due_on, today())
    except rules.FollowUpRefused as exc:
        raise _refused(exc) from exc
    before = audit.snapshot(follow_up, FIELDS)
    follow_up.chased_at = now()
    _event(actor, follow_up, "chase")
    _audit(actor, "follow_up.chase", follow_up, before)
    return follow_up


@use_case(conflict=CONFLICT_MESSAGE)
def escalate(actor: User, follow_up: FollowUp, *, version: int | None) -> FollowUp:
    """Escalate (督办) to the district manager: after a chase, or at once by a manager.

    The district's managers (other than the actor) are notified at once.
    """
    _check_version(follow_up, version)
    chased_on = local(follow_up.chased_at).date() if follow_up.chased_at else None
    try:
        rules.check_escalate(
            follow_up.status, follow_up.due_on, chased_on, follow_up.escalated_at is not None, today(),
            by_manager=not actor.is_officer, calendar=current_calendar(),
        )
    except rules.FollowUpRefused as exc:
        raise _refused(exc) from exc
    before = audit.snapshot(follow_up, FIELDS)
    follow_up.escalated_at = now()
    _event(actor, follow_up, "escalate")
    _audit(actor, "follow_up.escalate", follow_up, before)
    notify.follow_up_escalated(actor, follow_up)
    return follow_up


@use_case(conflict=CONFLICT_MESSAGE)
def reassign(actor: User, follow_up: FollowUp, owner_id: int | None, *, version: int | None) -> FollowUp:
    """Hand the follow-up to another person who can see the company; they are notified (unless it is the actor)."""
    _check_version(follow_up, version)
    if follow_up.status == rules.CLOSED:
        raise ServiceError("已销号的诉求不能更换承办人", field="owner_id")
    owner = check_owner(owner_id, follow_up.company)
    if owner.id == follow_up.owner_id:
        raise ServiceError("承办人没有变化", field="owner_id")
    before = audit.snapshot(follow_up, FIELDS)
    follow_up.owner_id = owner.id
    _event(actor, follow_up, "reassign", other_user_id=owner.id)
    _audit(actor, "follow_up.reassign", follow_up, before)
    notify.follow_ups_assigned(actor, [follow_up])
    return follow_up


def _audit(actor: User, action: str, follow_up: FollowUp, before: dict, *, note: str | None = None) -> None:
    after = audit.snapshot(follow_up, FIELDS)
    changed = [k for k in after if after[k] != before[k]]
    extra = {"note": note} if note else {}
    audit.record(actor.id, action, follow_up, before={k: before[k] for k in changed},
                 after={**{k: after[k] for k in changed}, **extra})


# --- the list ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FollowUpFilters:
    status: str = "active"  # active | all | one of rules.STATUSES
    owner: str = ""  # "" all | "me" | a user id
    due: str = ""  # "" | overdue | week | escalated
    company_id: int | None = None


@dataclass(frozen=True)
class FollowUpRow:
    id: int
    company_id: int
    company_name: str
    category: str
    description: str
    status: str
    owner_id: int | None
    owner_name: str | None
    due_on: dt.date | None
    referred_unit: str | None
    chased: bool
    escalated: bool
    deadline_state: str


def _filtered(user: User, filters: FollowUpFilters, on: dt.date):
    query = (
        select(FollowUp.id)
        .join(Company, Company.id == FollowUp.company_id)
        .where(company_scope_clause(user))
    )
    if filters.status == "active":
        query = query.where(FollowUp.status.in_(rules.ACTIVE_STATUSES))
    elif filters.status in rules.STATUSES:
        query = query.where(FollowUp.status == filters.status)
    if filters.owner == "me":
        query = query.where(FollowUp.owner_id == user.id)
    elif filters.owner.isdigit():
        query = query.where(FollowUp.owner_id == int(filters.owner))
    if filters.due == "overdue":
        query = query.where(FollowUp.status.in_(rules.ACTIVE_STATUSES), FollowUp.due_on < on)
    elif filters.due == "week":
        query = query.where(
            FollowUp.status.in_(rules.ACTIVE_STATUSES),
            FollowUp.due_on <= on + dt.timedelta(days=rules.DEFAULT_POLICY.due_soon_days),
        )
    elif filters.due == "escalated":
        query = query.where(FollowUp.status.in_(rules.ACTIVE_STATUSES), FollowUp.escalated_at.is_not(None))
    if filters.company_id:
        query = query.where(FollowUp.company_id == filters.company_id)
    return query


def list_follow_ups(user: User, filters: FollowUpFilters, on: dt.date, page: int = 1, per_page: int = 50) -> Page[FollowUpRow]:
    """One page of the follow-ups `user` may see, soonest due first, in two queries (count + rows)."""
    base = _filtered(user, filters, on)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = max(1, min(page, page_count(total, per_page)))
    rows = db.session.execute(
        select(
            FollowUp.id, FollowUp.company_id, Company.name, FollowUp.category, FollowUp.description,
            FollowUp.status, FollowUp.owner_id, User.name, FollowUp.due_on, FollowUp.referred_unit,
            FollowUp.chased_at, FollowUp.escalated_at,
        )
        .join(Company, Company.id == FollowUp.company_id)
        .outerjoin(User, User.id == FollowUp.owner_id)
        .where(FollowUp.id.in_(base))
        .order_by(FollowUp.due_on.is_(None), FollowUp.due_on, FollowUp.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(
        rows=[
            FollowUpRow(
                id=r[0], company_id=r[1], company_name=r[2], category=r[3], description=r[4], status=r[5],
                owner_id=r[6], owner_name=r[7], due_on=r[8], referred_unit=r[9], chased=r[10] is not None,
                escalated=r[11] is not None, deadline_state=rules.deadline_state(r[5], r[8], on),
            )
            for r in rows
        ],
        page=page, per_page=per_page, total=total,
    )


def open_for_company(user: User, company_id: int, limit: int = 20) -> list[FollowUp]:
    """The company's unfinished follow-ups (for its page), soonest due first."""
    return list(
        db.session.scalars(
            select(FollowUp).join(Company, Company.id == FollowUp.company_id)
            .where(FollowUp.company_id == company_id, FollowUp.status.in_(rules.ACTIVE_STATUSES), company_scope_clause(user))
            .options(selectinload(FollowUp.owner))
            .order_by(FollowUp.due_on.is_(None), FollowUp.due_on, FollowUp.id).limit(limit)
        )
    )


def owner_filter_choices(user: User) -> list[tuple[str, str]]:
    """Owner filter options: everyone, me, and (for managers/admins) the officers they oversee."""
    choices = [("", "全部承办人"), ("me", "我承办的")]
    if not user.is_officer:
        query = select(User.id, User.name).where(User.active.is_(True), User.role.in_(("officer", "manager")))
        if user.is_manager:
            query = query.where(User.district == user.district)
        choices += [(str(i), n) for i, n in db.session.execute(query.order_by(User.name).limit(500))]
    return choices


# --- the case's timeline ----------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineItem:
    """One line of a follow-up's timeline (诉求办理记录), oldest first."""

    at: dt.datetime
    kind: str
    label: str
    actor_name: str | None
    from_status: str | None = None
    to_status: str | None = None
    note: str | None = None
    department: str | None = None
    on_date: dt.date | None = None
    result: str | None = None
    other_user: str | None = None


def timeline(follow_up: FollowUp) -> list[TimelineItem]:
    """The follow-up's raising and every step of its handling, with who and when, in one query.

    Follow-ups handled before the timeline existed show their raising and what the record
    itself still says (referral, resolution, closing).
    """
    other = aliased(User)
    rows = db.session.execute(
        select(FollowUpEvent, User.name, Department.name, other.name)
        .outerjoin(User, User.id == FollowUpEvent.actor_id)
        .outerjoin(Department, Department.id == FollowUpEvent.department_id)
        .outerjoin(other, other.id == FollowUpEvent.other_user_id)
        .where(FollowUpEvent.follow_up_id == follow_up.id)
        .order_by(FollowUpEvent.at, FollowUpEvent.id)
    ).all()
    raised_by = follow_up.visit.officer.name if follow_up.visit is not None else None
    items = [TimelineItem(at=follow_up.created_at, kind="raised", label="提出诉求", actor_name=raised_by,
                          to_status=rules.OPEN, note=follow_up.description)]
    for event, actor_name, department, other_name in rows:
        label = rules.EVENT_NAMES.get(event.kind, "办理记录")
        if event.kind == "status" and event.to_status:
            label = {rules.IN_PROGRESS: "开始办理" if event.from_status == rules.OPEN else "重新办理",
                     rules.RESOLVED: "办结", rules.CLOSED: "销号"}.get(event.to_status, label)
        items.append(TimelineItem(
            at=event.at, kind=event.kind, label=label, actor_name=actor_name, from_status=event.from_status,
            to_status=event.to_status, note=event.note, department=department, on_date=event.on_date,
            result=event.result, other_user=other_name,
        ))
    return items


def last_callback(follow_up: FollowUp) -> FollowUpEvent | None:
    """The latest satisfaction call-back (满意度回访) of a closed follow-up, if any."""
    return db.session.scalar(
        select(FollowUpEvent).where(FollowUpEvent.follow_up_id == follow_up.id, FollowUpEvent.kind == "callback")
        .order_by(FollowUpEvent.at.desc(), FollowUpEvent.id.desc()).limit(1)
    )
