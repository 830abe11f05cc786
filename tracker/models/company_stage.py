"""The current-stage table (当前阶段): each company's stage rank on one stored day, for fast lists.

Derived data (docs/ARCHITECTURE.md, "one source of truth"): the stage is defined by the designation
history (tracker.rules.ladder.stage_as_of). These rows only repeat it for the day held by
CompanyStageDay, so that lists can filter, count and sort by stage with an index instead of
aggregating designations per request. tracker.services.stages keeps them in step: every service
that writes a designation calls refresh_company_stages in its own transaction, and the nightly
rebuild moves the whole table to the new day (date-driven lapses). Readers use the table only when
its day is the day they ask about; otherwise they compute the stage from the designations.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db


class CompanyStage(db.Model):
    """A company on the ladder on the table's day: its highest rung rank in force (1 = tech SME …
    5 = unicorn). A company with no row is a prospect (培育对象, rank 0) on that day."""

    __tablename__ = "company_stage"
    __table_args__ = (
        # Stage filters and counts read (stage_rank, company_id) from the index alone.
        Index("ix_company_stage_rank_company", "stage_rank", "company_id"),
    )

    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), primary_key=True, autoincrement=False)
    stage_rank: Mapped[int] = mapped_column(SmallInteger)


class CompanyStageDay(db.Model):
    """The one day the company_stage rows hold (a single row, id 1). No row: the table holds no day
    yet (a new database before its first rebuild) and every reader computes stages itself."""

    __tablename__ = "company_stage_day"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    as_of: Mapped[dt.date] = mapped_column(Date)
