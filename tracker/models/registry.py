"""Registries behind indicators 6–12: talents and teams, carriers, platforms, service institutions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column

TALENT_KINDS = {
    "provincial_innovation": "省“双创人才”（创新类）",
    "provincial_team": "省“双创团队”",
    "city_high_level": "市高层次创新创业人才（龙城英才）",
}
CARRIER_KINDS = {"maker_space": "众创空间", "incubator": "科技企业孵化器"}
LEVELS = {"city": "市级", "province": "省级", "national": "国家级"}
LEVEL_RANK = {"city": 1, "province": 2, "national": 3}


class TalentAward(db.Model):
    """A talent or team recognised under a programme (indicators 6, 7, 8)."""

    __tablename__ = "talent_award"
    __table_args__ = (Index("ix_talent_award_kind_date", "kind", "recognized_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))  # person or team (leader) name
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    district: Mapped[str] = mapped_column(String(16))
    recognized_on: Mapped[dt.date] = mapped_column(Date)
    batch: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = created_at_column()

    company = relationship("Company")


class Carrier(db.Model):
    """A maker space or incubator (创业载体); its recognitions by level live in CarrierLevel."""

    __tablename__ = "carrier"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    district: Mapped[str] = mapped_column(String(16), index=True)
    operator: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = created_at_column()

    levels = relationship("CarrierLevel", back_populates="carrier", order_by="CarrierLevel.recognized_on")


class CarrierLevel(db.Model):
    """A carrier recognised at a level on a date (an upgrade from city to province is a new row)."""

    __tablename__ = "carrier_level"
    __table_args__ = (
        UniqueConstraint("carrier_id", "level", name="uq_carrier_level_carrier_level"),
        Index("ix_carrier_level_level_date", "level", "recognized_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carrier.id"))
    level: Mapped[str] = mapped_column(String(16))
    recognized_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(128))

    carrier = relationship("Carrier", back_populates="levels")


class Platform(db.Model):
    """An innovation platform recognised at provincial level or above (indicator 11)."""

    __tablename__ = "platform"
    __table_args__ = (Index("ix_platform_level_date", "level", "recognized_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str | None] = mapped_column(String(64))  # 技术创新中心 / 重点实验室 / 新型研发机构 ...
    level: Mapped[str] = mapped_column(String(16))
    district: Mapped[str] = mapped_column(String(16))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    recognized_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = created_at_column()


class ServiceInstitution(db.Model):
    """A science & technology service institution above designated size (规上), listed for a year."""

    __tablename__ = "service_institution"
    __table_args__ = (
        UniqueConstraint("uscc", "year", name="uq_service_institution_uscc_year"),
        Index("ix_service_institution_year", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18))
    district: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    business: Mapped[str | None] = mapped_column(String(64))  # 研发设计 / 创业孵化 / 技术转移 ...
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()
