"""The company activity stream (企业动态): a card on the company page (templates/companies/_activity.html,
filled by `company_activity_card`) and the same stream on a page of its own, filterable and paged."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from tracker.extensions import db
from tracker.services.companies import activity
from tracker.services.scoping import get_company_for
from tracker.services.visits import follow_ups as fu_service
from tracker.services.visits import records as visit_service

bp = Blueprint("activity", __name__, url_prefix="/activity")

CARD_SIZE = 10
PAGE_SIZE = 30


def _args() -> tuple[str | None, int]:
    kind = request.args.get("activity_kind") or None
    kind = kind if kind in activity.KIND_NAMES else None
    page = request.args.get("activity_page", 1, type=int) or 1
    return kind, max(1, min(page, activity.MAX_PAGE))


def company_activity_card(company) -> dict:
    """What the company page's card shows: the open 诉求 and latest visits first (a phone shows them
    before the long history), then the stream's first page of the chosen kind. `company` is the
    page's, scoped to the user already (companies.show), so it is not looked up again."""
    kind, page = _args()
    return dict(
        kinds=activity.KIND_NAMES, kind=kind,
        page=activity.activity_page(company.id, kind=kind, page=page, per_page=CARD_SIZE),
        open_follow_ups=fu_service.open_for_company(current_user, company.id, limit=5),
        recent_visits=visit_service.recent_for_company(current_user, company.id, limit=3),
    )


@bp.app_context_processor
def _activity_helpers():
    return {"company_activity_card": company_activity_card, "ACTIVITY_KINDS": activity.KIND_NAMES}


@bp.route("/companies/<int:company_id>")
@login_required
def company(company_id: int):
    """The whole stream of one company, PAGE_SIZE at a time."""
    found = get_company_for(current_user, company_id, db.session)
    kind, page = _args()
    stream = activity.activity_page(found.id, kind=kind, page=page, per_page=PAGE_SIZE)
    return render_template("companies/activity.html", company=found, page=stream, kind=kind,
                           kinds=activity.KIND_NAMES)
