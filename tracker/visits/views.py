"""Visits (走访) and follow-ups (诉求办理): thin views, form → service → redirect."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from tracker.clock import local, today
from tracker.extensions import db
from tracker.main.template_helpers import add_company_action, add_company_section
from tracker.models.visit import FOLLOW_UP_CATEGORIES, SATISFACTION, VISIT_KINDS
from tracker.rules import follow_ups as fu_rules
from tracker.services.calendar.notices import current_calendar, deadline_hint
from tracker.services.errors import Conflict, Forbidden, ServiceError
from tracker.services.scoping import get_company_for
from tracker.services.visits import follow_ups as fu_service
from tracker.services.visits import records as visit_service
from tracker.web.errors import attach_service_error
from tracker.visits.forms import (
    FollowUpFilterForm, OwnerForm, ReferForm, StatusForm, VersionForm, VisitEditForm, VisitForm, parse_int,
)

bp = Blueprint("visits", __name__, url_prefix="/visits")

LABELS = {
    "VISIT_KINDS": VISIT_KINDS, "FOLLOW_UP_CATEGORIES": FOLLOW_UP_CATEGORIES, "SATISFACTION": SATISFACTION,
    "FU_STATUS_NAMES": fu_rules.STATUS_NAMES, "DEADLINE_NAMES": fu_rules.DEADLINE_NAMES,
}


@bp.context_processor
def _labels():
    return LABELS


def _company_actions(user, company) -> list[dict]:
    return [{"url": url_for("visits.new", company_id=company.id), "label": "记录走访", "css": "btn-primary"}]


def _company_section(user, company):
    visits = visit_service.recent_for_company(user, company.id)
    open_follow_ups = fu_service.open_for_company(user, company.id)
    return Markup(render_template(
        "visits/_company_section.html", company=company, visits=visits, follow_ups=open_follow_ups, on=today(),
        deadline_state=fu_rules.deadline_state, **LABELS,
    ))


@bp.record_once
def _register_company_hooks(state):
    add_company_action(state.app, _company_actions)
    add_company_section(state.app, _company_section)


# --- visits ---------------------------------------------------------------------------------------

def _attach_visit_error(form, exc: ServiceError) -> None:
    """Show a service error under its field; a follow-up row's field is named follow_ups-<n>-<field>."""
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
        try:
            visit = visit_service.log_visit(current_user, company.id, form.visit_data(), rows)
        except ServiceError as exc:
            _attach_visit_error(form, exc)
        else:
            flash(f"已记录走访{'，并登记诉求 %d 条' % len(rows) if rows else ''}", "success")
            if request.args.get("back") == "work":
                return redirect(url_for("work.my_work"))
            return redirect(url_for("visits.show", visit_id=visit.id))
    elif request.method == "POST":
        flash("请检查标红的内容", "danger")
    example = deadline_hint(today(), 5)
    return render_template(
        "visits/form.html", form=form, company=company, visit=None, back_url=_back_url(company.id), example_due=example,
    )


@bp.route("/<int:visit_id>")
@login_required
def show(visit_id: int):
    visit = visit_service.get_visit_for(current_user, visit_id)
    window_days = _edit_window_days()
    refusal = visit_service.edit_refusal(current_user, visit, window_days=window_days)
    return render_template("visits/show.html", visit=visit, refusal=refusal, on=today(), window_days=window_days)


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
    if request.method == "GET":
        form.version.data = visit.version
    if form.validate_on_submit():
        try:
            visit_service.edit_visit(current_user, visit, form.visit_data(), version=parse_int(form.version.data),
                                     window_days=window_days)
        except Conflict as exc:
            flash(exc.message, "danger")
        except ServiceError as exc:
            _attach_visit_error(form, exc)
        else:
            flash("已保存修改", "success")
            return redirect(url_for("visits.show", visit_id=visit.id))
    return render_template("visits/edit.html", form=form, visit=visit, company=visit.company)


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


@bp.route("/follow-ups/<int:follow_up_id>/status", methods=["POST"])
@login_required
def follow_up_status(follow_up_id: int):
    follow_up = fu_service.get_follow_up_for(current_user, follow_up_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash("请求无效，请刷新页面后重试", "danger")
        return _detail(follow_up, status_code=400)
    target = form.to_status.data
    names = {fu_rules.IN_PROGRESS: "已更新为办理中", fu_rules.RESOLVED: "已办结", fu_rules.CLOSED: "已销号"}
    return _after_action(
        follow_up,
        lambda: fu_service.move_status(
            current_user, follow_up, target, version=parse_int(form.version.data),
            resolution=form.resolution.data, satisfaction=form.satisfaction.data,
        ),
        ("status", target), form, names.get(target, "已更新"),
    )


@bp.route("/follow-ups/<int:follow_up_id>/refer", methods=["POST"])
@login_required
def follow_up_refer(follow_up_id: int):
    follow_up = fu_service.get_follow_up_for(current_user, follow_up_id)
    form = ReferForm()
    if not form.validate_on_submit():
        return _detail(follow_up, forms={"refer": form}, status_code=400)

    def _refer():
        fu_service.refer(
            current_user, follow_up, version=parse_int(form.version.data), unit=form.unit.data,
            contact=form.contact.data, deadline=form.deadline.data, deadline_workdays=form.deadline_workdays.data,
        )

    return _after_action(follow_up, _refer, "refer", form, "已交办")


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
