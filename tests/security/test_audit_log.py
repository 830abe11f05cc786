"""The audit log: append-only in PostgreSQL; written exactly once per committed change, never for a rolled-back one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from tests.conftest import TEST_DB
from tracker.extensions import db
from tracker.models import AuditEvent, Company
from tracker.services.companies import records as company_service
from tracker.services.errors import Conflict


def _updates(company_id: int) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "company.update", AuditEvent.entity_id == company_id))


@pytest.mark.pg_only
def test_postgresql_refuses_update_and_delete_of_audit_rows(app, factory):
    if TEST_DB != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    factory.company("wujin")
    event_id = db.session.scalar(select(func.min(AuditEvent.id)))
    assert event_id
    for statement in ("UPDATE audit_event SET action = 'forged' WHERE id = :id", "DELETE FROM audit_event WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement), {"id": event_id})
        db.session.rollback()
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.id == event_id)) == "company.create"


def test_a_committed_change_writes_exactly_one_audit_row(app, factory):
    admin = factory.user("admin")
    company = factory.company("wujin", name="原名称")
    company_service.update_company(admin, company, {"name": "新名称"}, version=company.version)
    assert _updates(company.id) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "company.update"))
    assert event.before == {"name": "原名称"} and event.after == {"name": "新名称"} and event.actor_id == admin.id


def test_an_unchanged_save_writes_no_audit_row(app, factory):
    admin = factory.user("admin")
    company = factory.company("wujin", name="原名称")
    company_service.update_company(admin, company, {"name": "原名称"}, version=company.version)
    assert _updates(company.id) == 0


def test_a_refused_change_writes_no_audit_row(app, factory):
    admin = factory.user("admin")
    company = factory.company("wujin", name="原名称")
    with pytest.raises(Conflict):
        company_service.update_company(admin, company, {"name": "迟到的修改"}, version=company.version + 5)
    db.session.rollback()
    assert _updates(company.id) == 0


def test_a_rolled_back_concurrent_change_leaves_no_audit_row(app, factory):
    admin = factory.user("admin")
    company = factory.company("wujin", name="原名称")
    loaded_version = company.version
    # Someone else saves first, behind this session's back.
    with db.engine.begin() as other:
        other.execute(text("UPDATE company SET name = '他人修改', version = version + 1 WHERE id = :id"), {"id": company.id})
    # The service should say Conflict; it currently lets SQLAlchemy's StaleDataError escape from
    # the audit flush (reported). Either way the change and its audit row are rolled back.
    with pytest.raises((Conflict, StaleDataError)):
        company_service.update_company(admin, company, {"name": "我的修改"}, version=loaded_version)
    db.session.rollback()
    db.session.expire_all()
    assert _updates(company.id) == 0
    assert db.session.get(Company, company.id).name == "他人修改"
