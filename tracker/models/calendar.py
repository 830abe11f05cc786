"""The working-day calendar as data: the State Council's holiday notices and the tech SME windows.

`CalendarDay` is one day of a year's notice (国务院办公厅关于某年部分节假日安排的通知): a holiday
(放假) or a weekend day made a workday (上班, 调休). The rules (tracker.rules.workdays) prefer a
loaded notice to the chinese-calendar package and that to the statutory fallback
(docs/DOMAIN.md §7). `TechSmeWindow` is a year's national evaluation window of 科技型中小企业评价
(docs/DOMAIN.md §6), which the tech SME reminders follow.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.models._base import created_at_column, updated_at_column


class CalendarDay(db.Model):
    """One day of a loaded notice; loading a year's notice again replaces that year's days."""

    __tablename__ = "calendar_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    notice_year: Mapped[int] = mapped_column(Integer, index=True)  # the notice's year (it may list 31 Dec before)
    is_workday: Mapped[bool] = mapped_column(Boolean)  # True: 上班 (调休), False: 放假
    name: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(String(200), default="")  # e.g. 国办发明电〔2026〕x号, or the file's name
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = created_at_column()


class TechSmeWindow(db.Model):
    """A year's national tech SME evaluation window (科技型中小企业评价入库 opens and closes)."""

    __tablename__ = "tech_sme_window"
    __table_args__ = (CheckConstraint("opens_on <= closes_on", name="opens_before_closes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    opens_on: Mapped[dt.date] = mapped_column(Date)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[dt.datetime] = updated_at_column()
