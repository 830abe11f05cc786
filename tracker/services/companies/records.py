"""Creating, editing, deleting and restoring companies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import Company, User
from tracker.rules import geo
from tracker.rules import text as text_rules
from tracker.rules import uscc as uscc_rules
from tracker.rules.districts import DISTRICT_CODES
from tracker.services import audit
from tracker.services.attractions.channels import channel_names
from tracker.services.candidates.results import recompute_companies
from tracker.services.errors import Conflict, Forbidden, ServiceError
from tracker.services.unit_of_work import use_case

_EDITED_MEANWHILE = "该记录已被修改（可能是您在另一窗口的操作），您的修改未保存，请对照当前内容后重新提交"
EDITABLE_FIELDS = (
    "uscc", "name", "district", "industry", "founded_on", "attracted_on", "attraction_channel",
    "address", "contact_name", "contact_phone", "latitude", "longitude",
)


def _check_uscc(raw: str, *, actor: User | None, accept_bad_check: bool, exclude_id: int | None) -> str:
    allow = bool(accept_bad_check and (actor is None or actor.is_admin))
    try:
        code = uscc_rules.validate(raw, accept_bad_check=allow)
    except uscc_rules.InvalidCreditCode as exc:
        if exc.bad_check_only and accept_bad_check and actor is not None and not actor.is_admin:
            raise ServiceError("只有管理员可以确认录入校验位错误的代码", field="uscc") from exc
        raise ServiceError(exc.message, field="uscc") from exc
    clash = db.session.scalar(
        select(Company.id).where(Company.uscc == code, Company.deleted_at.is_(None), Company.id != (exclude_id or 0))
    )
    if clash:
        raise ServiceError(f"统一社会信用代码 {code} 已被另一家企业使用", field="uscc")
    return code


# One-line text fields (tracker/rules/text.py): a line break in a name breaks every e-mail about it.
_TEXT_FIELDS = {
    "name": "企业名称", "attraction_channel": "招引渠道", "address": "地址", "contact_name": "联系人",
    "contact_phone": "联系电话",
}


def _check_fields(data: dict[str, Any]) -> None:
    for field, label in _TEXT_FIELDS.items():
        value = data.get(field)
        reason = text_rules.problem(value) if isinstance(value, str) else None
        if reason is not None:
            raise ServiceError(f"{label}{reason}", field=field)
    if not (data.get("name") or "").strip():
        raise ServiceError("请填写企业名称", field="name")
    if data.get("district") not in DISTRICT_CODES:
        raise ServiceError("请选择所属辖区", field="district")
    founded, attracted = data.get("founded_on"), data.get("attracted_on")
    if founded and founded > today():
        raise ServiceError("成立日期不能晚于今天", field="founded_on")
    if founded and attracted and attracted < founded:
        raise ServiceError("招引落户日期不能早于成立日期", field="attracted_on")
    channel = data.get("attraction_channel")
    if channel is not None and channel not in channel_names():  # a code (tracker/rules/attraction.py)
        raise ServiceError("请选择招引渠道", field="attraction_channel")
    latitude, longitude = data.get("latitude"), data.get("longitude")
    if (latitude is None) != (longitude is None):
        raise ServiceError("纬度和经度须同时填写（或都不填）", field="latitude" if latitude is None else "longitude")
    if latitude is not None and not geo.valid_position(float(latitude), float(longitude)):
        raise ServiceError("纬度应在 -90 至 90 之间，经度应在 -180 至 180 之间", field="latitude")


@use_case
def create_company(actor: User | None, data: dict[str, Any], *, accept_bad_check: bool = False) -> Company:
    """Register a company (企业入库). Managers may only create companies of their own district."""
    _check_fields(data)
    if actor is not None and actor.is_manager and data["district"] != actor.district:
        raise Forbidden("只能录入本辖区的企业")
    if actor is not None and actor.is_officer:
        raise Forbidden("服务专员不能新增企业，请联系辖区管理员")
    code = _check_uscc(data.get("uscc", ""), actor=actor, accept_bad_check=accept_bad_check, exclude_id=None)
    company = Company(**{f: data.get(f) for f in EDITABLE_FIELDS if f != "uscc"}, uscc=code)
    company.name = company.name.strip()
    company.uscc_check_override = code != "" and not uscc_rules.is_valid(code)
    db.session.add(company)
    audit.record(actor.id if actor else None, "company.create", company, after=audit.snapshot(company, EDITABLE_FIELDS))
    return company


@use_case(conflict=_EDITED_MEANWHILE)
def update_company(
    actor: User, company: Company, data: dict[str, Any], *, version: int, accept_bad_check: bool = False
) -> Company:
    """Save edits if nobody else saved since `version` was loaded; otherwise raise Conflict.

    A save racing another one between our read and our write is caught by the version column
    when the audit row's flush issues the UPDATE, and is the same Conflict.
    """
    if company.version != version:
        raise Conflict(_EDITED_MEANWHILE)
    merged = {f: data.get(f, getattr(company, f)) for f in EDITABLE_FIELDS}
    _check_fields(merged)
    if actor.is_manager and merged["district"] != actor.district:
        raise Forbidden("不能将企业改到其他辖区")
    if actor.is_officer and merged["district"] != company.district:
        raise Forbidden("服务专员不能修改企业所属辖区")
    if uscc_rules.normalize(merged["uscc"]) == company.uscc:
        # The stored code, however it was typed back: not checked again, so a code accepted before
        # the organisation-code check existed (or by an administrator) does not block other edits.
        merged["uscc"] = company.uscc
    else:
        merged["uscc"] = _check_uscc(merged["uscc"], actor=actor, accept_bad_check=accept_bad_check, exclude_id=company.id)
    before = audit.snapshot(company, EDITABLE_FIELDS)
    for field, value in merged.items():
        setattr(company, field, value.strip() if isinstance(value, str) else value)
    after = audit.snapshot(company, EDITABLE_FIELDS)
    changed = {k for k in after if after[k] != before[k]}
    if not changed:
        return company
    if "founded_on" in changed:
        # The only company field the eligibility rules read; district, industry and deletion are
        # filtered at read time.
        recompute_companies([company.id])
    audit.record(
        actor.id, "company.update", company,
        before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
    )
    return company


@use_case
def soft_delete_company(actor: User, company: Company, reason: str | None = None) -> None:
    """Hide a company from every list, count, export and reminder; history stays."""
    if not (actor.is_admin or (actor.is_manager and actor.district == company.district)):
        raise Forbidden("无权删除该企业")
    if company.deleted_at is not None:
        return
    company.deleted_at = now()
    audit.record(actor.id, "company.delete", company, after={"reason": reason or ""})


@use_case
def restore_company(actor: User, company: Company) -> None:
    """Bring a soft-deleted company back (administrators only); refuses if its code was reused."""
    if not actor.is_admin:
        raise Forbidden("只有管理员可以恢复已删除的企业")
    if company.deleted_at is None:
        return
    clash = db.session.scalar(
        select(Company.id).where(Company.uscc == company.uscc, Company.deleted_at.is_(None))
    )
    if clash:
        raise ServiceError("已有使用同一统一社会信用代码的企业，无法恢复")
    company.deleted_at = None
    audit.record(actor.id, "company.restore", company)
