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
