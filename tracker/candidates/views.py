"""精准挖掘: the candidates page per target rung, its export, the company profile section and
the yearly figures editor (年度数据).

Views stay thin: forms check shape; tracker.services.candidates (ranking, profile),
companies.figures and cultivation.tracks do the work.
Officers may edit the figures of the companies they serve but not use the candidates page, which
ranks a whole district (the menu shows it to managers and admins only).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence
from urllib.parse import quote

from flask import (
    Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup

from tracker.candidates.forms import AddToListForm, CandidateFilterForm, FiguresForm
from tracker.clock import today
from tracker.extensions import db
from tracker.main.template_helpers import add_company_action, add_company_section
from tracker.rules.districts import DISTRICT_NAMES
from tracker.rules.eligibility import FAILED, MET, STATUS_NAMES, UNKNOWN
from tracker.rules.figures import FIELDS, field_label
from tracker.rules.ladder import RUNG_BY_CODE, STAGE_NAMES
from tracker.services import exports
from tracker.services.candidates import profile, ranking
from tracker.services.candidates.ranking import CandidateFilters
from tracker.services.companies import figures
from tracker.services.companies.figures import InvalidFigures
from tracker.services.cultivation import tracks
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.scoping import get_company_for
from tracker.web.access import managers_required
from tracker.web.charts import Chart, bar_chart
from tracker.web.once import create_once

bp = Blueprint("candidates", __name__, url_prefix="/candidates")

DEFAULT_TARGET_RUNG = "hnte"


# --------------------------------------------------------------------------- candidates page


def _filters_from(args) -> tuple[CandidateFilterForm, CandidateFilters]:
    """The filter form and the service filters from query arguments; bad values fall back to defaults."""
    form = CandidateFilterForm(args)
    form.officer.choices = [("", "全部专员")] + [
        (str(uid), name) for uid, name in ranking.officer_choices(current_user)
    ]
    form.validate()

    def ok(field):
        return field.data if field.data and not field.errors else None

    target_rung = ok(form.target) or DEFAULT_TARGET_RUNG
    year = form.year.data if form.year.data and not form.year.errors else today().year
    district = ok(form.district) if current_user.is_admin else None
    officer = ok(form.officer)
    max_missing = int(ok(form.max_missing) or 1)
    form.target.data, form.year.data, form.max_missing.data = target_rung, year, str(max_missing)
    return form, CandidateFilters(
        target_rung=target_rung, year=year, district=district, industry=ok(form.industry),
        officer_id=int(officer) if officer else None, max_missing=max_missing,
    )


def _filter_args(filters: CandidateFilters) -> dict:
    """Query arguments that reproduce `filters` (for redirects and export links)."""
    args = {"target": filters.target_rung, "year": filters.year, "max_missing": filters.max_missing}
    if filters.district:
        args["district"] = filters.district
    if filters.industry:
        args["industry"] = filters.industry
    if filters.officer_id:
        args["officer"] = filters.officer_id
    return args


@bp.route("/")
@managers_required
def index():
    """Ranked candidates of one target rung and evaluation year, with their reasons."""
    form, filters = _filters_from(request.args)
    try:
        page = ranking.candidate_page(
            current_user, filters, request.args.get("page", 1, type=int) or 1,
            current_app.config["PAGE_SIZE"],
        )
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("candidates.index"))
    add_form = AddToListForm(target=filters.target_rung, list_year=filters.year)
    return render_template(
        "candidates/index.html", form=form, filters=filters, page=page, add_form=add_form,
        rung=RUNG_BY_CODE[filters.target_rung], filter_args=_filter_args(filters),
        STATUS=STATUS_NAMES, MET=MET, FAILED=FAILED, UNKNOWN=UNKNOWN,
    )


@bp.route("/add", methods=["POST"])
@managers_required
def add():
    """Put the ticked companies on the target rung's cultivation list of the chosen year."""
    _form, filters = _filters_from(request.args)
    form = AddToListForm()
    back = url_for("candidates.index", **_filter_args(filters))
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            for message in errors:
                if name == "csrf_token":
                    message = "页面已过期，请刷新后重试"
                elif message.isascii():  # WTForms' own English parse errors
                    message = f"{form[name].label.text}须为四位年份"
                flash(message, "danger")
        return redirect(back)
    try:
        ids = [int(v) for v in request.form.getlist("company_ids")]
    except ValueError:
        abort(400)
    if any(not 0 < i < 2**31 for i in ids):
        abort(400)  # not an id the database could hold
    if not ids:
        flash("请先勾选要加入培育名单的企业", "warning")
        return redirect(back)
    target_rung = form.target.data if form.target.data in RUNG_BY_CODE else filters.target_rung
    try:
        result = create_once(current_user, form,
                             lambda: tracks.add_companies(current_user, ids, target_rung, form.list_year.data),
                             lambda _result: url_for("cultivation.board", rung=target_rung, year=form.list_year.data))
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(back)
    name = RUNG_BY_CODE[target_rung].name
    message = f"已加入 {form.list_year.data} 年{name}培育名单：{len(result.created)} 家"
    if result.skipped:
        reasons = sorted({reason for _cid, reason in result.skipped})
        message += f"；跳过 {len(result.skipped)} 家（{'；'.join(reasons)}）"
    flash(message, "success" if result.created else "warning")
    return redirect(back)


