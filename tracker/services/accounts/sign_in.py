"""Typing a password under the login throttle (登录): signing in, confirming it, changing it.

Each use case asks the throttle first, so a correct guess during a lockout gains nothing, and counts
a wrong password against the account and the client IP. The view only shows the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.models import User
from tracker.services.accounts import users
from tracker.services.accounts.throttle import Lock, LoginThrottle


@dataclass(frozen=True)
class Attempt:
    """What came of a typed password: the user it proved, or the lock now in force, or neither."""

    user: User | None = None
    lock: Lock | None = None


def sign_in(throttle: LoginThrottle, email: str, password: str, ip: str | None) -> Attempt:
    """Check an email and password; a success clears the account's failures and notes the sign-in."""
    lock = throttle.check(email, ip)
    if lock is not None:
        return Attempt(lock=lock)
    user = users.authenticate(email, password)
    if user is None:
        return Attempt(lock=throttle.failed(email, ip))
    throttle.succeeded(email)
    users.record_login(user)
    return Attempt(user=user)


def _typed_password(throttle: LoginThrottle, user: User, password: str, ip: str | None) -> Attempt:
    lock = throttle.check(user.email, ip)
    if lock is not None:
        return Attempt(lock=lock)
    if user.check_password(password or ""):
        return Attempt(user=user)
    return Attempt(lock=throttle.failed(user.email, ip))


def confirm_password(throttle: LoginThrottle, user: User, password: str, ip: str | None) -> Attempt:
    """The signed-in user types their password again (to make a session fresh)."""
    attempt = _typed_password(throttle, user, password, ip)
    if attempt.user is not None:
        throttle.succeeded(user.email)
    return attempt


def change_own_password(
    throttle: LoginThrottle, user: User, current_password: str, new_password: str, ip: str | None,
) -> Attempt:
    """Change one's own password after typing the current one (a stolen session must not become a
    way to guess it); every session of the account ends. Raises ServiceError for a weak password."""
    attempt = _typed_password(throttle, user, current_password, ip)
    if attempt.user is not None:
        users.change_password(user, user, new_password)
    return attempt
