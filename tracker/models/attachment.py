"""Photos and documents kept with a visit or a follow-up (走访留痕)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column

ATTACHMENT_KINDS = {"image/jpeg": "JPEG 图片", "image/png": "PNG 图片", "image/webp": "WebP 图片", "application/pdf": "PDF 文件"}


class Attachment(db.Model):
    """A file attached to a visit or to a follow-up of the same company; the bytes live on disk.

    `stored_name` is a random name under ATTACHMENT_DIR (never the uploaded name); images are
    stored with their EXIF removed and have a small JPEG thumbnail beside them.
    """

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_visit", "visit_id"), Index("ix_attachment_follow_up", "follow_up_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))
    follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up.id"))
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, for the download's name
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    has_thumbnail: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = created_at_column()
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    uploaded_by = relationship("User")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
