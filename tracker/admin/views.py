"""Administration: users (create, edit, deactivate, reset password) and system status."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, fresh_login_required

from tracker.admin.forms import EditUserForm, ResetPasswordForm, UserForm
from tracker.extensions import db
from tracker.models import User
from tracker.services.accounts import users
from tracker.services.accounts.throttle import get_throttle
from tracker.services.errors import ServiceError
from tracker.services.indicators import targets
from tracker.services.notifications import channel_prefs
from tracker.services.ops import heartbeat
from tracker.web.access import roles_required
from tracker.web.errors import attach_service_error
from tracker.web.forms import ConfirmForm
from tracker.web.once import create_once

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", endpoint="users")
@roles_required("admin")
def user_list():
    """Every account, with login locks, the worker heartbeat and target mismatches (系统管理)."""
    rows = users.all_users()
    return render_template(
        "admin/users.html", users=rows, confirm=ConfirmForm(),
        locked=get_throttle(current_app).locked_accounts([u.email for u in rows]),
        heartbeat=heartbeat.status(), mismatches=targets.current_mismatches(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
@fresh_login_required  # a stolen remember-me cookie must not be able to make a lasting account
def create_user():
    """Create an account."""
    form = UserForm()
    if form.validate_on_submit():
        try:
            actor = current_user._get_current_object()
            user = create_once(actor, form, lambda: channel_prefs.create_user_with_wecom(
                actor, email=form.email.data, name=form.name.data, wecom_userid=form.wecom_userid.data,
                role=form.role.data, password=form.password.data, district=form.district.data or None,
            ), lambda u: url_for("admin.edit_user", user_id=u.id))
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash(f"已创建用户 {user.email}", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
@fresh_login_required  # role and password changes need a password typed in this session
def edit_user(user_id: int):
    """Change a user's name, role or district (the page also offers a password reset)."""
    user = db.get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    reset = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        try:
            channel_prefs.update_user_with_wecom(current_user._get_current_object(), user, name=form.name.data,
                                                 role=form.role.data, district=form.district.data or None,
                                                 wecom_userid=form.wecom_userid.data)
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash("已保存", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, reset=reset, confirm=ConfirmForm())


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required("admin")
@fresh_login_required  # role and password changes need a password typed in this session
def reset_password(user_id: int):
    """Set a new password for a user; their sessions end."""
    user = db.get_or_404(User, user_id)
    reset = ResetPasswordForm(prefix="reset")
    if reset.validate_on_submit():
        try:
            users.change_password(current_user._get_current_object(), user, reset.password.data)
        except ServiceError as exc:
            flash(exc.message, "danger")
        else:
            flash(f"已重置 {user.email} 的密码，其所有登录会话已失效", "success")
    else:
        for errors in reset.errors.values():
            for error in errors:
                flash(error, "danger")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required("admin")
@fresh_login_required  # role and password changes need a password typed in this session
def toggle_active(user_id: int):
    """Deactivate or reactivate an account."""
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        try:
            users.set_active(current_user._get_current_object(), user, not user.active)
        except ServiceError as exc:
            flash(exc.message, "danger")
        else:
            flash(("已启用 " if user.active else "已停用 ") + user.email, "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@roles_required("admin")
@fresh_login_required  # unlocking lets password guessing go on: a password typed in this session
def unlock(user_id: int):
    """Lift a login lockout (登录锁定) before it expires, e.g. after the user called the bureau."""
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        users.unlock_sign_in(current_user._get_current_object(), user, get_throttle(current_app))
        flash(f"已解除 {user.email} 的登录锁定", "success")
    return redirect(url_for("admin.users"))
