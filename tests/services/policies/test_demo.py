"""The demo city's policies: realistic policies, claims at every stage, all for entitled companies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import Policy, PolicyClaim, PolicyClaimStep, SupportRecord
from tracker.services.ops import demo_city
from tracker.services.policies import entitlements

REFERENCE = dt.date(2026, 11, 24)


def test_demo_policies_have_claims_at_every_stage_for_entitled_companies(app):
    counts = demo_city.generate(companies=1500, seed=11, reference=REFERENCE)
    assert counts.features.get("tracker.services.policies.demo", 0) > 0
    policies = list(db.session.scalars(select(Policy)))
    assert 4 <= len(policies) <= 6
    assert "高新技术企业首次认定奖励" in {p.name for p in policies}
    statuses = set(db.session.scalars(select(PolicyClaim.status)))
    assert statuses == {"notified", "applied", "reviewed", "paid"}
    for policy in policies:
        for year in (2025, 2026):
            entitled = entitlements.entitled(policy, year)
            claimed = set(db.session.scalars(select(PolicyClaim.company_id).where(
                PolicyClaim.policy_id == policy.id, PolicyClaim.year == year)))
            assert claimed <= set(entitled), (policy.name, year)
    # Every step is dated, in order, never after the reference day; every paid claim has its subsidy record.
    for claim in db.session.scalars(select(PolicyClaim)):
        days = [d for d in (claim.notified_on, claim.applied_on, claim.reviewed_on, claim.paid_on) if d]
        assert days == sorted(days) and days[-1] <= REFERENCE
    paid = db.session.scalar(select(func.count()).select_from(PolicyClaim).where(PolicyClaim.status == "paid"))
    linked = db.session.scalar(select(func.count()).select_from(SupportRecord).where(SupportRecord.source_claim_id.is_not(None)))
    assert paid > 0 and linked == paid
    assert db.session.scalar(select(func.count()).select_from(PolicyClaimStep)) >= db.session.scalar(
        select(func.count()).select_from(PolicyClaim))
