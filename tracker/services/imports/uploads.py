"""Keeping an uploaded file between the dry run and the commit (the pending_upload table).

The file is stored in the database under a random token, with who uploaded it and as what kind,
so the confirmation may reach any app process on any machine; only that user can commit it, and a
token of the wrong shape is refused before any query. Files left behind expire after a day.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select

from tracker.clock import now
from tracker.extensions import db
from tracker.models import PendingUpload
from tracker.services.errors import ServiceError
from tracker.services.unit_of_work import unit_of_work

MAX_AGE = dt.timedelta(days=1)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass
class StoredUpload:
    """An uploaded file waiting for its commit."""

    token: str
    kind: str
    filename: str
    user_id: int
    data: bytes


def save_upload(*, data: bytes, filename: str, kind: str, user_id: int) -> str:
    """Store the file and return its token; files older than a day are removed in the same unit of work."""
    token = secrets.token_urlsafe(24)  # 32 characters
    with unit_of_work():
        db.session.execute(delete(PendingUpload).where(PendingUpload.created_at < now() - MAX_AGE))
        db.session.add(PendingUpload(token=token, user_id=user_id, kind=kind, filename=filename[:255], data=data))
    return token


def load_upload(token: str, user_id: int) -> StoredUpload:
    """The stored file for `token` if this user uploaded it within a day; otherwise a Chinese error."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise ServiceError("导入文件已失效，请重新上传")
    row = db.session.scalar(select(PendingUpload).where(PendingUpload.token == token,
                                                        PendingUpload.created_at >= now() - MAX_AGE))
    if row is None:
        raise ServiceError("导入文件已失效（可能已导入或已超过一天），请重新上传")
    if row.user_id != user_id:
        raise ServiceError("导入文件已失效，请重新上传")
    return StoredUpload(row.token, row.kind, row.filename, row.user_id, row.data)


def discard_upload(token: str) -> None:
    """Remove a stored file once it has been committed."""
    if not _TOKEN.match(token or ""):
        return
    with unit_of_work():
        db.session.execute(delete(PendingUpload).where(PendingUpload.token == token))
