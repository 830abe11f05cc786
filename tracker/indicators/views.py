"""Indicator pages: dashboard (指标完成情况), drill-down, cohorts, xlsx export, targets, API tokens.

Managers see their district, administrators the city (or one district they pick); officers 403.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, fresh_login_required

from tracker.clock import today
from tracker.indicators.forms import (
    CohortForm, DashboardForm, DrillForm, GapListForm, GapPlanForm, MonthlyReportForm, TokenForm, make_target_form,
    target_field_name,
)
from tracker.rules.districts import DISTRICT_CODES, DISTRICT_NAMES
from tracker.rules.cultivation import STATUS_NAMES
from tracker.rules.indicators import (
    INDICATOR_BY_CODE, INDICATORS, MIN_DECIDED_FOR_DISTRICT_RATE, PLAN_YEARS, RATE_SOURCE_NAMES, parse_as_of, year_end,
)
from tracker.rules.ladder import RUNG_BY_CODE
from tracker.rules.reports import FORMATS as REPORT_FORMATS, past_months
from tracker.services.attractions.channels import channel_names
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.exports import XLSX_MIMETYPE, content_disposition
from tracker.services.indicators import targets, tokens
from tracker.services.indicators.cohorts import cohort
from tracker.services.indicators.dashboard import cached_dashboard
from tracker.services.indicators.drill_down import drill_down
from tracker.services.indicators.gap_plan import ASSUMPTION_2027, gap_companies, gap_plan
from tracker.services.indicators.projection import KIND_NAMES
from tracker.services.indicators.workbook import drill_down_xlsx, indicator_workbook
from tracker.services.reports import monthly
from tracker.web.access import managers_required, roles_required
from tracker.web.charts import meter, trend_chart
from tracker.web.errors import attach_service_error
from tracker.web.forms import ConfirmForm

bp = Blueprint("indicators", __name__, url_prefix="/indicators")


def _default_as_of(year: int, now: dt.date) -> dt.date:
    """Today in the current year, 31 Dec for a past year, 1 Jan for a future one."""
    if year == now.year:
        return now
    return year_end(year) if year < now.year else dt.date(year, 1, 1)


def _dashboard_args(form: DashboardForm, now: dt.date) -> tuple[dt.date, str | None]:
    valid = form.validate()
    year = form.year.data if (form.year.data and not form.year.errors) else now.year
    as_of = None
    if valid and form.as_of.data:
        as_of = parse_as_of(form.as_of.data, now)
        if "year" in request.args and as_of.year != year:
            as_of = None  # the year selector changed: start from that year's default date
    as_of = as_of or _default_as_of(year, now)
    district = form.district.data or None
    if not current_user.is_admin or district not in DISTRICT_CODES:
        district = None
    return as_of, district


def drill_url(code: str, as_of: dt.date, district: str | None = None, channel: str | None = None) -> str:
    """The drill-down page of one figure (indicator 5: optionally one channel's part of it)."""
    return url_for("indicators.drill", code=code, as_of=as_of.isoformat(), district=district or None,
                   channel=channel or None)


@bp.route("/")
@managers_required
def dashboard():
    """The 12 indicators against target for a year and as-of date, with district table and trend."""
    now = today()
    form = DashboardForm(request.args)
    as_of, district = _dashboard_args(form, now)
    form.year.data = as_of.year if as_of.year in PLAN_YEARS else now.year
    form.as_of.data = as_of.isoformat()
    data = cached_dashboard(
        as_of, current_user, now, district, ttl_seconds=current_app.config["INDICATOR_CACHE_SECONDS"],
    )
    charts = {
        code: trend_chart(
            INDICATOR_BY_CODE[code].name, points,
            lambda p, code=code: drill_url(code, p.as_of, district) if p.as_of else None,
        )
        for code, points in data.trends.items()
    }
    meters = {row.figure.code: meter(row.figure.percent, row.status.css) for row in data.rows}
    mismatches = targets.current_mismatches() if current_user.is_admin else []
    return render_template(
        "indicators/dashboard.html", form=form, data=data, charts=charts, meters=meters, now=now,
        report_form=report_form(now, district),
        district=district, drill_url=drill_url, mismatches=mismatches, channel_names=channel_names(),
        district_indicators=[i for i in INDICATORS if i.has_district_targets], min_decided=MIN_DECIDED_FOR_DISTRICT_RATE,
    )


def report_form(now: dt.date, district: str | None) -> MonthlyReportForm:
    """The month selector of the 通报 download: every finished month of the plan, newest first."""
    form = MonthlyReportForm(formdata=None, district=district or "")
    form.month.choices = [(m.key, m.label) for m in past_months(now)]
    return form


@bp.route("/report")
@managers_required
def monthly_report():
    """The monthly dispatch report (月调度通报) of a finished month as Word or Excel, for the user's
    scope (managers: their district's version; administrators: the city or one district)."""
    form = MonthlyReportForm(request.args)
    if not form.validate():
        return _bad_request(form)
    fmt = form.format.data if form.format.data in REPORT_FORMATS else "docx"
    district = (form.district.data or None) if current_user.is_admin else None
    try:
        data, report = monthly.download(current_user, form.month.data, fmt, today(), district)
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        return render_template("errors/error.html", code=400, message=exc.message), 400
    response = Response(data, mimetype=XLSX_MIMETYPE if fmt == "xlsx" else monthly.DOCX_MIMETYPE)
    response.headers["Content-Disposition"] = content_disposition(
        monthly.report_filename(report, fmt), monthly.ascii_filename(report, fmt),
    )
    return response


def gap_url(code: str, year: int, part: str, as_of: dt.date, district: str | None, **more) -> str:
    """The list of companies behind one number of the gap plan."""
    return url_for(
        "indicators.gap_list", code=code, year=year, part=part, as_of=as_of.isoformat(), district=district or None,
        **{k: v for k, v in more.items() if v},
    )


@bp.route("/gap", endpoint="gap_plan")
@managers_required
def gap_plan_page():
    """缺口分析: what the district (or the city) must still do to reach this year's and 2027's targets."""
    now = today()
    form = GapPlanForm(request.args)
    valid = form.validate()
    as_of = parse_as_of(form.as_of.data, now) if valid else now
    district = form.district.data or None
    if not current_user.is_admin or district not in DISTRICT_CODES:
        district = None
    form.as_of.data = as_of.isoformat()
    data = gap_plan(current_user, as_of, district)
    return render_template(
        "indicators/gap_plan.html", form=form, data=data, district=district, gap_url=gap_url, drill_url=drill_url,
        indicators=[i for i in INDICATORS if i.has_district_targets], status_names=STATUS_NAMES,
        kind_names=KIND_NAMES, source_names=RATE_SOURCE_NAMES, assumption=ASSUMPTION_2027,
    )


def _bad_request(form):
    """400 with the form's first error in Chinese (a query string that is not the right shape)."""
    message = next(iter(e for errors in form.errors.values() for e in errors), "请求有误")
    return render_template("errors/error.html", code=400, message=message), 400


@bp.route("/gap/companies")
@managers_required
def gap_list():
    """The companies behind one number of the gap plan."""
    form = GapListForm(request.args)
    if not form.validate():
        return _bad_request(form)
    as_of = parse_as_of(form.as_of.data, today())
    result = gap_companies(
        current_user, form.code.data, form.year.data, form.part.data, as_of, form.district.data or None,
        form.status.data or None, form.kind.data or None,
    )
    page = result.page(request.args.get("page", 1, type=int) or 1, current_app.config["PAGE_SIZE"])
    titles = {
        "lapsing_without": "年底前到期、未申请重新认定", "lapsing_with": "年底前到期、已申请重新认定",
        "pipeline": f"培育名单：{STATUS_NAMES.get(form.status.data, '')}（{KIND_NAMES.get(form.kind.data, '')}）",
        "early": "培育名单：储备、重点培育（尚未申报）", "candidates": "符合条件、尚未纳入培育名单",
    }
    return render_template(
        "indicators/gap_list.html", result=result, page=page, as_of=as_of, year=form.year.data,
        title=titles.get(form.part.data, ""),
    )


@bp.route("/drill")
@managers_required
def drill():
    """The records behind one number (exactly as many rows as the figure)."""
    form = DrillForm(request.args)
    if not form.validate():
        return _bad_request(form)
    as_of = parse_as_of(form.as_of.data, today())
    district = form.district.data or None
    result = drill_down(form.code.data, as_of, current_user, district, channel=form.channel.data or None)
    page = result.page(request.args.get("page", 1, type=int) or 1, current_app.config["PAGE_SIZE"])
    return render_template("indicators/drill.html", result=result, page=page, as_of=as_of,
                           channel_names=channel_names())


@bp.route("/drill.xlsx")
@managers_required
def drill_export():
    """The whole drill-down list of one figure as xlsx, scoped like the page."""
    form = DrillForm(request.args)
    if not form.validate():
        return _bad_request(form)
    as_of = parse_as_of(form.as_of.data, today())
    result = drill_down(form.code.data, as_of, current_user, form.district.data or None,
                        channel=form.channel.data or None)
    filename = f"指标{result.indicator.number}明细_{result.indicator.name}_{as_of.isoformat()}.xlsx"
    response = Response(drill_down_xlsx(result, current_user), mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = content_disposition(filename, f"indicator-{result.indicator.number}.xlsx")
    return response


@bp.route("/cohorts")
@managers_required
def cohorts():
    """Of the companies that entered a rung in year X, how many reached each higher rung by year Z."""
    now = today()
    form = CohortForm(request.args)
    form.validate()
    rung = form.rung.data if form.rung.data in RUNG_BY_CODE and not form.rung.errors else "tech_sme"
    entry_year = form.entry_year.data if form.entry_year.data and not form.entry_year.errors else PLAN_YEARS[0]
    by_year = form.by_year.data if form.by_year.data and not form.by_year.errors else now.year
    if by_year < entry_year:
        form.by_year.errors = list(form.by_year.errors) + ["截至年度不能早于进入年度"]
        by_year = entry_year
    form.rung.data, form.entry_year.data, form.by_year.data = rung, entry_year, by_year
    return render_template("indicators/cohorts.html", form=form, cohort=cohort(rung, entry_year, by_year, current_user))


@bp.route("/export.xlsx")
@managers_required
def export():
    """Both tables of the plan, actual beside target, and the gap plan, for the user's scope."""
    now = today()
    return send_file(
        BytesIO(indicator_workbook(now, current_user)), mimetype=XLSX_MIMETYPE, as_attachment=True,
        download_name=f"指标完成情况_{now.isoformat()}.xlsx",
    )


@bp.route("/targets", methods=["GET", "POST"], endpoint="targets")
@roles_required("admin")
@fresh_login_required  # the plan's targets steer every dashboard: a password typed in this session
def edit_targets():
    """Edit one year's targets (city and districts); warns when districts no longer sum to the city."""
    year = request.args.get("year", type=int)
    year = year if year in PLAN_YEARS else (today().year if today().year in PLAN_YEARS else PLAN_YEARS[0])
    form = make_target_form(year)()
    if request.method == "GET":
        for (code, district), value in targets.year_targets(year).items():
            field = getattr(form, target_field_name(code, district), None)
            if field is not None:
                field.data = value
    elif form.validate_on_submit():
        values = {
            (indicator.code, district): getattr(form, target_field_name(indicator.code, district)).data
            for indicator in INDICATORS
            for district in (None, *(DISTRICT_CODES if indicator.has_district_targets else ()))
        }
        try:
            changed = targets.set_year_targets(current_user, year, values)
        except ServiceError as exc:
            flash(exc.message, "danger")
        else:
            flash(f"已保存 {year} 年目标（修改 {changed} 项）", "success")
            return redirect(url_for("indicators.targets", year=year))
    return render_template(
        "indicators/targets.html", form=form, year=year, years=PLAN_YEARS, field_name=target_field_name,
        mismatches=targets.current_mismatches(), districts=DISTRICT_CODES, indicators=INDICATORS,
    )


@bp.route("/tokens", methods=["GET", "POST"], endpoint="tokens")
@roles_required("admin")
@fresh_login_required  # issuing a credential needs a password typed in this session
def list_tokens():
    """List API tokens and issue a new one (its secret is shown once, on this response only)."""
    form = TokenForm()
    form.owner_id.choices = _owner_choices()
    secret = None
    if form.validate_on_submit():
        try:
            token, secret = tokens.issue_token(current_user, form.owner_id.data, form.name.data)
        except ServiceError as exc:
            attach_service_error(form, exc)
        else:
            flash(f"已签发令牌“{token.name}”，请立即复制保存：离开本页后无法再次查看", "success")
            form = TokenForm(formdata=None)
            form.owner_id.choices = _owner_choices()
    response = render_template(
        "indicators/tokens.html", form=form, tokens=tokens.list_tokens(), secret=secret, confirm=ConfirmForm(),
    )
    return response, 200, {"Cache-Control": "no-store"}


def _owner_choices() -> list[tuple[int, str]]:
    return [
        (u.id, f"{u.name}（{u.role_name}{'·' + DISTRICT_NAMES[u.district] if u.district in DISTRICT_NAMES else ''}，{u.email}）")
        for u in tokens.token_owners()
    ]


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required("admin")
@fresh_login_required
def revoke_token(token_id: int):
    """Revoke a token at once."""
    if ConfirmForm().validate_on_submit():
        try:
            token = tokens.revoke_token(current_user, token_id)
        except ServiceError as exc:
            flash(exc.message, "danger")
        else:
            flash(f"已吊销令牌“{token.name}”", "success")
    return redirect(url_for("indicators.tokens"))
