"""数据导入: upload → dry-run report → 确认导入 in a chosen mode → result. Administrators only.

The dry run imports nothing; the file waits in the pending_upload table under a random token until
the administrator who uploaded it confirms (or a day passes), so any app process may take the commit.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.imports.forms import CommitForm, UploadForm
from tracker.rules import import_formats as fmt
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.exports import CSV_MIMETYPE, content_disposition
from tracker.services.imports import exporter, importer
from tracker.services.imports.spreadsheets import Limits
from tracker.services.imports.uploads import discard_upload, load_upload, save_upload

bp = Blueprint("imports", __name__, url_prefix="/imports")
REPORT_ROWS_SHOWN = 500


@bp.before_request
@login_required
def _administrators_only():
    # Every page of the blueprint: the service decides who may import (city administrators).
    try:
        importer.check_may_import(current_user)
    except Forbidden:
        abort(403)


def _render_index(form: UploadForm, status: int = 200):
    return render_template(
        "imports/index.html", form=form, columns=fmt.COLUMNS_BY_KIND, kind_names=fmt.KIND_NAMES,
        recent=importer.recent_imports(),
    ), status


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    """The upload page; a posted file is dry-run at once and its report shown with a commit form."""
    form = UploadForm()
    if request.method == "GET" and request.args.get("kind") in fmt.KIND_NAMES:
        form.kind.data = request.args["kind"]
    if not form.validate_on_submit():
        return _render_index(form, 400 if request.method == "POST" else 200)
    upload = form.file.data
    data = upload.read()
    filename = (upload.filename or "upload").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120]
    report = importer.run_import(
        form.kind.data, data, filename, actor=current_user, dry_run=True,
        limits=Limits.from_config(current_app.config),
    )
    commit_form = None
    if report.fatal is None:
        token = save_upload(data=data, filename=filename, kind=form.kind.data, user_id=current_user.id)
        commit_form = CommitForm(formdata=None, token=token, mode="all")  # the cautious mode unless chosen
    return render_template("imports/report.html", report=report, commit_form=commit_form,
                           rows_shown=REPORT_ROWS_SHOWN, action_names=importer.ACTION_NAMES,
                           mode_names=importer.MODE_NAMES)


@bp.route("/commit", methods=["POST"])
@login_required
def commit():
    """Import the stored file in the chosen mode and show the result."""
    form = CommitForm()
    if not form.validate_on_submit():
        flash("请求无效或页面已过期，请重新上传文件", "danger")
        return redirect(url_for("imports.index"))
    try:
        stored = load_upload(form.token.data, current_user.id)
        report = importer.run_import(
            stored.kind, stored.data, stored.filename, actor=current_user, dry_run=False, mode=form.mode.data,
            limits=Limits.from_config(current_app.config),
        )
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("imports.index"))
    if report.committed or not report.has_errors:
        discard_upload(stored.token)
    # A refused all-or-nothing batch keeps the file so the administrator can retry with "valid rows only".
    retry_form = None
    if not report.committed and report.has_errors and report.fatal is None:
        retry_form = CommitForm(formdata=None, token=stored.token, mode="valid")
    return render_template("imports/report.html", report=report, commit_form=retry_form,
                           rows_shown=REPORT_ROWS_SHOWN, action_names=importer.ACTION_NAMES,
                           mode_names=importer.MODE_NAMES)


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/report.xlsx")
def dry_run_report():
    """The dry-run report of a stored upload as xlsx: each row of the file with its errors beside it."""
    try:
        stored = load_upload(request.args.get("token", ""), current_user.id)
    except ServiceError as exc:
        return render_template("errors/error.html", code=404, message=exc.message), 404
    limits = Limits.from_config(current_app.config)
    report = importer.run_import(stored.kind, stored.data, stored.filename, actor=current_user, dry_run=True,
                                 limits=limits)
    if report.fatal is not None:
        return render_template("errors/error.html", code=400, message=report.fatal), 400
    data = exporter.dry_run_xlsx(report, stored.data, stored.filename, limits)
    stem = stored.filename.rsplit(".", 1)[0] or "导入文件"
    return Response(data, mimetype=XLSX_MIMETYPE, headers={
        "Content-Disposition": content_disposition(f"{stem}-试导入结果.xlsx", "import-dry-run.xlsx"),
        "Cache-Control": "no-store"})


@bp.route("/template")
@login_required
def template():
    """An empty import file (header row only) for one import kind: CSV, or xlsx (`format=xlsx`)
    with the credit-code column formatted as text."""
    kind = request.args.get("kind", "")
    file_format = request.args.get("format", "csv")
    if kind not in fmt.KIND_NAMES or file_format not in ("csv", "xlsx"):
        abort(404)
    filename = f"import-{kind}-template.{file_format}"
    if file_format == "xlsx":
        data, mimetype = importer.template_xlsx(kind), XLSX_MIMETYPE
    else:
        data, mimetype = importer.template_csv(kind), CSV_MIMETYPE
    chinese = f"{fmt.KIND_NAMES[kind]}导入模板.{file_format}"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": content_disposition(chinese, filename)})
