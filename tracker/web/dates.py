"""A date field's "not in the future" as a shape check, with the date input's `max` set to today.

The check is shape (a calendar bound), so the form reports it together with every other error
instead of after them; the services keep their own check of the same bound for the CLI and
imports. `field_flags` is read each time a form is built, so `max` is always Asia/Shanghai's today.
"""

from __future__ import annotations

from wtforms.validators import ValidationError

from tracker.clock import today


class NotAfterToday:
    """Refuse a date after today (Asia/Shanghai) with `message`; renders max="<today>" on the input."""

    def __init__(self, message: str = "日期不能晚于今天"):
        self.message = message

    @property
    def field_flags(self) -> dict:
        return {"max": today().isoformat()}

    def __call__(self, form, field) -> None:
        if field.data is not None and field.data > today():
            raise ValidationError(self.message)
