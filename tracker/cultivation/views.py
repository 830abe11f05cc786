"""The cultivation board (培育看板), funnel, track pages, workload table and bulk list actions.

Who may do what: officers may look at the board and the track pages of their own companies
(scoping already limits what they see); only managers and administrators move cards, reopen
tracks, change lists and assignments, and see the funnel and the workload table.

The blueprint was called `pipeline` (URLs under /pipeline/) before it took the name of the
cultivation list; `redirect_old_pipeline_urls` keeps those links, bookmarks and e-mails working.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tracker.clock import today
from tracker.companies.forms import LIST_ARGS, list_filters
from tracker.cultivation.forms import AddTracksForm, AssignForm, BoardFilterForm, MoveForm, ReopenForm, UndoForm
from tracker.extensions import db
from tracker.main.template_helpers import add_company_action, add_company_section
from tracker.models import Company
from tracker.rules import cultivation as rules
from tracker.rules.ladder import RUNG_BY_CODE
from tracker.services.assignments.assign import BULK_LIMIT, assign_companies, assignable_officers
from tracker.services.assignments.workload import officer_workload
from tracker.services.companies.queries import selected_company_ids
from tracker.services.cultivation import board, tracks
from tracker.services.errors import Forbidden, ServiceError
from tracker.web.access import managers_required
from tracker.web.once import create_once

bp = Blueprint("cultivation", __name__, url_prefix="/cultivation")

OLD_PREFIX = "/pipeline"  # the blueprint's URL prefix before the rename
# The board's query arguments; `kind` is the old name of `rung`, still found in saved links.
BOARD_ARGS = ("rung", "kind", "year", "district", "officer_id", "industry", "status", "page")


@bp.before_app_request
def redirect_old_pipeline_urls():
    """Send /pipeline/... (the URLs before the rename) to /cultivation/..., method and query kept.

    308 rather than 301/302 so that a POST stays a POST with its body (a form left open in a
    browser tab still submits). Done before routing because no /pipeline rule exists any more.
    """
    path = request.path
    if path != OLD_PREFIX and not path.startswith(OLD_PREFIX + "/"):
        return None
    target = request.script_root + bp.url_prefix + path[len(OLD_PREFIX):]
    if request.query_string:
        target += "?" + request.query_string.decode("utf-8", "replace")
    return redirect(target, code=308)


def _board_filters(args) -> tuple[BoardFilterForm, board.BoardFilters]:
    if "rung" not in args and "kind" in args:
        args = MultiDict(args)
        args["rung"] = args["kind"]
    form = BoardFilterForm(args)
    form.validate()
    rung = form.rung.data if form.rung.data in RUNG_BY_CODE and not form.rung.errors else "hnte"
    year = form.year.data if form.year.data and not form.year.errors else today().year
    form.rung.data, form.year.data = rung, year
    filters = board.BoardFilters(
        rung=rung, year=year,
        district=(form.district.data or None) if current_user.is_admin and not form.district.errors else None,
        officer_id=form.officer_id.data if not form.officer_id.errors else None,
        industry=(form.industry.data or None) if not form.industry.errors else None,
    )
    return form, filters


def _safe_args(query_string: str | None, allowed: tuple[str, ...]) -> dict:
    """Known arguments only from a query string a form carried back (never a URL to follow)."""
    pairs = parse_qsl(query_string or "", keep_blank_values=False)
    return {k: v for k, v in pairs if k in allowed}


@bp.route("/", endpoint="board")  # the function has another name: `board` is the query module
@login_required
def board_page():
    """The board of one rung and year; `status` shows one whole column, a page at a time."""
    form, filters = _board_filters(request.args)
    stale_days = current_app.config["TRACK_STALE_DAYS"]
    officers = assignable_officers(current_user, filters.district) if not current_user.is_officer else []
    context = dict(form=form, filters=filters, officers=officers, can_manage=not current_user.is_officer,
                   back=urlencode(_safe_args(request.query_string.decode(), BOARD_ARGS)),
                   status_names=rules.STATUS_NAMES, today=today())
    status = form.status.data if not form.status.errors else None
    if status:
        column = board.board_column(current_user, filters, status, today(), stale_days,
                                    page=(form.page.data if not form.page.errors else None) or 1)
        return render_template("cultivation/column.html", page=column, column=column.column, **context)
    data = board.board(current_user, filters, today(), stale_days)
    moved, undo = _just_moved(data)
    return render_template("cultivation/board.html", board=data, moved=moved, undo=undo, **context)


def _just_moved(data) -> tuple[int | None, bool]:
    """The card moved by the request before this one (`moved` in the URL, highlighted on the board)
    and whether its move can still be undone."""
    moved = request.args.get("moved", type=int)
    if not moved or current_user.is_officer:
        return None, False
    if not any(c.track_id == moved for col in data.columns for c in col.cards):
        return None, False
    return moved, tracks.undo_refusal(tracks.get_track_for(current_user, moved)) is None


def _back_to(form: MoveForm | ReopenForm | UndoForm, track_id: int, *, moved: bool = False):
    back = getattr(form, "back", None)
    if back is not None and back.data == "track":
        return redirect(url_for("cultivation.track", track_id=track_id))
    args = _safe_args(back.data if back is not None else "", BOARD_ARGS)
    if moved:
        args["moved"] = track_id  # the board highlights the card and offers 撤销上一步
    return redirect(url_for("cultivation.board", **args) + (f"#card-{track_id}" if moved else ""))


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return errors[0] if isinstance(errors[0], str) else "输入有误"
    return "输入有误"


@bp.route("/tracks/<int:track_id>/move", methods=["POST"])
@managers_required
def move(track_id: int):
    """Move a card through the state machine; a refusal is shown with its reason and changes nothing."""
    track = tracks.get_track_for(current_user, track_id)
    form = MoveForm()
    if not form.validate_on_submit():
        flash(f"{track.company.name}：{_first_error(form)}", "danger")
        return _back_to(form, track.id)
    recognition = None
    if form.to_status.data == rules.RECOGNIZED and form.granted_on.data:
        recognition = tracks.RecognitionData(
            granted_on=form.granted_on.data, reference=form.reference.data or None,
            valid_from=form.valid_from.data, valid_until=form.valid_until.data, batch=form.batch.data or None,
        )
    name = track.company.name
    try:
        tracks.move_track(current_user, track, form.to_status.data, reason=form.reason.data,
                          version=form.version_number(), recognition=recognition)
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        flash(f"未能调整“{name}”：{exc.message}", "danger")
    else:
        message = f"已将“{name}”调整为“{rules.STATUS_NAMES[track.status]}”"
        if track.status == rules.RECOGNIZED:
            message += f"，并已登记{RUNG_BY_CODE[track.target_rung].name}资质"
        flash(message, "success")
        return _back_to(form, track.id, moved=True)
    return _back_to(form, track.id)


@bp.route("/tracks/<int:track_id>/undo", methods=["POST"])
@managers_required
def undo(track_id: int):
    """撤销上一步: reverse the card's last move if nothing happened to it since."""
    track = tracks.get_track_for(current_user, track_id)
    form = UndoForm()
    name = track.company.name
    if not form.validate_on_submit():
        flash(f"{name}：{_first_error(form)}", "danger")
        return _back_to(form, track.id)
    try:
        tracks.undo_last_move(current_user, track, version=form.version_number())
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        flash(f"未能撤销“{name}”的调整：{exc.message}", "danger")
        return _back_to(form, track.id)
    flash(f"已撤销，“{name}”回到“{rules.STATUS_NAMES[track.status]}”", "success")
    return _back_to(form, track.id, moved=False)


