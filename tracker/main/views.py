"""Home page per role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from tracker.services import overview

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    summary = overview.home_summary(current_user)
    return render_template("main/home.html", summary=summary)


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
