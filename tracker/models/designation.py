"""Designations (资质/认定): a rung of the ladder held by a company for a period."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column
from tracker.rules.ladder import RUNG_BY_CODE


class Designation(db.Model):
    """One recognition: rung, reference number, validity and, if it happened, its revocation."""

    __tablename__ = "designation"
    __table_args__ = (
        Index("ix_designation_rung_period", "rung", "valid_from", "valid_until"),
        Index("ix_designation_company_rung", "company_id", "rung"),
        Index("ix_designation_rung_until", "rung", "valid_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    rung: Mapped[str] = mapped_column(String(24))  # a code of tracker.rules.ladder.RUNGS
    reference: Mapped[str | None] = mapped_column(String(64))
    granted_on: Mapped[dt.date] = mapped_column(Date)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    batch: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(64))  # manual | import:<file> | track:<id> | demo
    revoked_on: Mapped[dt.date | None] = mapped_column(Date)
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = created_at_column()

    company = relationship("Company", back_populates="designations")

    @property
    def rung_name(self) -> str:
        return RUNG_BY_CODE[self.rung].name if self.rung in RUNG_BY_CODE else self.rung
