"""Who is entitled to a policy in a year (应享企业), computed set-based in SQL (docs/DOMAIN.md §9).

One SELECT per policy and year, whatever the number of companies: every condition of the menu
(tracker.rules.policies) becomes a WHERE clause over companies, designations and yearly figures —
semi-joins (IN) for "holds a designation", an anti-join (NOT EXISTS) for "no earlier one", one
join per figure threshold (a company has one figures row per year) whose value is selected for the
reason. Designations follow the one date rule (tracker.services.stages.counts_from_column,
in_force_clause; tracker.rules.ladder). `tests/services/policies` proves this SQL and
tracker.rules.policies.evaluate agree on a hand-built city.

Every reader takes a scope clause from tracker.services.scoping (None: the system, whole city).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import Select, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased, selectinload

from tracker.extensions import db
from tracker.models import Assignment, Company, CompanyYearFigures, Designation, Policy, PolicyClaim, User
from tracker.rules import policies as rules
from tracker.rules.policies import Condition
from tracker.services.pagination import Page, page_count
from tracker.services.scoping import company_scope_clause
from tracker.services.stages import counts_from_column, in_force_clause


def conditions_of(policy: Policy) -> list[Condition]:
    """The policy's stored conditions as rule objects, in their order."""
    return [
        Condition(kind=c.kind, rung=c.rung, field=c.field, threshold=c.threshold,
                  year_offset=c.year_offset or 0, values=tuple(c.values or ()))
        for c in policy.conditions
    ]


def _starts_in_year(d, rung: str, year: int):
    """SQL twin of rules.policies.starts_in_year for designation alias `d`."""
    start = counts_from_column(d)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return and_(
        d.rung == rung, start >= first, start <= last,
        or_(d.revoked_on.is_(None), d.revoked_on > last),
        or_(d.valid_until.is_(None), d.valid_until >= start),
    )


def _rung_clause(condition: Condition, year: int):
    d = aliased(Designation)
    if condition.kind == "rung_held":
        return Company.id.in_(select(d.company_id).where(d.rung == condition.rung, in_force_clause(dt.date(year, 12, 31), d)))
    clause = Company.id.in_(select(d.company_id).where(_starts_in_year(d, condition.rung, year)))
    if condition.kind == "rung_granted":
        return clause
    earlier = aliased(Designation)
    start = counts_from_column(earlier)
    earlier_exists = (
        select(earlier.id)
        .where(
            earlier.company_id == Company.id, earlier.rung == condition.rung, start < dt.date(year, 1, 1),
            or_(earlier.valid_until.is_(None), earlier.valid_until >= start),
            or_(earlier.revoked_on.is_(None), earlier.revoked_on > start),
        )
        .correlate(Company)
        .exists()
    )
    return and_(clause, ~earlier_exists)


def entitled_select(conditions: list[Condition], year: int, scope_clause=None) -> Select:
    """SELECT company_id, district, industry, v0, v1 … (one value per condition) of the live
    companies meeting every condition in `year`, within `scope_clause`."""
    columns = [Company.id.label("company_id"), Company.district.label("district"), Company.industry.label("industry")]
    joins = []
    wheres = [Company.deleted_at.is_(None)]
    if scope_clause is not None:
        wheres.append(scope_clause)
    for i, c in enumerate(conditions):
        if c.kind in rules.RUNG_KINDS:
            wheres.append(_rung_clause(c, year))
            columns.append(literal(None).label(f"v{i}"))
        elif c.kind in rules.FIGURE_KINDS:
            fig = aliased(CompanyYearFigures, name=f"fig{i}")
            joins.append((fig, and_(fig.company_id == Company.id, fig.year == year + c.year_offset)))
            value = getattr(fig, c.field)
            wheres.append(value >= c.threshold if c.kind == "figure_min" else value <= c.threshold)
            columns.append(value.label(f"v{i}"))
        elif c.kind == "district_in":
            wheres.append(Company.district.in_(list(c.values)))
            columns.append(Company.district.label(f"v{i}"))
        else:
            wheres.append(Company.industry.in_(list(c.values)))
            columns.append(Company.industry.label(f"v{i}"))
    query = select(*columns).select_from(Company)
    for target, on in joins:
        query = query.join(target, on)
    return query.where(*wheres)