@bp.route("/tracks/<int:track_id>")
@login_required
def track(track_id: int):
    """One track: its status, history of moves, related tracks, and the move/reopen forms."""
    found = tracks.get_track_for(current_user, track_id)
    view = board.track_detail(found)
    reopen_form = ReopenForm(formdata=None, year=found.year + 1)
    allowed, others = board.move_targets(found.status)
    return render_template("cultivation/track.html", view=view, track=found, can_manage=not current_user.is_officer,
                           allowed=allowed, others=others,
                           reopen_form=reopen_form, status_names=rules.STATUS_NAMES,
                           can_reopen=rules.can_reopen(found.status))


@bp.route("/tracks/<int:track_id>/reopen", methods=["POST"])
@managers_required
def reopen(track_id: int):
    """Carry a rejected or withdrawn track into a later year as a new track (the old one stays)."""
    found = tracks.get_track_for(current_user, track_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return redirect(url_for("cultivation.track", track_id=found.id))
    try:
        new = tracks.reopen_track(current_user, found, form.year.data, reason=form.reason.data or None)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("cultivation.track", track_id=found.id))
    flash(f"已转入{new.year}年培育名单（储备）", "success")
    return redirect(url_for("cultivation.track", track_id=new.id))


@bp.route("/funnel")
@managers_required
def funnel():
    """pool → key → submitted → recognized with conversion rates, beside last year's."""
    form, filters = _board_filters(request.args)
    data = board.funnel(current_user, filters)
    return render_template("cultivation/funnel.html", funnel=data, form=form, filters=filters,
                           officers=assignable_officers(current_user, filters.district))


