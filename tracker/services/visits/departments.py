"""The departments follow-ups are referred to (承办单位, kept by an administrator) and where a
manager's review comes before 销号 (办结审核: a setting for the city, overridden per district).

docs/DOMAIN.md §7. Each change is one unit of work with its audit row.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from tracker.clock import now
from tracker.extensions import db
from tracker.models import Department, FollowUpReviewSetting, User
from tracker.models.follow_up_case import CITY_SCOPE
from tracker.rules.districts import DISTRICT_CODES, DISTRICT_NAMES
from tracker.services import audit
from tracker.services.errors import Forbidden, NotFound, ServiceError
from tracker.services.unit_of_work import use_case

DEPARTMENT_FIELDS = ("name", "contact", "active")


def departments(*, active_only: bool = True) -> list[Department]:
    """The departments to refer to, by name (retired ones too for the administrator's page)."""
    query = select(Department)
    if active_only:
        query = query.where(Department.active.is_(True))
    return list(db.session.scalars(query.order_by(Department.active.desc(), Department.name)))


def _check_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("只有市级管理员可以维护承办单位")


def _clean(name: str | None, contact: str | None, *, exclude_id: int | None = None) -> tuple[str, str | None]:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("请填写承办单位名称", field="name")
    if len(name) > 128:
        raise ServiceError("承办单位名称不超过128字", field="name")
    contact = (contact or "").strip() or None
    if contact and len(contact) > 64:
        raise ServiceError("联系人及电话不超过64字", field="contact")
    clash = select(Department.id).where(func.lower(Department.name) == name.lower())
    if exclude_id is not None:
        clash = clash.where(Department.id != exclude_id)
    if db.session.scalar(clash) is not None:
        raise ServiceError(f"承办单位“{name}”已存在", field="name")
    return name, contact


@use_case
def add_department(actor: User, name: str | None, contact: str | None = None) -> Department:
    """Add a department to the list (administrators only)."""
    _check_admin(actor)
    name, contact = _clean(name, contact)
    department = Department(name=name, contact=contact, active=True)
    db.session.add(department)
    audit.record(actor.id, "department.create", department, after=audit.snapshot(department, DEPARTMENT_FIELDS))
    return department


@use_case
def update_department(actor: User, department_id: int, *, name: str | None, contact: str | None,
                      active: bool) -> Department:
    """Rename a department, change its contact, retire or restore it (referrals already made keep it)."""
    _check_admin(actor)
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound("承办单位不存在")
    name, contact = _clean(name, contact, exclude_id=department.id)
    before = audit.snapshot(department, DEPARTMENT_FIELDS)
    department.name, department.contact, department.active = name, contact, bool(active)
    after = audit.snapshot(department, DEPARTMENT_FIELDS)
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        raise ServiceError("没有需要保存的修改", field="name")
    audit.record(actor.id, "department.update", department, before={k: before[k] for k in changed},
                 after={k: after[k] for k in changed})
    return department


# --- 办结审核 -------------------------------------------------------------------------------------

def review_required(district: str | None) -> bool:
    """Whether an officer's 办结 in `district` waits for a manager: the district's own setting,
    else the city's, else no."""
    rows = dict(db.session.execute(
        select(FollowUpReviewSetting.scope, FollowUpReviewSetting.required)
        .where(FollowUpReviewSetting.scope.in_([CITY_SCOPE, district or CITY_SCOPE]))
    ).all())
    if district in rows:
        return bool(rows[district])
    return bool(rows.get(CITY_SCOPE, False))


@dataclass(frozen=True)
class ReviewSettingRow:
    scope: str
    name: str
    own: bool | None  # the scope's own setting (None: follows the city)
    effective: bool
    editable: bool


def review_settings(actor: User) -> list[ReviewSettingRow]:
    """The city's setting and each district's (a manager sees the city's and their own)."""
    if actor.is_officer:
        raise Forbidden("只有管理员可以设置办结审核")
    stored = dict(db.session.execute(select(FollowUpReviewSetting.scope, FollowUpReviewSetting.required)).all())
    city = bool(stored.get(CITY_SCOPE, False))
    rows = [ReviewSettingRow(CITY_SCOPE, "全市（默认）", stored.get(CITY_SCOPE), city, actor.is_admin)]
    for code in DISTRICT_CODES:
        if actor.is_admin or code == actor.district:
            own = stored.get(code)
            rows.append(ReviewSettingRow(code, DISTRICT_NAMES[code], own, city if own is None else bool(own),
                                         actor.is_admin or code == actor.district))
    return rows


@use_case
def set_review(actor: User, scope: str, required: bool | None) -> None:
    """Set (True/False) or clear (None: follow the city) whether 办结 needs a manager's review.

    An administrator sets the city's and any district's; a manager their own district's.
    """
    if scope != CITY_SCOPE and scope not in DISTRICT_CODES:
        raise ServiceError("未知的辖区", field="scope")
    if not (actor.is_admin or (actor.is_manager and scope == actor.district)):
        raise Forbidden("您无权修改该范围的办结审核设置")
    if scope == CITY_SCOPE and required is None:
        raise ServiceError("请选择全市是否需要办结审核", field="required")
    setting = db.session.scalar(select(FollowUpReviewSetting).where(FollowUpReviewSetting.scope == scope))
    before = {"scope": scope, "review_required": setting.required if setting else None}
    if required is None:
        if setting is not None:
            db.session.delete(setting)
    elif setting is None:
        setting = FollowUpReviewSetting(scope=scope, required=required, updated_by_id=actor.id, updated_at=now())
        db.session.add(setting)
    else:
        setting.required, setting.updated_by_id, setting.updated_at = required, actor.id, now()
    if before["review_required"] == required:
        raise ServiceError("设置没有变化", field="required")
    db.session.flush()
    audit.record(actor.id, "review_setting.update", entity_type="follow_up_review_setting",
                 before=before, after={"scope": scope, "review_required": required})
