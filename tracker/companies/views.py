"""Company list, page, create, edit, delete and restore."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.clock import today
from tracker.companies.forms import LIST_ARGS, CompanyForm, DeleteForm, ListFilterForm, list_filters
from tracker.cultivation.forms import AddTracksForm, AssignForm
from tracker.extensions import db
from tracker.models import Company
from tracker.services.assignments.assign import assignable_officers
from tracker.services.companies import records
from tracker.services.companies.export import export_companies
from tracker.services.companies.queries import CompanyFilters, company_profile, deleted_companies, list_companies
from tracker.services.errors import Conflict, Forbidden, ServiceError
from tracker.services.exports import CSV_MIMETYPE, XLSX_MIMETYPE, content_disposition
from tracker.services.scoping import get_company_for
from tracker.web.access import managers_required, roles_required
from tracker.web.errors import attach_service_error, conflict_rows
from tracker.web.forms import ConfirmForm
from tracker.web.once import create_once

bp = Blueprint("companies", __name__, url_prefix="/companies")


def filters_from_request() -> tuple[ListFilterForm, CompanyFilters]:
    """The list's filters from the query string (the same reader serves export and bulk actions)."""
    return list_filters(request.args)


@bp.route("/")
@login_required
def index():
    """The filtered, scoped, paginated company list with its bulk actions."""
    form, filters = filters_from_request()
    page_number = form.page.data if form.page.data and not form.page.errors else 1
    page = list_companies(current_user, filters, today(), page_number, current_app.config["PAGE_SIZE"])
    can_manage = not current_user.is_officer
    # Known filter arguments only: they are passed on to the export links as keyword arguments.
    list_args = {k: v for k, v in request.args.items() if k in LIST_ARGS and k != "page" and v != ""}
    return render_template(
        "companies/index.html", form=form, page=page, filters=filters, can_manage=can_manage,
        officers=assignable_officers(current_user) if can_manage else [],
        track_form=AddTracksForm(formdata=None, target_rung="hnte", year=today().year + 1) if can_manage else None,
        assign_form=AssignForm(formdata=None) if can_manage else None,
        query_string=request.query_string.decode(), list_args=list_args,
    )


@bp.route("/export")
@login_required
def export():
    """The list exactly as filtered and scoped, as CSV (default; readable by every tool) or xlsx, with safe cells."""
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    _, filters = filters_from_request()
    data, _count = export_companies(current_user, filters, today(), fmt)
    filename = f"companies-{today().isoformat()}.{fmt}"
    return Response(data, mimetype=CSV_MIMETYPE if fmt == "csv" else XLSX_MIMETYPE,
                    headers={"Content-Disposition": content_disposition(f"企业名单-{today().isoformat()}.{fmt}", filename),
                             "Cache-Control": "no-store"})


@bp.route("/<int:company_id>")
@login_required
def show(company_id: int):
    """One company's page: stage, timeline, designations, officers and the features' sections."""
    profile = company_profile(current_user, company_id, today())
    return render_template("companies/show.html", profile=profile, company=profile.company, delete_form=DeleteForm())


@bp.route("/new", methods=["GET", "POST"])
@managers_required
def create():
    """Register a company (企业入库); service officers may not."""
    form = CompanyForm()
    if request.method == "GET" and current_user.is_manager:
        form.district.data = current_user.district
    if form.validate_on_submit():
        try:
            company = create_once(current_user, form, lambda: records.create_company(
                current_user, form.data_for_service(), accept_bad_check=form.accept_bad_check.data,
            ), lambda c: url_for("companies.show", company_id=c.id))
        except Forbidden:
            abort(403)
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash(f"已新增企业：{company.name}", "success")
            return redirect(url_for("companies.show", company_id=company.id))
    return render_template("companies/form.html", form=form, company=None)


@bp.route("/<int:company_id>/edit", methods=["GET", "POST"])
@login_required
def edit(company_id: int):
    """Edit a company's record, carrying the version loaded so a concurrent save is a conflict."""
    company = get_company_for(current_user, company_id, db.session)
    form = CompanyForm(obj=company)
    if request.method == "GET":
        form.version.data = company.version
    if form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = 0
        try:
            records.update_company(
                current_user, company, form.data_for_service(), version=version,
                accept_bad_check=form.accept_bad_check.data,
            )
        except Forbidden as exc:
            flash(exc.message, "danger")
        except Conflict as exc:
            # Rolled back: `company` reloads what is stored; show it beside what was typed.
            conflict = {"message": exc.message, "rows": conflict_rows(form, company, records.EDITABLE_FIELDS)}
            form.version.data = company.version  # saving again now is a deliberate overwrite
            return render_template("companies/form.html", form=form, company=company, conflict=conflict), 409
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash("已保存", "success")
            return redirect(url_for("companies.show", company_id=company.id))
    return render_template("companies/form.html", form=form, company=company)


@bp.route("/<int:company_id>/delete", methods=["POST"])
@login_required
def delete(company_id: int):
    """Soft-delete a company (an administrator can restore it)."""
    company = get_company_for(current_user, company_id, db.session)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        records.soft_delete_company(current_user, company, form.reason.data)
    except Forbidden:
        abort(403)
    flash(f"已删除企业：{company.name}（管理员可恢复）", "info")
    return redirect(url_for("companies.index"))


@bp.route("/deleted")
@roles_required("admin")
def deleted():
    """Soft-deleted companies, newest first, each with a restore button (administrators only)."""
    return render_template("companies/deleted.html", companies=deleted_companies(), form=ConfirmForm())


@bp.route("/<int:company_id>/restore", methods=["POST"])
@roles_required("admin")
def restore(company_id: int):
    """Bring a soft-deleted company back (administrators only)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    company = db.get_or_404(Company, company_id)
    try:
        records.restore_company(current_user, company)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("companies.deleted"))
    flash(f"已恢复企业：{company.name}", "success")
    return redirect(url_for("companies.show", company_id=company.id))

