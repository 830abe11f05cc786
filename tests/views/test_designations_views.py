"""Granting and revoking designations from the company page: defaults, messages, rights, scoping."""

import datetime as dt

import pytest
from sqlalchemy import select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AuditEvent, Designation


@pytest.fixture
def manager_setup(app, factory, auth):
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin", name="武进高企候选")
    auth.login(manager)
    return manager, company


def test_grant_with_hnte_defaults_changes_the_stage_at_once(client, manager_setup):
    _, company = manager_setup
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "新增资质" in page and f"/companies/{company.id}/designations/new" in page
    form = client.get(f"/companies/{company.id}/designations/new").get_data(as_text=True)
    assert f'value="{today().isoformat()}"' in form
    response = client.post(f"/companies/{company.id}/designations/new", data={
        "rung": "hnte", "reference": "GR2025320001", "granted_on": "2025-12-01",
    })
    assert response.status_code == 302
    d = db.session.scalars(select(Designation)).one()
    assert d.valid_from == dt.date(2025, 12, 1) and d.valid_until == dt.date(2028, 11, 30)
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert 'data-testid="current-stage"><span class="badge stage-hnte">高新技术企业' in page
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "designation.grant")).one()


def test_tech_sme_defaults_to_the_end_of_its_year(client, manager_setup):
    _, company = manager_setup
    client.post(f"/companies/{company.id}/designations/new", data={"rung": "tech_sme", "granted_on": "2026-06-15"})
    assert db.session.scalars(select(Designation.valid_until)).one() == dt.date(2026, 12, 31)


@pytest.mark.parametrize("data, message", [
    ({"rung": "", "granted_on": "2026-01-01"}, "请选择资质类型"),
    ({"rung": "hnte", "granted_on": ""}, "请填写认定日期"),
    ({"rung": "hnte", "granted_on": "2026-02-30"}, "不是有效的日期值"),
    ({"rung": "dragon", "granted_on": "2026-01-01"}, "不是有效的选择"),
    ({"rung": "gazelle", "granted_on": "2026-01-01", "valid_from": "2026-01-01", "valid_until": "2025-01-01"},
     "有效期至不能早于有效期起"),
])
def test_grant_messages_per_field_and_nothing_saved(client, manager_setup, data, message):
    _, company = manager_setup
    response = client.post(f"/companies/{company.id}/designations/new", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body and "is-invalid" in body
    assert db.session.scalars(select(Designation)).first() is None


def test_revoke_with_date_and_reason(client, factory, manager_setup):
    _, company = manager_setup
    d = factory.designation(company, "hnte", dt.date(2025, 1, 1), reference="GR2025")
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert f"/companies/{company.id}/designations/{d.id}/revoke" in page
    response = client.post(f"/companies/{company.id}/designations/{d.id}/revoke", data={"revoked_on": "2026-03-01", "reason": ""})
    assert "请填写撤销原因" in response.get_data(as_text=True)
    response = client.post(f"/companies/{company.id}/designations/{d.id}/revoke", data={"revoked_on": "2024-03-01", "reason": "弄虚作假"})
    assert "撤销日期不能早于有效期起" in response.get_data(as_text=True)
    response = client.post(f"/companies/{company.id}/designations/{d.id}/revoke", data={"revoked_on": "2026-03-01", "reason": "弄虚作假"})
    assert response.status_code == 302
    db.session.refresh(d)
    assert d.revoked_on == dt.date(2026, 3, 1) and d.revoke_reason == "弄虚作假"
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "stage-prospect" in page and "撤销" in page
    # Revoking twice only says so.
    response = client.post(f"/companies/{company.id}/designations/{d.id}/revoke", data={"revoked_on": "2026-04-01", "reason": "再次"},
                           follow_redirects=True)
    assert "该资质已被撤销" in response.get_data(as_text=True)
    db.session.refresh(d)
    assert d.revoked_on == dt.date(2026, 3, 1)


def test_officers_may_not_and_other_districts_get_not_found(app, client, factory, auth):
    officer = factory.user("officer", "wujin")
    mine = factory.company("wujin", officer=officer)
    d = factory.designation(mine, "hnte", dt.date(2025, 1, 1))
    auth.login(officer)
    response = client.get(f"/companies/{mine.id}/designations/new")
    assert response.status_code == 403 and "辖区管理员" in response.get_data(as_text=True)
    assert client.post(f"/companies/{mine.id}/designations/{d.id}/revoke",
                       data={"revoked_on": "2026-01-01", "reason": "x"}).status_code == 403
    auth.logout()
    manager = factory.user("manager", "liyang")
    auth.login(manager)
    assert client.get(f"/companies/{mine.id}/designations/new").status_code == 404
    assert client.post(f"/companies/{mine.id}/designations/new", data={"rung": "hnte", "granted_on": "2026-01-01"}).status_code == 404
    assert client.get(f"/companies/{mine.id}/designations/{d.id}/revoke").status_code == 404
    assert client.post(f"/companies/{mine.id}/designations/{d.id}/revoke",
                       data={"revoked_on": "2026-01-01", "reason": "x"}).status_code == 404
    # A designation of another company under this company's URL is not found either.
    own = factory.company("liyang")
    assert client.get(f"/companies/{own.id}/designations/{d.id}/revoke").status_code == 404
    db.session.refresh(d)
    assert d.revoked_on is None and len(db.session.scalars(select(Designation)).all()) == 1
