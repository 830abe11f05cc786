"""招引项目: list, record, edit, weekly follow-up notes, status moves, settle, weekly view, funnel,
export, and the channels an administrator maintains.

Views stay thin: forms check shape; tracker.services.attractions decides who may do what (an
officer works the projects they lead; a manager their district's; an administrator all).
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from tracker.attractions.forms import (
    ChannelEditForm, ChannelForm, DeleteForm, FilterForm, MoveForm, NoteForm, PeriodForm, ProjectForm, SettleForm,
)
from tracker.clock import today
from tracker.main.template_helpers import add_company_section
from tracker.rules import attraction as rules
from tracker.rules.districts import DISTRICT_CODES
from tracker.services.attractions import channels as channel_service
from tracker.services.attractions import projects
from tracker.services.attractions.export import export_xlsx
from tracker.services.attractions.progress import funnel as build_funnel
from tracker.services.errors import Conflict, NotFound, ServiceError
from tracker.services.exports import XLSX_MIMETYPE
from tracker.web.access import roles_required
from tracker.web.errors import attach_service_error
from tracker.web.forms import district_choices
from tracker.web.once import create_once

bp = Blueprint("attractions", __name__, url_prefix="/attractions")


def _company_section(user, company):
    """Card on the company page: the attraction projects that settled into this company (scoped)."""
    items = projects.projects_of_company(user, company.id)
    if not items:
        return ""
    return Markup(render_template("attractions/_company_section.html", projects=items, company=company,
                                  names=channel_service.channel_names(), status_names=rules.STATUS_NAMES))


@bp.record_once
def _register_company_hooks(state):
    add_company_section(state.app, _company_section)


def _project_or_404(project_id: int):
    try:
        return projects.get_project(current_user, project_id)
    except NotFound:
        abort(404)


def _channel_choices(current: str | None = None, blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(c.code, c.name) for c in channel_service.all_channels() if c.active or c.code == current]
    return ([("", blank)] if blank is not None else []) + choices


def _officer_choices(district: str | None) -> list[tuple[int | None, str]]:
    people = projects.lead_officer_choices(current_user, district)
    return [(None, "（未指定）")] + [(u.id, f"{u.name}（{u.role_name}）") for u in people]


# --- list and export ---------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    """The projects the user may see, filtered by channel, status, district, not followed up this week."""
    form = FilterForm(request.args)
    form.channel.choices = _channel_choices(blank="全部渠道")
    form.district.choices = district_choices(current_user, "全部辖区")
    form.validate()
    filters = projects.ProjectFilters(
        channel=(form.channel.data or None) if not form.channel.errors else None,
        status=(form.status.data or None) if not form.status.errors else None,
        district=(form.district.data or None) if not form.district.errors else None,
        stalled=bool(form.stalled.data), q=(form.q.data or None) if not form.q.errors else None,
    )
    page = projects.list_projects(current_user, filters, request.args.get("page", 1, type=int) or 1,
                                  current_app.config["PAGE_SIZE"])
    return render_template("attractions/index.html", form=form, page=page, names=channel_service.channel_names(),
                           status_names=rules.STATUS_NAMES)


@bp.route("/export.xlsx")
@login_required
def export():
    """The projects the user may see, in the import layout."""
    return send_file(BytesIO(export_xlsx(current_user)), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"招引项目_{today().isoformat()}.xlsx")


# --- create / show / edit ----------------------------------------------------------------------

def _prepare(form: ProjectForm, project=None) -> None:
    form.channel.choices = _channel_choices(project.channel if project else None, blank="请选择")
    form.district.choices = district_choices(current_user, "请选择" if current_user.is_admin else None)
    if not form.district.data and not current_user.is_admin:
        form.district.data = current_user.district
    form.lead_officer_id.choices = _officer_choices(form.district.data or (project.district if project else None))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Record a new project (线索)."""
    form = ProjectForm()
    if request.method == "GET":
        form.lead_on.data = today()
    _prepare(form)
    if form.validate_on_submit():
        try:
            project = create_once(current_user, form, lambda: projects.create_project(current_user, form.data_for_service()),
                                  lambda p: url_for("attractions.show", project_id=p.id))
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash("已登记招引项目", "success")
            return redirect(url_for("attractions.show", project_id=project.id))
    return render_template("attractions/form.html", form=form, project=None,
                           sources=rules.SOURCE_SUGGESTIONS), 400 if request.method == "POST" else 200


