"""Reading the audit log (操作日志): who changed what and when, scoped and paginated.

A district manager sees events about their district's companies (deleted ones included: their
deletion is exactly what one looks for) and events by or about their district's users; a city
administrator sees everything; officers do not read the log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import aliased

from tracker.clock import TZ
from tracker.extensions import db
from tracker.models import AuditEvent, Company, User
from tracker.rules.cultivation import STATUS_NAMES
from tracker.rules.districts import DISTRICT_NAMES
from tracker.rules.ladder import STAGE_NAMES
from tracker.services.errors import Forbidden
from tracker.services.pagination import Page
from tracker.services.scoping import company_scope_clause

ACTION_NAMES = {
    "annual_report.record": "登记年报报送", "annual_report.remove": "撤销年报登记",
    "import.annual_reports": "导入年报报送名单",
    "calendar.notice_load": "载入节假日安排", "tech_sme_window.set": "设置科技型中小企业评价窗口",
    "company.create": "新增企业", "company.update": "修改企业", "company.delete": "删除企业",
    "company.restore": "恢复企业", "companies.export": "导出企业名单",
    "designation.grant": "认定资质", "designation.revoke": "撤销资质", "figures.create": "录入年度数据",
    "figures.update": "修改年度数据",
    "track.create": "加入培育名单", "track.move": "调整培育状态", "track.reopen": "转入下一年度培育",
    "assignment.assign": "分配服务专员", "assignment.reassign": "更换服务专员",
    "visit.create": "登记走访", "visit.update": "修改走访",
    "follow_up.create": "新增诉求", "follow_up.update": "更新诉求",
    "user.create": "新增用户", "user.update": "修改用户", "user.activate": "启用/停用用户",
    "user.password": "修改密码", "user.unlock": "解除登录锁定",
    "target.update": "修改指标任务", "plan.seed": "载入计划目标",
}
ENTITY_NAMES = {
    "annual_report": "年报", "calendar_notice": "节假日安排", "tech_sme_window": "评价窗口",
    "company": "企业", "designation": "资质", "cultivation_track": "培育记录", "visit": "走访",
    "follow_up": "诉求", "user": "用户", "indicator_target": "指标任务", "company_year_figures": "年度数据",
}

FIELD_NAMES = {
    "filed_on": "报送日期", "opens_on": "开始日期", "closes_on": "截止日期", "holidays": "放假天数",
    "workdays": "调休上班天数", "days": "日期",
    "name": "名称", "uscc": "统一社会信用代码", "district": "辖区", "industry": "产业领域",
    "founded_on": "成立日期", "attracted_on": "招引落户日期", "attraction_channel": "招引渠道",
    "address": "地址", "contact_name": "联系人", "contact_phone": "联系电话", "deleted_at": "删除时间",
    "rung": "资质类型", "target_rung": "目标资质",
    "kind": "资质类型", "target_kind": "目标资质",  # rung fields in rows written before migration 0005
    "reference": "编号", "granted_on": "认定日期",
    "valid_from": "有效期起", "valid_until": "有效期至", "batch": "批次", "source": "来源",
    "revoked_on": "撤销日期", "revoke_reason": "撤销原因", "year": "年度", "status": "状态",
    "owner_id": "负责专员编号", "officer_id": "服务专员编号", "officer_ids": "原服务专员编号",
    "assigned_from": "分配日期", "tracks": "随之转移的培育记录", "rows": "行数", "format": "格式",
    "filters": "筛选条件", "reopened_from": "原培育记录", "role": "角色", "email": "邮箱", "active": "启用",
}
# Codes shown by their Chinese names; company_id is left out (the company column shows it).
# "kind"/"target_kind" are the rung fields' names in audit rows written before migration 0005.
_VALUE_NAMES = {
    "status": STATUS_NAMES, "rung": STAGE_NAMES, "target_rung": STAGE_NAMES, "district": DISTRICT_NAMES,
    "kind": STAGE_NAMES, "target_kind": STAGE_NAMES,
}
_HIDDEN_FIELDS = {"company_id"}


def _value(field: str, value):
    names = _VALUE_NAMES.get(field)
    return names.get(value, value) if names and isinstance(value, str) else value


def action_name(action: str) -> str:
    """The Chinese label of an audit action (the code itself when unknown)."""
    if action in ACTION_NAMES:
        return ACTION_NAMES[action]
    prefix = action.split(".", 1)[0]
    return f"{ENTITY_NAMES.get(prefix, prefix)}：{action}"


@dataclass
class AuditFilters:
    company_id: int | None = None
    company_q: str | None = None  # part of a company name or credit code
    actor_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass
class EventRow:
    event: AuditEvent
    actor_name: str | None
    company_name: str | None

    @property
    def action_name(self) -> str:
        return action_name(self.event.action)

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field label, before, after) for every field that differs, codes shown by their Chinese names."""
        before = self.event.before or {}
        after = self.event.after or {}
        keys = [k for k in dict.fromkeys([*before.keys(), *after.keys()]) if k not in _HIDDEN_FIELDS]
        return [(FIELD_NAMES.get(k, k), _value(k, before.get(k)), _value(k, after.get(k)))
                for k in keys if before.get(k) != after.get(k)]


