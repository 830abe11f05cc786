"""HNTE annual reports (年度发展情况报表): filed per company and year, due 31 May (docs/DOMAIN.md §1)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column


class AnnualReport(db.Model):
    """One filed report: `year` is the year it reports on (报表年度), filed by 31 May of year + 1.

    `source` says where the record came from: "manual" (marked in the app) or "import:<file>".
    """

    __tablename__ = "annual_report"
    __table_args__ = (
        UniqueConstraint("company_id", "year", name="uq_annual_report_company_year"),
        Index("ix_annual_report_year", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    year: Mapped[int] = mapped_column(Integer)
    filed_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    source: Mapped[str] = mapped_column(String(120), default="manual")
    created_at: Mapped[dt.datetime] = created_at_column()

    company = relationship("Company")
    recorded_by = relationship("User")
