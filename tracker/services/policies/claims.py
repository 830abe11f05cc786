"""Claims (申领): what was done about an entitlement, per company, policy and policy year
(告知 notified → 申报 applied → 审核 reviewed → 兑现 paid; docs/DOMAIN.md §9).

Whoever may see the company records its steps (the officer serving it, its district's manager,
an administrator). A claim starts only for a company entitled now; each step is dated no earlier
than the one before; 兑现 needs the amount paid and becomes the company's subsidy support record
(tracker.services.support.records.record_subsidy) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import Company, Policy, PolicyClaim, PolicyClaimStep, User
from tracker.rules import policies as rules
from tracker.services import audit
from tracker.services.errors import Conflict, ServiceError
from tracker.services.policies.entitlements import entitlement_for
from tracker.services.policies.registry import MAX_AMOUNT, get_policy
from tracker.services.scoping import get_company_for
from tracker.services.support.records import record_subsidy
from tracker.services.unit_of_work import DEFAULT_CONFLICT, use_case

CLAIM_FIELDS = ("status", "amount", "notified_on", "applied_on", "reviewed_on", "paid_on")
STALE = DEFAULT_CONFLICT  # the app-wide wording (tracker.services.unit_of_work)
MAX_NOTE = 500


@dataclass
class ClaimView:
    """A company's standing under a policy in a year: its entitlement now, its claim and steps."""

    company: Company
    policy: Policy
    year: int
    reasons: tuple[str, ...] | None  # None: not entitled (now)
    claim: PolicyClaim | None
    steps: list[PolicyClaimStep]

    @property
    def next_status(self) -> str | None:
        return rules.next_status(self.claim.status if self.claim else None)


def _year(policy: Policy, year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not policy.applies_in(year):
        last = policy.last_year
        span = f"{policy.year}年" if last == policy.year else f"{policy.year}—{last}年"
        raise ServiceError(f"该政策只适用于{span}", field="year")
    return year


def _claim(policy_id: int, company_id: int, year: int) -> PolicyClaim | None:
    return db.session.scalar(select(PolicyClaim).where(
        PolicyClaim.policy_id == policy_id, PolicyClaim.company_id == company_id, PolicyClaim.year == year,
    ))


def claim_view(actor: User, policy_id: Any, company_id: int, year: Any) -> ClaimView:
    """What the claim page shows; NotFound for a company the actor may not see or a deleted policy."""
    company = get_company_for(actor, company_id, db.session)
    policy = get_policy(actor, policy_id)
    year = _year(policy, year)
    claim = _claim(policy.id, company.id, year)
    steps = list(db.session.scalars(
        select(PolicyClaimStep).where(PolicyClaimStep.claim_id == claim.id).order_by(PolicyClaimStep.id)
    )) if claim else []
    return ClaimView(company, policy, year, entitlement_for(policy, year, company.id), claim, steps)


def _amount(raw: Any, status: str, policy: Policy) -> Decimal | None:
    if raw in (None, ""):
        if status == "paid":
            if policy.amount_rule == "fixed" and policy.amount:
                return policy.amount
            raise ServiceError("兑现须填写实际兑现金额（万元）", field="amount")
        return None
    try:
        amount = Decimal(str(raw))
    except InvalidOperation as exc:
        raise ServiceError("金额须为数字（万元）", field="amount") from exc
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise ServiceError(f"金额须大于 0 且不超过 {MAX_AMOUNT:,} 万元", field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ServiceError("金额最多保留两位小数（万元）", field="amount")
    return amount.quantize(Decimal("0.01"))


def _audited(claim: PolicyClaim) -> dict:
    # The status is logged as claim_status: its values have their own Chinese names in the log.
    values = audit.snapshot(claim, CLAIM_FIELDS)
    values["claim_status"] = values.pop("status")
    return values


def _previous_on(claim: PolicyClaim | None):
    if claim is None:
        return None
    return {"notified": claim.notified_on, "applied": claim.applied_on, "reviewed": claim.reviewed_on,
            "paid": claim.paid_on}[claim.status]


@use_case(conflict=STALE)
def record_step(actor: User, policy_id: Any, company_id: int, year: Any, data: dict) -> PolicyClaim:
    """Record the claim's next step (告知 first). `data`: expected (the status the form was shown
    at, '' for none), on (date), amount (万元; required to pay unless the policy's fixed amount),
    note. One audit row; paying also writes the subsidy support record."""
    company = get_company_for(actor, company_id, db.session)
    policy = get_policy(actor, policy_id)
    year = _year(policy, year)
    claim = _claim(policy.id, company.id, year)
    current = claim.status if claim else None
    if "expected" in data and (data.get("expected") or None) != current:
        raise Conflict(STALE)
    status = rules.next_status(current)
    if status is None:
        raise ServiceError("该申领已兑现，无需再登记")
    reasons = None
    if claim is None:
        reasons = entitlement_for(policy, year, company.id)
        if reasons is None:
            raise ServiceError(f"该企业不符合“{policy.name}”{year}年度的享受条件，不能登记告知")
    on = data.get("on")
    error = rules.step_error(status, on, _previous_on(claim), today())
    if error:
        raise ServiceError(error, field="on")
    amount = _amount(data.get("amount"), status, policy)
    note = (data.get("note") or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise ServiceError(f"备注不超过{MAX_NOTE}个字符", field="note")

    before = _audited(claim) if claim else None
    if claim is None:
        claim = PolicyClaim(policy_id=policy.id, company_id=company.id, year=year, reason="；".join(reasons))
        db.session.add(claim)
    claim.status = status
    setattr(claim, f"{status}_on", on)
    if amount is not None:
        claim.amount = amount
    db.session.flush()
    db.session.add(PolicyClaimStep(claim_id=claim.id, status=status, happened_on=on, amount=amount, note=note,
                                   actor_id=actor.id))
    after = _audited(claim)
    after_changed = {k: v for k, v in after.items() if before is None or before.get(k) != v}
    audit.record(
        actor.id, "policy_claim.create" if before is None else "policy_claim.advance", claim,
        before={k: before[k] for k in after_changed} if before else None,
        after={**after_changed, "policy": policy.name, "year": year},
    )
    if status == "paid":
        record_subsidy(actor, company.id, year, policy.name, claim.amount, on, source_claim_id=claim.id)
    return claim
