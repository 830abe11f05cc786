"""Support records (扶持记录): the company page's card, add / edit / remove, the scoped list and its
xlsx export. Thin views: form → tracker.services.support → redirect."""

from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from tracker.clock import today
from tracker.extensions import db
from tracker.main.template_helpers import add_company_section
from tracker.rules import support as rules
from tracker.services.errors import Conflict, Forbidden, ServiceError
from tracker.services.exports import XLSX_MIMETYPE
from tracker.services.scoping import get_company_for
from tracker.services.support import queries, records
from tracker.support.forms import SupportFilterForm, SupportForm
from tracker.web.errors import attach_service_error
from tracker.web.forms import ConfirmForm, district_choices
from tracker.web.once import create_once

bp = Blueprint("support", __name__, url_prefix="/support")

LABELS = {
    "SUPPORT_KINDS": rules.KINDS, "LOAN_PRODUCTS": rules.LOAN_PRODUCTS, "LISTING_STAGES": rules.LISTING_STAGES,
    "LISTING_BOARDS": rules.LISTING_BOARDS, "CONTEST_LEVELS": rules.CONTEST_LEVELS,
}


@bp.context_processor
def _labels():
    return LABELS


def _company_section(user, company):
    items = queries.for_company(user, company.id)
    return Markup(render_template(
        "support/_company_section.html", company=company, records=items, describe=queries.describe,
        may_delete=lambda r: records.may_delete(user, r), delete_form=ConfirmForm(), **LABELS,
    ))


@bp.record_once
def _register_company_hooks(state):
    add_company_section(state.app, _company_section)


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _back(company_id: int) -> str:
    return url_for("companies.show", company_id=company_id) + "#support"


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    company_id = _int_arg("company_id")
    if company_id is None:
        abort(404)
    company = get_company_for(current_user, company_id, db.session)
    kind = request.args.get("kind", "")
    if kind not in rules.KINDS:
        return render_template("support/choose_kind.html", company=company, back_url=_back(company.id))
    form = SupportForm()
    if request.method == "GET":
        form.year.data = today().year
        if kind == rules.SUBSIDY:
            form.name.data = rules.DEFAULT_POLICY_NAME
    fields = form.set_kind(kind)
    if form.validate_on_submit():
        try:
            create_once(current_user, form, lambda: records.add_record(current_user, company.id, form.values(kind)),
                        lambda _record: _back(company.id))
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash(f"已登记{rules.kind_name(kind)}", "success")
            return redirect(_back(company.id))
    elif request.method == "POST":
        flash("请检查标红的内容", "danger")
    return render_template("support/form.html", form=form, fields=fields, company=company, kind=kind,
                           record=None, back_url=_back(company.id))


@bp.route("/<int:support_id>/edit", methods=["GET", "POST"])
@login_required
def edit(support_id: int):
    record = records.get_record_for(current_user, support_id)
    company = record.company
    form = SupportForm(data=records.form_values(record) if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(record.version)
    fields = form.set_kind(record.kind)
    if form.validate_on_submit():
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        try:
            records.update_record(current_user, record, form.values(record.kind), version=version)
        except Conflict as exc:
            flash(exc.message, "danger")
            return render_template("support/form.html", form=form, fields=fields, company=company, kind=record.kind,
                                   record=record, back_url=_back(company.id)), 409
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash("已保存", "success")
            return redirect(_back(company.id))
    elif request.method == "POST":
        flash("请检查标红的内容", "danger")
    return render_template("support/form.html", form=form, fields=fields, company=company, kind=record.kind,
                           record=record, back_url=_back(company.id))


@bp.route("/<int:support_id>/delete", methods=["POST"])
@login_required
def delete(support_id: int):
    record = records.get_record_for(current_user, support_id)
    company_id = record.company_id
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        records.delete_record(current_user, record)
    except Forbidden:
        abort(403)
    flash("已删除该扶持记录", "success")
    return redirect(_back(company_id))


def _filters() -> tuple[SupportFilterForm, queries.SupportFilters]:
    form = SupportFilterForm(request.args)
    form.district.choices = district_choices(current_user, "全部辖区")
    form.validate()
    filters = queries.SupportFilters(
        kind=(form.kind.data or None) if not form.kind.errors else None,
        year=form.year.data if not form.year.errors else None,
        district=(form.district.data or None) if not form.district.errors and current_user.is_admin else None,
        q=(form.q.data or None) if not form.q.errors else None,
    )
    return form, filters


@bp.route("/")
@login_required
def index():
    """Support records the user may see: filters, totals by kind, the list and its export."""
    form, filters = _filters()
    page = queries.list_records(current_user, filters, request.args.get("page", 1, type=int) or 1,
                                current_app.config["PAGE_SIZE"])
    totals = queries.totals_by_kind(current_user, filters)
    return render_template("support/index.html", form=form, filters=filters, page=page, totals=totals,
                           describe=queries.describe, export_args=_export_args())


def _export_args() -> dict[str, str]:
    """The list's filters for the export link: its own fields only (never url_for's _scheme, _external ...)."""
    return {k: v for k, v in request.args.items() if k in ("kind", "year", "district", "q") and len(v) <= 100}


@bp.route("/export.xlsx")
@login_required
def export():
    _, filters = _filters()
    data, _rows = queries.export_xlsx(current_user, filters)
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"扶持记录-{today().isoformat()}.xlsx")
