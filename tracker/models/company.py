"""Companies (企业) and their yearly figures (年度经营数据)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column, updated_at_column

Money = Numeric(16, 2)  # 万元


class Company(db.Model):
    """A company followed by the bureau. Soft-deleted rows (deleted_at set) never count anywhere."""

    __tablename__ = "company"
    __table_args__ = (
        # The credit code is unique among live companies; a deleted one may be re-created.
        Index(
            "uq_company_uscc_live", "uscc", unique=True,
            sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_company_district_live", "district", "deleted_at"),
        Index("ix_company_attracted_on", "attracted_on"),
        Index("ix_company_name", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(16))
    industry: Mapped[str | None] = mapped_column(String(32), index=True)
    founded_on: Mapped[dt.date | None] = mapped_column(Date)
    attracted_on: Mapped[dt.date | None] = mapped_column(Date)  # 招引落户日期
    attraction_channel: Mapped[str | None] = mapped_column(String(64))  # 招引渠道
    address: Mapped[str | None] = mapped_column(String(255))
    contact_name: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    # Optional position (纬度/经度, WGS-84), entered by hand or imported; no online map service.
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    uscc_check_override: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    # Optimistic locking: an UPDATE carries "WHERE version = <loaded>" and fails if someone saved first.
    __mapper_args__ = {"version_id_col": version}

    designations = relationship(
        "Designation", back_populates="company", order_by="Designation.valid_from",
        lazy="select",
    )
    assignments = relationship("Assignment", back_populates="company", lazy="select")
    figures = relationship(
        "CompanyYearFigures", back_populates="company", order_by="CompanyYearFigures.year",
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def __repr__(self) -> str:
        return f"<Company {self.uscc} {self.name}>"


class CompanyYearFigures(db.Model):
    """One year of a company's figures: the inputs of the eligibility pre-checks. Money in 万元."""

    __tablename__ = "company_year_figures"
    __table_args__ = (UniqueConstraint("company_id", "year", name="uq_company_year_figures_company_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    year: Mapped[int] = mapped_column(Integer)
    staff_count: Mapped[int | None] = mapped_column(Integer)
    st_staff_count: Mapped[int | None] = mapped_column(Integer)
    revenue: Mapped[Decimal | None] = mapped_column(Money)
    rd_expense: Mapped[Decimal | None] = mapped_column(Money)
    rd_expense_domestic: Mapped[Decimal | None] = mapped_column(Money)
    total_cost: Mapped[Decimal | None] = mapped_column(Money)
    total_assets: Mapped[Decimal | None] = mapped_column(Money)
    hightech_revenue: Mapped[Decimal | None] = mapped_column(Money)
    ip_class1_count: Mapped[int | None] = mapped_column(Integer)
    ip_class2_count: Mapped[int | None] = mapped_column(Integer)
    valuation: Mapped[Decimal | None] = mapped_column(Money)
    financing_amount: Mapped[Decimal | None] = mapped_column(Money)
    is_listed: Mapped[bool | None] = mapped_column(Boolean)
    innovation_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    # HNTE declarations for the year (NULL: not recorded yet, so the pre-check says "数据不足"):
    key_field: Mapped[bool | None] = mapped_column(Boolean)  # 属于国家重点支持的高新技术领域
    major_incident: Mapped[bool | None] = mapped_column(Boolean)  # 发生重大安全、质量、环境事故
    notes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[dt.datetime] = updated_at_column()

    __mapper_args__ = {"version_id_col": version}

    company = relationship("Company", back_populates="figures")

    FIELDS = (
        "staff_count", "st_staff_count", "revenue", "rd_expense", "rd_expense_domestic",
        "total_cost", "total_assets", "hightech_revenue", "ip_class1_count", "ip_class2_count",
        "valuation", "financing_amount", "is_listed", "innovation_score", "key_field", "major_incident",
    )
