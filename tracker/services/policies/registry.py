"""The policy registry (政策库, docs/DOMAIN.md §9): administrators create, edit and delete policies
and combine their conditions from the fixed menu of tracker.rules.policies; everyone signed in
may read them (policies are public documents; who is entitled is scoped in entitlements).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import Policy, PolicyCondition, User
from tracker.rules import policies as rules
from tracker.services import audit
from tracker.services.errors import Conflict, Forbidden, NotFound, ServiceError
from tracker.services.unit_of_work import DEFAULT_CONFLICT, use_case

POLICY_FIELDS = ("name", "issuer", "reference", "year", "until_year", "benefit_kind", "amount_rule", "amount",
                 "description")
EARLIEST_YEAR = 2000
MAX_SPAN = 10
MAX_AMOUNT = Decimal("100000000")  # 万元
_MAX_ID = 2**63


def check_may_edit(actor: User) -> None:
    """Only city administrators maintain the policy registry."""
    if not actor.is_admin:
        raise Forbidden("只有市级管理员可以维护政策库")


def get_policy(actor: User, policy_id: Any) -> Policy:
    """A live policy, else NotFound (every signed-in user may read policies)."""
    try:
        policy_id = int(policy_id)
    except (TypeError, ValueError) as exc:
        raise NotFound("政策不存在或已删除") from exc
    if not 0 < policy_id < _MAX_ID:
        raise NotFound("政策不存在或已删除")
    policy = db.session.scalar(select(Policy).where(Policy.id == policy_id, Policy.deleted_at.is_(None)))
    if policy is None:
        raise NotFound("政策不存在或已删除")
    return policy


def list_policies(actor: User, year: int | None = None) -> list[Policy]:
    """Live policies (those applying in `year` when given), newest first."""
    query = select(Policy).where(Policy.deleted_at.is_(None))
    if year is not None:
        query = query.where(Policy.year <= year, func.coalesce(Policy.until_year, Policy.year) >= year)
    return list(db.session.scalars(query.order_by(Policy.year.desc(), Policy.name, Policy.id)))


# --- checks --------------------------------------------------------------------------------------

def _text(data: dict, name: str, label: str, max_length: int, *, required: bool = False) -> str | None:
    raw = data.get(name)
    value = "" if raw is None else str(raw).strip()
    if not value:
        if required:
            raise ServiceError(f"请填写{label}", field=name)
        return None
    if len(value) > max_length:
        raise ServiceError(f"{label}不超过{max_length}个字符", field=name)
    return value


def _year(data: dict, name: str, label: str, *, required: bool) -> int | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            raise ServiceError(f"请填写{label}", field=name)
        return None
    latest = today().year + 5
    if isinstance(value, bool) or not isinstance(value, int) or not EARLIEST_YEAR <= value <= latest:
        raise ServiceError(f"{label}应在 {EARLIEST_YEAR}—{latest} 之间", field=name)
    return value


def _amount(data: dict, rule: str) -> Decimal | None:
    raw = data.get("amount")
    if rule != "fixed":
        return None
    if raw in (None, ""):
        raise ServiceError("定额奖补须填写奖补金额（万元）", field="amount")
    try:
        amount = Decimal(str(raw))
    except InvalidOperation as exc:
        raise ServiceError("奖补金额须为数字（万元）", field="amount") from exc
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise ServiceError(f"奖补金额须大于 0 且不超过 {MAX_AMOUNT:,} 万元", field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ServiceError("奖补金额最多保留两位小数（万元）", field="amount")
    return amount.quantize(Decimal("0.01"))


def _values(data: dict) -> dict[str, Any]:
    year = _year(data, "year", "政策年度", required=True)
    until = _year(data, "until_year", "截止年度", required=False)
    if until is not None and until < year:
        raise ServiceError("截止年度不能早于起始年度", field="until_year")
    if until is not None and until - year >= MAX_SPAN:
        raise ServiceError(f"政策适用年度最多 {MAX_SPAN} 年", field="until_year")
    if until == year:
        until = None
    kind = data.get("benefit_kind")
    if kind not in rules.BENEFIT_KINDS:
        raise ServiceError("请选择奖补类型", field="benefit_kind")
    rule = data.get("amount_rule")
    if rule not in rules.AMOUNT_RULES:
        raise ServiceError("请选择金额规则", field="amount_rule")
    return {
        "name": _text(data, "name", "政策名称", 200, required=True),
        "issuer": _text(data, "issuer", "发文单位", 128, required=True),
        "reference": _text(data, "reference", "文号", 128),
        "year": year,
        "until_year": until,
        "benefit_kind": kind,
        "amount_rule": rule,
        "amount": _amount(data, rule),
        "description": _text(data, "description", "政策说明", 2000),
    }


def check_conditions(raw: list[dict]) -> list[rules.Condition]:
    """Rule objects from the condition builder's rows; the first refusal names its row."""
    conditions = []
    for number, row in enumerate(raw, start=1):
        try:
            conditions.append(rules.check_condition(
                row.get("kind"), rung=row.get("rung") or None, field=row.get("field") or None,
                threshold=row.get("threshold"), year_offset=row.get("year_offset") or 0,
                values=row.get("values") or (),
            ))
        except rules.PolicyRuleError as exc:
            raise ServiceError(f"第 {number} 个条件：{exc.message}", field="conditions") from exc
    try:
        rules.check_conditions(conditions)
    except rules.PolicyRuleError as exc:
        raise ServiceError(exc.message, field="conditions") from exc
    return conditions


