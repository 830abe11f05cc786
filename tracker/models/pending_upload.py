"""An import file waiting between its dry run and its confirmation (待确认的导入文件).

Kept in the database, not in the instance folder, because the confirmation may reach another app
process or machine than the dry run did (README "Deploying on PostgreSQL + Redis with several workers").
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.models._base import created_at_column


class PendingUpload(db.Model):
    """One uploaded file, found by its random token; only its owner may confirm it. Rows older than
    a day are removed (tracker.services.imports.uploads)."""

    __tablename__ = "pending_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = created_at_column()
