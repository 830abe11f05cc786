"""CSRF: with protection on, every state-changing route refuses a request without the token."""

from __future__ import annotations

import re

import pytest

from tests.conftest import base_config
from tests.security.routes import ADMIN_EMAIL, ADMIN_PASSWORD, STATE_CHANGING, build_world, routes, row_counts, url_for_rule
from tracker import create_app
from tracker.extensions import db


@pytest.fixture
def csrf_app(app, database_url):
    protected = create_app(dict(base_config(database_url), WTF_CSRF_ENABLED=True))
    yield protected
    with protected.app_context():
        db.session.remove()
        db.engine.dispose()


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def test_login_itself_needs_the_token(csrf_app, app):
    build_world()
    client = csrf_app.test_client()
    assert client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).status_code == 400
    assert client.get("/").status_code == 302


def test_every_state_changing_route_refuses_a_request_without_the_token(csrf_app, app):
    build_world()
    client = csrf_app.test_client()
    token = _token(client.get("/login").get_data(as_text=True))
    login = client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token})
    assert login.status_code == 302, "the administrator could not sign in with the token"
    before = row_counts()

    # Plausible values, so that without CSRF protection many of these requests would change data.
    data = {"reason": "csrf", "name": "篡改", "role": "admin", "district": "wujin", "status": "closed",
            "password": "attacker-pass-1", "reset-password": "attacker-pass-1", "note": "x"}
    checked = []
    for rule, method in routes(csrf_app, STATE_CHANGING):
        url = url_for_rule(rule)
        for kwargs in ({"data": data}, {"json": data}):
            response = client.open(url, method=method, **kwargs)
            allowed = (400, 401, 403) if rule.rule.startswith("/api/") else (400,)
            assert response.status_code in allowed, f"{method} {url} without a CSRF token gave {response.status_code}"
        checked.append(f"{method} {rule.rule}")
    assert len(checked) >= 10, checked
    assert any("delete" in c for c in checked)
    assert row_counts() == before, "a request without a CSRF token wrote to the database"
    assert client.get("/").status_code == 200  # even logout was refused: still signed in
