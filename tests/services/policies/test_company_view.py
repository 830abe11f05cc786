"""The company page's policies (企业可享政策): judged by the pure rules over the company's facts read
once, they agree with the SQL entitlement (entitlements.entitled) company by company."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import event, select

from tests.services.policies.test_entitlements import POLICIES, _hand_built_city, _policy_data
from tracker.extensions import db
from tracker.models import Company
from tracker.services.errors import NotFound
from tracker.services.policies import company_view, entitlements, registry


def test_company_policies_agree_with_the_sql_on_a_hand_built_city(app, factory):
    admin = factory.user("admin")
    rng = random.Random(20260316)
    _hand_built_city(factory, rng, n=40)
    for i, conds in enumerate(POLICIES):
        registry.create_policy(admin, _policy_data(name=f"政策{i}", year=2024 + i % 2, until_year=2026 + i % 2), conds)
    years = (2025, 2026, 2027)
    expected: dict[int, set] = {}
    for year in years:
        for policy in entitlements.live_policies(year):
            for company_id, reasons in entitlements.entitled(policy, year).items():
                expected.setdefault(company_id, set()).add((policy.id, year, reasons))
    assert sum(len(v) for v in expected.values()) > 10  # the city exercises the conditions
    for company in db.session.scalars(select(Company)):
        got = {(i.policy.id, i.year, i.reasons) for i in company_view.policies_of_company(company, years)}
        assert got == expected.get(company.id, set()), company.id


def test_policies_of_company_reads_a_fixed_number_of_statements(app, factory):
    admin = factory.user("admin")
    company = factory.company("wujin", industry="新材料")
    registry.create_policy(admin, _policy_data(name="政策甲"), POLICIES[0])
    statements = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        company_view.policies_of_company(company, (2025, 2026))
        few = len(statements)
        for i, conds in enumerate(POLICIES):
            registry.create_policy(admin, _policy_data(name=f"政策{i}", year=2025, until_year=2026), conds)
        db.session.expire_all()
        company = db.session.get(Company, company.id)
        statements.clear()
        company_view.policies_of_company(company, (2025, 2026))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) <= few  # six more policies over two years, not 24 more statements


def test_company_policies_is_scoped(app, factory):
    company = factory.company("wujin")
    with pytest.raises(NotFound):
        company_view.company_policies(factory.user("manager", "xinbei"), company.id, (2026,))
    assert company_view.company_policies(factory.user("manager", "wujin"), company.id, (2026,)) == []
