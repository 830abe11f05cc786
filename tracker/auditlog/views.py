"""The audit log (操作日志): who changed what and when, for managers (their district) and admins."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from tracker.auditlog.forms import AuditFilterForm
from tracker.services.auditlog.events import AuditFilters, list_events, visible_actors, visible_company
from tracker.web.access import managers_required

bp = Blueprint("auditlog", __name__, url_prefix="/audit")


def _clean(field):
    return field.data if not field.errors and field.data not in (None, "") else None


@bp.route("/")
@managers_required
def index():
    """Newest events first, filterable by company, user and date range, paginated."""
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
    company = visible_company(current_user, filters.company_id) if filters.company_id else None
    return render_template("auditlog/index.html", form=form, page=page, actors=visible_actors(current_user),
                           filters=filters, company=company)
