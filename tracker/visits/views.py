"""Visits (走访) and follow-ups (诉求办理): thin views, form → service → redirect."""

from __future__ import annotations

from flask import (
    Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, send_from_directory, url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup

from tracker.clock import local, today
from tracker.extensions import db
from tracker.main.template_helpers import add_company_action, add_company_section
from tracker.models.visit import FOLLOW_UP_CATEGORIES, SATISFACTION, VISIT_KINDS
from tracker.rules import follow_ups as fu_rules
from tracker.services.calendar.notices import current_calendar, deadline_hint
from tracker.rules import geo
from tracker.services.attachments import files as attachment_files
from tracker.services.errors import Conflict, Forbidden, ServiceError
from tracker.services.scoping import get_company_for
from tracker.services.visits import follow_ups as fu_service
from tracker.services.visits import records as visit_service
from tracker.visits.forms import (
    AttachmentForm, FollowUpFilterForm, OwnerForm, ReferForm, StatusForm, VersionForm, VisitEditForm, VisitForm,
    WithdrawForm, parse_int,
)
from tracker.web.errors import attach_service_error, conflict_rows
from tracker.web.once import create_once

bp = Blueprint("visits", __name__, url_prefix="/visits")

LABELS = {
    "VISIT_KINDS": VISIT_KINDS, "FOLLOW_UP_CATEGORIES": FOLLOW_UP_CATEGORIES, "SATISFACTION": SATISFACTION,
    "FU_STATUS_NAMES": fu_rules.STATUS_NAMES, "DEADLINE_NAMES": fu_rules.DEADLINE_NAMES,
}


@bp.context_processor
def _labels():
    return LABELS


@bp.app_context_processor
def _attachment_helpers():
    # For the follow-up page's 走访留痕 card (templates/visits/_attachments.html), which is shown only
    # after its view has checked that the user may see the follow-up.
    return {"attachments_of_follow_up": attachment_files.for_follow_up,
            "attachment_upload_form": lambda: AttachmentForm(formdata=None)}


def _company_actions(user, company) -> list[dict]:
    return [{"url": url_for("visits.new", company_id=company.id), "label": "记录走访", "css": "btn-primary"}]


def _far_metres() -> float:
    return float(current_app.config.get("VISIT_FAR_METRES") or geo.DEFAULT_FAR_METRES)


def _far_flag(visit, company) -> str | None:
    """"约 2.3 公里" when the visit's check-in is further than VISIT_FAR_METRES from the company."""
    distance = visit_service.far_from_company(visit, company, _far_metres())
    return geo.describe_distance(distance) if distance is not None else None


def _company_section(user, company):
    visits = visit_service.recent_for_company(user, company.id)
    open_follow_ups = fu_service.open_for_company(user, company.id)
    return Markup(render_template(
        "visits/_company_section.html", company=company, visits=visits, follow_ups=open_follow_ups, on=today(),
        deadline_state=fu_rules.deadline_state, far={v.id: _far_flag(v, company) for v in visits},
        show_far=not user.is_officer, **LABELS,
    ))


@bp.record_once
def _register_company_hooks(state):
    add_company_action(state.app, _company_actions)
    add_company_section(state.app, _company_section)


# --- visits ---------------------------------------------------------------------------------------

def _attach_visit_error(form, exc: ServiceError) -> None:
    """Show a service error under its field; a follow-up row's field is named follow_ups-<n>-<field>.

    A location error becomes a flash message: its hidden fields have no place of their own.
    """
    if exc.field in ("latitude", "longitude", "location_accuracy"):
        exc = ServiceError(exc.message)
    if exc.field and exc.field.startswith("follow_ups-"):
        _, index, name = exc.field.split("-", 2)
        if index.isdigit() and int(index) < len(form.follow_ups):
            attach_service_error(form.follow_ups[int(index)].form, ServiceError(exc.message, field=name))
            return
    attach_service_error(form, exc)


def _edit_window_days() -> int:
    return int(current_app.config["VISIT_EDIT_WINDOW_DAYS"])


def _back_url(company_id: int) -> str:
    return url_for("work.my_work") if request.args.get("back") == "work" else url_for("companies.show", company_id=company_id)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    company_id = parse_int(request.args.get("company_id"))
    if company_id is None:
        abort(404)
    company = get_company_for(current_user, company_id, db.session)
    form = VisitForm()
    if request.method == "GET":
        form.visited_on.data = today()
    owners = fu_service.owner_candidates(company, current_user)
    form.set_owner_choices([(str(u.id), u.name) for u in owners], str(current_user.id))
    if form.validate_on_submit():
        rows = [
            visit_service.FollowUpInput(
                index=i, description=row.description.data or "", category=row.category.data or "",
                owner_id=parse_int(row.owner_id.data), due_on=row.due_on.data, due_workdays=row.due_workdays.data,
            )
            for i, row in form.filled_rows()
        ]
        uploads = [attachment_files.Upload(f.filename, f.read()) for f in form.uploads()]
        try:
            visit = create_once(
                current_user, form,
                lambda: visit_service.log_visit(current_user, company.id, form.visit_data(), rows, uploads),
                lambda v: url_for("visits.show", visit_id=v.id),
            )
        except ServiceError as exc:
            _attach_visit_error(form, exc)
            _add_meaning_errors(form)
        else:
            flash(f"已记录走访{'，并登记诉求 %d 条' % len(rows) if rows else ''}", "success")
            if request.args.get("back") == "work":
                return redirect(url_for("work.my_work"))
            return redirect(url_for("visits.show", visit_id=visit.id))
    elif request.method == "POST":
        _add_meaning_errors(form)
        flash("请检查标红的内容", "danger")
    example = deadline_hint(today(), 5)
    return render_template(
        "visits/form.html", form=form, company=company, visit=None, back_url=_back_url(company.id), example_due=example,
    )


def _add_meaning_errors(form) -> None:
    """Beside the shape errors, every meaning error of the fields that parsed (all errors at once)."""
    for exc in visit_service.check_all_fields(form.parsed_data()):
        field = getattr(form, exc.field, None)
        if field is not None and exc.message not in field.errors:
            field.errors = list(field.errors) + [exc.message]


def _show(visit, *, withdraw_form=None, attachment_form=None, status_code: int = 200):
    window_days = _edit_window_days()
    refusal = visit_service.edit_refusal(current_user, visit, window_days=window_days)
    withdraw_refusal = visit_service.withdraw_refusal(current_user, visit, window_days=window_days)
    if withdraw_form is None:
        withdraw_form = WithdrawForm(formdata=None)
        withdraw_form.version.data = visit.version
    return render_template(
        "visits/show.html", visit=visit, refusal=refusal, on=today(), window_days=window_days,
        withdraw_refusal=withdraw_refusal, withdraw_form=withdraw_form,
        attachment_form=attachment_form or AttachmentForm(formdata=None),
        attachments=attachment_files.for_visit(visit.id),
        far=_far_flag(visit, visit.company) if not current_user.is_officer else None,
    ), status_code


@bp.route("/<int:visit_id>")
@login_required
def show(visit_id: int):
    return _show(visit_service.get_visit_for(current_user, visit_id))


@bp.route("/<int:visit_id>/withdraw", methods=["POST"])
@login_required
def withdraw(visit_id: int):
    """撤回: the officer's own visit within the edit window (soft delete, audited)."""
    visit = visit_service.get_visit_for(current_user, visit_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _show(visit, withdraw_form=form, status_code=400)
    try:
        visit_service.withdraw_visit(current_user, visit, version=parse_int(form.version.data),
                                     window_days=_edit_window_days(), reason=form.reason.data)
    except Conflict as exc:
        flash(exc.message, "danger")
        return redirect(url_for("visits.show", visit_id=visit.id))
    except Forbidden as exc:
        flash(exc.message, "danger")
        return _show(visit, status_code=403)
    flash("已撤回该走访记录（不再计入走访统计）", "success")
    return redirect(url_for("companies.show", company_id=visit.company_id))


@bp.route("/<int:visit_id>/attachments", methods=["POST"])
@login_required
def visit_attachments(visit_id: int):
    """Add photos or PDFs to one's own visit within the edit window."""
    visit = visit_service.get_visit_for(current_user, visit_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        return _show(visit, attachment_form=form, status_code=400)
    uploads = [attachment_files.Upload(f.filename, f.read()) for f in form.files.data if getattr(f, "filename", "")]
    try:
        added = visit_service.add_attachments(current_user, visit, uploads, window_days=_edit_window_days())
    except ServiceError as exc:
        form.files.errors = list(form.files.errors) + [exc.message]
        return _show(visit, attachment_form=form, status_code=exc.status_code)
    flash(f"已上传 {len(added)} 个文件", "success")
    return redirect(url_for("visits.show", visit_id=visit.id))


@bp.route("/follow-ups/<int:follow_up_id>/attachments", methods=["POST"])
@login_required
def follow_up_attachments(follow_up_id: int):
    """Add photos or PDFs to a follow-up (诉求) the user may see."""
    follow_up = fu_service.get_follow_up_for(current_user, follow_up_id)
    form = AttachmentForm()
    target = url_for("visits.follow_up", follow_up_id=follow_up.id)
    if not form.validate_on_submit():
        flash("请选择要上传的文件", "danger")
        return redirect(target)
    uploads = [attachment_files.Upload(f.filename, f.read()) for f in form.files.data if getattr(f, "filename", "")]
    try:
        added = attachment_files.attach_to_follow_up(current_user, follow_up, uploads)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(target)
    flash(f"已上传 {len(added)} 个文件", "success")
    return redirect(target)


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    """An attachment's file, scoped like its visit; images inline, PDFs as a download."""
    item = attachment_files.get_attachment_for(current_user, attachment_id)
    path = attachment_files.file_path(item)
    response = send_file(path, mimetype=item.content_type, as_attachment=not item.is_image,
                         download_name=item.filename, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/attachments/<int:attachment_id>/thumbnail")
@login_required
def attachment_thumbnail(attachment_id: int):
    """A photo's small JPEG thumbnail (for the phone)."""
    item = attachment_files.get_attachment_for(current_user, attachment_id)
    response = send_file(attachment_files.file_path(item, thumbnail=True), mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/sw.js")
@login_required
def service_worker():
    """The visit pages' service worker, served from /visits/ so its scope covers the visit form."""
    response = send_from_directory(current_app.static_folder, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/visits/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/<int:visit_id>/edit", methods=["GET", "POST"])
@login_required
def edit(visit_id: int):
    visit = visit_service.get_visit_for(current_user, visit_id)
    window_days = _edit_window_days()
    refusal = visit_service.edit_refusal(current_user, visit, window_days=window_days)
    if refusal:
        if request.method == "POST":
            raise Forbidden(refusal)
        flash(refusal, "warning")
        return redirect(url_for("visits.show", visit_id=visit.id))
    form = VisitEditForm(obj=visit)
    conflict = None
    if request.method == "GET":
        form.version.data = visit.version
    if form.validate_on_submit():
        try:
            visit_service.edit_visit(current_user, visit, form.visit_data(), version=parse_int(form.version.data),
                                     window_days=window_days)
        except Conflict as exc:
            # Rolled back: `visit` now reloads what is stored; show it beside what was typed.
            conflict = {"message": exc.message, "rows": conflict_rows(form, visit, visit_service.EDITABLE_FIELDS)}
            form.version.data = visit.version  # saving again now is a deliberate overwrite
        except ServiceError as exc:
            _attach_visit_error(form, exc)
            _add_meaning_errors(form)
        else:
            flash("已保存修改", "success")
            return redirect(url_for("visits.show", visit_id=visit.id))
    elif request.method == "POST":
        _add_meaning_errors(form)
    return render_template("visits/edit.html", form=form, visit=visit, company=visit.company, conflict=conflict,
                           status=409 if conflict else 200), 409 if conflict else 200


# --- follow-ups -----------------------------------------------------------------------------------

@bp.route("/follow-ups")
@login_required
def follow_ups():
    form = FollowUpFilterForm(request.args)
    form.owner.choices = fu_service.owner_filter_choices(current_user)
    form.validate()
    status = form.status.data if form.status.data in dict(form.status.choices) else "active"
    due = form.due.data if form.due.data in dict(form.due.choices) else ""
    owner = form.owner.data if form.owner.data in dict(form.owner.choices) else ""
    filters = fu_service.FollowUpFilters(status=status or "active", owner=owner or "", due=due or "")
    page = fu_service.list_follow_ups(
        current_user, filters, today(), request.args.get("page", 1, type=int) or 1, current_app.config["PAGE_SIZE"],
    )
    return render_template("visits/follow_ups.html", form=form, page=page, filters=filters)


def _detail(follow_up, *, forms: dict | None = None, status_code: int = 200):
    forms = forms or {}
    version = follow_up.version
    owners = fu_service.owner_candidates(follow_up.company, current_user)

    def _with_version(form):
        form.version.data = version
        return form

    status_forms = {}
    for target in fu_rules.ALLOWED.get(follow_up.status, ()):
        status_forms[target] = forms.get(("status", target)) or _with_version(StatusForm(formdata=None))
        status_forms[target].to_status.data = target
    owner_form = forms.get("owner") or _with_version(OwnerForm(formdata=None))
    owner_form.owner_id.choices = [("", "请选择")] + [(str(u.id), u.name) for u in owners if u.id != follow_up.owner_id]
    on = today()
    chased_on = follow_up.chased_at and local(follow_up.chased_at).date()
    return render_template(
        "visits/follow_up.html", follow_up=follow_up, on=on,
        deadline_state=fu_rules.deadline_state(follow_up.status, follow_up.due_on, on),
        status_forms=status_forms,
        refer_form=forms.get("refer") or _with_version(ReferForm(formdata=None)),
        owner_form=owner_form,
        chase_form=_with_version(VersionForm(formdata=None)),
        can_chase=fu_rules.is_overdue(follow_up.status, follow_up.due_on, on),
        can_escalate=fu_rules.is_overdue(follow_up.status, follow_up.due_on, on) and follow_up.escalated_at is None,
        escalation_from=fu_rules.escalation_due_on(chased_on, calendar=current_calendar()) if chased_on else None,
    ), status_code


@bp.route("/follow-ups/<int:follow_up_id>")
@login_required
def follow_up(follow_up_id: int):
    return _detail(fu_service.get_follow_up_for(current_user, follow_up_id))


def _after_action(follow_up, action, form_key, form, success: str):
    """Run a service action; on refusal show the detail page again with the message under its field."""
    try:
        action()
    except Conflict as exc:
        flash(exc.message, "danger")
        return redirect(url_for("visits.follow_up", follow_up_id=follow_up.id))
    except ServiceError as exc:
        # The unit of work rolled back and expired the follow-up: the page shows it as stored.
        if form is not None and exc.field not in ("version", "csrf_token"):
            attach_service_error(form, exc)
        else:
            flash(exc.message, "danger")
        return _detail(follow_up, forms={form_key: form} if form is not None else None, status_code=400)
    flash(success, "success")
    return redirect(url_for("visits.follow_up", follow_up_id=follow_up.id))


# 开始办理 / 办结 / 销号 (with a note) and 交办 to a department are tracker/followups/views.py.


@bp.route("/follow-ups/<int:follow_up_id>/chase", methods=["POST"])
@login_required
def follow_up_chase(follow_up_id: int):
    follow_up = fu_service.get_follow_up_for(current_user, follow_up_id)
    form = VersionForm()
    if not form.validate_on_submit():
        return _detail(follow_up, status_code=400)
    return _after_action(
        follow_up, lambda: fu_service.chase(current_user, follow_up, version=parse_int(form.version.data)),
        None, None, "已催办",
    )


@bp.route("/follow-ups/<int:follow_up_id>/escalate", methods=["POST"])
@login_required
def follow_up_escalate(follow_up_id: int):
    follow_up = fu_service.get_follow_up_for(current_user, follow_up_id)
    form = VersionForm()
    if not form.validate_on_submit():
        return _detail(follow_up, status_code=400)
    return _after_action(
        follow_up, lambda: fu_service.escalate(current_user, follow_up, version=parse_int(form.version.data)),
        None, None, "已提请督办",
    )


@bp.route("/follow-ups/<int:follow_up_id>/owner", methods=["POST"])
@login_required
def follow_up_owner(follow_up_id: int):
    follow_up = fu_service.get_follow_up_for(current_user, follow_up_id)
    form = OwnerForm()
    form.owner_id.choices = []
    if not form.validate_on_submit():
        return _detail(follow_up, forms={"owner": form}, status_code=400)
    return _after_action(
        follow_up,
        lambda: fu_service.reassign(current_user, follow_up, parse_int(form.owner_id.data), version=parse_int(form.version.data)),
        "owner", form, "已更换承办人",
    )
