"""Flask-Login wiring: users are loaded by their rotating session token, not their id."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import LoginManager, user_loaded_from_cookie

from tracker.models import User
from tracker.services.accounts import users


def configure_login(manager: LoginManager) -> None:
    """Login view, messages, strong session protection, the refresh (confirm password) view, the loader."""
    manager.login_view = "auth.login"
    manager.login_message = "请先登录"
    manager.login_message_category = "warning"
    manager.needs_refresh_message = "为安全起见，请重新输入密码"
    manager.session_protection = "strong"
    manager.refresh_view = "auth.reauthenticate"

    @manager.needs_refresh_handler
    def needs_refresh():
        # A session restored from the remember-me cookie is not "fresh": role and password
        # changes first ask for the password again, then come back to the page.
        flash(manager.needs_refresh_message, "warning")
        return redirect(url_for("auth.reauthenticate", next=_return_path()))

    @manager.user_loader
    def load_user(token: str) -> User | None:
        return users.signed_in_user(token)


@user_loaded_from_cookie.connect
def _bind_restored_session(_app, user=None) -> None:
    # Flask-Login does not record the client identifier when it restores a session from the
    # remember-me cookie, so under "strong" protection the very next request looks stolen and
    # signs the user out; record it as login_user() does.
    session["_id"] = current_app.login_manager._session_identifier_generator()


def _return_path() -> str:
    """Where to come back after confirming the password: this page, or for a POST the page it came from."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("main.home")
