"""Key-company accompaniment (重点企业陪伴计划): the year's list with the quarter review, list entries,
diagnosis records (把脉) raising follow-ups, and a company's year of accompaniment.
Thin views: form → tracker.services.accompaniment → redirect."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from tracker.accompaniment.forms import KeyCompanyForm, KeyListFilterForm, RecordForm
from tracker.clock import today
from tracker.extensions import db
from tracker.main.template_helpers import add_company_section
from tracker.models.visit import FOLLOW_UP_CATEGORIES
from tracker.rules import accompaniment as rules
from tracker.rules import follow_ups as fu_rules
from tracker.rules.ladder import RANK_STAGE
from tracker.services.accompaniment import keylist
from tracker.services.accompaniment import records as record_service
from tracker.services.calendar.notices import deadline_hint
from tracker.services.errors import Conflict, Forbidden, ServiceError
from tracker.services.scoping import get_company_for
from tracker.services.visits import follow_ups as fu_service
from tracker.services.visits.records import FollowUpInput
from tracker.web.errors import attach_service_error
from tracker.web.forms import ConfirmForm, district_choices
from tracker.web.once import create_once

bp = Blueprint("accompaniment", __name__, url_prefix="/accompaniment")

LABELS = {
    "RESOURCES": rules.RESOURCES, "FOLLOW_UP_CATEGORIES": FOLLOW_UP_CATEGORIES, "FU_STATUS_NAMES": fu_rules.STATUS_NAMES,
    "resource_names": rules.resource_names, "RANK_STAGE": RANK_STAGE,
}


@bp.context_processor
def _labels():
    return LABELS


def _company_section(user, company):
    year = today().year
    entry = keylist.entry_for(user, company.id, year)
    if entry is None and not keylist.may_manage(user, company):
        return ""
    data = record_service.company_year(user, company.id, year) if entry else None
    return Markup(render_template(
        "accompaniment/_company_section.html", company=company, entry=entry, year=year,
        records=(data.records[:3] if data else []), count=(len(data.records) if data else 0),
        quarter=rules.quarter_name(today()), quarter_range=rules.quarter_of(today()),
    ))


@bp.record_once
def _register_company_hooks(state):
    add_company_section(state.app, _company_section)


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _year_arg() -> int:
    """The ?year= of a page, this year when absent or not a plausible year."""
    year = _int_arg("year")
    return year if year is not None and 2000 <= year <= 2100 else today().year


def _version(form) -> int | None:
    return int(form.version.data) if (form.version.data or "").isdigit() else None


# --- the list -----------------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    """The year's key companies with this quarter's diagnosis status (managers: their district)."""
    form = KeyListFilterForm(request.args)
    form.district.choices = district_choices(current_user, "全部辖区")
    form.validate()
    year = form.year.data if form.year.data and not form.year.errors else today().year
    filters = keylist.KeyListFilters(
        year=year,
        district=(form.district.data or None) if current_user.is_admin and not form.district.errors else None,
        q=(form.q.data or None) if not form.q.errors else None,
        missing_quarter=bool(form.missing.data),
    )
    page = keylist.list_key_companies(current_user, filters, request.args.get("page", 1, type=int) or 1,
                                      current_app.config["PAGE_SIZE"])
    total, missing = keylist.count_missing_quarter(current_user, year, district=filters.district)
    day = keylist.review_quarter(filters, today())
    return render_template(
        "accompaniment/index.html", form=form, filters=filters, page=page, total=total, missing=missing,
        quarter=rules.quarter_name(day), may_manage=keylist.may_manage(current_user),
    )


# --- list entries ---------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Put a company on a year's list: pick the company (search or the plan's suggestions), then the form."""
    if not keylist.may_manage(current_user):
        abort(403)
    year = _year_arg()
    company_id = _int_arg("company_id")
    if company_id is None:
        q = (request.args.get("q") or "").strip()[:100]
        return render_template(
            "accompaniment/pick.html", year=year, q=q,
            found=keylist.find_companies(current_user, q) if q else [],
            suggested=keylist.suggested_companies(current_user, year),
        )
    company = get_company_for(current_user, company_id, db.session)
    if not keylist.may_manage(current_user, company):
        abort(403)
    form = KeyCompanyForm()
    people = keylist.responsible_candidates(company)
    form.responsible_id.choices = [("", "请选择")] + [(str(u.id), f"{u.name}（{'服务专员' if u.is_officer else '辖区管理员'}）") for u in people]
    if request.method == "GET":
        form.year.data = year
        officers = [u for u in people if u.is_officer]
        form.responsible_id.data = str(officers[0].id) if officers else ""
    if form.validate_on_submit():
        try:
            create_once(current_user, form,
                        lambda: keylist.add_key_company(current_user, company.id, form.year.data, form.service_data()),
                        lambda e: url_for("accompaniment.company", company_id=e.company_id, year=e.year))
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash(f"已将 {company.name} 列入 {form.year.data} 年重点陪伴企业", "success")
            return redirect(url_for("accompaniment.index", year=form.year.data))
    elif request.method == "POST":
        flash("请检查标红的内容", "danger")
    return render_template("accompaniment/key_form.html", form=form, company=company, entry=None,
                           back_url=url_for("accompaniment.index", year=year))


