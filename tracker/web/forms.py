"""Forms and choice lists more than one blueprint uses."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField

from tracker.rules.districts import DISTRICTS


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (delete, retry, revoke ...)."""

    submit = SubmitField("确认")


def district_choices(user=None, blank: str | None = None) -> list[tuple[str, str]]:
    """District (code, 中文名) pairs for a select: every district, or those `user` may pick.

    With a user, an administrator may pick any district and a manager or officer only their own.
    `blank` adds an empty first choice with that label ("全部辖区", "请选择").
    """
    choices = [(d.code, d.name) for d in DISTRICTS if user is None or user.is_admin or d.code == user.district]
    return ([("", blank)] if blank is not None else []) + choices