def reasons_of(conditions: list[Condition], year: int, row) -> tuple[str, ...]:
    """The reasons for one row of `entitled_select` (rules.policies.reason with the selected values)."""
    return tuple(rules.reason(c, year, getattr(row, f"v{i}")) for i, c in enumerate(conditions))


def entitled(policy: Policy, year: int, scope_clause=None) -> dict[int, tuple[str, ...]]:
    """company id → reasons, for every company entitled to `policy` in `year` within the scope."""
    conditions = conditions_of(policy)
    rows = db.session.execute(entitled_select(conditions, year, scope_clause)).all()
    return {row.company_id: reasons_of(conditions, year, row) for row in rows}


def entitlement_for(policy: Policy, year: int, company_id: int) -> tuple[str, ...] | None:
    """The reasons one company is entitled to `policy` in `year`, or None when it is not."""
    conditions = conditions_of(policy)
    row = db.session.execute(entitled_select(conditions, year, Company.id == company_id)).first()
    return reasons_of(conditions, year, row) if row is not None else None


def company_facts(company: Company, figure_years: Iterable[int]) -> rules.CompanyFacts:
    """What rules.policies.evaluate reads of one company: its designations and its figures of
    `figure_years`; two SELECTs, however many policies are then judged."""
    designations = tuple(db.session.scalars(select(Designation).where(Designation.company_id == company.id)))
    wanted = sorted(set(figure_years))
    figures = {
        f.year: {name: getattr(f, name) for name in CompanyYearFigures.FIELDS}
        for f in db.session.scalars(select(CompanyYearFigures).where(
            CompanyYearFigures.company_id == company.id, CompanyYearFigures.year.in_(wanted)))
    } if wanted else {}
    return rules.CompanyFacts(company.id, company.district, company.industry, designations, figures)


def company_entitlements(company: Company, policy_years: list[tuple[Policy, int]]) -> dict[tuple[int, int], tuple[str, ...]]:
    """(policy id, year) → reasons for each pair the one company is entitled to.

    For one company the pure evaluator (rules.policies.evaluate, the twin of `entitled_select`,
    proved equal to it on a hand-built city) over its facts read once replaces two SELECTs per
    policy and year: the company page judges all its policies with the two SELECTs of
    `company_facts`. A deleted company is entitled to nothing, as in `entitled_select`."""
    if company.deleted_at is not None or not policy_years:
        return {}
    conditions = {p.id: conditions_of(p) for p, _ in policy_years}
    figure_years = {year + c.year_offset for p, year in policy_years for c in conditions[p.id]
                    if c.kind in rules.FIGURE_KINDS}
    facts = company_facts(company, figure_years)
    result = {}
    for policy, year in policy_years:
        verdict = rules.evaluate(conditions[policy.id], year, facts)
        if verdict.entitled:
            result[(policy.id, year)] = verdict.reasons
    return result


def _applies_in(policy: Policy, year: int) -> bool:
    return policy.year <= year <= (policy.until_year if policy.until_year is not None else policy.year)


def live_policies_of_years(years: Iterable[int]) -> list[tuple[Policy, int]]:
    """(policy, year) for every live policy applying in each of `years`, newest year first and
    then as `live_policies` orders them; one SELECT for the policies and one for their conditions."""
    wanted = sorted(set(years), reverse=True)
    if not wanted:
        return []
    policies = list(db.session.scalars(
        select(Policy).options(selectinload(Policy.conditions))
        .where(Policy.deleted_at.is_(None), Policy.year <= wanted[0],
               func.coalesce(Policy.until_year, Policy.year) >= wanted[-1])
        .order_by(Policy.year.desc(), Policy.name, Policy.id)
    ))
    return [(p, year) for year in wanted for p in policies if _applies_in(p, year)]