def _entry_or_404(key_id: int):
    return keylist.get_key_company_for(current_user, key_id)


@bp.route("/<int:key_id>/edit", methods=["GET", "POST"])
@login_required
def edit(key_id: int):
    entry = _entry_or_404(key_id)
    if not keylist.may_manage(current_user, entry.company):
        abort(403)
    form = KeyCompanyForm(obj=entry if request.method == "GET" else None)
    people = keylist.responsible_candidates(entry.company)
    if all(u.id != entry.responsible_id for u in people) and entry.responsible is not None:
        people.insert(0, entry.responsible)
    form.responsible_id.choices = [(str(u.id), u.name) for u in people]
    if request.method == "GET":
        form.responsible_id.data = str(entry.responsible_id)
        form.version.data = str(entry.version)
    form.year.data = entry.year
    if form.validate_on_submit():
        try:
            keylist.update_key_company(current_user, entry, form.service_data(), version=_version(form))
        except Conflict as exc:
            flash(exc.message, "danger")
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash("已保存", "success")
            return redirect(url_for("accompaniment.company", company_id=entry.company_id, year=entry.year))
    return render_template("accompaniment/key_form.html", form=form, company=entry.company, entry=entry,
                           back_url=url_for("accompaniment.company", company_id=entry.company_id, year=entry.year))


@bp.route("/<int:key_id>/delete", methods=["POST"])
@login_required
def delete(key_id: int):
    entry = _entry_or_404(key_id)
    if not keylist.may_manage(current_user, entry.company):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    keylist.remove_key_company(current_user, entry)
    flash(f"已将 {entry.company.name} 移出 {entry.year} 年重点陪伴企业名单", "success")
    return redirect(url_for("accompaniment.index", year=entry.year))


# --- diagnosis records ------------------------------------------------------------------------------

def _attach(form, exc: ServiceError) -> None:
    """A follow-up row's error is named follow_ups-<n>-<field>."""
    if exc.field and exc.field.startswith("follow_ups-"):
        _, index, name = exc.field.split("-", 2)
        if index.isdigit() and int(index) < len(form.follow_ups):
            attach_service_error(form.follow_ups[int(index)].form, ServiceError(exc.message, field=name))
            return
    attach_service_error(form, exc)


def _link_choices(form, company_id: int, extra=()) -> None:
    items = {f.id: f for f in record_service.linkable_follow_ups(current_user, company_id)}
    for f in extra:
        items.setdefault(f.id, f)
    form.link_follow_up_ids.choices = [
        (f.id, f"{FOLLOW_UP_CATEGORIES.get(f.category, '其他')}：{f.description[:40]}（{fu_rules.STATUS_NAMES.get(f.status, '')}）")
        for f in sorted(items.values(), key=lambda f: -f.id)
    ]


