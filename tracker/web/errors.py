"""Showing a service's refusal to the user."""

from __future__ import annotations

from flask import flash

from tracker.services.errors import ServiceError


def attach_service_error(form, exc: ServiceError) -> None:
    """Put a service error on the form field it names, or flash it when it names none.

    A field named by the service but absent from the form (or without an error list) also
    falls back to a flash message, so no refusal is ever silent.
    """
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [exc.message]
    else:
        flash(exc.message, "danger")


def _shown(field, value) -> str:
    """A value as the form would show it: a choice's label, a date as YYYY-MM-DD, blank as （空）."""
    if value in (None, ""):
        return "（空）"
    choices = getattr(field, "choices", None)
    if choices:
        for choice in choices:
            if isinstance(choice, (tuple, list)) and len(choice) >= 2 and str(choice[0]) == str(value):
                return str(choice[1])
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def conflict_rows(form, record, fields) -> list[dict]:
    """After a Conflict: the fields where the stored record differs from what the user typed.

    Each row is {"label", "yours", "current"} for the page to show side by side, so the user sees
    what the other save (often their own, in another window) changed before saving again. Call it
    after the unit of work rolled back: `record` then reloads its stored values.
    """
    rows = []
    for name in fields:
        field = getattr(form, name, None)
        if field is None:
            continue
        yours, current = _shown(field, field.data), _shown(field, getattr(record, name, None))
        if yours != current:
            rows.append({"label": field.label.text, "yours": yours, "current": current})
    return rows