def _check_unique(values: dict, policy_id: int | None) -> None:
    clash = db.session.scalar(select(Policy.id).where(
        Policy.deleted_at.is_(None), Policy.name == values["name"], Policy.year == values["year"],
        Policy.id != (policy_id or 0),
    ))
    if clash:
        raise ServiceError(f"{values['year']} 年已有同名政策", field="name")


def _snapshot(policy: Policy, conditions: list[rules.Condition]) -> dict:
    return {**audit.snapshot(policy, POLICY_FIELDS), "conditions": [rules.describe(c) for c in conditions]}


def _set_conditions(policy: Policy, conditions: list[rules.Condition]) -> None:
    policy.conditions = [
        PolicyCondition(position=i, kind=c.kind, rung=c.rung, field=c.field, threshold=c.threshold,
                        year_offset=c.year_offset, values=list(c.values) or None)
        for i, c in enumerate(conditions)
    ]


def _stored(policy: Policy) -> list[rules.Condition]:
    return [
        rules.Condition(kind=c.kind, rung=c.rung, field=c.field, threshold=c.threshold,
                        year_offset=c.year_offset or 0, values=tuple(c.values or ()))
        for c in policy.conditions
    ]


# --- use cases -----------------------------------------------------------------------------------

@use_case
def create_policy(actor: User, data: dict, conditions: list[dict]) -> Policy:
    """Add a policy with its conditions (administrators only); one audit row."""
    check_may_edit(actor)
    values = _values(data)
    checked = check_conditions(conditions)
    _check_unique(values, None)
    policy = Policy(**values, created_by_id=actor.id)
    _set_conditions(policy, checked)
    db.session.add(policy)
    audit.record(actor.id, "policy.create", policy, after=_snapshot(policy, checked))
    return policy


@use_case(conflict=DEFAULT_CONFLICT)
def update_policy(actor: User, policy: Policy, data: dict, conditions: list[dict], version: int | None = None) -> Policy:
    """Edit a policy and replace its conditions; refused when someone saved it since `version`."""
    check_may_edit(actor)
    if version is not None and version != policy.version:
        raise Conflict(DEFAULT_CONFLICT)
    values = _values(data)
    checked = check_conditions(conditions)
    _check_unique(values, policy.id)
    before = _snapshot(policy, _stored(policy))
    for name, value in values.items():
        setattr(policy, name, value)
    if checked != _stored(policy):
        _set_conditions(policy, checked)
    after = _snapshot(policy, checked)
    changed = [k for k in after if before.get(k) != after[k]]
    if not changed:
        return policy
    policy.updated_at = now()  # conditions alone do not touch the row; the version must move
    audit.record(actor.id, "policy.update", policy,
                 before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed})
    return policy


@use_case
def delete_policy(actor: User, policy: Policy) -> None:
    """Soft-delete a policy: gone from lists, digests and coverage; its claims are kept."""
    check_may_edit(actor)
    policy.deleted_at = now()
    audit.record(actor.id, "policy.delete", policy, before={"name": policy.name, "year": policy.year})
