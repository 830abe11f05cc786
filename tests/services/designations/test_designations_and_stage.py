import datetime as dt

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.services.designations import grants
from tracker.services.companies.queries import CompanyFilters, company_profile, list_companies
from tracker.services.errors import ServiceError
from tracker.services.companies.stage_counts import stage_counts

D = dt.date


def test_grant_uses_default_validity_and_stage_follows(app, factory):
    admin = factory.user("admin")
    company = factory.company()
    cert = grants.grant_designation(admin, company, "hnte", granted_on=D(2023, 11, 6), reference="GR202332000001")
    assert cert.valid_until == D(2026, 11, 5)
    assert company_profile(admin, company.id, D(2026, 11, 5)).stage == "hnte"
    assert company_profile(admin, company.id, D(2026, 11, 6)).stage == "prospect"
    sme = grants.grant_designation(admin, company, "tech_sme", granted_on=D(2026, 5, 1))
    assert sme.valid_until == D(2026, 12, 31)
    assert company_profile(admin, company.id, D(2026, 11, 6)).stage == "tech_sme"


def test_revocation_changes_stage_from_that_day_and_is_audited(app, factory):
    admin = factory.user("admin")
    company = factory.company()
    cert = grants.grant_designation(admin, company, "hnte", granted_on=D(2024, 1, 1))
    grants.revoke_designation(admin, cert, revoked_on=D(2025, 3, 1), reason="核查不符合条件")
    assert company_profile(admin, company.id, D(2025, 2, 28)).stage == "hnte"
    profile = company_profile(admin, company.id, D(2025, 3, 1))
    assert profile.stage == "prospect"
    assert profile.timeline.stages[-1].reason == "revocation"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.company_id == company.id)).all()
    assert "designation.grant" in actions and "designation.revoke" in actions
    with pytest.raises(ServiceError, match="已被撤销"):
        grants.revoke_designation(admin, cert, revoked_on=D(2025, 4, 1), reason="x")


def test_revocation_needs_reason_and_valid_date(app, factory):
    admin = factory.user("admin")
    cert = factory.designation(factory.company(), "hnte", D(2024, 1, 1))
    with pytest.raises(ServiceError, match="撤销原因"):
        grants.revoke_designation(admin, cert, revoked_on=D(2025, 1, 1), reason=" ")
    with pytest.raises(ServiceError, match="不能早于"):
        grants.revoke_designation(admin, cert, revoked_on=D(2023, 1, 1), reason="x")


def test_unknown_rung_and_inverted_dates_refused(app, factory):
    company = factory.company()
    with pytest.raises(ServiceError, match="未知的资质类型"):
        grants.grant_designation(None, company, "giant", granted_on=D(2024, 1, 1))
    with pytest.raises(ServiceError, match="不能早于"):
        grants.grant_designation(None, company, "gazelle", granted_on=D(2024, 1, 1), valid_until=D(2023, 1, 1))


def test_sql_stage_matches_rules_across_dates(app, factory):
    """The SQL stage used by lists must agree with rules.ladder for every company and date."""
    admin = factory.user("admin")
    a, b, c, d = (factory.company() for _ in range(4))
    factory.designation(a, "hnte", D(2020, 12, 2))
    factory.designation(a, "hnte", D(2024, 3, 1))
    factory.designation(b, "tech_sme", D(2025, 4, 1))
    gz = factory.designation(c, "gazelle", D(2023, 9, 1))
    factory.designation(c, "hnte", D(2022, 11, 1))
    grants.revoke_designation(admin, gz, revoked_on=D(2024, 6, 1), reason="撤销")
    for day in (D(2020, 12, 1), D(2021, 6, 1), D(2023, 12, 2), D(2024, 5, 31), D(2024, 6, 1), D(2025, 4, 1), D(2026, 1, 1)):
        page = list_companies(admin, CompanyFilters(), day, 1, 50)
        from_sql = {row.company.id: row.stage for row in page.rows}
        from_rules = {x.id: company_profile(admin, x.id, day).stage for x in (a, b, c, d)}
        assert from_sql == from_rules, day
        counts = stage_counts(admin, day)
        assert sum(counts.values()) == 4
        for stage in set(from_rules.values()):
            assert counts[stage] == list(from_rules.values()).count(stage)
            filtered = list_companies(admin, CompanyFilters(stage=stage), day, 1, 50)
            assert {r.company.id for r in filtered.rows} == {k for k, v in from_rules.items() if v == stage}
