"""Key-company accompaniment (重点企业陪伴计划, docs/DOMAIN.md §9): the yearly list of key companies
and the diagnosis records (把脉), each linked to the follow-ups (诉求) it raised."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column, updated_at_column

# Which follow-ups a diagnosis raised or took up (a follow-up may come from a visit too).
accompaniment_follow_up = Table(
    "accompaniment_follow_up",
    db.metadata,
    Column("record_id", ForeignKey("accompaniment_record.id"), primary_key=True),
    Column("follow_up_id", ForeignKey("follow_up.id"), primary_key=True, index=True),
)


class KeyCompany(db.Model):
    """A company on the year's key-company list (重点陪伴企业), with its responsible person."""

    __tablename__ = "key_company"
    __table_args__ = (
        # One live entry per company and year; a removed one may be added again.
        Index(
            "uq_key_company_company_year_live", "company_id", "year", unique=True,
            sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_key_company_year", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    year: Mapped[int] = mapped_column(Integer)
    responsible_id: Mapped[int] = mapped_column(ForeignKey("user.id"))  # 陪伴责任人 (officer or manager)
    leader: Mapped[str | None] = mapped_column(String(64))  # 挂钩领导, who need not have an account
    reason: Mapped[str | None] = mapped_column(String(500))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    __mapper_args__ = {"version_id_col": version}

    company = relationship("Company")
    responsible = relationship("User", foreign_keys=[responsible_id])


class AccompanimentRecord(db.Model):
    """One diagnosis (把脉): when, who took part, what was found, the resources introduced."""

    __tablename__ = "accompaniment_record"
    __table_args__ = (
        Index("ix_accompaniment_record_key_date", "key_company_id", "held_on"),
        Index("ix_accompaniment_record_company_date", "company_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key_company_id: Mapped[int] = mapped_column(ForeignKey("key_company.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))  # for scoping through the company
    held_on: Mapped[dt.date] = mapped_column(Date)
    participants: Mapped[str | None] = mapped_column(String(500))
    findings: Mapped[str] = mapped_column(Text)
    resources: Mapped[str | None] = mapped_column(String(100))  # codes, comma separated (rules.accompaniment)
    resource_notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    __mapper_args__ = {"version_id_col": version}

    key_company = relationship("KeyCompany")
    company = relationship("Company")
    recorded_by = relationship("User")
    follow_ups = relationship("FollowUp", secondary=accompaniment_follow_up, order_by="FollowUp.id")