EXPORT_HEADERS = (
    "排名", "企业名称", "统一社会信用代码", "所属辖区", "产业领域", "当前阶段", "服务专员",
    "结论", "不满足的条件", "数据不足的条件", "已满足的条件", "科小评分", "重新认定（现有资质至）",
)


@bp.route("/export")
@managers_required
def export():
    """The ranked candidate list as CSV (default) or xlsx, scoped and filtered as on the page."""
    _form, filters = _filters_from(request.args)
    file_format = request.args.get("format", "csv")
    if file_format not in ("xlsx", "csv"):
        abort(400)
    try:
        ranking.check_filters(current_user, filters)
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("candidates.index"))
    state = ranking.pending(filters)
    if state is not None:
        flash(f"预判结果{state.progress_text}，完成后即可导出", "info")
        return redirect(url_for("candidates.index", **_filter_args(filters)))
    # A generator: the writers consume it row by row (the filters were checked above).
    rows = (
        (
            i, c.company.name, c.company.uscc, DISTRICT_NAMES.get(c.company.district, c.company.district),
            c.company.industry or "", STAGE_NAMES.get(c.stage, c.stage), "、".join(c.officers),
            c.verdict,
            ranking.conditions_text(c.result, FAILED),
            ranking.conditions_text(c.result, UNKNOWN),
            ranking.conditions_text(c.result, MET),
            c.result.score,
            c.holds_until,
        )
        for i, c in enumerate(
            ranking.iter_candidates(current_user, filters),
            start=1,
        )
    )
    rung = RUNG_BY_CODE[filters.target_rung].name
    filename = f"{filters.year}年{rung}候选企业.{file_format}"
    if file_format == "csv":
        body, mimetype = exports.csv_bytes(EXPORT_HEADERS, rows), exports.CSV_MIMETYPE
    else:
        title = exports.title_line(f"{filters.year}年{rung}候选企业（精准挖掘）", exports.scope_label(current_user), today())
        body = exports.xlsx_bytes(EXPORT_HEADERS, rows, sheet_title=f"{rung}候选", title=title)
        mimetype = exports.XLSX_MIMETYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=candidates.{file_format}; filename*=UTF-8''{quote(filename)}"
    )
    return response


# --------------------------------------------------------------------------- yearly figures


@bp.route("/companies/<int:company_id>/figures", endpoint="figures")
@login_required
def list_figures(company_id: int):
    """Every year of a company's figures, each with an edit link, and a form to add a year."""
    company = get_company_for(current_user, company_id, db.session)
    rows = figures.figures_for_company(company.id)
    lo, hi = figures.year_range(company.founded_on)
    taken = {r.year for r in rows}
    suggested = next((y for y in range(hi - 1, lo - 1, -1) if y not in taken), hi)
    return render_template(
        "candidates/figures.html", company=company, rows=rows, fields=FIELDS,
        field_label=field_label, year_min=lo, year_max=hi, suggested_year=suggested,
    )


