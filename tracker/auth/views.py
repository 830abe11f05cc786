"""Sign in (throttled), sign out, confirm the password again, change password."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import confirm_login, current_user, fresh_login_required, login_required, login_user, logout_user

from tracker.auth.forms import ChangePasswordForm, LoginForm, ReauthenticateForm
from tracker.auth.redirects import safe_next
from tracker.services.accounts import sign_in, users
from tracker.services.accounts.throttle import get_throttle
from tracker.services.errors import ServiceError

bp = Blueprint("auth", __name__)

# C0 control characters other than tab, CR and LF: no form field needs them, and PostgreSQL text
# cannot hold NUL at all (psycopg raises, which would be a 500 on any search box).
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\r", "\n"}


def _has_control(value) -> bool:
    if isinstance(value, str):
        return any(ch in _CONTROL for ch in value)
    if isinstance(value, dict):
        return any(_has_control(k) or _has_control(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_control(v) for v in value)
    return False


@bp.before_app_request
def refuse_control_characters():
    """Refuse (400) any request whose query, form or JSON text carries control characters."""
    values = list(request.args.items(multi=True))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        values += list(request.form.items(multi=True))
        if request.is_json:
            values.append(("json", request.get_json(silent=True)))
    if any(_has_control(key) or _has_control(value) for key, value in values):
        abort(400, description="提交的内容包含无效的控制字符（如 NUL），请检查后重试")


def _throttle():
    return get_throttle(current_app)


def _client_ip() -> str | None:
    # Behind TRUSTED_PROXY_HOPS proxies, create_app's ProxyFix has already put the client's
    # address (from X-Forwarded-For) here; with no trusted proxy the header is ignored.
    return request.remote_addr


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; refused with 429 while the account or the client IP is locked by the throttle."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        attempt = sign_in.sign_in(_throttle(), form.email.data, form.password.data, _client_ip())
        if attempt.user is not None:
            login_user(attempt.user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("main.home")))
        if attempt.lock is not None:
            return render_template("auth/login.html", form=form, lock_message=attempt.lock.message), 429
        flash("邮箱或密码错误，或账号已停用", "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out everywhere: rotating the token kills copies of the session and remember-me cookies."""
    users.end_sessions(current_user._get_current_object())
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/reauthenticate", methods=["GET", "POST"])
@login_required
def reauthenticate():
    """Confirm the password to make the session fresh again (before role or password changes)."""
    form = ReauthenticateForm()
    if form.validate_on_submit():
        attempt = sign_in.confirm_password(_throttle(), current_user._get_current_object(), form.password.data, _client_ip())
        if attempt.user is not None:
            confirm_login()
            flash("身份已确认，请继续操作", "success")
            return redirect(safe_next(request.args.get("next"), url_for("main.home")))
        if attempt.lock is not None:
            return render_template("auth/reauthenticate.html", form=form, lock_message=attempt.lock.message), 429
        form.password.errors.append("密码不正确")
    return render_template("auth/reauthenticate.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@fresh_login_required
def change_password():
    """Change one's own password; every session of the account ends, this one included."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            attempt = sign_in.change_own_password(
                _throttle(), current_user._get_current_object(), form.current_password.data,
                form.new_password.data, _client_ip(),
            )
        except ServiceError as exc:
            form.new_password.errors.append(exc.message)
        else:
            if attempt.user is not None:
                logout_user()
                flash("密码已修改，请用新密码重新登录", "success")
                return redirect(url_for("auth.login"))
            if attempt.lock is not None:
                return render_template("auth/change_password.html", form=form, lock_message=attempt.lock.message), 429
            form.current_password.errors.append("当前密码不正确")
    return render_template("auth/change_password.html", form=form)
