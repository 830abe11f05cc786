"""A company's policies (企业可享政策): what it can claim in the given years and its claims, for the
company page (docs/DOMAIN.md §9). One entitlement query per policy and year, limited to the company."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Policy, PolicyClaim, User
from tracker.services.policies.entitlements import entitlement_for, live_policies
from tracker.services.scoping import get_company_for


@dataclass
class CompanyPolicy:
    """One policy year for the company: why it is entitled (None: not now) and its claim."""

    policy: Policy
    year: int
    reasons: tuple[str, ...] | None
    claim: PolicyClaim | None


def company_policies(actor: User, company_id: int, years: Iterable[int]) -> list[CompanyPolicy]:
    """The policies of `years` the company is entitled to or has a claim under, newest year first."""
    company = get_company_for(actor, company_id, db.session)
    claims = {
        (c.policy_id, c.year): c
        for c in db.session.scalars(select(PolicyClaim).where(PolicyClaim.company_id == company.id))
    }
    items = []
    for year in sorted(set(years), reverse=True):
        for policy in live_policies(year):
            reasons = entitlement_for(policy, year, company.id)
            claim = claims.get((policy.id, year))
            if reasons is not None or claim is not None:
                items.append(CompanyPolicy(policy, year, reasons, claim))
    return items
