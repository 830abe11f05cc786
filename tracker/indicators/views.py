"""Indicator pages: dashboard (指标完成情况), drill-down, cohorts, xlsx export, targets, API tokens.

Managers see their district, administrators the city (or one district they pick); officers 403.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, fresh_login_required
from sqlalchemy import select

from tracker.web.access import roles_required
from tracker.clock import today
from tracker.extensions import db
from tracker.indicators.charts import meter, trend_chart
from tracker.indicators.forms import (
    CohortForm, ConfirmForm, DashboardForm, DrillForm, TokenForm, make_target_form, target_field_name,
)
from tracker.models import IndicatorTarget
from tracker.rules.districts import DISTRICT_CODES, DISTRICT_NAMES
from tracker.rules.indicators import INDICATOR_BY_CODE, INDICATORS, PLAN_YEARS, parse_as_of, year_end
from tracker.rules.ladder import RUNG_BY_CODE
from tracker.services.indicators import tokens as indicator_api
from tracker.services.indicators import rollup as service
from tracker.services.indicators import targets as plan_service
from tracker.services.errors import ServiceError
from tracker.services.exports import XLSX_MIMETYPE
from tracker.services.indicators.workbook import indicator_workbook
from tracker.services.pagination import page_count

bp = Blueprint("indicators", __name__, url_prefix="/indicators")

VIEWERS = ("admin", "manager")


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


def drill_url(code: str, as_of: dt.date, district: str | None = None) -> str:
    """The drill-down page of one figure."""
    return url_for("indicators.drill", code=code, as_of=as_of.isoformat(), district=district or None)


@bp.route("/")
@roles_required(*VIEWERS)
def dashboard():
    """The 12 indicators against target for a year and as-of date, with district table and trend."""
    now = today()
    form = DashboardForm(request.args)
    as_of, district = _dashboard_args(form, now)
    form.year.data = as_of.year if as_of.year in PLAN_YEARS else now.year
    form.as_of.data = as_of.isoformat()
    data = service.cached_dashboard(as_of, current_user, now, district)
    charts = {
        code: trend_chart(
            INDICATOR_BY_CODE[code].name, points,
            lambda p, code=code: drill_url(code, p.as_of, district) if p.as_of else None,
        )
        for code, points in data.trends.items()
    }
    meters = {row.figure.code: meter(row.figure.percent, row.status.css) for row in data.rows}
    mismatches = plan_service.current_mismatches() if current_user.is_admin else []
    return render_template(
        "indicators/dashboard.html", form=form, data=data, charts=charts, meters=meters, now=now,
        district=district, drill_url=drill_url, mismatches=mismatches,
        district_indicators=[i for i in INDICATORS if i.has_district_targets],
    )


@bp.route("/drill")
@roles_required(*VIEWERS)
def drill():
    """The records behind one number (exactly as many rows as the figure)."""
    form = DrillForm(request.args)
    if not form.validate():
        message = next(iter(e for errors in form.errors.values() for e in errors), "请求有误")
        return render_template("errors/error.html", code=400, message=message), 400
    as_of = parse_as_of(form.as_of.data, today())
    district = form.district.data or None
    result = service.drill_down(form.code.data, as_of, current_user, district)
    per_page = current_app.config["PAGE_SIZE"]
    total = result.count()
    pages = page_count(total, per_page)
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    rows = result.rows(limit=per_page, offset=(page - 1) * per_page)
    return render_template(
        "indicators/drill.html", result=result, rows=rows, total=total,
        page=page, pages=pages, as_of=as_of,
    )


@bp.route("/cohorts")
@roles_required(*VIEWERS)
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
    result = service.cohort(rung, entry_year, by_year, current_user)
    return render_template("indicators/cohorts.html", form=form, cohort=result)


@bp.route("/export.xlsx")
@roles_required(*VIEWERS)
def export():
    """Both tables of the plan, actual beside target, for the user's scope."""
    now = today()
    content = indicator_workbook(now, current_user)
    from io import BytesIO

    return send_file(
        BytesIO(content), mimetype=XLSX_MIMETYPE, as_attachment=True,
        download_name=f"指标完成情况_{now.isoformat()}.xlsx",
    )


@bp.route("/targets", methods=["GET", "POST"])
@roles_required("admin")
def targets():
    """Edit one year's targets (city and districts); warns when districts no longer sum to the city."""
    year = request.args.get("year", type=int)
    year = year if year in PLAN_YEARS else (today().year if today().year in PLAN_YEARS else PLAN_YEARS[0])
    form_class = make_target_form(year)
    existing = {
        (t.indicator, t.district): t.value
        for t in db.session.scalars(select(IndicatorTarget).where(IndicatorTarget.year == year))
    }
    form = form_class()
    if request.method == "GET":
        for (code, district), value in existing.items():
            field = getattr(form, target_field_name(code, district), None)
            if field is not None:
                field.data = value
    elif form.validate_on_submit():
        changed = 0
        try:
            for indicator in INDICATORS:
                for district in (None, *(DISTRICT_CODES if indicator.has_district_targets else ())):
                    value = getattr(form, target_field_name(indicator.code, district)).data
                    if value is not None and value != existing.get((indicator.code, district)):
                        plan_service.set_target(current_user, indicator.code, year, district, value)
                        changed += 1
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash(f"已保存 {year} 年目标（修改 {changed} 项）", "success")
            return redirect(url_for("indicators.targets", year=year))
    return render_template(
        "indicators/targets.html", form=form, year=year, years=PLAN_YEARS, field_name=target_field_name,
        mismatches=plan_service.current_mismatches(), districts=DISTRICT_CODES, indicators=INDICATORS,
    )


@bp.route("/tokens", methods=["GET", "POST"])
@roles_required("admin")
@fresh_login_required  # issuing a credential needs a password typed in this session
def tokens():
    """List API tokens and issue a new one (its secret is shown once, on this response only)."""
    form = TokenForm()
    form.owner_id.choices = _owner_choices()
    secret = None
    if form.validate_on_submit():
        try:
            token, secret = indicator_api.issue_token(current_user, form.owner_id.data, form.name.data)
        except ServiceError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(exc.message)
        else:
            flash(f"已签发令牌“{token.name}”，请立即复制保存：离开本页后无法再次查看", "success")
            form = TokenForm(formdata=None)
            form.owner_id.choices = _owner_choices()
    response = render_template(
        "indicators/tokens.html", form=form, tokens=indicator_api.list_tokens(), secret=secret, confirm=ConfirmForm(),
    )
    return response, 200, {"Cache-Control": "no-store"}


def _owner_choices() -> list[tuple[int, str]]:
    return [
        (u.id, f"{u.name}（{u.role_name}{'·' + DISTRICT_NAMES[u.district] if u.district in DISTRICT_NAMES else ''}，{u.email}）")
        for u in indicator_api.token_owners()
    ]


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required("admin")
@fresh_login_required
def revoke_token(token_id: int):
    """Revoke a token at once."""
    if ConfirmForm().validate_on_submit():
        try:
            token = indicator_api.revoke_token(current_user, token_id)
        except ServiceError as exc:
            flash(exc.message, "danger")
        else:
            flash(f"已吊销令牌“{token.name}”", "success")
    return redirect(url_for("indicators.tokens"))