@bp.route("/companies/<int:company_id>/figures/edit", methods=["GET", "POST"])
@login_required
def edit_figures(company_id: int):
    """Add a year (no `year` argument, or one not entered yet) or edit one, carrying the version."""
    company = get_company_for(current_user, company_id, db.session)
    form = FiguresForm()
    lo, hi = figures.year_range(company.founded_on)
    existing = None
    if request.method == "GET":
        year = request.args.get("year", type=int)
        if year is not None and not lo <= year <= hi:
            year = None  # out of range: offer a new year instead of looking it up
        existing = figures.get_year(company.id, year) if year else None
        if existing is not None:
            form.fill_from(existing)
        else:
            # A new year: the latest one not entered yet (never an existing year), else left blank.
            entered = {row.year for row in figures.figures_for_company(company.id)}
            free = next((y for y in [*range(hi - 1, lo - 1, -1), hi] if y not in entered), None)
            form.year.data = str(year) if year else (str(free) if free is not None else "")
            form.version.data = "0"
    elif form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = -1  # tampered: can never match, so it is reported as a conflict
        try:
            def save():
                return figures.save_year(current_user, company, form.year.data, form.data_for_service(), version=version)

            if version == 0:  # a new year: one-time, so saving the form twice adds the year once
                row = create_once(current_user, form, save, lambda _row: url_for("candidates.figures", company_id=company.id))
            else:
                row = save()
        except Forbidden:
            abort(403)
        except InvalidFigures as exc:
            for name, message in exc.errors.items():
                field = getattr(form, name, None)
                if field is not None:
                    field.errors = list(field.errors) + [message]
            flash("请按提示修改标红的项目（未保存）", "danger")
        except ServiceError as exc:  # a conflicting edit included
            flash(exc.message, "danger")
        else:
            flash(f"已保存 {row.year} 年数据", "success")
            return redirect(url_for("candidates.figures", company_id=company.id))
        try:
            year = int(form.year.data)
        except (TypeError, ValueError):
            year = None
        existing = figures.get_year(company.id, year) if year and lo <= year <= hi else None
    else:
        flash("页面已过期，请刷新后重试", "danger")
    return render_template(
        "candidates/figures_form.html", company=company, form=form, existing=existing,
        year_min=lo, year_max=hi,
    )


# --------------------------------------------------------------------------- company page hooks


def _figures_action(user, company) -> list[dict]:
    # The company page already checked that `user` may see `company`.
    return [{
        "url": url_for("candidates.figures", company_id=company.id),
        "label": "年度数据", "css": "btn-outline-primary",
    }]


def _ratio(num, den) -> Decimal | None:
    if num is None or den is None or den <= 0:
        return None
    return (Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _profile_charts(year_rows: Sequence, last: int = 6) -> list[Chart]:
    """The four profile charts (revenue, R&D ratio, staff, IP) over the last `last` years."""
    rows = sorted(year_rows, key=lambda r: r.year)[-last:]
    years = [r.year for r in rows]
    return [
        bar_chart("revenue", "营业收入", "万元", years, [("营业收入", [r.revenue for r in rows])]),
        bar_chart(
            "rd_ratio", "研发费用占营业收入比例", "%", years,
            [("研发费用/营业收入", [_ratio(r.rd_expense, r.revenue) for r in rows])],
        ),
        bar_chart("staff", "职工与科技人员", "人", years, [
            ("职工总数", [r.staff_count for r in rows]), ("科技人员", [r.st_staff_count for r in rows]),
        ]),
        bar_chart("ip", "知识产权", "件", years, [
            ("I 类", [r.ip_class1_count for r in rows]), ("II 类", [r.ip_class2_count for r in rows]),
        ]),
    ]


def _profile_section(user, company) -> Markup | str:
    """The 科创属性画像 card on the company page (the page has already scoped the company)."""
    assessment = profile.assess_company(company)
    return Markup(render_template(
        "candidates/_profile.html", company=company, assessment=assessment,
        charts=_profile_charts(assessment.figures), STATUS=STATUS_NAMES,
        MET=MET, FAILED=FAILED, UNKNOWN=UNKNOWN,
    ))


@bp.record_once
def _register_company_hooks(state) -> None:
    add_company_action(state.app, _figures_action)
    add_company_section(state.app, _profile_section)
