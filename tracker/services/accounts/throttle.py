"""Login throttling (登录失败限制): failed sign-ins counted per account and per client IP.

The counters live in Redis when REDIS_URL is configured, so every web process (gunicorn workers,
several hosts) shares them; without Redis they live in this process's memory, which is right for the
embedded single-process set-up. A counter starts at the first failure and expires
LOGIN_LOCKOUT_SECONDS later; reaching the limit locks the account (or IP) until it expires, and
while locked even the correct password is refused, so guessing gains nothing.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app, request

log = logging.getLogger("tracker.security")

PREFIX = "tracker:login:"
_EXTENSION = "login_throttle"


@dataclass(frozen=True)
class Lock:
    """A refusal: which counter is over its limit and for how many more seconds."""

    scope: str  # "account" or "ip"
    seconds: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))

    @property
    def message(self) -> str:
        return f"登录失败次数过多，请 {self.minutes} 分钟后再试"


class MemoryCounters:
    """Per-process counters: {key: (count, expires_at)}; used when no Redis is configured."""

    def __init__(self):
        self._data: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> tuple[int, float] | None:
        entry = self._data.get(key)
        if entry and entry[1] <= time.monotonic():
            del self._data[key]
            return None
        return entry

    def get(self, keys: list[str]) -> list[tuple[int, int]]:
        """(count, seconds left) for each key; (0, 0) when absent or expired."""
        with self._lock:
            result = []
            for key in keys:
                entry = self._live(key)
                result.append((entry[0], math.ceil(entry[1] - time.monotonic())) if entry else (0, 0))
            return result

    def incr(self, key: str, window: int) -> int:
        with self._lock:
            entry = self._live(key)
            count, expires = entry if entry else (0, time.monotonic() + window)
            self._data[key] = (count + 1, expires)
            return count + 1

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class RedisCounters:
    """Counters in Redis, shared by every process: INCR, with the expiry set by the first failure."""

    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def get(self, keys: list[str]) -> list[tuple[int, int]]:
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.get(key)
            pipe.pttl(key)
        values = pipe.execute()
        result = []
        for raw, pttl in zip(values[::2], values[1::2]):
            count = int(raw) if raw is not None else 0
            result.append((count, math.ceil(pttl / 1000) if count and pttl and pttl > 0 else 0))
        return result

    def incr(self, key: str, window: int) -> int:
        pipe = self._redis.pipeline(transaction=True)
        # SET NX creates the counter with its expiry only at the first failure, so the window
        # starts then and later failures do not extend it (works on any Redis version).
        pipe.set(key, 0, nx=True, ex=window)
        pipe.incr(key)
        _, count = pipe.execute()
        return int(count)

    def delete(self, key: str) -> None:
        self._redis.delete(key)


class LoginThrottle:
    """Counts failures and decides whether a sign-in attempt may be checked at all."""

    def __init__(self, app: Flask):
        self.app = app
        self.memory = MemoryCounters()
        self.redis = RedisCounters(app.config["REDIS_URL"]) if app.config.get("REDIS_URL") else None

    @property
    def per_account(self) -> int:
        return int(self.app.config["LOGIN_FAILURES_PER_ACCOUNT"])

    @property
    def per_ip(self) -> int:
        return int(self.app.config["LOGIN_FAILURES_PER_IP"])

    @property
    def window(self) -> int:
        return max(1, int(self.app.config["LOGIN_LOCKOUT_SECONDS"]))

    def _call(self, method: str, *args):
        # A Redis outage must not lock everybody out nor give a 500: fall back to this process's
        # memory (still throttled, just not shared) and say so in the log.
        if self.redis is not None:
            try:
                return getattr(self.redis, method)(*args)
            except Exception as exc:  # noqa: BLE001  (redis raises several unrelated classes)
                log.warning("login throttle: Redis unavailable (%s); using process memory", exc)
        return getattr(self.memory, method)(*args)

    @staticmethod
    def account_key(email: str) -> str:
        return PREFIX + "account:" + (email or "").strip().lower()[:254]

    @staticmethod
    def ip_key(ip: str) -> str:
        return PREFIX + "ip:" + (ip or "unknown")

    def check(self, email: str, ip: str) -> Lock | None:
        """The lock in force for this account or IP, or None when the attempt may proceed."""
        (account_count, account_left), (ip_count, ip_left) = self._call(
            "get", [self.account_key(email), self.ip_key(ip)]
        )
        if account_count >= self.per_account:
            return Lock("account", account_left or self.window)
        if ip_count >= self.per_ip:
            return Lock("ip", ip_left or self.window)
        return None

    def failed(self, email: str, ip: str) -> Lock | None:
        """Count a failed attempt; returns the lock it triggered, if any."""
        account_count = self._call("incr", self.account_key(email), self.window)
        ip_count = self._call("incr", self.ip_key(ip), self.window)
        if account_count == self.per_account:
            log.warning("login throttle: account %s locked after %d failures", email, account_count)
        if ip_count == self.per_ip:
            log.warning("login throttle: IP %s locked after %d failures", ip, ip_count)
        return self.check(email, ip)

    def succeeded(self, email: str) -> None:
        """A correct password ends the account's failure count (the IP's keeps counting down)."""
        self._call("delete", self.account_key(email))

    def unlock(self, email: str) -> None:
        """Administrator action: clear the account's counter at once."""
        self._call("delete", self.account_key(email))

    def locked_accounts(self, emails: list[str]) -> dict[str, int]:
        """{email: seconds left} for the accounts among `emails` that are locked now (one round trip)."""
        if not emails:
            return {}
        states = self._call("get", [self.account_key(e) for e in emails])
        return {
            email: left or self.window
            for email, (count, left) in zip(emails, states)
            if count >= self.per_account
        }


def get_throttle(app: Flask | None = None) -> LoginThrottle:
    """The app's throttle, created on first use from its configuration."""
    app = app or current_app._get_current_object()
    throttle = app.extensions.get(_EXTENSION)
    if throttle is None:
        throttle = app.extensions[_EXTENSION] = LoginThrottle(app)
    return throttle


def client_ip() -> str:
    """The requesting client's address.

    Behind a reverse proxy every request comes from the proxy, so TRUSTED_PROXY_HOPS (the number
    of proxies in front of the app) says how many X-Forwarded-For entries from the right to skip;
    with 0 the header is ignored, because a client could write anything in it.
    """
    hops = int(current_app.config.get("TRUSTED_PROXY_HOPS", 0) or 0)
    if hops > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return (request.remote_addr or "unknown")[:64]
