"""Support records on each company (扶持记录, docs/DOMAIN.md §9): one table, a kind column and the
typed nullable fields each kind uses (tracker/rules/support.py says which)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column, updated_at_column


class SupportRecord(db.Model):
    """One support a company received in a year: 研发费用加计扣除, 科技贷款, 上市培育, 大赛, 补贴奖励.

    Money in 万元. `source` says where it came from: "manual", "import:<file>" or "policy" (a paid
    policy claim, whose id is `source_claim_id`). Soft-deleted rows (deleted_at) are history only.
    """

    __tablename__ = "support_record"
    __table_args__ = (
        Index("ix_support_record_company_kind", "company_id", "kind", "year"),
        Index("ix_support_record_kind_year", "kind", "year"),
        Index("ix_support_record_source_claim", "source_claim_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    occurred_on: Mapped[dt.date | None] = mapped_column(Date)  # 放款日期 / 兑现日期
    loan_product: Mapped[str | None] = mapped_column(String(16))
    bank: Mapped[str | None] = mapped_column(String(64))
    listing_stage: Mapped[str | None] = mapped_column(String(16))
    listing_board: Mapped[str | None] = mapped_column(String(16))
    filed_on: Mapped[dt.date | None] = mapped_column(Date)  # 辅导备案
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)  # 申报受理
    listed_on: Mapped[dt.date | None] = mapped_column(Date)  # 上市
    name: Mapped[str | None] = mapped_column(String(128))  # 大赛名称 / 政策名称
    level: Mapped[str | None] = mapped_column(String(16))  # 大赛级别
    award: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(120), default="manual")
    source_claim_id: Mapped[int | None] = mapped_column(Integer)  # a policy claim (tracker/services/policies)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    __mapper_args__ = {"version_id_col": version}

    company = relationship("Company")
    recorded_by = relationship("User")
