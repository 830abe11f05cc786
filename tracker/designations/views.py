"""Granting and revoking designations (资质认定 / 撤销) from the company page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from tracker.clock import today
from tracker.designations.forms import GrantForm, RevokeForm
from tracker.extensions import db
from tracker.main.template_helpers import add_company_action, add_company_section
from tracker.services.designations import grants
from tracker.services.designations.queries import designation_of, unrevoked_designations
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.scoping import get_company_for
from tracker.web.errors import attach_service_error
from tracker.web.once import create_once

bp = Blueprint("designations", __name__, url_prefix="/companies")

OFFICER_REFUSAL = "资质由辖区管理员或市级管理员录入和撤销，服务专员请联系辖区管理员"


def may_manage(user, company) -> bool:
    """Designations are official records: administrators, and managers of the company's district."""
    return user.is_admin or (user.is_manager and user.district == company.district)


def _company_actions(user, company) -> list[dict]:
    if not may_manage(user, company):
        return []
    return [{"url": url_for("designations.new", company_id=company.id), "label": "新增资质", "css": "btn-outline-success"}]


def _company_section(user, company):
    if not may_manage(user, company):
        return ""
    rows = unrevoked_designations(company.id)
    if not rows:
        return ""
    return Markup(render_template("designations/_company_section.html", company=company, designations=rows))


@bp.record_once
def _register_company_hooks(state):
    add_company_action(state.app, _company_actions)
    add_company_section(state.app, _company_section)


def _company_for_management(company_id: int):
    company = get_company_for(current_user, company_id, db.session)  # another district: 404
    if not may_manage(current_user, company):
        raise Forbidden(OFFICER_REFUSAL)
    return company


@bp.route("/<int:company_id>/designations/new", methods=["GET", "POST"])
@login_required
def new(company_id: int):
    """Record a designation for a company (新增资质); empty dates take the rung's defaults."""
    company = _company_for_management(company_id)
    form = GrantForm()
    if request.method == "GET":
        form.granted_on.data = today()
    if form.validate_on_submit():
        try:
            designation = create_once(current_user, form, lambda: grants.grant_designation(
                current_user, company, form.rung.data, granted_on=form.granted_on.data,
                valid_from=form.valid_from.data, valid_until=form.valid_until.data,
                reference=form.reference.data, batch=(form.batch.data or "").strip() or None,
            ), lambda _designation: url_for("companies.show", company_id=company.id))
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            until = designation.valid_until.isoformat() if designation.valid_until else "长期"
            flash(f"已新增资质：{designation.rung_name}，有效期 {designation.valid_from.isoformat()} 至 {until}", "success")
            return redirect(url_for("companies.show", company_id=company.id))
    return render_template("designations/form.html", form=form, company=company)


@bp.route("/<int:company_id>/designations/<int:designation_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke(company_id: int, designation_id: int):
    """Revoke a designation from a date with a reason (撤销资质)."""
    company = _company_for_management(company_id)
    designation = designation_of(company.id, designation_id)
    if designation is None:
        abort(404)
    form = RevokeForm()
    if request.method == "GET":
        form.revoked_on.data = today()
    if designation.revoked_on is not None:
        flash("该资质已被撤销", "info")
        return redirect(url_for("companies.show", company_id=company.id))
    if form.validate_on_submit():
        try:
            grants.revoke_designation(
                current_user, designation, revoked_on=form.revoked_on.data, reason=form.reason.data,
            )
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash(f"已撤销资质：{designation.rung_name}（{designation.revoked_on.isoformat()} 起不再计入）", "success")
            return redirect(url_for("companies.show", company_id=company.id))
    return render_template("designations/revoke.html", form=form, company=company, designation=designation)
