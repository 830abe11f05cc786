"""Login throttling (登录失败限制): failed sign-ins counted per account and per client IP.

The counters are `limits` storage (the library under Flask-Limiter): Redis when REDIS_URL is
configured, so every web process (gunicorn workers, several hosts) shares them; otherwise this
process's memory, which is right for the embedded single-process set-up. They use the moving-window
strategy: reaching LOGIN_FAILURES_PER_ACCOUNT (or _PER_IP) failures within LOGIN_LOCKOUT_SECONDS
locks the account (or IP) until the oldest of those failures is LOGIN_LOCKOUT_SECONDS old, which for
the failures that caused a lock is the first of them: the window starts at the first failure and
the lock lasts until it ends. While locked even the correct password is refused (nothing is counted
then), so guessing gains nothing.

Time: both storages stamp failures with `time.time()` on the web process (the Redis storage passes
that stamp to its script; the key's own TTL only tidies up), so one clock drives both backends.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Callable, Mapping, TypeVar

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger("tracker.security")

PREFIX = "tracker:login:"  # every Redis key of the throttle starts with this
_NAMESPACE = "login"
_EXTENSION = "login_throttle"
_REDIS_TIMEOUT_SECONDS = 2

T = TypeVar("T")


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


def _account(email: str) -> str:
    return (email or "").strip().lower()[:254]


def _ip(ip: str | None) -> str:
    return (ip or "unknown")[:64]


class LoginThrottle:
    """Counts failures and decides whether a sign-in attempt may be checked at all.

    `config` is read at every call (LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_IP,
    LOGIN_LOCKOUT_SECONDS), so a changed setting applies at once; REDIS_URL is read once.
    `clock` (seconds since the epoch) turns a window's end into "seconds left"; it must be the
    clock the storage stamps failures with (tests replace both together).
    """

    def __init__(self, config: Mapping, clock: Callable[[], float] = time.time):
        self.config = config
        self.clock = clock
        self.memory = MovingWindowRateLimiter(storage_from_string("memory://"))
        redis_url = config.get("REDIS_URL")
        self.redis = MovingWindowRateLimiter(storage_from_string(
            redis_url, key_prefix=PREFIX.rstrip(":"), wrap_exceptions=True,
            socket_timeout=_REDIS_TIMEOUT_SECONDS, socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
        )) if redis_url else None

    def _limit(self, scope: str) -> RateLimitItemPerSecond:
        per = self.config["LOGIN_FAILURES_PER_ACCOUNT" if scope == "account" else "LOGIN_FAILURES_PER_IP"]
        window = max(1, int(self.config["LOGIN_LOCKOUT_SECONDS"]))
        return RateLimitItemPerSecond(int(per), window, namespace=_NAMESPACE)

    def _run(self, operation: Callable[[MovingWindowRateLimiter], T]) -> T:
        # A Redis outage must not lock everybody out nor give a 500: the whole operation falls back
        # to this process's memory (still throttled, just not shared) and the log says so.
        if self.redis is not None:
            try:
                return operation(self.redis)
            except StorageError as exc:
                log.warning("login throttle: Redis unavailable (%s); using process memory", exc)
        return operation(self.memory)

    def _lock(self, limiter: MovingWindowRateLimiter, scope: str, identity: str) -> Lock | None:
        limit = self._limit(scope)
        reset_at, remaining = limiter.get_window_stats(limit, scope, identity)
        if remaining > 0:
            return None
        return Lock(scope, max(1, math.ceil(reset_at - self.clock())))

    def _check(self, limiter: MovingWindowRateLimiter, email: str, ip: str | None) -> Lock | None:
        return self._lock(limiter, "account", _account(email)) or self._lock(limiter, "ip", _ip(ip))

    def check(self, email: str, ip: str | None) -> Lock | None:
        """The lock in force for this account or IP, or None when the attempt may proceed."""
        return self._run(lambda limiter: self._check(limiter, email, ip))

    def failed(self, email: str, ip: str | None) -> Lock | None:
        """Count a failed attempt; returns the lock it triggered, if any."""

        def count(limiter: MovingWindowRateLimiter) -> Lock | None:
            limiter.hit(self._limit("account"), "account", _account(email))
            limiter.hit(self._limit("ip"), "ip", _ip(ip))
            return self._check(limiter, email, ip)

        lock = self._run(count)
        if lock is not None:
            who = _account(email) if lock.scope == "account" else _ip(ip)
            log.warning("login throttle: %s %s locked for %d s", lock.scope, who, lock.seconds)
        return lock

    def succeeded(self, email: str) -> None:
        """A correct password ends the account's failure count (the IP's keeps counting down)."""
        self.unlock(email)

    def unlock(self, email: str) -> None:
        """Clear the account's counter at once (also the administrator's 解除锁定)."""
        self._run(lambda limiter: limiter.clear(self._limit("account"), "account", _account(email)))

    def locked_accounts(self, emails: list[str]) -> dict[str, int]:
        """{email: seconds left} for the accounts among `emails` that are locked now."""

        def locks(limiter: MovingWindowRateLimiter) -> dict[str, int]:
            found = {}
            for email in emails:
                lock = self._lock(limiter, "account", _account(email))
                if lock is not None:
                    found[email] = lock.seconds
            return found

        return self._run(locks) if emails else {}


def get_throttle(app) -> LoginThrottle:
    """The Flask app's throttle, created on first use from `app.config`, kept in `app.extensions`."""
    throttle = app.extensions.get(_EXTENSION)
    if throttle is None:
        throttle = app.extensions[_EXTENSION] = LoginThrottle(app.config)
    return throttle
