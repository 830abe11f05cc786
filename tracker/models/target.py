"""Targets of the plan (指标任务): per indicator and year, for the city or one district."""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db


class IndicatorTarget(db.Model):
    """One target figure. district NULL is the city's figure."""

    __tablename__ = "indicator_target"
    __table_args__ = (
        Index(
            "uq_indicator_target_city", "indicator", "year", unique=True,
            sqlite_where=text("district IS NULL"), postgresql_where=text("district IS NULL"),
        ),
        Index(
            "uq_indicator_target_district", "indicator", "year", "district", unique=True,
            sqlite_where=text("district IS NOT NULL"), postgresql_where=text("district IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    district: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[int] = mapped_column(Integer)
