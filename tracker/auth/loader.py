"""Flask-Login wiring: users are loaded by their rotating session token, not their id."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import LoginManager, current_user
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import User


def configure_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = "请先登录"
    manager.login_message_category = "warning"
    manager.needs_refresh_message = "为安全起见，请重新输入密码"
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(token: str) -> User | None:
        # The token changes on logout-everywhere, password change and deactivation, so a copied
        # session or remember-me cookie stops working at once.
        return db.session.scalar(select(User).where(User.session_token == token, User.active.is_(True)))


def roles_required(*roles: str):
    """View decorator: 403 unless the signed-in user has one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from tracker.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
