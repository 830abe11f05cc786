"""A company's policies (企业可享政策): what it can claim in the given years and its claims, for the
company page (docs/DOMAIN.md §9). A fixed number of queries per page, however many policies: the
company's facts are read once and every policy year is judged on them by the pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Company, Policy, PolicyClaim, User
from tracker.services.policies.entitlements import company_entitlements, live_policies_of_years
from tracker.services.scoping import get_company_for


@dataclass
class CompanyPolicy:
    """One policy year for the company: why it is entitled (None: not now) and its claim."""

    policy: Policy
    year: int
    reasons: tuple[str, ...] | None
    claim: PolicyClaim | None


def company_policies(actor: User, company_id: int, years: Iterable[int]) -> list[CompanyPolicy]:
    """The policies of `years` the company is entitled to or has a claim under, newest year first;
    NotFound unless `actor` may see the company."""
    return policies_of_company(get_company_for(actor, company_id, db.session), years)


def policies_of_company(company: Company, years: Iterable[int]) -> list[CompanyPolicy]:
    """`company_policies` for a company the caller has already scoped (the company page has).

    A fixed number of SELECTs however many policies: the policies with their conditions, the
    company's claims, its designations and figures (entitlements.company_entitlements)."""
    pairs = live_policies_of_years(years)
    if not pairs:
        return []
    claims = {
        (c.policy_id, c.year): c
        for c in db.session.scalars(select(PolicyClaim).where(PolicyClaim.company_id == company.id))
    }
    reasons = company_entitlements(company, pairs)
    items = []
    for policy, year in pairs:
        found = reasons.get((policy.id, year))
        claim = claims.get((policy.id, year))
        if found is not None or claim is not None:
            items.append(CompanyPolicy(policy, year, found, claim))
    return items
