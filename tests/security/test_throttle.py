"""Login throttling per account and per IP; shared through Redis by every process.

Time is a fake clock (`clock`), advanced by the tests instead of sleeping: the throttle's `limits`
storages stamp failures with `time.time()` of their own modules (the Redis one passes the stamp to
its script), so replacing that and the throttle's clock moves both backends' windows at once.
"""

from __future__ import annotations

import importlib
import time

import pytest
import redis
from sqlalchemy import select

from tests.conftest import Factory, base_config
from tracker import create_app
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.services.accounts.throttle import PREFIX, get_throttle

LOCK_TEXT = "登录失败次数过多"
_STORAGE_MODULES = ("limits.storage.memory", "limits.storage.redis")


class FakeClock:
    """Seconds since the epoch that only move when a test says so."""

    def __init__(self):
        self.now = float(int(time.time()))  # whole seconds: window arithmetic stays exact

    def time(self) -> float:
        return self.now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    """The fake clock, installed in the limits storages; `throttled` gives it to an app's throttle."""
    fake = FakeClock()
    for name in _STORAGE_MODULES:
        monkeypatch.setattr(importlib.import_module(name), "time", fake)
    return fake


def throttled(app, clock):
    """The app, its throttle reading the fake clock."""
    get_throttle(app).clock = clock
    return app


def _browser(app, ip="10.0.0.1"):
    """A test client at a fixed address (session protection ties a session to its address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def _login(client, email, password, ip=None):
    extra = {"environ_base": {"REMOTE_ADDR": ip}} if ip else {}
    return client.post("/login", data={"email": email, "password": password}, **extra)


@pytest.fixture
def strict(web, clock):
    web.config.update(LOGIN_FAILURES_PER_ACCOUNT=3, LOGIN_FAILURES_PER_IP=5, LOGIN_LOCKOUT_SECONDS=60)
    return throttled(web, clock)


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


def _two_failures_lock(web, clock, window: int):
    """A browser on `web`, whose accounts lock after two failures within `window` seconds."""
    web.config.update(LOGIN_FAILURES_PER_ACCOUNT=2, LOGIN_LOCKOUT_SECONDS=window)
    return _browser(throttled(web, clock))


def test_lockout_expires(web, factory, clock):
    client = _two_failures_lock(web, clock, window=1)
    user = factory.user("officer")
    _login(client, user.email, "wrong")
    _login(client, user.email, "wrong")
    assert _login(client, user.email, Factory.PASSWORD).status_code == 429
    clock.advance(1.2)
    assert _login(client, user.email, Factory.PASSWORD).status_code == 302


def test_the_window_starts_at_the_first_failure(web, factory, clock):
    client = _two_failures_lock(web, clock, window=60)
    user = factory.user("officer")
    _login(client, user.email, "wrong")
    clock.advance(40)
    locked = _login(client, user.email, "wrong")
    assert locked.status_code == 429 and "请 1 分钟后再试" in locked.get_data(as_text=True)
    assert get_throttle(web).locked_accounts([user.email]) == {user.email: 20}
    clock.advance(20.5)  # 60 s after the first failure, not after the second
    assert _login(client, user.email, Factory.PASSWORD).status_code == 302


def test_forwarded_for_names_the_client_only_behind_a_trusted_proxy(database_url, app, factory, clock):
    config = dict(base_config(database_url), LOGIN_FAILURES_PER_ACCOUNT=99, LOGIN_FAILURES_PER_IP=2)
    direct, proxied = (throttled(create_app(dict(config, TRUSTED_PROXY_HOPS=hops)), clock) for hops in (0, 1))
    user = factory.user("officer")

    def attempt(web, forwarded_for, password="wrong"):
        client = _browser(web, "10.0.0.1")  # the proxy's (or a client's) own address
        return client.post("/login", data={"email": user.email, "password": password},
                           headers={"X-Forwarded-For": forwarded_for})

    # Behind one proxy, the last X-Forwarded-For entry is the client: two failures lock that address ...
    attempt(proxied, "1.1.1.1, 203.0.113.5")
    attempt(proxied, "203.0.113.5")
    assert attempt(proxied, "203.0.113.5", Factory.PASSWORD).status_code == 429
    # ... and not the proxy, nor the other clients behind it, nor the forged entries before it.
    assert attempt(proxied, "203.0.113.5, 203.0.113.6", Factory.PASSWORD).status_code == 302
    # Without a trusted proxy the header is ignored: a client cannot pick a fresh address per guess.
    attempt(direct, "198.51.100.1")
    attempt(direct, "198.51.100.2")
    assert attempt(direct, "198.51.100.3", Factory.PASSWORD).status_code == 429
    for other in (direct, proxied):
        with other.app_context():
            db.engine.dispose()


def test_administrator_sees_locked_accounts_and_unlocks_them(strict, web, factory):
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
def redis_apps(redis_url, database_url, app, clock):
    """Two app objects, as two gunicorn workers would be, sharing one Redis database."""
    client = redis.Redis.from_url(redis_url)

    def clear():
        for key in client.scan_iter(PREFIX + "*"):
            client.delete(key)

    clear()
    config = dict(base_config(database_url), REDIS_URL=redis_url, LOGIN_FAILURES_PER_ACCOUNT=5,
                  LOGIN_FAILURES_PER_IP=8, LOGIN_LOCKOUT_SECONDS=2)
    apps = [throttled(create_app(config), clock), throttled(create_app(config), clock)]
    yield apps
    clear()
    client.close()
    for other in apps:
        with other.app_context():
            db.engine.dispose()


@pytest.mark.pg_only
def test_failures_across_two_app_instances_lock_the_account(redis_apps, factory, clock):
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
    clock.advance(2.2)
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
        db.engine.dispose()
