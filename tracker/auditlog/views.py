"""The audit log (操作日志): who changed what and when, for managers (their district) and admins."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from tracker.auditlog.forms import AuditFilterForm
from tracker.extensions import db
from tracker.models import Company
from tracker.services.auditlog.events import AuditFilters, list_events, visible_actors
from tracker.services.scoping import company_scope_clause

bp = Blueprint("auditlog", __name__, url_prefix="/audit")


def _clean(field):
    return field.data if not field.errors and field.data not in (None, "") else None


@bp.route("/")
@login_required
def index():
    """Newest events first, filterable by company, user and date range, paginated."""
    if not (current_user.is_admin or current_user.is_manager):
        abort(403)
    form = AuditFilterForm(request.args)
    form.validate()
    filters = AuditFilters(
        company_id=_clean(form.company_id), company_q=_clean(form.company), actor_id=_clean(form.actor_id),
        date_from=_clean(form.date_from), date_to=_clean(form.date_to),
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        form.date_to.errors = list(form.date_to.errors) + ["截止日期不能早于起始日期"]
        filters.date_to = None
    page = list_events(current_user, filters, _clean(form.page) or 1, current_app.config["PAGE_SIZE"])
    company = None
    if filters.company_id:
        company = db.session.scalar(
            db.select(Company).where(Company.id == filters.company_id, company_scope_clause(current_user))
        )
    return render_template("auditlog/index.html", form=form, page=page, actors=visible_actors(current_user),
                           filters=filters, company=company)
