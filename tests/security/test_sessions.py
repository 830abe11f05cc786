"""Sessions end everywhere on logout and password change; strong protection; fresh login; cookie flags."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import Factory, _empty_tables
from tracker import create_app
from tracker.extensions import db
from tracker.models import ApiToken, IndicatorTarget, User
from tracker.services.accounts.users import set_active


def _login(client, user, remember=True):
    data = {"email": user.email, "password": Factory.PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return response


def _cookie(client, name):
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _replay(web, **cookies):
    """A new browser holding only the given cookies: is it signed in?"""
    thief = web.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief.get("/companies/").status_code == 200


def test_remember_cookie_alone_signs_in_until_logout(app, web, factory):
    user = factory.user("officer")
    browser = web.test_client()
    _login(browser, user)
    remember = _cookie(browser, "remember_token")
    session = _cookie(browser, "session")
    assert _replay(web, remember_token=remember)  # the cookie works on its own ...
    assert browser.post("/logout").status_code == 302
    assert not _replay(web, remember_token=remember)  # ... and is dead after logout
    assert not _replay(web, session=session)
    assert not _replay(web, session=session, remember_token=remember)


def test_admin_password_reset_ends_every_session_of_that_user(app, web, factory):
    admin = factory.user("admin")
    user = factory.user("officer")
    browser = web.test_client()
    _login(browser, user)
    remember, session = _cookie(browser, "remember_token"), _cookie(browser, "session")
    assert _replay(web, session=session)

    admin_client = web.test_client()
    _login(admin_client, admin, remember=False)
    response = admin_client.post(f"/admin/users/{user.id}/password", data={"reset-password": "brand-new-pass-1"})
    assert response.status_code == 302
    assert browser.get("/companies/").status_code == 302
    assert not _replay(web, remember_token=remember)
    assert not _replay(web, session=session)
    assert _replay(web, session=_cookie(admin_client, "session"))  # the admin's own session is untouched


def test_own_password_change_ends_every_session(app, web, factory):
    user = factory.user("officer")
    laptop, phone = web.test_client(), web.test_client()
    _login(laptop, user)
    _login(phone, user)
    phone_remember = _cookie(phone, "remember_token")
    response = laptop.post("/account/password", data={
        "current_password": Factory.PASSWORD, "new_password": "another-pass-2", "confirm": "another-pass-2",
    })
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert phone.get("/companies/").status_code == 302
    assert not _replay(web, remember_token=phone_remember)


def test_deactivation_ends_sessions(app, web, factory):
    admin = factory.user("admin")
    user = factory.user("officer")
    browser = web.test_client()
    _login(browser, user)
    remember = _cookie(browser, "remember_token")
    set_active(admin, user, False)
    assert browser.get("/companies/").status_code == 302
    assert not _replay(web, remember_token=remember)


def test_session_protection_is_strong(app, web, factory):
    assert web.login_manager.session_protection == "strong"
    user = factory.user("officer")
    browser = web.test_client()
    browser.post("/login", data={"email": user.email, "password": Factory.PASSWORD},
                 headers={"User-Agent": "Laptop/1.0"})
    assert browser.get("/companies/", headers={"User-Agent": "Laptop/1.0"}).status_code == 200
    # The same session cookie from another browser is dropped, not merely marked stale.
    assert browser.get("/companies/", headers={"User-Agent": "Thief/2.0"}).status_code == 302


@pytest.fixture
def remembered_admin(app, web, factory):
    """An administrator whose session was restored from the remember-me cookie (not fresh)."""
    admin = factory.user("admin")
    first = web.test_client()
    _login(first, admin)
    client = web.test_client()
    client.set_cookie("remember_token", _cookie(first, "remember_token"))
    assert client.get("/companies/").status_code == 200
    return admin, client


def test_a_session_restored_from_the_remember_cookie_lasts(remembered_admin):
    # Under strong protection Flask-Login would drop it on the second request (no "_id" recorded).
    _, client = remembered_admin
    for _ in range(3):
        assert client.get("/companies/").status_code == 200
    assert client.get("/companies/", headers={"User-Agent": "Thief/2.0"}).status_code == 302


def test_role_change_needs_a_fresh_login(app, web, factory, remembered_admin):
    admin, client = remembered_admin
    officer = factory.user("officer")
    page = client.get(f"/admin/users/{officer.id}")
    assert page.status_code == 302 and "/reauthenticate" in page.headers["Location"]
    posted = client.post(f"/admin/users/{officer.id}", data={"name": "x", "role": "admin", "district": ""},
                         headers={"Referer": f"http://localhost/admin/users/{officer.id}"})
    assert posted.status_code == 302 and "/reauthenticate" in posted.headers["Location"]
    assert f"next=/admin/users/{officer.id}" in posted.headers["Location"]
    db.session.expire_all()
    assert db.session.get(User, officer.id).role == "officer"
    for url in (f"/admin/users/{officer.id}/password", f"/admin/users/{officer.id}/active"):
        response = client.post(url, data={"reset-password": "brand-new-pass-1"})
        assert response.status_code == 302 and "/reauthenticate" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(User, officer.id).active and db.session.get(User, officer.id).check_password(Factory.PASSWORD)

    # Confirming the password makes the session fresh and returns to the page.
    wrong = client.post(f"/reauthenticate?next=/admin/users/{officer.id}", data={"password": "nope"})
    assert "密码不正确" in wrong.get_data(as_text=True)
    confirmed = client.post(f"/reauthenticate?next=/admin/users/{officer.id}", data={"password": Factory.PASSWORD})
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == f"/admin/users/{officer.id}"
    assert client.post(f"/admin/users/{officer.id}", data={"name": "x", "role": "manager", "district": "wujin"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, officer.id).role == "manager"


def test_password_change_needs_a_fresh_login(remembered_admin):
    admin, client = remembered_admin
    response = client.post("/account/password", data={
        "current_password": Factory.PASSWORD, "new_password": "another-pass-2", "confirm": "another-pass-2",
    })
    assert response.status_code == 302 and "/reauthenticate" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.id == admin.id)).check_password(Factory.PASSWORD)


def test_reauthenticate_next_is_same_site_only(remembered_admin):
    _, client = remembered_admin
    response = client.post("/reauthenticate?next=//evil.example", data={"password": Factory.PASSWORD})
    assert response.headers["Location"] == "/"


def test_production_cookies_are_secure(monkeypatch, database_url, _schema):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-key-that-is-long-enough")
    prod = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False})
    config = prod.config
    assert config["APP_ENV"] == "production"
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax" and config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_DURATION"].days <= 30
    with prod.app_context():
        _empty_tables(_schema)
        user = Factory(prod).user("officer")
        response = prod.test_client().post(
            "/login", data={"email": user.email, "password": Factory.PASSWORD, "remember": "y"},
            base_url="https://localhost",
        )
        cookies = response.headers.getlist("Set-Cookie")
        _empty_tables(_schema)
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 302
    for name in ("session=", "remember_token="):
        header = next(c for c in cookies if c.startswith(name))
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header, header


def test_lasting_powers_need_a_fresh_login(app, web, factory, remembered_admin):
    """Creating or reactivating a user, unlocking sign-in, issuing API tokens and changing targets:
    a stolen remember-me cookie alone can do none of them (issue 12 item 9)."""
    admin, client = remembered_admin
    inactive = factory.user("officer")
    set_active(admin, inactive, False)
    manager = factory.user("manager")
    counts = lambda: (db.session.query(User).count(), db.session.query(ApiToken).count(),  # noqa: E731
                      db.session.query(IndicatorTarget).count())
    before = counts()
    attempts = [
        ("GET", "/admin/users/new", None),
        ("POST", "/admin/users/new", {"email": "backdoor@example.com", "name": "后门", "role": "admin",
                                      "district": "", "password": "backdoor-pass-1"}),
        ("POST", f"/admin/users/{inactive.id}/active", {}),
        ("POST", f"/admin/users/{inactive.id}/unlock", {}),
        ("GET", "/indicators/tokens", None),
        ("POST", "/indicators/tokens", {"owner_id": str(manager.id), "name": "外部对接"}),
        ("GET", "/indicators/targets?year=2026", None),
        ("POST", "/indicators/targets?year=2026", {"t_hnte_count_city": "1"}),
    ]
    for method, url, data in attempts:
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302 and "/reauthenticate" in response.headers["Location"], (method, url)
    db.session.expire_all()
    assert counts() == before
    assert db.session.get(User, inactive.id).active is False
    assert db.session.scalar(select(User).where(User.email == "backdoor@example.com")) is None

    # After typing the password, the same session may.
    assert client.post("/reauthenticate", data={"password": Factory.PASSWORD}).status_code == 302
    assert client.get("/admin/users/new").status_code == 200
    created = client.post("/admin/users/new", data={"email": "new.officer@example.com", "name": "新专员",
                                                    "role": "officer", "district": "wujin",
                                                    "password": "a-good-pass-1"})
    assert created.status_code == 302 and "/reauthenticate" not in created.headers["Location"]
    assert client.get("/indicators/targets?year=2026").status_code == 200
