"""Notifications (消息): the user's list, preferences, and for administrators the outbox and mail folder."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.companies.forms import MAX_PAGE
from tracker.models.notification import FAILED
from tracker.notifications.forms import PreferencesForm
from tracker.rules.channels import MODE_NAMES
from tracker.rules.reminders import KIND_NAMES
from tracker.services.errors import ServiceError
from tracker.services.notifications import channel_prefs, inbox, mail_folder, outbox_admin, runs
from tracker.web.access import roles_required
from tracker.web.errors import attach_service_error
from tracker.web.forms import ConfirmForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.context_processor
def _labels():
    return {"KIND_NAMES": KIND_NAMES, "OUTBOX_STATUS_NAMES": outbox_admin.STATUS_NAMES}


def _page() -> int:
    # A page beyond any list (a 309-digit number) is the first page, not an OFFSET overflow.
    page = request.args.get("page", 1, type=int) or 1
    return page if 1 <= page <= MAX_PAGE else 1


@bp.route("/")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    kind = request.args.get("kind") or None
    floods = [] if kind else inbox.floods(current_user)  # many unread of one kind: one line each
    page = inbox.list_for(current_user, unread_only=unread_only, page=_page(), kind=kind,
                          collapse_kinds=tuple(f.kind for f in floods))
    return render_template(
        "notifications/index.html", page=page, unread_only=unread_only, kind=kind, floods=floods,
        unread=inbox.unread_count(current_user), confirm=ConfirmForm(),
    )


def _safe_link(link: str | None) -> str:
    # Stored links are app paths; anything else (never expected) goes to the list instead.
    if link and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return url_for("notifications.index")


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open(notification_id: int):  # noqa: A001  (the endpoint name reads well in templates)
    """Mark the message read and go to the page it is about (a POST: a GET never changes data)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    row = inbox.mark_read(current_user, notification_id)
    return redirect(_safe_link(row.link))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    inbox.mark_read(current_user, notification_id)
    return redirect(url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all_read():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = inbox.mark_all_read(current_user)
    flash(f"已将 {count} 条消息标为已读", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = PreferencesForm(obj=current_user)
    fallback = channel_prefs.role_default_modes(current_user.role)
    for kind, f in form.mode_fields():  # the first choice names what "按默认" is for this user
        f.choices = [("", f"按默认（{MODE_NAMES[fallback[kind]]}）")] + f.choices[1:]
    if form.validate_on_submit():
        try:
            channel_prefs.save_preferences(
                current_user._get_current_object(), notify_mode=form.notify_mode.data,
                digest_opt_out=form.digest_opt_out.data, modes={kind: f.data or "" for kind, f in form.mode_fields()},
            )
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash("提醒设置已保存", "success")
            return redirect(url_for("notifications.preferences"))
    elif not form.is_submitted():
        own = channel_prefs.own_choices(current_user)
        for kind, f in form.mode_fields():
            f.data = own.get(kind, "")
    return render_template("notifications/preferences.html", form=form, confirm=ConfirmForm(),
                           wecom_userid=current_user.wecom_userid)


@bp.route("/preferences/test", methods=["POST"])
@login_required
def send_test():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    inbox.send_test_email(current_user)
    flash(f"测试邮件已加入发送队列，将发送到 {current_user.email}", "success")
    return redirect(url_for("notifications.preferences"))


@bp.route("/outbox")
@roles_required("admin")
def outbox():
    status = request.args.get("status") or None
    if status not in outbox_admin.STATUS_NAMES:
        status = None
    page = outbox_admin.outbox_rows(status, page=_page())
    return render_template(
        "notifications/outbox.html", page=page, status=status,
        counts=outbox_admin.outbox_counts(), runs=runs.last_runs(),
        mail_folder=not current_app.config.get("MAIL_SERVER"), confirm=ConfirmForm(), FAILED=FAILED,
    )


@bp.route("/outbox/<int:notification_id>/retry", methods=["POST"])
@roles_required("admin")
def retry(notification_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        outbox_admin.retry(current_user, notification_id)
    except ServiceError as exc:
        if exc.status_code == 404:
            raise
        flash(exc.message, "warning")
    else:
        flash("已重新加入发送队列", "success")
    return redirect(url_for("notifications.outbox", status=FAILED))


@bp.route("/outbox/retry-failed", methods=["POST"])
@roles_required("admin")
def retry_failed():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = outbox_admin.retry_all_failed(current_user)
    flash(f"已将 {count} 封发送失败的邮件重新加入队列", "success")
    return redirect(url_for("notifications.outbox"))


@bp.route("/mail")
@roles_required("admin")
def mail():
    """The local mail folder of the embedded default (no SMTP server configured)."""
    if current_app.config.get("MAIL_SERVER"):
        abort(404)
    name = request.args.get("name")
    if name:
        view = mail_folder.read_mail_file(name)
        if view is None:
            abort(404)
        return render_template("notifications/mail_show.html", mail=view)
    return render_template("notifications/mail.html", files=mail_folder.list_mail_files())
