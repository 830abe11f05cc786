"""Administration: users (create, edit, deactivate, reset password) and system status."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, fresh_login_required
from sqlalchemy import select

from tracker.admin.forms import ConfirmForm, EditUserForm, ResetPasswordForm, UserForm
from tracker.web.access import roles_required
from tracker.extensions import db
from tracker.models import User
from tracker.services import audit
from tracker.services.indicators import targets as plan_service
from tracker.services.ops import heartbeat as system
from tracker.services.accounts import users as user_service
from tracker.services.errors import ServiceError
from tracker.services.accounts.throttle import get_throttle

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles_required("admin")
def users():
    rows = db.session.scalars(select(User).order_by(User.role, User.district, User.name)).all()
    return render_template(
        "admin/users.html", users=rows, confirm=ConfirmForm(),
        locked=get_throttle().locked_accounts([u.email for u in rows]),
        heartbeat=system.last_heartbeat(), mismatches=plan_service.current_mismatches(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def create_user():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = user_service.create_user(
                current_user, email=form.email.data, name=form.name.data, role=form.role.data,
                password=form.password.data, district=form.district.data or None,
            )
        except ServiceError as exc:
            db.session.rollback()
            getattr(form, exc.field or "email").errors.append(exc.message)
        else:
            flash(f"已创建用户 {user.email}", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
@fresh_login_required  # role and password changes need a password typed in this session
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    reset = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        try:
            user_service.update_user(current_user, user, name=form.name.data, role=form.role.data, district=form.district.data or None)
        except ServiceError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(exc.message)
        else:
            flash("已保存", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, reset=reset, confirm=ConfirmForm())


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required("admin")
@fresh_login_required  # role and password changes need a password typed in this session
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    reset = ResetPasswordForm(prefix="reset")
    if reset.validate_on_submit():
        user_service.change_password(current_user, user, reset.password.data)
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
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        try:
            user_service.set_active(current_user, user, not user.active)
        except ServiceError as exc:
            flash(exc.message, "danger")
        else:
            flash(("已启用 " if user.active else "已停用 ") + user.email, "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@roles_required("admin")
def unlock(user_id: int):
    """Lift a login lockout (登录锁定) before it expires, e.g. after the user called the bureau."""
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        get_throttle().unlock(user.email)
        audit.record(current_user.id, "user.unlock", user)
        db.session.commit()
        flash(f"已解除 {user.email} 的登录锁定", "success")
    return redirect(url_for("admin.users"))