@bp.route("/<int:project_id>")
@login_required
def show(project_id: int):
    """A project: its record, steps, weekly notes, and the forms to move, note and settle it."""
    project = _project_or_404(project_id)
    note_form = NoteForm(formdata=None, noted_on=today())
    move_form = MoveForm(formdata=None, on=today(), version=project.version)
    settle_form = SettleForm(formdata=None, settled_on=today(), version=project.version)
    return _render_show(project, note_form, move_form, settle_form)


def _render_show(project, note_form, move_form, settle_form, status: int = 200):
    move_form.status.choices = [(s, rules.STATUS_NAMES[s]) for s in rules.allowed_moves(project.status)]
    notes = projects.notes_of(project)
    last_on = notes[0].noted_on if notes else None
    return render_template(
        "attractions/show.html", project=project, notes=notes, note_form=note_form, move_form=move_form,
        settle_form=settle_form, delete_form=DeleteForm(formdata=None), names=channel_service.channel_names(),
        status_names=rules.STATUS_NAMES, may_manage=projects.may_manage(current_user, project),
        stalled=rules.needs_follow_up(project.status, last_on, today()), week_start=rules.week_start(today()),
    ), status


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int):
    """Edit a project's record (its version guards against a concurrent save)."""
    project = _project_or_404(project_id)
    form = ProjectForm(obj=project) if request.method == "GET" else ProjectForm()
    if request.method == "GET":
        form.version.data = project.version
    _prepare(form, project)
    if form.validate_on_submit():
        try:
            projects.update_project(current_user, project, form.data_for_service(), version=form.version_number)
        except Conflict as exc:
            flash(exc.message, "danger")
            return render_template("attractions/form.html", form=form, project=project,
                                   sources=rules.SOURCE_SUGGESTIONS), 409
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash("已保存", "success")
            return redirect(url_for("attractions.show", project_id=project.id))
    return render_template("attractions/form.html", form=form, project=project,
                           sources=rules.SOURCE_SUGGESTIONS), 400 if request.method == "POST" else 200


# --- actions -----------------------------------------------------------------------------------

