"""Policies (政策"快享直达"): the registry, each policy's conditions, and claims per company and year.

Who is entitled is never stored: it is computed from the records (tracker/services/policies/
entitlements.py, docs/DOMAIN.md §9). A claim records what was done about an entitlement.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column, updated_at_column

Money = Numeric(16, 2)  # 万元


class Policy(db.Model):
    """A policy (政策): name, issuing body, the years it applies to, its benefit and amount rule.

    Soft-deleted (deleted_at set): gone from lists, digests and the coverage view; claims stay.
    """

    __tablename__ = "policy"
    __table_args__ = (Index("ix_policy_live_years", "deleted_at", "year", "until_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(128))  # 发文单位
    reference: Mapped[str | None] = mapped_column(String(128))  # 文号
    year: Mapped[int] = mapped_column(Integer)  # first policy year (政策年度)
    until_year: Mapped[int | None] = mapped_column(Integer)  # last policy year; NULL: only `year`
    benefit_kind: Mapped[str] = mapped_column(String(32))  # tracker.rules.policies.BENEFIT_KINDS
    amount_rule: Mapped[str] = mapped_column(String(16))  # fixed | none
    amount: Mapped[Decimal | None] = mapped_column(Money)  # 万元, for amount_rule == fixed
    description: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    __mapper_args__ = {"version_id_col": version}

    conditions = relationship(
        "PolicyCondition", back_populates="policy", order_by="PolicyCondition.position",
        cascade="all, delete-orphan",
    )

    @property
    def last_year(self) -> int:
        return self.until_year or self.year

    def applies_in(self, year: int) -> bool:
        return self.year <= year <= self.last_year


class PolicyCondition(db.Model):
    """One condition of a policy, an entry of the fixed menu (tracker.rules.policies.CONDITION_KINDS)."""

    __tablename__ = "policy_condition"
    __table_args__ = (Index("ix_policy_condition_policy", "policy_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    rung: Mapped[str | None] = mapped_column(String(24))
    field: Mapped[str | None] = mapped_column(String(32))
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    year_offset: Mapped[int] = mapped_column(Integer, default=0)
    values: Mapped[list | None] = mapped_column(JSON)  # district codes or industries

    policy = relationship("Policy", back_populates="conditions")


class PolicyClaim(db.Model):
    """A company's claim (申领) under a policy for a policy year: 告知 → 申报 → 审核 → 兑现."""

    __tablename__ = "policy_claim"
    __table_args__ = (
        UniqueConstraint("policy_id", "company_id", "year", name="uq_policy_claim_policy_company_year"),
        Index("ix_policy_claim_policy_year_status", "policy_id", "year", "status"),
        Index("ix_policy_claim_company", "company_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # tracker.rules.policies.CLAIM_STATUSES
    reason: Mapped[str | None] = mapped_column(Text)  # why the company was entitled when notified
    amount: Mapped[Decimal | None] = mapped_column(Money)  # 万元: applied for, then paid
    notified_on: Mapped[dt.date | None] = mapped_column(Date)
    applied_on: Mapped[dt.date | None] = mapped_column(Date)
    reviewed_on: Mapped[dt.date | None] = mapped_column(Date)
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    __mapper_args__ = {"version_id_col": version}

    policy = relationship("Policy")
    company = relationship("Company")
    steps = relationship("PolicyClaimStep", back_populates="claim", order_by="PolicyClaimStep.id")


class PolicyClaimStep(db.Model):
    """One step of a claim: which status, on which day, who recorded it, with a note."""

    __tablename__ = "policy_claim_step"
    __table_args__ = (Index("ix_policy_claim_step_claim", "claim_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("policy_claim.id"))
    status: Mapped[str] = mapped_column(String(16))
    happened_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = created_at_column()

    claim = relationship("PolicyClaim", back_populates="steps")
    actor = relationship("User")
