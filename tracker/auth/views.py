"""Sign in, sign out, change password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from tracker.auth.forms import ChangePasswordForm, LoginForm
from tracker.auth.redirects import safe_next
from tracker.clock import now
from tracker.extensions import db
from tracker.models.user import new_session_token
from tracker.services import users as user_service
from tracker.services.errors import ServiceError

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = user_service.authenticate(form.email.data, form.password.data)
        if user is None:
            flash("邮箱或密码错误，或账号已停用", "danger")
        else:
            user.last_login_at = now()
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("main.home")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Rotating the token ends this session everywhere, including copies of the cookie.
    current_user.session_token = new_session_token()
    db.session.commit()
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append("当前密码不正确")
        else:
            try:
                user_service.change_password(current_user, current_user._get_current_object(), form.new_password.data)
            except ServiceError as exc:
                form.new_password.errors.append(exc.message)
            else:
                logout_user()
                flash("密码已修改，请用新密码重新登录", "success")
                return redirect(url_for("auth.login"))
    return render_template("auth/change_password.html", form=form)
