"""诉求 as a case: the actions of a follow-up's page beyond those of tracker/visits (timeline, note,
referral to a department, its reply, the manager's review, the satisfaction call-back), the
department list (administrators) and the review setting (administrators, district managers).

The follow-up's page itself stays at /visits/follow-ups/<id> (links in e-mails and messages point
there); it renders templates/visits/follow_up.html, which gets everything it shows from
`follow_up_case(follow_up)` below, so a refusal here re-renders the same page with the message
under its field.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from tracker.clock import local, today
from tracker.followups.forms import (
    CallbackForm, CaseStatusForm, DepartmentForm, DepartmentReferForm, NoteForm, ReplyForm, ReviewForm,
    ReviewSettingForm,
)
from tracker.models.follow_up_case import CITY_SCOPE
from tracker.rules import follow_ups as fu_rules
from tracker.services.calendar.notices import current_calendar
from tracker.services.errors import Conflict, Forbidden, ServiceError
from tracker.services.visits import departments as dept_service
from tracker.services.visits import follow_ups as fu_service
from tracker.visits.forms import OwnerForm, VersionForm, parse_int
from tracker.web.access import managers_required, roles_required
from tracker.web.errors import attach_service_error
from tracker.web.once import create_once

bp = Blueprint("followups", __name__, url_prefix="/follow-ups")

STATUS_BUTTONS = {fu_rules.IN_PROGRESS: "开始办理", fu_rules.RESOLVED: "办结", fu_rules.CLOSED: "销号"}


def follow_up_case(follow_up, forms: dict | None = None) -> dict:
    """Everything the follow-up page shows: its timeline and the forms of the actions allowed now."""
    forms = forms or {}
    version = follow_up.version

    def _form(key, cls):
        form = forms.get(key)
        if form is None:
            form = cls(formdata=None)
            form.version.data = version
        return form

    status_forms = {}
    if follow_up.status != fu_rules.REVIEWING:
        for target in fu_rules.STATUSES:
            if target in fu_rules.ALLOWED.get(follow_up.status, ()):
                status_forms[target] = _form(("status", target), CaseStatusForm)
                status_forms[target].to_status.data = target
    refer_form = _form("refer", DepartmentReferForm)
    refer_form.department_id.choices = [("", "请选择承办单位")] + [
        (str(d.id), d.name + (f"（{d.contact}）" if d.contact else "")) for d in dept_service.departments()
    ]
    owner_form = _form("owner", OwnerForm)
    owners = fu_service.owner_candidates(follow_up.company, current_user)
    owner_form.owner_id.choices = [("", "请选择")] + [(str(u.id), u.name) for u in owners if u.id != follow_up.owner_id]
    callback_form = _form("callback", CallbackForm)
    reply_form = _form("reply", ReplyForm)
    if forms.get("callback") is None:
        callback_form.called_on.data = today()
    if forms.get("reply") is None:
        reply_form.replied_on.data = today()
    on = today()
    chased_on = follow_up.chased_at and local(follow_up.chased_at).date()
    overdue = fu_rules.is_overdue(follow_up.status, follow_up.due_on, on)
    return dict(
        timeline=fu_service.timeline(follow_up),
        status_forms=status_forms,
        status_buttons=STATUS_BUTTONS,
        note_form=_form("note", NoteForm),
        refer_form=refer_form,
        can_refer=follow_up.status in (fu_rules.OPEN, fu_rules.IN_PROGRESS),
        reply_form=reply_form,
        can_reply=bool(follow_up.referred_unit) and follow_up.status != fu_rules.CLOSED,
        review_form=_form("review", ReviewForm),
        can_review=follow_up.status == fu_rules.REVIEWING and not current_user.is_officer,
        review_on=dept_service.review_required(follow_up.company.district),
        callback_form=callback_form,
        callback=fu_service.last_callback(follow_up) if follow_up.status == fu_rules.CLOSED else None,
        owner_form=owner_form,
        chase_form=_form("chase", VersionForm),
        can_chase=overdue,
        can_escalate=overdue and follow_up.escalated_at is None,
        escalation_from=fu_rules.escalation_due_on(chased_on, calendar=current_calendar()) if chased_on else None,
        deadline_state=fu_rules.deadline_state(follow_up.status, follow_up.due_on, on),
    )


@bp.app_context_processor
def _case_helpers():
    return {
        "follow_up_case": follow_up_case, "FU_STATUS_NAMES": fu_rules.STATUS_NAMES,
        "FU_EVENT_NAMES": fu_rules.EVENT_NAMES, "FU_SATISFACTION_NAMES": fu_rules.SATISFACTION_NAMES,
        "FU_CATEGORY_NAMES": fu_rules.CATEGORY_NAMES, "FU_DEADLINE_NAMES": fu_rules.DEADLINE_NAMES,
    }


def _page(follow_up, forms: dict | None = None, status_code: int = 200):
    return render_template("visits/follow_up.html", follow_up=follow_up, case_forms=forms or {}), status_code


def _run(follow_up, action, form_key, form, success):
    """Run one case action; a refusal shows the page again with the message under its field."""
    try:
        action()
    except Conflict as exc:
        flash(exc.message, "danger")
        return redirect(url_for("visits.follow_up", follow_up_id=follow_up.id))
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        # The unit of work rolled back and expired the follow-up: the page shows it as stored.
        if exc.field not in (None, "version", "csrf_token", "status"):
            attach_service_error(form, exc)
        else:
            flash(exc.message, "danger")
        return _page(follow_up, {form_key: form}, 400)
    flash(success() if callable(success) else success, "success")  # a callable says what the outcome was
    return redirect(url_for("visits.follow_up", follow_up_id=follow_up.id) + "#case-timeline")


def _invalid(follow_up, form_key, form):
    flash("请检查标红的内容", "danger")
    return _page(follow_up, {form_key: form}, 400)


@bp.route("/<int:follow_up_id>/status", methods=["POST"])
@login_required
def status(follow_up_id: int):
    """开始办理 / 办结 / 销号 / 重新办理 with an optional note; 办结 may go to 待审核."""
    follow_up = fu_service.get_follow_up_for(current_user, follow_up_id)
    form = CaseStatusForm()
    target = form.to_status.data
    key = ("status", target)
    if not form.validate_on_submit():
        return _invalid(follow_up, key, form)

    def _move():
        fu_service.move_status(current_user, follow_up, target, version=parse_int(form.version.data),
                               resolution=form.resolution.data, satisfaction=form.satisfaction.data,
                               note=form.note.data)

    def _message():
        return "已提交办结，等待管理员审核" if follow_up.status == fu_rules.REVIEWING else {
            fu_rules.IN_PROGRESS: "已更新为办理中", fu_rules.RESOLVED: "已办结", fu_rules.CLOSED: "已销号",
        }.get(target, "已更新")

    return _run(follow_up, _move, key, form, _message)


@bp.route("/<int:follow_up_id>/note", methods=["POST"])
@login_required
def note(follow_up_id: int):
    """A progress note on the timeline."""
    follow_up = fu_service.get_follow_up_for(current_user, follow_up_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _invalid(follow_up, "note", form)
    return _run(follow_up, lambda: fu_service.add_note(current_user, follow_up, form.note.data,
                                                        version=parse_int(form.version.data)),
                "note", form, "已记录办理进展")


@bp.route("/<int:follow_up_id>/refer", methods=["POST"])
@login_required
def refer(follow_up_id: int):
    """交办 to a department of the list."""
    follow_up = fu_service.get_follow_up_for(current_user, follow_up_id)
    form = DepartmentReferForm()
    form.department_id.choices = []
    if not form.validate_on_submit():
        return _invalid(follow_up, "refer", form)

    def _refer():
        fu_service.refer(current_user, follow_up, version=parse_int(form.version.data),
                         department_id=parse_int(form.department_id.data), contact=form.contact.data,
                         deadline=form.deadline.data, deadline_workdays=form.deadline_workdays.data,
                         note=form.note.data)

    return _run(follow_up, _refer, "refer", form, "已交办")


@bp.route("/<int:follow_up_id>/reply", methods=["POST"])
@login_required
def reply(follow_up_id: int):
    """The department's reply (反馈) to the referral."""
    follow_up = fu_service.get_follow_up_for(current_user, follow_up_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _invalid(follow_up, "reply", form)
    return _run(follow_up, lambda: fu_service.record_reply(current_user, follow_up, replied_on=form.replied_on.data,
                                                            text=form.text.data, version=parse_int(form.version.data)),
                "reply", form, "已登记承办单位反馈")


@bp.route("/<int:follow_up_id>/review", methods=["POST"])
@managers_required
def review(follow_up_id: int):
    """办结审核: approve or send back."""
    follow_up = fu_service.get_follow_up_for(current_user, follow_up_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _invalid(follow_up, "review", form)
    approve = form.decision.data == "approve"
    return _run(follow_up, lambda: fu_service.review(current_user, follow_up, approve=approve, note=form.note.data,
                                                      version=parse_int(form.version.data)),
                "review", form, "已审核通过，诉求已办结" if approve else "已退回重办")


@bp.route("/<int:follow_up_id>/callback", methods=["POST"])
@login_required
def callback(follow_up_id: int):
    """满意度回访 after 销号."""
    follow_up = fu_service.get_follow_up_for(current_user, follow_up_id)
    form = CallbackForm()
    if not form.validate_on_submit():
        return _invalid(follow_up, "callback", form)
    return _run(follow_up, lambda: fu_service.record_callback(
        current_user, follow_up, called_on=form.called_on.data, result=form.result.data, note=form.note.data,
        version=parse_int(form.version.data)), "callback", form, "已登记满意度回访")


# --- the department list and the review setting ---------------------------------------------------

@bp.route("/departments", methods=["GET", "POST"])
@roles_required("admin")
def departments():
    """The departments follow-ups are referred to: add one, rename, retire or restore."""
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            create_once(current_user, form, lambda: dept_service.add_department(current_user, form.name.data, form.contact.data),
                        lambda _department: url_for("followups.departments"))
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash(f"已添加承办单位“{form.name.data.strip()}”", "success")
            return redirect(url_for("followups.departments"))
    rows = dept_service.departments(active_only=False)
    edit_forms = {d.id: DepartmentForm(formdata=None, obj=d, prefix=f"d{d.id}") for d in rows}
    return render_template("followups/departments.html", form=form, rows=rows, edit_forms=edit_forms), \
        (400 if form.errors else 200)


@bp.route("/departments/<int:department_id>", methods=["POST"])
@roles_required("admin")
def department_update(department_id: int):
    """Save one department's row of the list."""
    form = DepartmentForm(prefix=f"d{department_id}")
    if form.validate_on_submit():
        try:
            dept_service.update_department(current_user, department_id, name=form.name.data,
                                           contact=form.contact.data, active=form.active.data)
        except ServiceError as exc:
            flash(exc.message, "danger" if exc.field != "name" or "没有" not in exc.message else "info")
        else:
            flash("已保存承办单位", "success")
    else:
        flash(next(iter(e for errors in form.errors.values() for e in errors), "输入有误"), "danger")
    return redirect(url_for("followups.departments"))


@bp.route("/review-settings", methods=["GET", "POST"])
@managers_required
def review_settings():
    """办结审核: whether an officer's 办结 waits for a manager, for the city and each district."""
    form = ReviewSettingForm()
    if form.validate_on_submit():
        required = {"yes": True, "no": False}.get(form.required.data)
        try:
            dept_service.set_review(current_user, form.scope.data, required)
        except Forbidden:
            abort(403)
        except ServiceError as exc:
            flash(exc.message, "warning")
        else:
            flash("已保存办结审核设置", "success")
        return redirect(url_for("followups.review_settings"))
    if form.is_submitted():
        flash("请求无效，请刷新页面后重试", "danger")
    return render_template("followups/review_settings.html", rows=dept_service.review_settings(current_user),
                           city_scope=CITY_SCOPE)