def audit_scope_clause(user: User):
    """WHERE clause over AuditEvent: the events `user` may read."""
    if user.is_admin:
        return AuditEvent.id.is_not(None)
    if not user.is_manager or not user.district:
        return false()
    district_companies = select(Company.id).where(Company.district == user.district)
    district_users = select(User.id).where(User.district == user.district)
    return or_(
        AuditEvent.company_id.in_(district_companies),
        AuditEvent.actor_id.in_(district_users),
        and_(AuditEvent.entity_type == "user", AuditEvent.entity_id.in_(district_users)),
    )


def _day_start(day: dt.date) -> dt.datetime:
    # A calendar day is the bureau's day (Asia/Shanghai); stored instants are UTC.
    return dt.datetime.combine(day, dt.time(), TZ).astimezone(dt.timezone.utc)


def list_events(user: User, filters: AuditFilters, page: int, per_page: int) -> Page[EventRow]:
    """One page of the events `user` may read, newest first, with actor and company names joined in."""
    if not (user.is_admin or user.is_manager):
        raise Forbidden("只有管理员可以查看操作日志")
    actor = aliased(User)
    where = [audit_scope_clause(user)]
    if filters.company_id:
        where.append(AuditEvent.company_id == filters.company_id)
    if filters.company_q:
        text = filters.company_q.strip()
        where.append(AuditEvent.company_id.in_(
            select(Company.id).where(or_(Company.name.contains(text, autoescape=True),
                                         Company.uscc.startswith(text.upper(), autoescape=True)))
        ))
    if filters.actor_id:
        where.append(AuditEvent.actor_id == filters.actor_id)
    if filters.date_from:
        where.append(AuditEvent.at >= _day_start(filters.date_from))
    if filters.date_to:
        where.append(AuditEvent.at < _day_start(filters.date_to + dt.timedelta(days=1)))
    total = db.session.scalar(select(func.count(AuditEvent.id)).where(*where))
    page = max(1, page)
    rows = db.session.execute(
        select(AuditEvent, actor.name, Company.name)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(Company, Company.id == AuditEvent.company_id)
        .where(*where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(rows=[EventRow(e, a, c) for e, a, c in rows], total=total or 0, page=page, per_page=per_page)


def visible_actors(user: User) -> list[User]:
    """Users whose actions `user` may filter by: their district's, or everyone for an administrator."""
    query = select(User)
    if not user.is_admin:
        query = query.where(User.district == user.district)
    return list(db.session.scalars(query.order_by(User.role, User.name, User.id)))


def visible_company(user: User, company_id: int) -> Company | None:
    """The (live) company a filtered log is about, when `user` may see it."""
    return db.session.scalar(select(Company).where(Company.id == company_id, company_scope_clause(user)))
