"""GET /api/v1/indicators (session or Bearer token), the token pages, and `flask indicators`."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import ApiToken, AuditEvent
from tracker.services.accounts import users
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.indicators import targets
from tracker.services.indicators import tokens
from tracker.services.indicators.projection import indicators_json

D = dt.date


@pytest.fixture
def city(app, factory):
    targets.seed_plan()
    for district in ("wujin", "wujin", "liyang"):
        factory.designation(factory.company(district), "hnte", D(2025, 3, 1))
    return None


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_session_user_gets_the_same_json_as_the_cli(client, runner, factory, city):
    admin = factory.user("admin")
    client.post("/login", data={"email": admin.email, "password": factory.PASSWORD})
    response = client.get("/api/v1/indicators?as_of=2026-11-24")
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert data == indicators_json(D(2026, 11, 24))
    assert data["indicators"][0]["actual"] == 3 and data["indicators"][0]["target"] == 6800
    liyang = data["indicators"][0]["by_district"]["liyang"]
    assert (liyang["actual"], liyang["target"], liyang["projection"]["year_end"]) == (1, 430, 1)
    assert data["indicators"][0]["projection"]["year_end"] == 3
    cli = runner.invoke(args=["indicators", "--as-of", "2026-11-24", "--json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output) == data


def test_cli_table_and_bad_date(runner, city):
    result = runner.invoke(args=["indicators", "--as-of", "2026-11-24"])
    assert result.exit_code == 0 and "高新技术企业数：3 / 6800 家" in result.output and "溧阳 1/430" in result.output
    bad = runner.invoke(args=["indicators", "--as-of", "2026-02-30", "--json"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_manager_session_gets_only_their_district(client, factory, city):
    manager = factory.user("manager", "wujin")
    client.post("/login", data={"email": manager.email, "password": factory.PASSWORD})
    data = client.get("/api/v1/indicators?as_of=2026-11-24").get_json()
    first = data["indicators"][0]
    assert first["actual"] == 2 and first["target"] == 1953
    assert list(first["by_district"]) == ["wujin"]
    assert {k: v for k, v in first["by_district"]["wujin"].items() if k != "projection"} == {"actual": 2, "target": 1953}
    assert first["by_district"]["wujin"]["projection"]["today"] == 2 and first["projection"]["year_end"] == 2


def test_denials(client, factory, city):
    anonymous = client.get("/api/v1/indicators")
    assert anonymous.status_code == 401 and anonymous.is_json and "登录" in anonymous.get_json()["error"]
    assert client.get("/api/v1/indicators", headers=bearer("czk_not-a-real-token")).status_code == 401
    assert client.get("/api/v1/indicators", headers={"Authorization": "Basic abc"}).status_code == 401
    officer = factory.user("officer", "wujin")
    client.post("/login", data={"email": officer.email, "password": factory.PASSWORD})
    denied = client.get("/api/v1/indicators")
    assert denied.status_code == 403 and denied.get_json()["error"] == "服务专员无权查看指标汇总"


def test_bad_as_of_is_a_400_in_chinese(client, factory, city):
    admin = factory.user("admin")
    client.post("/login", data={"email": admin.email, "password": factory.PASSWORD})
    for value in ("2026-13-01", "yesterday", "2026-2-3", "1900-01-01"):
        response = client.get(f"/api/v1/indicators?as_of={value}")
        assert response.status_code == 400, value
        assert response.is_json and not response.get_json()["error"].isascii()


def test_token_acts_with_its_owners_scope_and_can_be_revoked(client, factory, city):
    admin = factory.user("admin")
    manager = factory.user("manager", "liyang")
    token, secret = tokens.issue_token(admin, manager.id, "省厅对接")
    stored = db.session.scalar(select(ApiToken).where(ApiToken.id == token.id))
    assert secret not in (stored.token_hash, stored.prefix) and stored.token_hash == tokens.hash_token(secret)
    response = client.get("/api/v1/indicators?as_of=2026-11-24", headers=bearer(secret))
    assert response.status_code == 200
    first = response.get_json()["indicators"][0]
    assert first["actual"] == 1 and list(first["by_district"]) == ["liyang"]
    db.session.expire_all()
    assert stored.last_used_at is not None
    tokens.revoke_token(admin, token.id)
    assert client.get("/api/v1/indicators", headers=bearer(secret)).status_code == 401


def test_bad_token_is_401_even_with_a_session(client, factory, city):
    admin = factory.user("admin")
    client.post("/login", data={"email": admin.email, "password": factory.PASSWORD})
    assert client.get("/api/v1/indicators", headers=bearer("czk_wrong")).status_code == 401


def test_token_of_a_deactivated_owner_stops_working(client, factory, city):
    admin = factory.user("admin")
    owner = factory.user("admin")
    _, secret = tokens.issue_token(admin, owner.id, "备份核对")
    assert client.get("/api/v1/indicators", headers=bearer(secret)).status_code == 200
    users.set_active(admin, owner, False)
    assert client.get("/api/v1/indicators", headers=bearer(secret)).status_code == 401


def test_tokens_cannot_be_issued_to_officers_or_by_non_admins(app, factory):
    admin = factory.user("admin")
    officer = factory.user("officer", "wujin")
    manager = factory.user("manager", "wujin")
    with pytest.raises(ServiceError, match="服务专员"):
        tokens.issue_token(admin, officer.id, "x")
    with pytest.raises(Forbidden):
        tokens.issue_token(manager, manager.id, "x")
    with pytest.raises(ServiceError, match="用途"):
        tokens.issue_token(admin, manager.id, "  ")


def test_token_pages(client, factory, city):
    admin = factory.user("admin")
    manager = factory.user("manager", "wujin")
    client.post("/login", data={"email": admin.email, "password": factory.PASSWORD})
    page = client.get("/indicators/tokens")
    assert page.status_code == 200 and manager.email in page.get_data(as_text=True)
    issued = client.post("/indicators/tokens", data={"owner_id": manager.id, "name": "数据对接"})
    body = issued.get_data(as_text=True)
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    secret = body.split('data-testid="token-secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("czk_")
    assert client.get("/indicators/tokens").get_data(as_text=True).count(secret) == 0  # shown once only
    token = db.session.scalar(select(ApiToken))
    assert client.post(f"/indicators/tokens/{token.id}/revoke").status_code == 302
    db.session.expire_all()
    assert token.revoked_at is not None
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"api_token.issue", "api_token.revoke"} <= actions
    client.post("/logout")
    client.post("/login", data={"email": manager.email, "password": factory.PASSWORD})
    assert client.get("/indicators/tokens").status_code == 403
    assert client.post(f"/indicators/tokens/{token.id}/revoke").status_code == 403


def test_token_form_bad_owner_is_a_chinese_error(client, factory):
    admin = factory.user("admin")
    client.post("/login", data={"email": admin.email, "password": factory.PASSWORD})
    for owner in ("abc", "99999999999999999999999", "-1", ""):
        response = client.post("/indicators/tokens", data={"owner_id": owner, "name": "x"})
        assert response.status_code == 200, owner
        body = response.get_data(as_text=True)
        assert "请选择" in body and "token-secret" not in body
    assert client.post("/indicators/tokens/99999999999999999999999/revoke").status_code in (302, 404)