@bp.route("/workload")
@managers_required
def workload():
    """Per officer: companies, visits this quarter, overdue visits, open and overdue follow-ups."""
    district = request.args.get("district") or None if current_user.is_admin else None
    sort = request.args.get("sort", "name")
    data = officer_workload(current_user, today(), district=district, sort=sort,
                            descending=request.args.get("dir") == "desc")
    return render_template("cultivation/workload.html", workload=data, district=district, sort=sort,
                           descending=request.args.get("dir") == "desc")


def _bulk_selection(form) -> tuple[list[int] | None, dict]:
    """The companies a bulk action targets, resolved through the company list's own query."""
    list_args = _safe_args(form.filters.data, LIST_ARGS)
    _, filters = list_filters(MultiDict(list_args))
    raw = form.ids(request.form.getlist("company_ids"))
    if raw is None:
        return None, list_args
    ids = selected_company_ids(current_user, filters, today(), raw, all_matching=bool(form.all_matching.data),
                               limit=BULK_LIMIT)
    return ids, list_args


def _skipped_summary(skipped: list[tuple[int, str]]) -> str:
    names = dict(db.session.execute(
        select(Company.id, Company.name).where(Company.id.in_([c for c, _ in skipped[:5]]))
    ).all())
    shown = "；".join(f"{names.get(c, c)}（{reason}）" for c, reason in skipped[:5])
    more = f"等{len(skipped)}家" if len(skipped) > 5 else ""
    return f"跳过：{shown}{more}"


def _run_bulk(form, action):
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return redirect(url_for("companies.index", **_safe_args(form.filters.data, LIST_ARGS)))
    ids, list_args = _bulk_selection(form)
    back = redirect(url_for("companies.index", **list_args))
    if ids is None:
        flash("所选企业不正确", "danger")
        return back
    if not ids:
        flash("请先勾选企业，或勾选“对全部筛选结果操作”", "warning")
        return back
    if len(ids) > BULK_LIMIT:
        flash(f"一次最多处理{BULK_LIMIT}家企业，请缩小筛选范围", "danger")
        return back
    try:
        done, skipped, message = action(ids)
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return back
    flash(message, "success" if done else "warning")
    if skipped:
        flash(_skipped_summary(skipped), "warning")
    return back


@bp.route("/tracks/add", methods=["POST"])
@managers_required
def add_tracks():
    """Bulk action of the company list: 加入培育名单."""
    form = AddTracksForm()

    def action(ids):
        link = url_for("cultivation.board", rung=form.target_rung.data, year=form.year.data)
        result = create_once(current_user, form,
                             lambda: tracks.add_companies(current_user, ids, form.target_rung.data, form.year.data),
                             lambda _result: link)
        rung_name = RUNG_BY_CODE[form.target_rung.data].name
        message = Markup('已将{n}家企业加入{y}年{k}培育名单（储备）。<a href="{u}" class="alert-link">查看培育看板</a>').format(
            n=len(result.created), y=form.year.data, k=rung_name, u=link)
        return result.created, result.skipped, message

    return _run_bulk(form, action)


@bp.route("/assignments", methods=["POST"])
@managers_required
def assign():
    """Bulk action of the company list: 分配服务专员 (assign or reassign, history kept)."""
    form = AssignForm()

    def action(ids):
        result = assign_companies(current_user, ids, form.officer_id.data)
        return result.assigned, result.skipped, f"已将{len(result.assigned)}家企业分配给{result.officer_name}"

    return _run_bulk(form, action)


def _company_tracks_section(user, company):
    """Card on the company page: its cultivation tracks, each linking to its history."""
    found = board.company_tracks(user, company.id)
    if not found and user.is_officer:
        return ""
    return Markup(render_template("cultivation/_company_tracks.html", tracks=found, company=company))


def _company_actions(user, company):
    if user.is_officer:
        return []
    return [{"url": url_for("auditlog.index", company_id=company.id), "label": "操作日志",
             "css": "btn-outline-secondary"}]


@bp.record_once
def _register_company_page_parts(state) -> None:
    add_company_section(state.app, _company_tracks_section)
    add_company_action(state.app, _company_actions)
