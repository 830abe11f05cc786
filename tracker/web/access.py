"""Role checks for views (which records a user sees is decided by tracker.services.scoping)."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from tracker.extensions import login_manager


def roles_required(*roles: str):
    """View decorator: the login page for anonymous users, 403 unless the user has one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


managers_required = roles_required("admin", "manager")
"""Administrators and district managers (not service officers)."""
