"""Visits (走访) and the follow-ups (诉求) companies raise."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column, updated_at_column
from tracker.rules import follow_ups as fu_rules

VISIT_KINDS = {"onsite": "实地走访", "phone": "电话", "online": "线上", "event": "活动"}
# The vocabulary is tracker.rules.follow_ups' (one definition); these names stay for their importers.
FOLLOW_UP_STATUSES = fu_rules.STATUS_NAMES
FOLLOW_UP_CATEGORIES = fu_rules.CATEGORY_NAMES
SATISFACTION = fu_rules.SATISFACTION_NAMES


class Visit(db.Model):
    """An officer's visit to a company."""

    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_company_date", "company_id", "visited_on"),
        Index("ix_visit_officer_date", "officer_id", "visited_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    visited_on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="onsite")
    people_met: Mapped[str | None] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text)
    next_planned_on: Mapped[dt.date | None] = mapped_column(Date)
    # Optional location check-in (记录位置), with the officer's consent: WGS-84 degrees, metres.
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    location_accuracy: Mapped[float | None] = mapped_column(Float)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # 撤回 (soft delete)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    __mapper_args__ = {"version_id_col": version}

    company = relationship("Company")
    officer = relationship("User")
    follow_ups = relationship("FollowUp", back_populates="visit")

    @staticmethod
    def live():
        """The one clause every visit query uses: a withdrawn (撤回) visit never counts."""
        return Visit.withdrawn_at.is_(None)


class FollowUp(db.Model):
    """A problem a company raised (诉求) and its handling: open → in_progress → resolved → closed."""

    __tablename__ = "follow_up"
    __table_args__ = (
        Index("ix_follow_up_owner_status_due", "owner_id", "status", "due_on"),
        Index("ix_follow_up_company_status", "company_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), index=True)
    category: Mapped[str] = mapped_column(String(24), default="other")
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)  # counted without the year's 调休 notice
    status: Mapped[str] = mapped_column(String(16), default="open")
    resolution: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    referred_unit: Mapped[str | None] = mapped_column(String(128))  # 交办单位 (the department's name when chosen from the list)
    referred_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    referred_contact: Mapped[str | None] = mapped_column(String(64))
    referred_deadline: Mapped[dt.date | None] = mapped_column(Date)
    referred_deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)  # likewise
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    chased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # 催办
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # 督办
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    __mapper_args__ = {"version_id_col": version}

    company = relationship("Company")
    visit = relationship("Visit", back_populates="follow_ups")
    owner = relationship("User")
    events = relationship("FollowUpEvent", order_by="FollowUpEvent.at", viewonly=True)
