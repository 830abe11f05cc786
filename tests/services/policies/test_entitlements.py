"""Entitlements in SQL agree with the pure rules; claims, the registry and coverage (政策直达)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import AuditEvent, CompanyYearFigures, Designation, PolicyClaim, PolicyClaimStep, SupportRecord
from tracker.rules.districts import DISTRICT_CODES, INDUSTRIES
from tracker.rules.policies import CompanyFacts, evaluate
from tracker.services.errors import Conflict, Forbidden, NotFound, ServiceError
from tracker.services.policies import claims, entitlements, registry
from tracker.services.unit_of_work import unit_of_work

RUNGS = ("tech_sme", "hnte", "gazelle")


def _policy_data(**overrides):
    data = {"name": "高新技术企业首次认定奖励", "issuer": "常州市科学技术局", "reference": "常科发〔2026〕1号",
            "year": 2026, "until_year": None, "benefit_kind": "hnte_first_award", "amount_rule": "fixed",
            "amount": Decimal("30"), "description": None}
    data.update(overrides)
    return data


FIRST_HNTE = {"kind": "rung_first", "rung": "hnte"}


@pytest.fixture
def admin(factory):
    return factory.user("admin")


def _random_designation(rng: random.Random, company_id: int) -> Designation:
    rung = rng.choice(RUNGS)
    year = rng.randint(2022, 2027)
    valid_from = dt.date(year, rng.choice((1, 3, 6, 11, 12)), rng.choice((1, 15, 31 if False else 28)))
    granted = valid_from + dt.timedelta(days=rng.choice((0, 0, 10, -20, 40)))
    until = {"tech_sme": dt.date(valid_from.year, 12, 31), "hnte": dt.date(valid_from.year + 3, valid_from.month, 1)}.get(rung)
    if rng.random() < 0.1:
        until = valid_from - dt.timedelta(days=1)  # bad data: ends before it starts
    revoked = None
    roll = rng.random()
    if roll < 0.1:
        revoked = max(granted, valid_from)  # revoked the day it would start: never counted
    elif roll < 0.25:
        revoked = valid_from + dt.timedelta(days=rng.randint(1, 500))
    elif roll < 0.3:
        revoked = dt.date(valid_from.year, 12, 31)
    return Designation(company_id=company_id, rung=rung, granted_on=granted, valid_from=valid_from,
                       valid_until=until, revoked_on=revoked, source="test")


def _hand_built_city(factory, rng: random.Random, n: int = 70):
    """Companies with random designations (including the awkward cases) and figures."""
    companies = []
    for i in range(n):
        company = factory.company(rng.choice(DISTRICT_CODES), industry=rng.choice(INDUSTRIES + (None,)))
        companies.append(company)
    with unit_of_work():
        for company in companies:
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                db.session.add(_random_designation(rng, company.id))
            for year in (2024, 2025, 2026):
                if rng.random() < 0.7:
                    db.session.add(CompanyYearFigures(
                        company_id=company.id, year=year,
                        rd_expense=Decimal(rng.randint(0, 2000)) / 2 if rng.random() < 0.9 else None,
                        revenue=Decimal(rng.randint(100, 50000)),
                        staff_count=rng.choice((None, 20, 100, 500, 501)),
                    ))
    # One company is soft-deleted: it is never entitled.
    from tracker.clock import now  # noqa: PLC0415 - only this helper needs the clock

    with unit_of_work():
        companies[0].deleted_at = now()
    return companies


def _facts_of_city() -> dict[int, CompanyFacts]:
    from tracker.models import Company  # noqa: PLC0415 - the facts builder reads models the tests otherwise don't

    result = {}
    for company in db.session.scalars(select(Company).where(Company.deleted_at.is_(None))):
        designations = tuple(db.session.scalars(select(Designation).where(Designation.company_id == company.id)))
        figures = {
            f.year: {name: getattr(f, name) for name in CompanyYearFigures.FIELDS}
            for f in db.session.scalars(select(CompanyYearFigures).where(CompanyYearFigures.company_id == company.id))
        }
        result[company.id] = CompanyFacts(company.id, company.district, company.industry, designations, figures)
    return result


POLICIES = [
    [FIRST_HNTE],
    [{"kind": "rung_granted", "rung": "hnte"}],
    [{"kind": "rung_held", "rung": "hnte"}, {"kind": "figure_min", "field": "rd_expense", "threshold": "300", "year_offset": "-1"}],
    [{"kind": "rung_first", "rung": "gazelle"}, {"kind": "district_in", "values": ["wujin", "xinbei", "liyang"]}],
    [{"kind": "rung_held", "rung": "tech_sme"}, {"kind": "figure_max", "field": "staff_count", "threshold": "500", "year_offset": "0"},
     {"kind": "industry_in", "values": ["新材料", "新能源", "集成电路", "其他"]}],
    [{"kind": "figure_min", "field": "revenue", "threshold": "10000", "year_offset": "0"},
     {"kind": "figure_max", "field": "rd_expense", "threshold": "800", "year_offset": "-1"}],
]


def test_sql_and_rules_agree_on_a_hand_built_city(app, factory, admin):
    rng = random.Random(20260315)
    _hand_built_city(factory, rng)
    facts = _facts_of_city()
    seen_entitled = 0
    for i, conds in enumerate(POLICIES):
        policy = registry.create_policy(admin, _policy_data(name=f"政策{i}", year=2024, until_year=2027), conds)
        conditions = entitlements.conditions_of(policy)
        for year in (2024, 2025, 2026, 2027):
            sql = entitlements.entitled(policy, year)
            pure = {}
            for cid, f in facts.items():
                verdict = evaluate(conditions, year, f)
                if verdict.entitled:
                    pure[cid] = verdict.reasons
            assert sql == pure, (i, year)
            seen_entitled += len(sql)
    assert seen_entitled > 20  # the city exercises the conditions, not only empty sets


def test_entitlement_follows_the_records(app, factory, admin):
    company = factory.company("wujin", industry="新材料")
    policy = registry.create_policy(admin, _policy_data(), [FIRST_HNTE])
    assert entitlements.entitled(policy, 2026) == {}
    factory.designation(company, "hnte", dt.date(2026, 1, 20))
    assert entitlements.entitled(policy, 2026) == {company.id: ("2026年首次认定高新技术企业",)}


def _entitled_company(factory, admin, district="wujin", officer=None):
    company = factory.company(district, officer=officer, industry="新材料")
    factory.designation(company, "hnte", dt.date(2026, 1, 20))
    return company


def test_registry_is_for_administrators_and_refuses_bad_input(app, factory, admin):
    manager = factory.user("manager", "wujin")
    with pytest.raises(Forbidden):
        registry.create_policy(manager, _policy_data(), [FIRST_HNTE])
    with pytest.raises(ServiceError, match="请至少设置一个享受条件"):
        registry.create_policy(admin, _policy_data(), [])
    with pytest.raises(ServiceError, match="第 2 个条件：.*门槛值"):
        registry.create_policy(admin, _policy_data(), [FIRST_HNTE, {"kind": "figure_min", "field": "revenue"}])
    with pytest.raises(ServiceError, match="定额奖补须填写奖补金额"):
        registry.create_policy(admin, _policy_data(amount=None), [FIRST_HNTE])
    with pytest.raises(ServiceError, match="截止年度不能早于起始年度"):
        registry.create_policy(admin, _policy_data(until_year=2025), [FIRST_HNTE])
    policy_audits = select(AuditEvent.action).where(AuditEvent.entity_type == "policy")
    assert list(db.session.scalars(policy_audits)) == []  # nothing half-written
    policy = registry.create_policy(admin, _policy_data(), [FIRST_HNTE])
    with pytest.raises(ServiceError, match="已有同名政策"):
        registry.create_policy(admin, _policy_data(), [FIRST_HNTE])
    assert list(db.session.scalars(policy_audits)) == ["policy.create"]
    assert policy.conditions[0].kind == "rung_first"


def test_update_replaces_conditions_detects_stale_forms_and_delete_is_soft(app, factory, admin):
    policy = registry.create_policy(admin, _policy_data(), [FIRST_HNTE])
    version = policy.version
    registry.update_policy(admin, policy, _policy_data(amount=Decimal("50")),
                           [FIRST_HNTE, {"kind": "district_in", "values": ["wujin"]}], version=version)
    assert [c.kind for c in policy.conditions] == ["rung_first", "district_in"]
    assert policy.amount == Decimal("50")
    with pytest.raises(Conflict):
        registry.update_policy(admin, policy, _policy_data(), [FIRST_HNTE], version=version)
    update = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.update")).one()
    assert update.after["amount"] == "50.00" and len(update.after["conditions"]) == 2
    registry.delete_policy(admin, policy)
    with pytest.raises(NotFound):
        registry.get_policy(admin, policy.id)
    assert entitlements.live_policies(2026) == []


def test_claim_moves_step_by_step_and_paying_writes_the_subsidy_record(app, factory, admin):
    officer = factory.user("officer", "wujin")
    company = _entitled_company(factory, admin, officer=officer)
    policy = registry.create_policy(admin, _policy_data(), [FIRST_HNTE])
    day = dt.date(2026, 2, 1)
    claim = claims.record_step(officer, policy.id, company.id, 2026, {"expected": "", "on": day})
    assert claim.status == "notified" and claim.reason == "2026年首次认定高新技术企业"
    with pytest.raises(ServiceError, match="申报日期不能早于上一环节"):
        claims.record_step(officer, policy.id, company.id, 2026, {"expected": "notified", "on": day - dt.timedelta(days=1)})
    with pytest.raises(Conflict):  # a stale form (shown before the last step) records nothing
        claims.record_step(officer, policy.id, company.id, 2026, {"expected": "", "on": day})
    claims.record_step(officer, policy.id, company.id, 2026, {"expected": "notified", "on": day, "amount": Decimal("30")})
    claims.record_step(admin, policy.id, company.id, 2026, {"expected": "applied", "on": dt.date(2026, 3, 1)})
    assert db.session.scalar(select(func.count()).select_from(SupportRecord)) == 0
    claim = claims.record_step(admin, policy.id, company.id, 2026, {"expected": "reviewed", "on": dt.date(2026, 4, 1)})
    assert claim.status == "paid" and claim.amount == Decimal("30") and claim.paid_on == dt.date(2026, 4, 1)
    support = db.session.scalars(select(SupportRecord)).one()
    assert support.source_claim_id == claim.id and support.company_id == company.id and support.year == 2026
    assert support.amount == Decimal("30")
    with pytest.raises(ServiceError, match="已兑现"):
        claims.record_step(admin, policy.id, company.id, 2026, {"on": dt.date(2026, 4, 2)})
    steps = list(db.session.scalars(select(PolicyClaimStep.status).order_by(PolicyClaimStep.id)))
    assert steps == ["notified", "applied", "reviewed", "paid"]
    claim_audits = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "policy_claim")))
    assert claim_audits == ["policy_claim.create"] + ["policy_claim.advance"] * 3


def test_claims_are_scoped_and_only_for_entitled_companies(app, factory, admin):
    officer = factory.user("officer", "wujin")
    other_officer = factory.user("officer", "wujin")
    liyang_manager = factory.user("manager", "liyang")
    company = _entitled_company(factory, admin, officer=officer)
    not_entitled = factory.company("wujin", officer=officer)
    policy = registry.create_policy(admin, _policy_data(), [FIRST_HNTE])
    data = {"on": dt.date(2026, 2, 1)}
    for user in (other_officer, liyang_manager):
        with pytest.raises(NotFound):
            claims.record_step(user, policy.id, company.id, 2026, data)
        with pytest.raises(NotFound):
            claims.claim_view(user, policy.id, company.id, 2026)
    with pytest.raises(ServiceError, match="不符合"):
        claims.record_step(officer, policy.id, not_entitled.id, 2026, data)
    with pytest.raises(ServiceError, match="只适用于2026年"):
        claims.record_step(officer, policy.id, company.id, 2025, data)
    with pytest.raises(ServiceError, match="不能晚于今天"):
        claims.record_step(officer, policy.id, company.id, 2026, {"on": dt.date(2099, 1, 1)})
    assert db.session.scalar(select(func.count()).select_from(PolicyClaim)) == 0


def test_paying_without_an_amount_under_a_variable_policy_is_refused(app, factory, admin):
    company = _entitled_company(factory, admin)
    policy = registry.create_policy(admin, _policy_data(amount_rule="none", amount=None, benefit_kind="rd_subsidy",
                                                        name="研发费用补贴"), [FIRST_HNTE])
    for status, day in (("", 1), ("notified", 2), ("applied", 3)):
        claims.record_step(admin, policy.id, company.id, 2026, {"expected": status, "on": dt.date(2026, 3, day)})
    with pytest.raises(ServiceError, match="兑现须填写实际兑现金额"):
        claims.record_step(admin, policy.id, company.id, 2026, {"expected": "reviewed", "on": dt.date(2026, 3, 4)})
    assert db.session.scalar(select(PolicyClaim.status)) == "reviewed"
    assert db.session.scalar(select(func.count()).select_from(SupportRecord)) == 0


def test_coverage_by_district_and_every_number_drills_down_to_as_many_companies(app, factory, admin):
    wujin = [_entitled_company(factory, admin, "wujin") for _ in range(3)]
    liyang = [_entitled_company(factory, admin, "liyang") for _ in range(2)]
    factory.company("wujin")  # not entitled
    policy = registry.create_policy(admin, _policy_data(), [FIRST_HNTE])
    other = registry.create_policy(admin, _policy_data(name="高企认定（含重新认定）奖励", amount=Decimal("10")),
                                   [{"kind": "rung_granted", "rung": "hnte"}, {"kind": "district_in", "values": ["wujin"]}])
    for status, day in (("", 1), ("notified", 2), ("applied", 3), ("reviewed", 4)):
        claims.record_step(admin, policy.id, wujin[0].id, 2026, {"expected": status, "on": dt.date(2026, 3, day)})
    claims.record_step(admin, policy.id, wujin[1].id, 2026, {"on": dt.date(2026, 3, 1)})
    claims.record_step(admin, policy.id, liyang[0].id, 2026, {"expected": "", "on": dt.date(2026, 3, 1)})
    claims.record_step(admin, policy.id, liyang[0].id, 2026, {"expected": "notified", "on": dt.date(2026, 3, 2)})

    rows, total = entitlements.coverage(admin, 2026)
    first = next(r for r in rows if r.policy.id == policy.id)
    assert first.counts == {"entitled": 5, "notified": 3, "applied": 2, "paid": 1}
    assert first.by_district["wujin"] == {"entitled": 3, "notified": 2, "applied": 1, "paid": 1}
    assert first.coverage == 20.0
    assert total.counts == {"entitled": 8, "notified": 3, "applied": 2, "paid": 1}
    for measure, n in first.counts.items():
        page = entitlements.drill_down(admin, 2026, policy=policy, district=None, measure=measure, page=1, per_page=50)
        assert page.total == n == len(page.rows)
    for measure, n in total.counts.items():
        page = entitlements.drill_down(admin, 2026, policy=None, district=None, measure=measure, page=1, per_page=50)
        assert page.total == n == len(page.rows)
    page = entitlements.drill_down(admin, 2026, policy=None, district="wujin", measure="entitled", page=1, per_page=2)
    assert page.total == 6 and len(page.rows) == 2
    assert {r.policy.id for r in entitlements.drill_down(admin, 2026, policy=None, district="wujin", measure="entitled",
                                                          page=1, per_page=50).rows} == {policy.id, other.id}

    manager = factory.user("manager", "liyang")
    rows, total = entitlements.coverage(manager, 2026)
    assert set(total.by_district) == {"liyang"}
    assert total.counts == {"entitled": 2, "notified": 1, "applied": 1, "paid": 0}
    names = {r.name for r in entitlements.drill_down(manager, 2026, policy=None, district=None, measure="entitled",
                                                      page=1, per_page=50).rows}
    assert names == {c.name for c in liyang}


def test_officers_digest_lists_their_unclaimed_entitlements(app, factory, admin):
    officer = factory.user("officer", "wujin")
    other = factory.user("officer", "wujin")
    mine = _entitled_company(factory, admin, officer=officer)
    applied = _entitled_company(factory, admin, officer=officer)
    theirs = _entitled_company(factory, admin, officer=other)
    policy = registry.create_policy(admin, _policy_data(), [FIRST_HNTE])
    claims.record_step(admin, policy.id, applied.id, 2026, {"on": dt.date(2026, 3, 1)})
    claims.record_step(admin, policy.id, applied.id, 2026, {"expected": "notified", "on": dt.date(2026, 3, 2)})
    found = entitlements.officer_entitlements(dt.date(2026, 3, 9))
    assert [i["company_id"] for i in found[officer.id]] == [mine.id]
    assert found[officer.id][0]["amount"] == "30万元" and found[officer.id][0]["status"] == "未告知"
    assert [i["company_id"] for i in found[other.id]] == [theirs.id]
