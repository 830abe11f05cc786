"""The denial matrix: every route of the app, for an officer and a manager of another district.

It enumerates app.url_map, so a route added later is checked too. A route whose URL needs an
argument this file cannot fill fails the test: add a builder to FOREIGN_OBJECTS that returns the
id of an object belonging to the *other* district (liyang), and the route joins the matrix.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tracker.extensions import db

PUBLIC_ENDPOINTS = {"static", "bootstrap.static", "auth.login", "main.healthz"}
SECRET_NAME = "溧阳机密企业"


def _company(factory, ctx):
    return ctx["company"].id


def _user(factory, ctx):
    return ctx["liyang_officer"].id


def _designation(factory, ctx):
    return ctx["designation"].id


# argument name -> builder(factory, ctx) returning an id owned by the liyang district.
FOREIGN_OBJECTS = {
    "company_id": _company,
    "user_id": _user,
    "designation_id": _designation,
}


@pytest.fixture
def foreign(app, factory):
    liyang_officer = factory.user("officer", "liyang")
    company = factory.company("liyang", officer=liyang_officer, name=SECRET_NAME)
    designation = factory.designation(company, "hnte", dt.date(2025, 1, 1))
    return {"liyang_officer": liyang_officer, "company": company, "designation": designation}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        yield rule


def _url_for(rule, factory, ctx) -> str:
    values = {}
    for arg in rule.arguments:
        if arg not in FOREIGN_OBJECTS:
            pytest.fail(f"route {rule.rule} takes <{arg}>: add a builder for it to FOREIGN_OBJECTS")
        values[arg] = FOREIGN_OBJECTS[arg](factory, ctx)
    url = rule.rule
    for arg, value in values.items():
        url = url.replace(f"<int:{arg}>", str(value)).replace(f"<{arg}>", str(value))
    return url


@pytest.mark.parametrize("role", ["officer", "manager"])
def test_other_district_is_denied_on_every_route(app, factory, foreign, role):
    user = factory.user(role, "wujin")
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": factory.PASSWORD})
    checked = 0
    for rule in _routes(app):
        if rule.endpoint == "auth.logout":
            continue  # would end this very session; logout is covered in test_auth
        url = _url_for(rule, factory, foreign)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={})
            body = response.get_data(as_text=True)
            db.session.rollback()
            if rule.arguments:
                assert response.status_code in (403, 404), f"{method} {url} gave {response.status_code} to a {role}"
            else:
                assert response.status_code < 500, f"{method} {url} gave {response.status_code}"
                assert SECRET_NAME not in body, f"{method} {url} shows another district's company to a {role}"
                assert foreign["company"].uscc not in body, f"{method} {url} leaks a credit code"
            checked += 1
    assert checked >= 15
    db.session.expire_all()
    # Nothing was changed on the foreign objects by any of those requests.
    assert foreign["company"].deleted_at is None and foreign["company"].name == SECRET_NAME
    assert foreign["designation"].revoked_on is None


def test_admin_pages_refuse_non_admins(app, factory):
    manager = factory.user("manager", "wujin")
    client = app.test_client()
    client.post("/login", data={"email": manager.email, "password": factory.PASSWORD})
    for rule in _routes(app):
        if not rule.rule.startswith("/admin"):
            continue
        url = _url_for(rule, factory, {"liyang_officer": manager, "company": None, "designation": None})
        response = client.get(url) if "GET" in rule.methods else client.post(url)
        assert response.status_code == 403, url


def test_anonymous_is_sent_to_login_everywhere(app, factory, foreign):
    client = app.test_client()
    for rule in _routes(app):
        if rule.endpoint == "auth.logout":
            continue
        url = _url_for(rule, factory, foreign)
        response = client.get(url) if "GET" in rule.methods else client.post(url)
        assert response.status_code in (302, 401), f"{url} gave {response.status_code} to anonymous"
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]