def live_policies(year: int | None = None) -> list[Policy]:
    """Policies not deleted, those applying in `year` when given, by year and name."""
    query = select(Policy).where(Policy.deleted_at.is_(None))
    if year is not None:
        query = query.where(Policy.year <= year, func.coalesce(Policy.until_year, Policy.year) >= year)
    return list(db.session.scalars(query.order_by(Policy.year.desc(), Policy.name, Policy.id)))


# --- the coverage view (快享直达全覆盖) ---------------------------------------------------------------

def _claim_join(ent, policy_id: int, year: int):
    claim = aliased(PolicyClaim)
    on = and_(claim.policy_id == policy_id, claim.company_id == ent.c.company_id, claim.year == year)
    return claim, on


@dataclass
class CoverageRow:
    """One policy's (or the total's) figures, city or scope-wide and by district."""

    policy: Policy | None
    counts: dict[str, int] = field(default_factory=dict)  # measure -> n
    by_district: dict[str, dict[str, int]] = field(default_factory=dict)  # district -> measure -> n

    @property
    def coverage(self) -> float | None:
        return rules.coverage(self.counts.get("paid", 0), self.counts.get("entitled", 0))

    def district_coverage(self, district: str) -> float | None:
        counts = self.by_district.get(district, {})
        return rules.coverage(counts.get("paid", 0), counts.get("entitled", 0))


def _empty_counts() -> dict[str, int]:
    return {m: 0 for m in rules.MEASURES}


def coverage(actor: User, year: int) -> tuple[list[CoverageRow], CoverageRow]:
    """Entitled, notified, applied and paid by district for every policy applying in `year`, within
    what `actor` may see; one GROUP BY query per policy. Returns (rows per policy, total row)."""
    scope = company_scope_clause(actor)
    total = CoverageRow(policy=None, counts=_empty_counts())
    rows = []
    for policy in live_policies(year):
        ent = entitled_select(conditions_of(policy), year, scope).subquery()
        claim, on = _claim_join(ent, policy.id, year)
        sums = [
            func.sum(case((claim.status.in_(rules.statuses_reaching(m)), 1), else_=0)).label(m)
            for m in rules.MEASURES if m != "entitled"
        ]
        result = db.session.execute(
            select(ent.c.district, func.count().label("entitled"), *sums)
            .select_from(ent).outerjoin(claim, on).group_by(ent.c.district)
        ).all()
        row = CoverageRow(policy=policy, counts=_empty_counts())
        for r in result:
            counts = {m: int(getattr(r, m) or 0) for m in rules.MEASURES}
            row.by_district[r.district] = counts
            for m, n in counts.items():
                row.counts[m] += n
                total.counts[m] += n
                total.by_district.setdefault(r.district, _empty_counts())[m] += n
        rows.append(row)
    return rows, total


# --- drill-down: the companies behind every number ------------------------------------------------

@dataclass
class EntitledCompany:
    """One row of a drill-down: the company, the policy, why it is entitled and its claim."""

    company_id: int
    name: str
    uscc: str
    district: str
    policy: Policy
    year: int
    reasons: tuple[str, ...]
    claim_status: str | None
    claim_amount: object = None


def _policy_rows(policy: Policy, year: int, scope, district: str | None, measure: str) -> Select:
    conditions = conditions_of(policy)
    ent = entitled_select(conditions, year, scope).subquery()
    claim, on = _claim_join(ent, policy.id, year)
    query = (
        select(literal(policy.id).label("policy_id"), ent, claim.status.label("claim_status"),
               claim.amount.label("claim_amount"))
        .select_from(ent).outerjoin(claim, on)
    )
    if district:
        query = query.where(ent.c.district == district)
    if measure != "entitled":
        query = query.where(claim.status.in_(rules.statuses_reaching(measure)))
    return query


