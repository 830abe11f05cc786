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
from tracker.models.attachment import ATTACHMENT_KINDS
from tracker.rules.attraction import BUILTIN_CHANNELS as ATTRACTION_CHANNELS
from tracker.rules.channels import MODE_NAMES as CHANNEL_MODE_NAMES
from tracker.rules.cultivation import STATUS_NAMES
from tracker.rules.districts import DISTRICT_NAMES
from tracker.rules.ladder import STAGE_NAMES
from tracker.rules.policies import AMOUNT_RULES, BENEFIT_KINDS, CLAIM_STATUSES
from tracker.services.auditlog.vocabulary import ENTITY_KINDS, Ref, Resolver, display, field_label
from tracker.services.errors import Forbidden
from tracker.services.pagination import Page
from tracker.services.scoping import company_scope_clause

ACTION_NAMES = {
    "annual_report.record": "登记年报报送", "annual_report.remove": "撤销年报登记",
    "import.annual_reports": "导入年报报送名单",
    "calendar.notice_load": "载入节假日安排", "tech_sme_window.set": "设置科技型中小企业评价窗口",
    "company.create": "新增企业", "company.update": "修改企业", "company.delete": "删除企业",
    "company.restore": "恢复企业", "companies.export": "导出企业名单",
    "report.monthly": "下载月调度通报",
    "designation.grant": "认定资质", "designation.revoke": "撤销资质", "figures.create": "录入年度数据",
    "figures.update": "修改年度数据",
    "track.create": "加入培育名单", "track.move": "调整培育状态", "track.reopen": "转入下一年度培育",
    "track.undo": "撤销培育状态调整",
    "assignment.assign": "分配服务专员", "assignment.reassign": "更换服务专员",
    "visit.create": "登记走访", "visit.update": "修改走访",
    "visit.withdraw": "撤回走访", "attachment.create": "上传走访留痕附件",
    "follow_up.create": "新增诉求", "follow_up.update": "更新诉求",
    "follow_up.status": "变更诉求状态", "follow_up.refer": "交办诉求", "follow_up.chase": "催办诉求",
    "follow_up.escalate": "督办诉求", "follow_up.reassign": "更换诉求承办人", "follow_up.note": "记录办理进展",
    "follow_up.reply": "登记承办单位反馈", "follow_up.review": "办结审核", "follow_up.callback": "满意度回访",
    "department.create": "新增承办单位", "department.update": "修改承办单位", "review_setting.update": "设置办结审核",
    "api_token.issue": "发放接口令牌", "api_token.revoke": "吊销接口令牌",
    "notification.retry": "重发消息", "notification.retry_all": "重发全部失败消息", "notification.test": "发送测试邮件",
    "channel_robot.add": "添加群机器人", "channel_robot.replace": "更换群机器人", "channel_default.set": "设置默认接收方式", "user.channel_preferences": "修改接收方式", "user.wecom_userid": "设置企业微信账号",
    "channel_robot.remove": "移除群机器人", "channel_default.clear": "取消默认接收方式",
    "registry.talent.create": "新增人才", "registry.talent.update": "修改人才", "registry.talent.delete": "删除人才",
    "registry.carrier.create": "新增载体", "registry.carrier.update": "修改载体", "registry.carrier.delete": "删除载体",
    "registry.carrier_level.create": "登记载体级别", "registry.carrier_level.delete": "删除载体级别",
    "registry.platform.create": "新增创新平台", "registry.platform.update": "修改创新平台",
    "registry.platform.delete": "删除创新平台", "registry.institution.create": "新增科技服务机构",
    "registry.institution.update": "修改科技服务机构", "registry.institution.delete": "删除科技服务机构",
    "user.deactivate": "停用用户", "user.notify_preferences": "修改提醒方式",
    "user.create": "新增用户", "user.update": "修改用户", "user.activate": "启用/停用用户",
    "user.password": "修改密码", "user.unlock": "解除登录锁定",
    "target.update": "修改指标任务", "plan.seed": "载入计划目标",
    "policy.create": "新增政策", "policy.update": "修改政策", "policy.delete": "删除政策", "policy_claim.create": "登记政策告知", "policy_claim.advance": "推进政策申领",
    "attraction.create": "登记招引项目", "attraction.update": "修改招引项目", "attraction.move": "变更招引项目状态", "attraction.settle": "招引项目落户", "attraction.note": "记录招引周跟进", "attraction.delete": "删除招引项目", "attraction.channel.create": "新增招引渠道", "attraction.channel.update": "修改招引渠道", "import.attractions": "导入招引项目",
    "support.create": "登记扶持记录", "support.update": "修改扶持记录", "support.delete": "删除扶持记录", "support.export": "导出扶持记录", "import.support": "导入扶持记录", "key_company.create": "列入重点陪伴企业", "key_company.update": "修改重点陪伴企业", "key_company.delete": "移出重点陪伴企业", "accompaniment.create": "记录把脉", "accompaniment.update": "修改把脉记录", "accompaniment.delete": "删除把脉记录",
}
ENTITY_NAMES = {
    "channel_robot": "群机器人", "channel_default": "默认接收方式",
    "annual_report": "年报", "calendar_notice": "节假日安排", "tech_sme_window": "评价窗口",
    "company": "企业", "designation": "资质", "cultivation_track": "培育记录", "visit": "走访",
    "attachment": "附件",
    "report": "通报",
    "follow_up": "诉求", "user": "用户", "indicator_target": "指标任务", "company_year_figures": "年度数据",
    "department": "承办单位", "follow_up_review_setting": "办结审核设置", "api_token": "接口令牌",
    "notification": "消息", "talent_award": "人才", "carrier": "载体", "carrier_level": "载体级别",
    "platform": "创新平台", "service_institution": "科技服务机构",
    "policy": "政策", "policy_claim": "政策申领",
    "attraction_project": "招引项目", "attraction_channel": "招引渠道",
    "support_record": "扶持记录", "key_company": "重点陪伴企业", "accompaniment_record": "把脉记录",
}