@bp.route("/<int:key_id>/records/new", methods=["GET", "POST"])
@login_required
def record_new(key_id: int):
    entry = _entry_or_404(key_id)
    company = entry.company
    form = RecordForm()
    if request.method == "GET":
        form.held_on.data = today() if today().year == entry.year else None
    owners = fu_service.owner_candidates(company, current_user)
    form.set_owner_choices([(str(u.id), u.name) for u in owners], str(current_user.id))
    _link_choices(form, company.id)
    if form.validate_on_submit():
        rows = [
            FollowUpInput(index=i, description=row.description.data or "", category=row.category.data or "",
                          owner_id=int(row.owner_id.data) if (row.owner_id.data or "").isdigit() else None,
                          due_on=row.due_on.data, due_workdays=row.due_workdays.data)
            for i, row in form.filled_rows()
        ]
        try:
            create_once(current_user, form, lambda: record_service.log_record(
                current_user, entry, form.record_data(), rows, link_follow_up_ids=form.link_follow_up_ids.data or [],
            ), lambda _record: url_for("accompaniment.company", company_id=company.id, year=entry.year))
        except ServiceError as exc:
            _attach(form, exc)
        else:
            raised = f"，并登记诉求 {len(rows)} 条" if rows else ""
            flash(f"已记录把脉{raised}", "success")
            return redirect(url_for("accompaniment.company", company_id=company.id, year=entry.year))
    elif request.method == "POST":
        flash("请检查标红的内容", "danger")
    return render_template("accompaniment/record_form.html", form=form, company=company, entry=entry, record=None,
                           example_due=deadline_hint(today(), 5),
                           back_url=url_for("accompaniment.company", company_id=company.id, year=entry.year))


@bp.route("/records/<int:accompaniment_id>/edit", methods=["GET", "POST"])
@login_required
def record_edit(accompaniment_id: int):
    record = record_service.get_record_for(current_user, accompaniment_id)
    if not record_service.may_change(current_user, record):
        abort(403)
    entry = record.key_company
    form = RecordForm(obj=record if request.method == "GET" else None)
    if request.method == "GET":
        form.resources.data = rules.split_resources(record.resources)
        form.link_follow_up_ids.data = [f.id for f in record.follow_ups]
        form.version.data = str(record.version)
    _link_choices(form, record.company_id, record.follow_ups)
    back = url_for("accompaniment.company", company_id=record.company_id, year=entry.year)
    if form.validate_on_submit():
        try:
            record_service.edit_record(current_user, record, form.record_data(), version=_version(form),
                                       link_follow_up_ids=form.link_follow_up_ids.data or [])
        except Conflict as exc:
            flash(exc.message, "danger")
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash("已保存", "success")
            return redirect(back)
    return render_template("accompaniment/record_form.html", form=form, company=record.company, entry=entry,
                           record=record, example_due=None, back_url=back)


@bp.route("/records/<int:accompaniment_id>/delete", methods=["POST"])
@login_required
def record_delete(accompaniment_id: int):
    record = record_service.get_record_for(current_user, accompaniment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        record_service.delete_record(current_user, record)
    except Forbidden:
        abort(403)
    flash("已删除该陪伴记录（其中登记的诉求保留）", "success")
    return redirect(url_for("accompaniment.company", company_id=record.company_id, year=record.key_company.year))


# --- a company's year --------------------------------------------------------------------------------

@bp.route("/companies/<int:company_id>")
@login_required
def company(company_id: int):
    """A company's accompaniment in a year: the list entry, every diagnosis with its follow-ups."""
    year = _year_arg()
    data = record_service.company_year(current_user, company_id, year)
    return render_template(
        "accompaniment/company.html", data=data, delete_form=ConfirmForm(),
        may_manage=keylist.may_manage(current_user, data.company),
        may_change=lambda r: record_service.may_change(current_user, r),
        quarter_range=rules.quarter_of(today()),
    )
