"""Login throttling per account and per IP; shared through Redis by every process."""

from __future__ import annotations

import time

import pytest

from tests.conftest import Factory, base_config
from tracker import create_app
from tracker.services.accounts.throttle import PREFIX, get_throttle

LOCK_TEXT = "登录失败次数过多"


def _browser(app, ip="10.0.0.1"):
    """A test client at a fixed address (session protection ties a session to its address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def _login(client, email, password, ip=None):
    extra = {"environ_base": {"REMOTE_ADDR": ip}} if ip else {}
    return client.post("/login", data={"email": email, "password": password}, **extra)


@pytest.fixture
def strict(web):
    web.config.update(LOGIN_FAILURES_PER_ACCOUNT=3, LOGIN_FAILURES_PER_IP=5, LOGIN_LOCKOUT_SECONDS=60)
    return web


def test_account_is_locked_after_repeated_failures_even_for_the_right_password(strict, web, factory):
    user = factory.user("officer")
    client = _browser(web)
    for _ in range(2):
        response = _login(client, user.email, "wrong-password")
        assert response.status_code == 200 and "邮箱或密码错误" in response.get_data(as_text=True)
    third = _login(client, user.email, "wrong-password")
    assert third.status_code == 429
    assert "登录失败次数过多，请 1 分钟后再试" in third.get_data(as_text=True)
    # The correct password during the lockout is refused too, from another address as well.
    refused = _login(client, user.email.upper(), Factory.PASSWORD, ip="10.9.9.9")
    assert refused.status_code == 429 and LOCK_TEXT in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous


def test_ip_is_locked_across_accounts(strict, web, factory):
    victims = [factory.user("officer") for _ in range(2)]
    client = _browser(web)
    for n in range(5):
        _login(client, f"nobody{n}@example.com", "guess", ip="10.0.0.66")
    refused = _login(client, victims[0].email, Factory.PASSWORD, ip="10.0.0.66")
    assert refused.status_code == 429 and LOCK_TEXT in refused.get_data(as_text=True)
    # Another address is not affected.
    assert _login(client, victims[1].email, Factory.PASSWORD, ip="10.0.0.67").status_code == 302


def test_success_resets_the_account_counter(strict, web, factory):
    user = factory.user("officer")
    client = _browser(web)
    _login(client, user.email, "wrong-1")
    _login(client, user.email, "wrong-2")
    assert _login(client, user.email, Factory.PASSWORD).status_code == 302
    client.post("/logout")
    _login(client, user.email, "wrong-3")
    _login(client, user.email, "wrong-4")
    assert _login(client, user.email, Factory.PASSWORD).status_code == 302


def test_lockout_expires(web, factory):
    web.config.update(LOGIN_FAILURES_PER_ACCOUNT=2, LOGIN_LOCKOUT_SECONDS=1)
    user = factory.user("officer")
    client = _browser(web)
    _login(client, user.email, "wrong")
    _login(client, user.email, "wrong")
    assert _login(client, user.email, Factory.PASSWORD).status_code == 429
    time.sleep(1.2)
    assert _login(client, user.email, Factory.PASSWORD).status_code == 302


def test_administrator_sees_locked_accounts_and_unlocks_them(strict, web, factory):
    from sqlalchemy import select

    from tracker.extensions import db
    from tracker.models import AuditEvent

    admin = factory.user("admin")
    user = factory.user("officer")
    attacker = _browser(web)
    for _ in range(3):
        _login(attacker, user.email, "wrong", ip="10.1.1.1")
    admin_client = _browser(web, "10.2.2.2")
    assert _login(admin_client, admin.email, Factory.PASSWORD).status_code == 302
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert 'data-testid="locked"' in page and "登录已锁定" in page and f"/admin/users/{user.id}/unlock" in page

    assert admin_client.post(f"/admin/users/{user.id}/unlock").status_code == 302
    assert 'data-testid="locked"' not in admin_client.get("/admin/users").get_data(as_text=True)
    assert _login(_browser(web), user.email, Factory.PASSWORD, ip="10.3.3.3").status_code == 302
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "user.unlock", AuditEvent.entity_id == user.id))


def test_only_administrators_unlock(strict, web, factory):
    manager = factory.user("manager")
    user = factory.user("officer")
    for _ in range(3):
        _login(_browser(web), user.email, "wrong")
    client = _browser(web, "10.4.4.4")
    _login(client, manager.email, Factory.PASSWORD)
    assert client.post(f"/admin/users/{user.id}/unlock").status_code == 403
    assert user.email in get_throttle(strict).locked_accounts([user.email])


def test_reauthentication_failures_count_too(strict, web, factory):
    admin = factory.user("admin")
    client = _browser(web)
    _login(client, admin.email, Factory.PASSWORD)
    for _ in range(2):
        assert "密码不正确" in client.post("/reauthenticate", data={"password": "wrong"}).get_data(as_text=True)
    assert client.post("/reauthenticate", data={"password": "wrong"}).status_code == 429
    assert client.post("/reauthenticate", data={"password": Factory.PASSWORD}).status_code == 429


# --- Redis: shared by every process -------------------------------------------------------------


@pytest.fixture
def redis_apps(redis_url, database_url, app):
    """Two app objects, as two gunicorn workers would be, sharing one Redis database."""
    import redis

    client = redis.Redis.from_url(redis_url)

    def clear():
        for key in client.scan_iter(PREFIX + "*"):
            client.delete(key)

    clear()
    config = dict(base_config(database_url), REDIS_URL=redis_url, LOGIN_FAILURES_PER_ACCOUNT=5,
                  LOGIN_FAILURES_PER_IP=8, LOGIN_LOCKOUT_SECONDS=2)
    apps = [create_app(config), create_app(config)]
    yield apps
    clear()
    client.close()
    for other in apps:
        with other.app_context():
            from tracker.extensions import db

            db.engine.dispose()


@pytest.mark.pg_only
def test_failures_across_two_app_instances_lock_the_account(redis_apps, factory):
    first, second = (a.test_client() for a in redis_apps)
    user = factory.user("officer")
    # 3 + 2 failures: neither process alone reached 5; only a shared store sees the lock.
    for n in range(5):
        response = _login(first if n % 2 == 0 else second, user.email, "wrong")
    assert response.status_code == 429
    for client in (first, second):
        refused = _login(client, user.email, Factory.PASSWORD, ip="10.7.7.7")
        assert refused.status_code == 429 and LOCK_TEXT in refused.get_data(as_text=True)
    # The administrator's page (served by either process) shows the lock.
    assert user.email in get_throttle(redis_apps[1]).locked_accounts([user.email])
    time.sleep(2.2)
    assert _login(second, user.email, Factory.PASSWORD).status_code == 302


@pytest.mark.pg_only
def test_failures_across_two_app_instances_lock_the_ip(redis_apps, factory):
    first, second = (a.test_client() for a in redis_apps)
    user = factory.user("officer")
    for n in range(8):
        _login(first if n % 2 else second, f"guess{n}@example.com", "wrong", ip="10.8.8.8")
    refused = _login(first, user.email, Factory.PASSWORD, ip="10.8.8.8")
    assert refused.status_code == 429 and LOCK_TEXT in refused.get_data(as_text=True)


@pytest.mark.pg_only
def test_redis_outage_falls_back_to_memory_without_a_500(database_url, app, factory):
    config = dict(base_config(database_url), REDIS_URL="redis://127.0.0.1:1/0", LOGIN_FAILURES_PER_ACCOUNT=2)
    broken = create_app(config)
    user = factory.user("officer")
    client = broken.test_client()
    _login(client, user.email, "wrong")
    assert _login(client, user.email, "wrong").status_code == 429
    with broken.app_context():
        from tracker.extensions import db

        db.engine.dispose()