FIELD_NAMES = {
    "filed_on": "报送日期", "opens_on": "开始日期", "closes_on": "截止日期", "holidays": "放假天数",
    "workdays": "调休上班天数", "days": "日期",
    "month": "月份",
    "name": "名称", "uscc": "统一社会信用代码", "district": "辖区", "industry": "产业领域",
    "founded_on": "成立日期", "attracted_on": "招引落户日期", "attraction_channel": "招引渠道",
    "address": "地址", "contact_name": "联系人", "contact_phone": "联系电话", "deleted_at": "删除时间",
    "rung": "资质类型", "target_rung": "目标资质",
    "kind": "资质类型", "target_kind": "目标资质",  # rung fields in rows written before migration 0005
    "reference": "编号", "granted_on": "认定日期",
    "valid_from": "有效期起", "valid_until": "有效期至", "batch": "批次", "source": "来源",
    "revoked_on": "撤销日期", "revoke_reason": "撤销原因", "year": "年度", "status": "状态",
    "owner_id": "负责专员", "officer_id": "服务专员", "officer_ids": "原服务专员",
    "assigned_from": "分配日期", "tracks": "随之转移的培育记录", "rows": "行数", "format": "格式",
    "filters": "筛选条件", "reopened_from": "原培育记录", "role": "角色", "email": "邮箱", "active": "启用",
    "visited_on": "走访日期", "people_met": "会见人员", "summary": "走访情况", "next_planned_on": "下次计划走访日期",
    "category": "诉求类别", "description": "诉求内容", "due_on": "办理期限", "resolution": "办理结果",
    "satisfaction": "企业满意度", "referred_unit": "承办单位", "referred_department_id": "承办单位",
    "referred_contact": "承办单位联系人", "referred_deadline": "交办期限", "chased_at": "催办时间",
    "escalated_at": "督办时间", "replied_on": "反馈日期", "reply": "反馈内容",
    "called_on": "回访日期", "callback_result": "回访结果", "scope": "范围", "review_required": "办结需审核",
    "contact": "联系人及电话", "owner": "令牌持有人", "prefix": "令牌前缀", "count": "条数",
    "operator": "运营主体", "level": "级别", "recognized_on": "认定日期", "carrier_id": "载体", "business": "业务范围",
    "visit_id": "来源走访", "follow_up_id": "诉求", "company": "企业", "phone": "手机号",
    "latitude": "纬度", "longitude": "经度", "location_accuracy": "定位精度（米）", "withdrawn_at": "撤回时间",
    "withdraw_reason": "撤回原因", "filename": "文件名", "content_type": "文件类型", "size": "文件大小（字节）",
    "issuer": "发文单位", "until_year": "截止年度", "benefit_kind": "奖补类型", "amount_rule": "金额规则", "conditions": "享受条件", "policy": "政策", "claim_status": "申领进度", "notified_on": "告知日期", "applied_on": "申报日期", "reviewed_on": "审核日期", "paid_on": "兑现日期",
    "channel": "招引渠道", "lead_officer_id": "负责人", "lead_on": "线索日期", "talking_on": "在谈日期", "signed_on": "签约日期", "settled_on": "落户日期", "dropped_on": "终止日期", "drop_reason": "终止原因", "expected_capital": "预计注册资本（万元）", "actual_capital": "实际注册资本（万元）", "noted_on": "跟进日期", "content": "跟进情况", "next_step": "下一步计划", "sort": "排序",
    "support_kind": "扶持类型", "amount": "金额（万元）", "occurred_on": "放款或兑现日期", "loan_product": "贷款产品", "bank": "贷款银行", "listing_stage": "上市阶段", "listing_board": "上市板块", "listing_filed_on": "辅导备案日期", "accepted_on": "申报受理日期", "listed_on": "上市日期", "contest_level": "大赛级别", "award": "获奖等次", "note": "备注", "source_claim_id": "政策兑现编号", "responsible_id": "陪伴责任人编号", "leader": "挂钩领导", "reason": "列入理由", "held_on": "把脉日期", "participants": "参加人员", "findings": "把脉情况", "resources": "引入资源", "resource_notes": "资源对接说明", "follow_up_ids": "关联诉求编号", "key_company_id": "重点陪伴企业编号",
    "mode": "接收方式", "wecom_userid": "企业微信账号", "channel_preferences": "各类提醒的接收方式", "url": "Webhook 地址（已隐去）", "secret": "加签密钥",
}
# Codes shown by their Chinese names; company_id is left out (the company column shows it).
# "kind"/"target_kind" are the rung fields' names in audit rows written before migration 0005.
_VALUE_NAMES = {
    "content_type": ATTACHMENT_KINDS,
    "status": STATUS_NAMES, "rung": STAGE_NAMES, "target_rung": STAGE_NAMES, "district": DISTRICT_NAMES,
    "claim_status": CLAIM_STATUSES, "benefit_kind": BENEFIT_KINDS, "amount_rule": AMOUNT_RULES,
    "kind": STAGE_NAMES, "target_kind": STAGE_NAMES, "scope": {"city": "全市", **DISTRICT_NAMES},
    "channel": ATTRACTION_CHANNELS, "attraction_channel": ATTRACTION_CHANNELS,
    "mode": CHANNEL_MODE_NAMES,
}
_HIDDEN_FIELDS = {"company_id"}


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
    resolver: Resolver | None = None

    @property
    def action_name(self) -> str:
        return action_name(self.event.action)

    def _resolver(self) -> Resolver:
        if self.resolver is None:
            self.resolver = Resolver.for_events([self.event])  # a row read on its own
        return self.resolver

    @property
    def subject(self) -> Ref | None:
        """The record the event is about, named and linked (None for the company itself or none)."""
        kind = ENTITY_KINDS.get(self.event.entity_type)
        if not kind or kind == "company" or not isinstance(self.event.entity_id, int):
            return None
        return self._resolver().ref(kind, self.event.entity_id)

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field label, before, after) for every field that differs, in the one vocabulary
        (tracker.services.auditlog.vocabulary): codes by their names, ids as names and links."""
        before = self.event.before or {}
        after = self.event.after or {}
        entity = self.event.entity_type
        resolver = self._resolver()
        keys = [k for k in dict.fromkeys([*before.keys(), *after.keys()]) if k not in _HIDDEN_FIELDS]
        return [
            (field_label(entity, k, FIELD_NAMES),
             display(entity, k, before.get(k), resolver, _VALUE_NAMES, FIELD_NAMES),
             display(entity, k, after.get(k), resolver, _VALUE_NAMES, FIELD_NAMES))
            for k in keys if before.get(k) != after.get(k)
        ]


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
    resolver = Resolver.for_events([e for e, _, _ in rows])  # one query per kind of record, not per row
    return Page(rows=[EventRow(e, a, c, resolver) for e, a, c in rows], total=total or 0, page=page,
                per_page=per_page)


def visible_actors(user: User) -> list[User]:
    """Users whose actions `user` may filter by: their district's, or everyone for an administrator."""
    query = select(User)
    if not user.is_admin:
        query = query.where(User.district == user.district)
    return list(db.session.scalars(query.order_by(User.role, User.name, User.id)))


def visible_company(user: User, company_id: int) -> Company | None:
    """The (live) company a filtered log is about, when `user` may see it."""
    return db.session.scalar(select(Company).where(Company.id == company_id, company_scope_clause(user)))
