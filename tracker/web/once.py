"""One-time submission tokens for create forms: a hidden field and the call that claims it.

Applying it to a create form is two lines (see /work/tools/fragments/field.md):

    class ThingForm(OnceForm, FlaskForm): ...                       # 1. the hidden token field

    thing = create_once(current_user, form, lambda: things.create_thing(current_user, ...),
                        lambda t: url_for("things.show", thing_id=t.id))   # 2. the claim

and render `{{ form.submission_token }}` if the template lists fields one by one (the `field`
macro and `render_form` render it like the CSRF token). A replay raises AlreadySubmitted, which
the app answers with a page "该记录已保存" linking to the record (`register(app)`).
"""

from __future__ import annotations

import secrets
from typing import Callable, TypeVar

from flask import render_template, request
from wtforms import HiddenField
from wtforms.validators import Optional, Regexp

from tracker.services.submissions import tokens
from tracker.services.submissions.tokens import AlreadySubmitted

T = TypeVar("T")
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


def new_token() -> str:
    return secrets.token_urlsafe(24)


class OnceForm:
    """Mixin for a create form: a hidden one-time token, fresh each time the form is shown.

    A POST without the field (an older client) gets a fresh token and is saved as before.
    """

    submission_token = HiddenField(default=new_token, validators=[Optional(), Regexp(TOKEN_PATTERN, message="页面已过期，请刷新后重试")])


def create_once(actor, form, create: Callable[[], T], record_url: Callable[[T], str]) -> T:
    """Claim `form`'s token and run `create()` in one unit of work (tracker.services.submissions.tokens)."""
    token = getattr(form, "submission_token", None)
    return tokens.create_once(actor, token.data if token is not None else None, create, record_url)


def register(app) -> None:
    """Answer a replayed create form with "该记录已保存" and a link to the record (nothing is written)."""

    @app.errorhandler(AlreadySubmitted)
    def _already_saved(error: AlreadySubmitted):
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return {"status": "already_saved", "message": error.message, "url": error.record_url}, 200
        return render_template("errors/already_saved.html", message=error.message, record_url=error.record_url), 200
