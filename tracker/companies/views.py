"""Company list, page, create, edit, delete and restore."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.clock import today
from tracker.companies.forms import CompanyForm, DeleteForm, ListFilterForm
from tracker.extensions import db
from tracker.models import Company
from tracker.rules.ladder import STAGE_NAMES
from tracker.services import companies as company_service
from tracker.services.company_queries import CompanyFilters, company_profile, list_companies
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.scoping import get_company_for

bp = Blueprint("companies", __name__, url_prefix="/companies")


def filters_from_request() -> tuple[ListFilterForm, CompanyFilters]:
    form = ListFilterForm(request.args)
    form.stage.choices = [("", "全部阶段")] + list(STAGE_NAMES.items())
    form.validate()
    filters = CompanyFilters(
        q=form.q.data or None,
        district=form.district.data or None if not form.district.errors else None,
        industry=form.industry.data or None if not form.industry.errors else None,
        stage=form.stage.data or None if not form.stage.errors else None,
        sort=request.args.get("sort", "name"),
        descending=request.args.get("dir") == "desc",
    )
    return form, filters


@bp.route("/")
@login_required
def index():
    form, filters = filters_from_request()
    page_number = request.args.get("page", 1, type=int) or 1
    page = list_companies(current_user, filters, today(), page_number, current_app_page_size())
    return render_template("companies/index.html", form=form, page=page, filters=filters)


def current_app_page_size() -> int:
    from flask import current_app

    return current_app.config["PAGE_SIZE"]


@bp.route("/<int:company_id>")
@login_required
def show(company_id: int):
    profile = company_profile(current_user, company_id, today())
    return render_template("companies/show.html", profile=profile, company=profile.company, delete_form=DeleteForm())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if current_user.is_officer:
        abort(403)
    form = CompanyForm()
    if request.method == "GET" and current_user.is_manager:
        form.district.data = current_user.district
    if form.validate_on_submit():
        try:
            company = company_service.create_company(
                current_user, form.data_for_service(), accept_bad_check=form.accept_bad_check.data,
            )
        except Forbidden:
            abort(403)
        except ServiceError as exc:
            _attach_error(form, exc)
        else:
            flash(f"已新增企业：{company.name}", "success")
            return redirect(url_for("companies.show", company_id=company.id))
    return render_template("companies/form.html", form=form, company=None)


@bp.route("/<int:company_id>/edit", methods=["GET", "POST"])
@login_required
def edit(company_id: int):
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
            company_service.update_company(
                current_user, company, form.data_for_service(), version=version,
                accept_bad_check=form.accept_bad_check.data,
            )
        except Forbidden as exc:
            flash(exc.message, "danger")
        except ServiceError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            flash("已保存", "success")
            return redirect(url_for("companies.show", company_id=company.id))
    return render_template("companies/form.html", form=form, company=company)


@bp.route("/<int:company_id>/delete", methods=["POST"])
@login_required
def delete(company_id: int):
    company = get_company_for(current_user, company_id, db.session)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        company_service.soft_delete_company(current_user, company, form.reason.data)
    except Forbidden:
        abort(403)
    flash(f"已删除企业：{company.name}（管理员可恢复）", "info")
    return redirect(url_for("companies.index"))


@bp.route("/deleted")
@login_required
def deleted():
    if not current_user.is_admin:
        abort(403)
    rows = db.session.scalars(
        select(Company).where(Company.deleted_at.is_not(None)).order_by(Company.deleted_at.desc()).limit(200)
    ).all()
    return render_template("companies/deleted.html", companies=rows, form=DeleteForm())


@bp.route("/<int:company_id>/restore", methods=["POST"])
@login_required
def restore(company_id: int):
    if not current_user.is_admin:
        abort(403)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    company = db.get_or_404(Company, company_id)
    try:
        company_service.restore_company(current_user, company)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("companies.deleted"))
    flash(f"已恢复企业：{company.name}", "success")
    return redirect(url_for("companies.show", company_id=company.id))


def _attach_error(form: CompanyForm, exc: ServiceError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        flash(exc.message, "danger")