@bp.route("/<int:project_id>/notes", methods=["POST"])
@login_required
def add_note(project_id: int):
    """Record a weekly follow-up note."""
    project = _project_or_404(project_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            create_once(current_user, form, lambda: projects.add_note(current_user, project, {
                "noted_on": form.noted_on.data, "content": form.content.data, "next_step": form.next_step.data,
            }), lambda _note: url_for("attractions.show", project_id=project.id))
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash("已记录本周跟进", "success")
            return redirect(url_for("attractions.show", project_id=project.id))
    return _render_show(project, form, MoveForm(formdata=None, on=today(), version=project.version),
                        SettleForm(formdata=None, settled_on=today(), version=project.version), 400)


@bp.route("/<int:project_id>/move", methods=["POST"])
@login_required
def move(project_id: int):
    """Move to 在谈, 签约 or 终止."""
    project = _project_or_404(project_id)
    form = MoveForm()
    form.status.choices = [(s, rules.STATUS_NAMES[s]) for s in rules.STATUSES]
    if form.validate_on_submit():
        try:
            projects.move_project(current_user, project, form.status.data, form.on.data,
                                  reason=form.reason.data, version=form.version_number)
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash(f"项目状态已变更为“{rules.STATUS_NAMES[form.status.data]}”", "success")
            return redirect(url_for("attractions.show", project_id=project.id))
    return _render_show(project, NoteForm(formdata=None, noted_on=today()), form,
                        SettleForm(formdata=None, settled_on=today(), version=project.version), 400)


@bp.route("/<int:project_id>/settle", methods=["POST"])
@login_required
def settle(project_id: int):
    """落户: link the project to its company (matched by credit code, else created)."""
    project = _project_or_404(project_id)
    if not projects.may_manage(current_user, project):
        abort(403)
    form = SettleForm()
    if form.validate_on_submit():
        try:
            company = projects.settle_project(current_user, project, {
                "uscc": form.uscc.data, "company_name": form.company_name.data, "settled_on": form.settled_on.data,
                "actual_capital": form.actual_capital.data}, version=form.version_number)
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash(f"项目已落户：{company.name}", "success")
            return redirect(url_for("attractions.show", project_id=project.id))
    return _render_show(project, NoteForm(formdata=None, noted_on=today()),
                        MoveForm(formdata=None, on=today(), version=project.version), form, 400)


@bp.route("/<int:project_id>/delete", methods=["POST"])
@login_required
def delete(project_id: int):
    """Soft delete (managers of the district, administrators)."""
    project = _project_or_404(project_id)
    if not projects.may_manage(current_user, project):
        abort(403)
    form = DeleteForm()
    if not form.validate_on_submit():
        flash("请求无效或页面已过期，请重试", "danger")
        return redirect(url_for("attractions.show", project_id=project.id))
    projects.delete_project(current_user, project, form.reason.data)
    flash("已删除招引项目", "success")
    return redirect(url_for("attractions.index"))


# --- weekly view and funnel --------------------------------------------------------------------

def _period(form: PeriodForm):
    form.district.choices = district_choices(current_user, "全部辖区")
    form.validate()
    day = form.day.data if form.day.data and not form.day.errors else today()
    district = form.district.data or None
    if not current_user.is_admin or district not in DISTRICT_CODES:
        district = None
    return day, district


@bp.route("/weekly")
@login_required
def weekly():
    """周跟进: open projects by district, flagged where no note was written this ISO week."""
    form = PeriodForm(request.args)
    day, district = _period(form)
    view = projects.weekly_view(current_user, day, district)
    form.day.data = day
    return render_template("attractions/weekly.html", form=form, view=view, names=channel_service.channel_names(),
                           status_names=rules.STATUS_NAMES)


@bp.route("/funnel")
@login_required
def funnel():
    """招引漏斗: by channel, lead → 在谈 → 签约 → 落户 with the conversion, this year beside last."""
    form = PeriodForm(request.args)
    day, district = _period(form)
    year = form.year.data if form.year.data and not form.year.errors else day.year
    as_of = day if day.year == year else min(today(), dt.date(year, 12, 31))
    data = build_funnel(current_user, year, as_of, district)
    form.year.data, form.day.data = year, data.as_of
    return render_template("attractions/funnel.html", form=form, data=data, district=district)


# --- channels (administrators) -----------------------------------------------------------------

@bp.route("/channels", methods=["GET", "POST"])
@roles_required("admin")
def channels():
    """The channels: add one, see how many projects and companies use each."""
    form = ChannelForm()
    if form.validate_on_submit():
        try:
            channel_service.add_channel(current_user, {"code": form.code.data, "name": form.name.data,
                                                       "sort": form.sort.data})
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash("已新增招引渠道", "success")
            return redirect(url_for("attractions.channels"))
    edit_forms = {c.code: ChannelEditForm(formdata=None, name=c.name, sort=c.sort, active=c.active)
                  for c in channel_service.all_channels()}
    return render_template("attractions/channels.html", form=form, channels=channel_service.all_channels(),
                           usage=channel_service.usage_counts(), edit_forms=edit_forms), \
        400 if request.method == "POST" else 200


@bp.route("/channels/<channel_code>", methods=["POST"])
@roles_required("admin")
def channel_edit(channel_code: str):
    """Rename, reorder, retire or reactivate one channel."""
    form = ChannelEditForm()
    if not form.validate_on_submit():
        flash(next(iter(e for errors in form.errors.values() for e in errors), "请求无效"), "danger")
        return redirect(url_for("attractions.channels"))
    try:
        channel_service.update_channel(current_user, channel_code, {
            "name": form.name.data, "sort": form.sort.data, "active": form.active.data})
    except NotFound:
        abort(404)
    except ServiceError as exc:
        flash(exc.message, "danger")
    else:
        flash("已保存招引渠道", "success")
    return redirect(url_for("attractions.channels"))
