"""Demo policies (政策直达) for the demo city: five Changzhou-style policies and claims at every stage.

Called by tracker.services.ops.demo_city after the core city exists, inside its transaction (it
does not commit). Who is entitled comes from the same SQL as the app (entitlements.entitled), so
the demo's claims are always for entitled companies; a paid claim becomes its subsidy support
record through tracker.services.support.records.record_subsidy, as in the app.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import insert, select

from tracker.extensions import db
from tracker.models import Assignment, Policy, PolicyClaim, PolicyClaimStep, PolicyCondition, User
from tracker.rules import policies as rules
from tracker.services.policies.entitlements import entitled
from tracker.services.support.records import record_subsidy

MAX_CLAIMS = 300  # per policy and year: enough to show every stage without bloating a large city

# (name, issuer, reference, benefit, amount rule, amount 万元, conditions, first year offset)
POLICIES = (
    ("高新技术企业首次认定奖励", "常州市科学技术局", "常科发〔{year}〕18号", "hnte_first_award", "fixed", Decimal("30"),
     [{"kind": "rung_first", "rung": "hnte"}]),
    ("瞪羚企业认定奖励", "常州市科学技术局", "常科发〔{year}〕25号", "gazelle_award", "fixed", Decimal("50"),
     [{"kind": "rung_first", "rung": "gazelle"}]),
    ("企业研发费用补贴", "常州市科学技术局 常州市财政局", "常科发〔{year}〕31号", "rd_subsidy", "none", None,
     [{"kind": "rung_held", "rung": "hnte"},
      {"kind": "figure_min", "field": "rd_expense", "threshold": "500", "year_offset": -1}]),
    ("科技贷款贴息（苏科贷）", "常州市科学技术局", "常科发〔{year}〕40号", "loan_interest", "none", None,
     [{"kind": "rung_held", "rung": "tech_sme"},
      {"kind": "figure_max", "field": "revenue", "threshold": "20000", "year_offset": -1},
      {"kind": "industry_in", "values": ["新材料", "智能制造", "高端装备", "集成电路", "新能源"]}]),
    ("武进区科技型中小企业入库奖励", "常州市武进区科学技术局", "武科〔{year}〕9号", "tech_sme_award", "fixed", Decimal("2"),
     [{"kind": "rung_granted", "rung": "tech_sme"}, {"kind": "district_in", "values": ["wujin"]}]),
)
# How far claims have got: last year's are mostly paid, this year's mostly still under way.
STAGE_WEIGHTS = {
    "last": {None: 5, "notified": 10, "applied": 10, "reviewed": 15, "paid": 60},
    "this": {None: 30, "notified": 25, "applied": 20, "reviewed": 15, "paid": 10},
}


def _policies(reference: dt.date, admin_id: int | None) -> list[Policy]:
    created = []
    first_year = reference.year - 1
    for name, issuer, ref_number, benefit, rule, amount, conditions in POLICIES:
        checked = [rules.check_condition(c["kind"], rung=c.get("rung"), field=c.get("field"),
                                         threshold=c.get("threshold"), year_offset=c.get("year_offset", 0),
                                         values=c.get("values", ())) for c in conditions]
        policy = Policy(name=name, issuer=issuer, reference=ref_number.format(year=first_year), year=first_year,
                        until_year=reference.year, benefit_kind=benefit, amount_rule=rule, amount=amount,
                        description="示例政策（演示数据）", created_by_id=admin_id)
        policy.conditions = [
            PolicyCondition(position=i, kind=c.kind, rung=c.rung, field=c.field, threshold=c.threshold,
                            year_offset=c.year_offset, values=list(c.values) or None)
            for i, c in enumerate(checked)
        ]
        db.session.add(policy)
        created.append(policy)
    db.session.flush()
    return created


def _amount(rng: random.Random, policy: Policy) -> Decimal:
    if policy.amount_rule == "fixed" and policy.amount:
        return policy.amount
    return Decimal(rng.randint(20, 1600)) / 20  # 1–80 万元, in steps of 0.05


def seed_demo(rng: random.Random, reference: dt.date) -> int:
    """Add the demo policies and their claims; returns the rows added (policies, conditions, claims, steps)."""
    admin_id = db.session.scalar(select(User.id).where(User.role == "admin").order_by(User.id).limit(1))
    officer_of = dict(db.session.execute(
        select(Assignment.company_id, Assignment.officer_id).where(Assignment.assigned_until.is_(None))
    ).all())
    policies = _policies(reference, admin_id)
    added = len(policies) + sum(len(p.conditions) for p in policies)
    next_claim = (db.session.scalar(select(db.func.max(PolicyClaim.id))) or 0) + 1
    claims, steps, paid = [], [], []
    for policy in policies:
        for year in (reference.year - 1, reference.year):
            weights = STAGE_WEIGHTS["last" if year < reference.year else "this"]
            found = entitled(policy, year)
            company_ids = sorted(found)
            rng.shuffle(company_ids)
            for company_id in company_ids[:MAX_CLAIMS]:
                stage = rng.choices(list(weights), weights=list(weights.values()))[0]
                if stage is None:
                    continue  # entitled, not yet told: the digests and the coverage view show it
                start = dt.date(year + 1, 1, 10) if year < reference.year else max(dt.date(year, 3, 1), reference - dt.timedelta(days=120))
                day = min(start + dt.timedelta(days=rng.randint(0, 20)), reference)
                claim = {"id": next_claim, "policy_id": policy.id, "company_id": company_id, "year": year,
                         "reason": "；".join(found[company_id]), "amount": None, "version": 1}
                actor = officer_of.get(company_id, admin_id)
                for status in rules.CLAIM_ORDER[: rules.CLAIM_ORDER.index(stage) + 1]:
                    amount = _amount(rng, policy) if status in ("applied", "paid") else None
                    if status == "paid":
                        amount = claim["amount"] or amount
                    if amount is not None:
                        claim["amount"] = amount
                    claim["status"] = status
                    claim[f"{status}_on"] = day
                    steps.append({"claim_id": next_claim, "status": status, "happened_on": day, "amount": amount,
                                  "note": None, "actor_id": actor if status in ("notified", "applied") else admin_id})
                    day = min(day + dt.timedelta(days=rng.randint(5, 30)), reference)
                if stage == "paid":
                    paid.append((company_id, year, policy.name, claim["amount"], claim["paid_on"], next_claim))
                claims.append(claim)
                next_claim += 1
    for claim in claims:
        for status in rules.CLAIM_ORDER:
            claim.setdefault(f"{status}_on", None)
    if claims:
        db.session.execute(insert(PolicyClaim), claims)
        db.session.execute(insert(PolicyClaimStep), steps)
    for company_id, year, name, amount, paid_on, claim_id in paid:
        record_subsidy(None, company_id, year, name, amount, paid_on, source_claim_id=claim_id)
    return added + len(claims) + len(steps)
