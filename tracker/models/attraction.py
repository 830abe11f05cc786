"""Attraction projects (招引项目), their channels and weekly follow-up notes (周跟进), plan §1."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column, updated_at_column

Money = Numeric(16, 2)  # 万元


class AttractionChannel(db.Model):
    """A channel of attraction (招引渠道). The six of tracker.rules.attraction always exist; a row
    here renames, reorders or retires one of them, or adds a channel an administrator created."""

    __tablename__ = "attraction_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    sort: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = created_at_column()


class AttractionProject(db.Model):
    """One project the bureau is trying to bring in, from lead to a settled company.

    Soft-deleted rows (deleted_at set) are hidden everywhere; the name is unique within a
    district among live projects (the import matches on name + district).
    """

    __tablename__ = "attraction_project"
    __table_args__ = (
        Index(
            "uq_attraction_project_district_name_live", "district", "name", unique=True,
            sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_attraction_project_status", "status"),
        Index("ix_attraction_project_settled_on", "settled_on"),
        Index("ix_attraction_project_lead_on", "lead_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))  # a channel code
    source: Mapped[str | None] = mapped_column(String(64))  # 来源: 科技局, 人才办, 商务局, 辖区 …
    district: Mapped[str] = mapped_column(String(16))
    lead_officer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    lead_on: Mapped[dt.date] = mapped_column(Date)
    talking_on: Mapped[dt.date | None] = mapped_column(Date)
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    settled_on: Mapped[dt.date | None] = mapped_column(Date)
    dropped_on: Mapped[dt.date | None] = mapped_column(Date)
    drop_reason: Mapped[str | None] = mapped_column(String(500))
    expected_capital: Mapped[Decimal | None] = mapped_column(Money)  # 预计注册资本（万元）
    actual_capital: Mapped[Decimal | None] = mapped_column(Money)  # 实际注册资本（万元）
    industry: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"), index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    __mapper_args__ = {"version_id_col": version}

    lead_officer = relationship("User")
    company = relationship("Company")
    notes = relationship("AttractionNote", back_populates="project", order_by="AttractionNote.noted_on.desc()")


class AttractionNote(db.Model):
    """A weekly follow-up note (周跟进): when, who, what happened and the next step."""

    __tablename__ = "attraction_note"
    __table_args__ = (Index("ix_attraction_note_project_date", "project_id", "noted_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("attraction_project.id"))
    noted_on: Mapped[dt.date] = mapped_column(Date)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    content: Mapped[str] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()

    project = relationship("AttractionProject", back_populates="notes")
    author = relationship("User")
