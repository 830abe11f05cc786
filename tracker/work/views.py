"""My work (我的工作): the officer's home page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from tracker.clock import today
from tracker.rules import cadence
from tracker.rules import follow_ups as fu_rules
from tracker.services.visits import my_work as work_service

bp = Blueprint("work", __name__, url_prefix="/work")


@bp.route("/")
@login_required
def my_work():
    """Visit lines grouped by urgency (?group=), filtered by stage (?stage=), paged (?page=)."""
    work = work_service.my_work(
        current_user, today(), stale_days=current_app.config["TRACK_STALE_DAYS"],
        group=request.args.get("group") or None, stage=request.args.get("stage") or None,
        page=request.args.get("page", 1, type=int) or 1,
    )
    return render_template(
        "work/my_work.html", work=work, VISIT_STATE_NAMES=cadence.STATE_NAMES,
        DEADLINE_NAMES=fu_rules.DEADLINE_NAMES, FU_STATUS_NAMES=fu_rules.STATUS_NAMES,
        GROUPS=work_service.GROUPS, GROUP_TERMS=work_service.GROUP_TERMS, group_of=work_service.group_of,
    )
