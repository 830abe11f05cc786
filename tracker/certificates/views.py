"""高企资质维护: the certificates to renew, their re-application tracks and the annual reports.

Views stay thin: forms check shape; tracker.services.certificates (maintenance, annual_reports)
does the work and decides who may see and change what. The list is for district managers and
city administrators; a company's annual reports can also be marked by its officer (from the
company page).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.certificates.forms import (
    AddTracksForm, FilingForm, FilingImportForm, MaintenanceFilterForm, RemoveFilingForm,
)
from tracker.clock import today
from tracker.main.template_helpers import add_company_action
from tracker.services import exports
from tracker.services.certificates import annual_reports, maintenance
from tracker.services.certificates.maintenance import MaintenanceFilters
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.imports.spreadsheets import Limits
from tracker.web.access import managers_required
from tracker.web.forms import district_choices
from tracker.web.once import create_once

bp = Blueprint("certificates", __name__, url_prefix="/certificates")
REPORT_ERRORS_SHOWN = 200


def _filters_from(args) -> tuple[MaintenanceFilterForm, MaintenanceFilters]:
    """The filter form and the service filters from query arguments; bad values fall back to defaults."""
    form = MaintenanceFilterForm(args)
    form.district.choices = district_choices(current_user, blank="全部辖区")
    form.expiry_year.choices = [("", "今明两年")] + [(str(y), f"{y} 年到期") for y in maintenance.expiry_years(today())]
    form.validate()

    def ok(field):
        return field.data if field.data and not field.errors else None

    district = ok(form.district) if current_user.is_admin else None
    year = ok(form.expiry_year)
    return form, MaintenanceFilters(district=district, expiry_year=int(year) if year else None, status=ok(form.status))


def _filter_args(filters: MaintenanceFilters) -> dict:
    """Query arguments that reproduce `filters` (for redirects and the export link)."""
    args = {"district": filters.district, "expiry_year": filters.expiry_year, "status": filters.status}
    return {k: v for k, v in args.items() if v}


def _render_index(import_form: FilingImportForm | None = None, import_result=None, status: int = 200):
    form, filters = _filters_from(request.args)
    try:
        page = maintenance.certificate_page(
            current_user, filters, request.args.get("page", 1, type=int) or 1, current_app.config["PAGE_SIZE"],
        )
    except Forbidden:
        abort(403)
    return render_template(
        "certificates/index.html", form=form, filters=filters, page=page, filter_args=_filter_args(filters),
        add_form=AddTracksForm(), filing_form=FilingForm(formdata=None),
        import_form=import_form or FilingImportForm(formdata=None), import_result=import_result,
        errors_shown=REPORT_ERRORS_SHOWN, flag_text=maintenance.FLAG_TEXT,
    ), status


@bp.route("/")
@managers_required
def index():
    """Certificates expiring this year and next, with their re-application and annual reports."""
    return _render_index()


@bp.route("/tracks", methods=["POST"])
@managers_required
def add_tracks():
    """Create the missing re-application tracks: the ticked certificates, or all (全部补建)."""
    _form, filters = _filters_from(request.args)
    back = url_for("certificates.index", **_filter_args(filters))
    form = AddTracksForm()
    if not form.validate_on_submit():
        flash("页面已过期，请刷新后重试", "danger")
        return redirect(back)
    ids = None
    if form.all_missing.data != "1":
        try:
            ids = [int(v) for v in request.form.getlist("designation_ids")]
        except ValueError:
            abort(400)
        if any(not 0 < i < 2**31 for i in ids):
            abort(400)  # not an id the database could hold
    try:
        result = maintenance.add_missing_tracks(current_user, filters, ids)
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        flash(exc.message, "warning")
        return redirect(back)
    message = f"已补建重新认定培育记录 {result.created} 条（状态：储备，年度为证书到期年度）"
    if result.skipped:
        reasons = "；".join(sorted({f"{name}：{reason}" for name, reason in result.skipped})[:10])
        message += f"；未建 {len(result.skipped)} 家（{reasons}）"
    flash(message, "success" if result.created else "warning")
    return redirect(back)


@bp.route("/export")
@managers_required
def export():
    """The whole filtered list as xlsx (the page's columns)."""
    _form, filters = _filters_from(request.args)
    try:
        headers, rows = maintenance.export_table(current_user, filters)
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("certificates.index"))
    body = exports.xlsx_bytes(headers, rows, sheet_title="高企资质维护", title=exports.title_line(
        "高企资质维护清单", exports.scope_label(current_user), today()))
    filename = f"高企资质维护清单-{today().isoformat()}.xlsx"
    response = Response(body, mimetype=exports.XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=hnte-maintenance.xlsx; filename*=UTF-8''{quote(filename)}"
    )
    return response


