"""Home page per role."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from tracker.services.companies import stage_counts

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    """Officers start from their to-do list; managers and administrators see the stage counts."""
    if current_user.is_officer:  # officers start from their to-do list (我的工作)
        return redirect(url_for("work.my_work"))
    summary = stage_counts.home_summary(current_user)
    return render_template("main/home.html", summary=summary)


@bp.route("/healthz")
def healthz():
    """Liveness probe for the reverse proxy or orchestrator."""
    return {"status": "ok"}
