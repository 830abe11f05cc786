"""Column helpers shared by the models."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column

from tracker.clock import now


def created_at_column() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), default=now, nullable=False)


def updated_at_column() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), default=now, onupdate=now, nullable=False)
