"""Accounts (用户账号): creating and editing users, passwords, activation, sign-in bookkeeping.

Every change is a use case (one unit of work) with the acting user passed in and one audit row.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.clock import now
from tracker.extensions import db
from tracker.models import User
from tracker.models.user import ROLES, new_session_token
from tracker.rules import text as text_rules
from tracker.rules.districts import DISTRICT_CODES
from tracker.services import audit
from tracker.services.accounts.throttle import LoginThrottle
from tracker.services.errors import ServiceError
from tracker.services.unit_of_work import unit_of_work, use_case

MIN_PASSWORD_LENGTH = 8


def _check_name(name: str | None) -> None:
    reason = text_rules.problem(name) if isinstance(name, str) else None
    if reason is not None:
        raise ServiceError(f"姓名{reason}", field="name")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"密码至少需要{MIN_PASSWORD_LENGTH}位", field="password")


@use_case
def create_user(
    actor: User | None, *, email: str, name: str, role: str, password: str, district: str | None = None,
) -> User:
    """Create an account; managers and officers must belong to a district."""
    email = (email or "").strip().lower()
    if not email or "@" not in email or text_rules.problem(email) is not None or " " in email:
        raise ServiceError("请填写有效的邮箱", field="email")
    _check_name(name)
    if role not in ROLES:
        raise ServiceError("角色必须是 admin、manager 或 officer", field="role")
    if role != "admin" and district not in DISTRICT_CODES:
        raise ServiceError("辖区管理员和服务专员必须选择所属辖区", field="district")
    _check_password(password)
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise ServiceError(f"邮箱 {email} 已被使用", field="email")
    user = User(email=email, name=(name or email.split("@")[0]).strip(), role=role,
                district=district if role != "admin" else None)
    user.set_password(password)
    db.session.add(user)
    audit.record(actor.id if actor else None, "user.create", user, after={"email": email, "role": role, "district": district})
    return user


@use_case
def change_password(actor: User, user: User, new_password: str) -> None:
    """Set a new password; every existing session and remember-me cookie of that user ends."""
    _check_password(new_password)
    user.set_password(new_password)  # rotates session_token too
    audit.record(actor.id, "user.password", user)


@use_case
def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (or reactivate) an account; deactivation ends its sessions."""
    if actor.id == user.id and not active:
        raise ServiceError("不能停用自己的账号")
    user.active = active
    user.session_token = new_session_token()
    audit.record(actor.id, "user.activate" if active else "user.deactivate", user)


@use_case
def update_user(actor: User, user: User, *, name: str, role: str, district: str | None) -> None:
    """Change a user's name, role or district."""
    if role not in ROLES:
        raise ServiceError("未知角色", field="role")
    _check_name(name)
    if role != "admin" and district not in DISTRICT_CODES:
        raise ServiceError("辖区管理员和服务专员必须选择所属辖区", field="district")
    before = audit.snapshot(user, ("name", "role", "district"))
    user.name, user.role, user.district = name.strip(), role, district if role != "admin" else None
    if before["role"] != role or before["district"] != user.district:
        user.session_token = new_session_token()  # a changed scope takes effect at the next request
    audit.record(actor.id, "user.update", user, before=before, after=audit.snapshot(user, ("name", "role", "district")))


def all_users() -> list[User]:
    """Every account, by role, district and name (the administrator's user list)."""
    return list(db.session.scalars(select(User).order_by(User.role, User.district, User.name)))


def signed_in_user(session_token: str) -> User | None:
    """The active user a session (or remember-me cookie) carrying this token belongs to, or None.

    The token changes on logout-everywhere, password change and deactivation, so a copied session
    or remember-me cookie stops working at once.
    """
    return db.session.scalar(select(User).where(User.session_token == session_token, User.active.is_(True)))


@cache
def _dummy_hash() -> str:
    # Hashed like every real password (scrypt, werkzeug's parameters), once per process.
    return generate_password_hash(new_session_token(), method="scrypt")


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None.

    An unknown or inactive account costs one password hash too (against a dummy hash), so the time
    a refusal takes does not tell whether the address has an account.
    """
    user = db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not user.check_password(password or ""):
        return None
    return user


@use_case
def record_login(user: User) -> None:
    """Note a successful sign-in (shown as 最近登录 on the user list)."""
    user.last_login_at = now()


@use_case
def end_sessions(user: User) -> None:
    """Sign out everywhere: a new session token kills every copy of the session and remember-me cookie."""
    user.session_token = new_session_token()


def unlock_sign_in(actor: User, user: User, throttle: LoginThrottle) -> None:
    """Lift a login lockout (解除登录锁定) before it expires, e.g. after the user called the bureau."""
    with unit_of_work():
        audit.record(actor.id, "user.unlock", user)
    # After the commit: an unlock that is not in the audit log never happens.
    throttle.unlock(user.email)