@bp.route("/annual-reports/import", methods=["POST"])
@managers_required
def import_reports():
    """Import a list of filed annual reports; the result (or the row errors) is shown on the list page."""
    form = FilingImportForm()
    if not form.validate_on_submit():
        return _render_index(import_form=form, status=400)
    upload = form.file.data
    filename = (upload.filename or "upload").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120]
    try:
        result = annual_reports.import_filings(
            current_user, upload.read(), filename, dry_run=bool(form.dry_run.data), mode=form.mode.data,
            limits=Limits.from_config(current_app.config),
        )
    except ServiceError as exc:
        form.file.errors = [exc.message]
        return _render_index(import_form=form, status=400)
    return _render_index(import_form=form, import_result=result)


# --------------------------------------------------------------------------- one company's reports


@bp.route("/companies/<int:company_id>/annual-reports", methods=["GET", "POST"])
@login_required
def company_reports(company_id: int):
    """A company's annual reports: the filings recorded and a form to mark one (scoped: 404 otherwise)."""
    filings = annual_reports.filings_for_company(current_user, company_id)
    form = FilingForm()
    if request.method == "GET":
        form.year.data = maintenance.shown_report_years(today())[1]
    elif form.validate_on_submit():
        try:
            report = create_once(current_user, form,
                                 lambda: annual_reports.record_filing(current_user, company_id, form.year.data, form.filed_on.data),
                                 lambda _report: url_for("certificates.company_reports", company_id=company_id))
        except ServiceError as exc:
            flash(exc.message, "danger")
        else:
            flash(f"已登记{filings.company.name} {report.year} 年度年报（报送日期 {report.filed_on.isoformat()}）", "success")
        if form.back.data == "list" and (current_user.is_admin or current_user.is_manager):
            return redirect(url_for("certificates.index"))
        return redirect(url_for("certificates.company_reports", company_id=company_id))
    else:
        for errors in form.errors.values():
            for message in errors:
                flash("页面已过期或填写有误，请刷新后重试" if message.isascii() else message, "danger")
    return render_template(
        "certificates/company_reports.html", company=filings.company, rows=filings.reports, form=form,
        remove_form=RemoveFilingForm(formdata=None),
    )


@bp.route("/companies/<int:company_id>/annual-reports/remove", methods=["POST"])
@login_required
def remove_report(company_id: int):
    """Remove a filing recorded by mistake."""
    annual_reports.filings_for_company(current_user, company_id)  # 404 before anything else
    form = RemoveFilingForm()
    back = redirect(url_for("certificates.company_reports", company_id=company_id))
    if not form.validate_on_submit():
        flash("请求无效或页面已过期，请刷新后重试", "danger")
        return back
    try:
        annual_reports.remove_filing(current_user, company_id, form.year.data)
    except ServiceError as exc:
        flash(exc.message, "warning")
    else:
        flash(f"已撤销 {form.year.data} 年度年报的登记", "success")
    return back


def _company_actions(user, company) -> list[dict]:
    """A link from the company page to its annual reports (年报报送)."""
    return [{"url": url_for("certificates.company_reports", company_id=company.id), "label": "年报报送",
             "css": "btn-outline-secondary"}]


@bp.record_once
def _register_company_hooks(state) -> None:
    add_company_action(state.app, _company_actions)
