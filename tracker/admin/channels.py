"""Message channels for administrators (/admin/channels): default channel per role, group robots."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from tracker.models.user import ROLE_NAMES
from tracker.notifications.forms import ChannelDefaultsForm, RobotForm, default_field_name
from tracker.rules.channels import ANY_KIND, MODE_NAMES
from tracker.services.errors import ServiceError
from tracker.services.notifications import channel_prefs, robots
from tracker.services.notifications.rows import wecom_configured
from tracker.web.access import roles_required
from tracker.web.errors import attach_service_error
from tracker.web.forms import ConfirmForm

bp = Blueprint("channels", __name__, url_prefix="/admin/channels")


@bp.route("/defaults", methods=["GET", "POST"])
@roles_required("admin")
def defaults():
    """The default channel per role and kind of notification (users may choose their own)."""
    form = ChannelDefaultsForm()
    keys = [(role, kind) for kind in [ANY_KIND] + channel_prefs.CHOOSABLE_KINDS for role in ROLE_NAMES]
    if form.validate_on_submit():
        choices = {(role, kind): form[default_field_name(role, kind)].data or "" for role, kind in keys}
        try:
            changed = channel_prefs.set_role_defaults(current_user._get_current_object(), choices)
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash(f"默认接收方式已保存（修改 {changed} 项）" if changed else "默认接收方式没有变化", "success")
            return redirect(url_for("channels.defaults"))
    elif not form.is_submitted():
        current = channel_prefs.role_defaults()
        for role, kind in keys:
            form[default_field_name(role, kind)].data = current.get((role, kind), "")
    return render_template("admin/channel_defaults.html", form=form, ROLE_NAMES=ROLE_NAMES, MODE_NAMES=MODE_NAMES,
                           wecom_ready=wecom_configured())


@bp.route("/robots", methods=["GET", "POST"])
@roles_required("admin")
def robot_list():
    """Group robots (群机器人) of the districts and the city: masked list, add or replace one."""
    form = RobotForm()
    if form.validate_on_submit():
        try:
            robot = robots.add_robot(current_user._get_current_object(), form.kind.data, form.scope.data,
                                     form.url.data, form.secret.data or None)
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash(f"已保存{robots.KIND_NAMES[robot.kind]}（{robots.scope_name(robot.scope)}）：{robot.url_hint}", "success")
            return redirect(url_for("channels.robot_list"))
    active = [r for r in robots.robots() if r.active]
    return render_template("admin/channel_robots.html", form=form, robots=active, confirm=ConfirmForm())


@bp.route("/robots/<int:robot_id>/remove", methods=["POST"])
@roles_required("admin")
def remove_robot(robot_id: int):
    """Stop a robot (soft delete): it posts nothing more."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    robot = robots.remove_robot(current_user._get_current_object(), robot_id)
    flash(f"已移除{robots.KIND_NAMES[robot.kind]}（{robots.scope_name(robot.scope)}）", "success")
    return redirect(url_for("channels.robot_list"))
