"""Errors services raise with a message a user can read (in Chinese)."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that the rules refuse; `message` is shown to the user as is."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    status_code = 404


class Forbidden(ServiceError):
    status_code = 403


class Conflict(ServiceError):
    """Someone else saved the record first (optimistic locking)."""

    status_code = 409
