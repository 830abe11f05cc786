"""The handling of a follow-up as a case (诉求办理): its timeline, the departments it is referred
to (承办单位), and where a manager's review comes before 销号 (办结审核)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column

CITY_SCOPE = "city"  # FollowUpReviewSetting.scope of the city-wide default (else a district code)


class Department(db.Model):
    """A unit a follow-up can be referred to (交办), kept by an administrator; never deleted, retired."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    contact: Mapped[str | None] = mapped_column(String(64))  # 联系人及电话
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()


class FollowUpEvent(db.Model):
    """One step of a follow-up's handling: who did what, when, with its note (append-only)."""

    __tablename__ = "follow_up_event"
    __table_args__ = (
        Index("ix_follow_up_event_follow_up_at", "follow_up_id", "at"),
        Index("ix_follow_up_event_company_at", "company_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_up.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))  # for the company's activity stream
    kind: Mapped[str] = mapped_column(String(24))  # a key of tracker.rules.follow_ups.EVENT_NAMES
    at: Mapped[dt.datetime] = created_at_column()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    on_date: Mapped[dt.date | None] = mapped_column(Date)  # a reply's or a call-back's date, a referral's deadline
    result: Mapped[str | None] = mapped_column(String(16))  # a call-back's satisfaction code
    other_user_id: Mapped[int | None] = mapped_column(Integer)  # the new owner of a reassignment

    actor = relationship("User", foreign_keys=[actor_id])
    department = relationship("Department")


class FollowUpReviewSetting(db.Model):
    """Whether an officer's 办结 needs a manager's review (办结审核): city-wide or for one district."""

    __tablename__ = "follow_up_review_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16), unique=True)  # CITY_SCOPE or a district code
    required: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[dt.datetime] = created_at_column()