def drill_down(actor: User, year: int, *, policy: Policy | None, district: str | None, measure: str,
               page: int, per_page: int) -> Page:
    """One page of the companies behind one number of the coverage view (exactly as many rows).

    `policy` None: every policy applying in `year` (one row per company and policy). Rows are
    EntitledCompany, ordered by company name."""
    if measure not in rules.MEASURES:
        measure = "entitled"
    scope = company_scope_clause(actor)
    policies = [policy] if policy is not None else live_policies(year)
    if not policies:
        return Page(rows=[], total=0, page=1, per_page=per_page)
    by_id = {p.id: p for p in policies}
    conditions = {p.id: conditions_of(p) for p in policies}
    keys_of = []
    for p in policies:
        part = _policy_rows(p, year, scope, district, measure).subquery()
        keys_of.append(select(part.c.policy_id, part.c.company_id))
    union = union_all(*keys_of).subquery()
    total = int(db.session.scalar(select(func.count()).select_from(union)) or 0)
    page = min(max(1, page), page_count(total, per_page))
    keys = db.session.execute(
        select(union.c.policy_id, union.c.company_id)
        .join(Company, Company.id == union.c.company_id)
        .order_by(Company.name, Company.id, union.c.policy_id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    rows = []
    wanted: dict[int, list[int]] = {}
    for key in keys:
        wanted.setdefault(key.policy_id, []).append(key.company_id)
    details: dict[tuple[int, int], object] = {}
    for policy_id, company_ids in wanted.items():
        p = by_id[policy_id]
        q = _policy_rows(p, year, scope, district, measure).subquery()
        for r in db.session.execute(select(q).where(q.c.company_id.in_(company_ids))).all():
            details[(policy_id, r.company_id)] = r
    companies = {c.id: c for c in db.session.scalars(select(Company).where(Company.id.in_([k.company_id for k in keys])))}
    for key in keys:
        r = details[(key.policy_id, key.company_id)]
        company = companies[key.company_id]
        p = by_id[key.policy_id]
        rows.append(EntitledCompany(
            company_id=company.id, name=company.name, uscc=company.uscc, district=company.district, policy=p,
            year=year, reasons=reasons_of(conditions[p.id], year, r), claim_status=r.claim_status,
            claim_amount=r.claim_amount,
        ))
    return Page(rows=rows, total=total, page=page, per_page=per_page)


# --- the officers' digest -------------------------------------------------------------------------

def digest_years(today: dt.date) -> tuple[int, ...]:
    """Policy years an officer is told about on `today`: last year's (awards are usually claimed
    the year after) and this year's."""
    return (today.year - 1, today.year)


def officer_entitlements(today: dt.date) -> dict[int, list[dict]]:
    """officer id → the entitlements of their companies not yet applied for (no claim, or only
    告知), for the weekly digest; one query per policy and year."""
    result: dict[int, list[dict]] = {}
    for year in digest_years(today):
        for policy in live_policies(year):
            conditions = conditions_of(policy)
            ent = entitled_select(conditions, year).subquery()
            claim, on = _claim_join(ent, policy.id, year)
            rows = db.session.execute(
                select(Assignment.officer_id, ent.c.company_id, Company.name, claim.status)
                .select_from(ent)
                .join(Company, Company.id == ent.c.company_id)
                .join(Assignment, and_(Assignment.company_id == ent.c.company_id, Assignment.assigned_until.is_(None)))
                .outerjoin(claim, on)
                .where(or_(claim.id.is_(None), claim.status == "notified"))
                .order_by(Company.name, Company.id)
            ).all()
            benefit = rules.BENEFIT_KINDS.get(policy.benefit_kind, policy.benefit_kind)
            amount = rules.amount_text(policy.amount) if policy.amount_rule == "fixed" else ""
            for officer_id, company_id, name, status in rows:
                result.setdefault(officer_id, []).append({
                    "company_id": company_id, "name": name, "policy": policy.name, "policy_id": policy.id,
                    "year": year, "benefit": benefit, "amount": amount,
                    "status": rules.CLAIM_STATUSES.get(status, "未告知") if status else "未告知",
                })
    return result
