"""节假日与评价窗口 (administrators): load a year's holiday notice, edit the tech SME windows."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from tracker.calendar.forms import NoticeForm, WindowForm
from tracker.clock import today
from tracker.rules import reminders as reminder_rules
from tracker.services.calendar import notices, windows
from tracker.services.errors import ServiceError
from tracker.web.access import roles_required
from tracker.web.errors import attach_service_error

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")


@bp.app_template_global()
def deadline_note(due_on, provisional: bool) -> str:
    """The note beside a deadline counted without its year's notice (the follow-up page)."""
    return notices.deadline_note(due_on, provisional)


def _page(notice_form: NoticeForm | None = None, window_form: WindowForm | None = None, status: int = 200):
    year = today().year
    years = sorted({year, year + 1, *notices.loaded_years()}, reverse=True)
    window_rows = [(w, reminder_rules.tech_sme_nudges(windows.window_for(w.year))) for w in windows.all_windows()]
    upcoming = [windows.window_for(y) for y in (year, year + 1)]
    upcoming = [(w, reminder_rules.tech_sme_nudges(w)) for w in upcoming]
    return render_template(
        "calendar/index.html", statuses=notices.year_status(years), window_rows=window_rows, upcoming=upcoming,
        notice_form=notice_form or NoticeForm(formdata=None), window_form=window_form or WindowForm(formdata=None),
    ), status


@bp.route("/")
@roles_required("admin")
def index():
    """The years' working-day sources, the loaded notices and the evaluation windows."""
    return _page()


@bp.route("/notice", methods=["POST"])
@roles_required("admin")
def load_notice():
    """Load a year's notice from an uploaded file or pasted text."""
    form = NoticeForm()
    if not form.validate_on_submit():
        return _page(notice_form=form, status=400)
    upload = form.file.data
    try:
        if upload:
            result = notices.load_notice(current_user._get_current_object(), data=upload.read(),
                                         filename=upload.filename or "", source=form.source.data or upload.filename or "")
        else:
            result = notices.load_notice(current_user._get_current_object(), text=form.text.data, source=form.source.data)
    except ServiceError as exc:
        if exc.field == "file" and not upload:
            exc.field = "text"
        attach_service_error(form, exc)
        return _page(notice_form=form, status=400)
    replaced = f"（替换了此前导入的 {result.replaced} 天）" if result.replaced else ""
    flash(f"已导入{result.year}年节假日安排：放假 {result.holidays} 天，调休上班 {result.workdays} 天{replaced}", "success")
    return redirect(url_for("calendar.index"))


@bp.route("/window", methods=["POST"])
@roles_required("admin")
def save_window():
    """Record or change a year's tech SME evaluation window."""
    form = WindowForm()
    if not form.validate_on_submit():
        return _page(window_form=form, status=400)
    try:
        window = windows.set_window(current_user._get_current_object(), form.year.data, form.opens_on.data,
                                    form.closes_on.data, form.source.data or "")
    except ServiceError as exc:
        attach_service_error(form, exc)
        return _page(window_form=form, status=400)
    flash(f"已保存{window.year}年评价窗口：{window.opens_on.isoformat()} 至 {window.closes_on.isoformat()}", "success")
    return redirect(url_for("calendar.index"))
