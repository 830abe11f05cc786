"""One-time submission tokens (防重复提交): one row per create form that was saved."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.models._base import created_at_column


class SubmissionToken(db.Model):
    """A create form's token, claimed in the same transaction as the record the form created.

    The unique token makes a replay (back, then save again; an offline send repeated) find the
    row instead of creating a second record; `record_url` is where the first save led.
    """

    __tablename__ = "submission_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    record_url: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = created_at_column()
