"""Stored eligibility results of the candidates page (精准挖掘): derived data kept for speed.

The rules (tracker.rules.eligibility) judge a company from its founding date, its yearly figures
and whether it holds a valid HNTE. `CandidateResult` keeps the outcome per company, target rung,
evaluation year and value of that HNTE flag, only for companies within one condition of the rung
(the most the page lists); tracker.services.candidates.results keeps it in step in the same
transaction as the change and a test compares it with a fresh computation.
`CandidateResultSet` says which (rung, year) are stored, under which thresholds, and the progress
of a full computation running in the background.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.models._base import updated_at_column


class CandidateResult(db.Model):
    """One company's pre-check of one rung for one evaluation year (候选预判结果).

    `holds_valid_hnte` is the fact the result was computed with. Only the tech SME check reads it
    (direct confirmation), so tech SME keeps a row for each value and the page picks the one that
    matches "holds a valid HNTE on the evaluation day" in SQL: a grant, a revocation or a
    certificate lapsing by date changes which row is read, never a stored value. Other rungs keep
    one row, computed with False.
    """

    __tablename__ = "candidate_result"
    __table_args__ = (
        UniqueConstraint(
            "company_id", "target_rung", "year", "holds_valid_hnte", name="uq_candidate_result_company_id",
        ),
        # The page's read: one range per (rung, year, flag, distance), already in ranking order.
        Index(
            "ix_candidate_result_ranking", "target_rung", "year", "holds_valid_hnte", "missing_count",
            "failed_count", "unknown_count", "score", "company_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    target_rung: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    holds_valid_hnte: Mapped[bool] = mapped_column(Boolean)
    failed_count: Mapped[int] = mapped_column(Integer)
    unknown_count: Mapped[int] = mapped_column(Integer)
    missing_count: Mapped[int] = mapped_column(Integer)  # failed + unknown − unrecorded declarations
    score: Mapped[Decimal] = mapped_column(Numeric(8, 2))  # tech SME score when settled, else 0
    eligible: Mapped[bool] = mapped_column(Boolean)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CandidateResultSet(db.Model):
    """Which (rung, evaluation year) has stored results, and a full computation's progress.

    `thresholds` is a fingerprint of the thresholds the rows were computed under: when the rules'
    data for that year changes (a new release), the fingerprint no longer matches and the set is
    recomputed in the background while the page shows `done` / `total`.
    """

    __tablename__ = "candidate_result_set"
    __table_args__ = (UniqueConstraint("target_rung", "year", name="uq_candidate_result_set_target_rung"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_rung: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    thresholds: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # computing | ready
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = updated_at_column()
