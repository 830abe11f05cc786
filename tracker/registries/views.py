"""人才载体平台登记: lists, create, edit and delete for the registries behind indicators 6–12.

Managers maintain their own district, administrators all; officers get 403 (the service decides).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.models.registry import CARRIER_KINDS, LEVELS, TALENT_KINDS
from tracker.registries.forms import (
    CarrierCreateForm, CarrierForm, CarrierLevelForm, InstitutionForm, PlatformForm, RegistryFilterForm, TalentForm,
)
from tracker.rules.districts import DISTRICT_NAMES
from tracker.services.errors import Forbidden, NotFound, ServiceError
from tracker.services.registries import records
from tracker.web.errors import attach_service_error
from tracker.web.forms import ConfirmForm, district_choices
from tracker.web.once import create_once

bp = Blueprint("registries", __name__, url_prefix="/registries")

# registry -> (id argument, singular endpoint stem, form class, save function)
_SINGULAR = {"talents": "talent", "carriers": "carrier", "platforms": "platform", "institutions": "institution"}
_FORMS = {"talents": TalentForm, "carriers": CarrierForm, "platforms": PlatformForm, "institutions": InstitutionForm}
_KIND_LABELS = {"talents": "全部类别", "carriers": "全部类型", "platforms": "全部级别"}


@bp.before_request
@login_required
def _only_managers_and_admins():
    # One gate for the whole blueprint: officers are refused before any view runs.
    try:
        records.check_may_view(current_user)
    except Forbidden:
        abort(403)


def _record_or_404(registry: str, record_id: int):
    try:
        return records.get_record(current_user, registry, record_id)
    except NotFound:
        abort(404)


@bp.route("/")
@login_required
def index():
    """The registries and how many records of each the user may see."""
    counts = records.counts_by_registry(current_user)
    return render_template("registries/index.html", counts=counts, registries=records.REGISTRIES)


# --- lists -------------------------------------------------------------------------------------

def _filters(registry: str) -> tuple[RegistryFilterForm, records.RegistryFilters]:
    form = RegistryFilterForm(request.args)
    form.district.choices = district_choices(current_user, "全部辖区")
    kinds = records.REGISTRIES[registry].kinds
    form.kind.choices = [("", _KIND_LABELS.get(registry, "全部"))] + list(kinds.items())
    form.validate()
    filters = records.RegistryFilters(
        year=form.year.data if not form.year.errors else None,
        district=(form.district.data or None) if not form.district.errors else None,
        kind=(form.kind.data or None) if not form.kind.errors and kinds else None,
        q=(form.q.data or None) if not form.q.errors else None,
    )
    return form, filters


def _rows(registry: str, items: list) -> list[dict]:
    """Display rows: plain strings (auto-escaped by the template) plus action URLs."""
    stem = _SINGULAR[registry]
    companies = records.companies_by_id([getattr(i, "company_id", None) for i in items])
    levels = records.carrier_levels([i.id for i in items]) if registry == "carriers" else {}
    rows = []
    for item in items:
        district = DISTRICT_NAMES.get(item.district, item.district)
        company = companies.get(getattr(item, "company_id", None))
        if registry == "talents":
            cells = [item.name, TALENT_KINDS.get(item.kind, item.kind), district, item.recognized_on.isoformat(),
                     company.name if company else "", item.batch or ""]
        elif registry == "carriers":
            history = "；".join(f"{LEVELS.get(l.level, l.level)} {l.recognized_on.isoformat()}" for l in levels[item.id])
            cells = [item.name, CARRIER_KINDS.get(item.kind, item.kind), district, history, item.operator or ""]
        elif registry == "platforms":
            cells = [item.name, item.kind or "", LEVELS.get(item.level, item.level), district,
                     item.recognized_on.isoformat(), company.name if company else ""]
        else:
            cells = [item.name, item.uscc, district, str(item.year), item.business or ""]
        args = {f"{stem}_id": item.id}
        rows.append({
            "cells": cells,
            "show_url": url_for("registries.carrier", **args) if registry == "carriers" else None,
            "edit_url": url_for(f"registries.{stem}_edit", **args),
            "delete_url": url_for(f"registries.{stem}_delete", **args),
        })
    return rows


_HEADERS = {
    "talents": ["姓名或团队", "类别", "辖区", "认定日期", "所在企业", "批次"],
    "carriers": ["载体名称", "类型", "辖区", "认定级别（日期）", "运营主体"],
    "platforms": ["平台名称", "类型", "级别", "辖区", "认定日期", "依托企业"],
    "institutions": ["机构名称", "统一社会信用代码", "辖区", "统计年度", "服务领域"],
}


def _list(registry: str):
    form, filters = _filters(registry)
    page = records.list_records(current_user, registry, filters, request.args.get("page", 1, type=int) or 1,
                                current_app.config["PAGE_SIZE"])
    return render_template(
        "registries/list.html", registry=records.REGISTRIES[registry], form=form, page=page,
        headers=_HEADERS[registry], rows=_rows(registry, page.rows), delete_form=ConfirmForm(),
        new_url=url_for(f"registries.{_SINGULAR[registry]}_new"), has_kinds=bool(records.REGISTRIES[registry].kinds),
    )


# --- create / edit / delete --------------------------------------------------------------------

def _company_code(record) -> str:
    company_id = getattr(record, "company_id", None)
    company = records.companies_by_id([company_id]).get(company_id) if company_id else None
    return company.uscc if company else ""


def _save(registry: str, data: dict, record=None):
    if registry == "talents":
        return records.save_talent(current_user, data, record)
    if registry == "platforms":
        return records.save_platform(current_user, data, record)
    if registry == "institutions":
        return records.save_institution(current_user, data, record)
    if record is None:
        return records.create_carrier(current_user, data)
    return records.update_carrier(current_user, record, data)


def _saved_url(registry: str, saved) -> str:
    """Where a save leads: a carrier's own page (its levels), else the registry's list."""
    if registry == "carriers":
        return url_for("registries.carrier", carrier_id=saved.id)
    return url_for(f"registries.{registry}")


def _form_page(registry: str, record=None):
    spec = records.REGISTRIES[registry]
    form_class = CarrierCreateForm if registry == "carriers" and record is None else _FORMS[registry]
    form = form_class(obj=record)
    form.set_districts(current_user)
    if request.method == "GET" and record is not None and hasattr(form, "company_uscc"):
        form.company_uscc.data = _company_code(record)
    if form.validate_on_submit():
        try:
            if record is None:  # a create: one-time, so saving the form twice adds one record
                saved = create_once(current_user, form, lambda: _save(registry, form.data_for_service()),
                                    lambda r: _saved_url(registry, r))
            else:
                saved = _save(registry, form.data_for_service(), record)
        except Forbidden:
            abort(403)
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash("已保存", "success")
            return redirect(_saved_url(registry, saved))
    back = url_for(f"registries.{registry}")
    return render_template("registries/form.html", form=form, registry=spec, record=record, back_url=back)


def _delete(registry: str, record_id: int):
    record = _record_or_404(registry, record_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        records.delete_record(current_user, registry, record)
    except Forbidden:
        abort(403)
    flash("已删除", "info")
    return redirect(url_for(f"registries.{registry}"))


def _register(registry: str) -> None:
    stem = _SINGULAR[registry]
    arg = f"{stem}_id"

    def list_view():
        return _list(registry)

    def new_view():
        return _form_page(registry)

    def edit_view(**kwargs):
        return _form_page(registry, _record_or_404(registry, kwargs[arg]))

    def delete_view(**kwargs):
        return _delete(registry, kwargs[arg])

    bp.add_url_rule(f"/{registry}", registry, login_required(list_view))
    bp.add_url_rule(f"/{registry}/new", f"{stem}_new", login_required(new_view), methods=["GET", "POST"])
    bp.add_url_rule(f"/{registry}/<int:{arg}>/edit", f"{stem}_edit", login_required(edit_view), methods=["GET", "POST"])
    bp.add_url_rule(f"/{registry}/<int:{arg}>/delete", f"{stem}_delete", login_required(delete_view), methods=["POST"])


for _registry in records.REGISTRIES:
    _register(_registry)


# --- carrier page with its level history -------------------------------------------------------

@bp.route("/carriers/<int:carrier_id>", methods=["GET", "POST"])
@login_required
def carrier(carrier_id: int):
    """A carrier with its recognition levels, and the form to add the next one (an upgrade)."""
    record = _record_or_404("carriers", carrier_id)
    form = CarrierLevelForm()
    if form.validate_on_submit():
        try:
            create_once(current_user, form, lambda: records.add_carrier_level(current_user, record, form.data_for_service()),
                        lambda _level: url_for("registries.carrier", carrier_id=record.id))
        except Forbidden:
            abort(403)
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash("已添加认定级别", "success")
            return redirect(url_for("registries.carrier", carrier_id=record.id))
    levels = records.carrier_levels([record.id])[record.id]
    return render_template("registries/carrier.html", carrier=record, levels=levels, form=form, delete_form=ConfirmForm())


@bp.route("/carrier-levels/<int:carrier_level_id>/delete", methods=["POST"])
@login_required
def carrier_level_delete(carrier_level_id: int):
    """Remove a level entered by mistake (a carrier keeps at least one)."""
    try:
        level = records.get_carrier_level(current_user, carrier_level_id)
    except NotFound:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    carrier_id = level.carrier_id
    try:
        records.delete_carrier_level(current_user, level)
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        flash(exc.message, "danger")
    else:
        flash("已删除该级别记录", "info")
    return redirect(url_for("registries.carrier", carrier_id=carrier_id))
