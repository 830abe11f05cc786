"""Cultivation tracks (培育名单): a company prepared for a target rung in a given year."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column
from tracker.clock import now


class CultivationTrack(db.Model):
    """company × target rung × year, moving through the state machine of rules.cultivation."""

    __tablename__ = "cultivation_track"
    __table_args__ = (
        UniqueConstraint("company_id", "target_rung", "year", name="uq_cultivation_track_company_rung_year"),
        Index("ix_cultivation_track_board", "target_rung", "year", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    target_rung: Mapped[str] = mapped_column(String(24))  # a code of tracker.rules.ladder.RUNGS
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pool")
    status_since: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    designation_id: Mapped[int | None] = mapped_column(ForeignKey("designation.id"))
    reopened_from_id: Mapped[int | None] = mapped_column(ForeignKey("cultivation_track.id"))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = created_at_column()

    __mapper_args__ = {"version_id_col": version}

    company = relationship("Company")
    owner = relationship("User", foreign_keys=[owner_id])
    transitions = relationship(
        "TrackTransition", back_populates="track", order_by="TrackTransition.at",
    )


class TrackTransition(db.Model):
    """Every move of a track: who, when, from, to and why (history is never rewritten)."""

    __tablename__ = "track_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("cultivation_track.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = created_at_column()
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    undoes_id: Mapped[int | None] = mapped_column(ForeignKey("track_transition.id"))  # 撤销: the move it reverses

    track = relationship("CultivationTrack", back_populates="transitions")
    by = relationship("User")
