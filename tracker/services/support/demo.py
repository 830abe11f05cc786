"""Demo support records (扶持记录, docs/DOMAIN.md §9) for the demo city (tracker/services/ops/demo_city.py).

Read from the companies already generated, so each kind goes where it would in Changzhou: R&D
super-deductions for most HNTE holders (the deducted amount follows their R&D expense), technology
loans for tech SMEs and HNTEs, listing cultivation for gazelles and (potential) unicorns at every
stage, contest awards at every level and subsidies under the city's policies.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import insert, select

from tracker.extensions import db
from tracker.models import Company, CompanyYearFigures, SupportRecord
from tracker.services.stages import stage_rank_subquery

BANKS = ("江苏银行常州分行", "江南农村商业银行", "中国银行常州分行", "工商银行常州分行", "南京银行常州分行", "交通银行常州分行")
LOAN_WEIGHTS = {"sukedai": 5, "innovation": 3, "talent": 1, "other": 1}
CONTESTS = (
    ("national", "中国创新创业大赛", ("优秀企业", "三等奖", "优胜奖")),
    ("provincial", "江苏省创新创业大赛", ("一等奖", "二等奖", "三等奖", "优胜奖")),
    ("city", "常州市“龙城英才”创新创业大赛", ("一等奖", "二等奖", "三等奖", "优秀奖")),
    ("district", "区级双创大赛", ("一等奖", "二等奖", "优秀奖")),
)
POLICIES = ("创新政策20条", "高新技术企业首次认定奖励", "研发费用补助", "科技贷款贴息", "瞪羚企业培育奖励")
BOARDS = ("star", "chinext", "bse", "main")
RANK_TECH_SME, RANK_HNTE, RANK_GAZELLE = 1, 2, 3


def seed_demo(rng: random.Random, reference: dt.date) -> int:
    """Bulk-insert the demo support records; returns how many (runs inside the demo's transaction)."""
    companies = db.session.execute(
        select(Company.id, stage_rank_subquery(reference)).where(Company.deleted_at.is_(None)).order_by(Company.id)
    ).all()
    rd = dict(
        ((company_id, year), amount) for company_id, year, amount in db.session.execute(
            select(CompanyYearFigures.company_id, CompanyYearFigures.year, CompanyYearFigures.rd_expense)
            .where(CompanyYearFigures.year >= reference.year - 3)
        )
    )
    rows: list[dict] = []
    for company_id, rank in companies:
        rank = int(rank or 0)
        for year in (reference.year - 2, reference.year - 1):
            if rank >= RANK_HNTE and rng.random() < 0.55:
                base = rd.get((company_id, year)) or Decimal(rng.randint(200, 3000))
                rows.append(_row(company_id, "rd_deduction", year, amount=(Decimal(base) * Decimal("1.0")).quantize(Decimal("0.01"))))
        if rank >= RANK_TECH_SME and rng.random() < 0.07:
            year = rng.choice((reference.year - 1, reference.year))
            day = _day_in(rng, year, reference)
            product = rng.choices(list(LOAN_WEIGHTS), weights=list(LOAN_WEIGHTS.values()))[0]
            rows.append(_row(company_id, "tech_loan", year, loan_product=product, bank=rng.choice(BANKS),
                             amount=Decimal(rng.randint(10, 200) * 10), occurred_on=day))
        if rank >= RANK_GAZELLE and rng.random() < 0.22:
            rows.append(_listing(rng, company_id, reference))
        if rank >= RANK_TECH_SME and rng.random() < 0.04:
            level, name, awards = rng.choice(CONTESTS)
            rows.append(_row(company_id, "contest", rng.choice((reference.year - 1, reference.year)),
                             name=name, level=level, award=rng.choice(awards)))
        if rank >= RANK_HNTE and rng.random() < 0.08:
            year = reference.year - 1
            rows.append(_row(company_id, "subsidy", year, name=rng.choice(POLICIES),
                             amount=Decimal(rng.randint(2, 100)) * 5, occurred_on=_day_in(rng, year, reference)))
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(SupportRecord), rows[start:start + 5000])
    return len(rows)


_FIELDS = ("amount", "occurred_on", "loan_product", "bank", "listing_stage", "listing_board", "filed_on",
           "accepted_on", "listed_on", "name", "level", "award", "note")


def _row(company_id: int, kind: str, year: int, **values) -> dict:
    row = {"company_id": company_id, "kind": kind, "year": year, "source": "demo", "version": 1}
    row.update({name: values.get(name) for name in _FIELDS})
    return row


def _day_in(rng: random.Random, year: int, reference: dt.date) -> dt.date:
    last = min(dt.date(year, 12, 31), reference)
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, (last - dt.date(year, 1, 1)).days))


def _listing(rng: random.Random, company_id: int, reference: dt.date) -> dict:
    """A listing process at a stage drawn from 辅导备案 (most) → 申报受理 → 上市 (few), dates in order."""
    year = rng.choice((reference.year - 2, reference.year - 1))
    filed = _day_in(rng, year, reference)
    stage = rng.choices(("coaching", "accepted", "listed"), weights=(6, 3, 1))[0]
    accepted = min(filed + dt.timedelta(days=rng.randint(90, 300)), reference) if stage != "coaching" else None
    listed = min(accepted + dt.timedelta(days=rng.randint(60, 240)), reference) if stage == "listed" else None
    return _row(company_id, "listing", year, listing_stage=stage, listing_board=rng.choice(BOARDS), filed_on=filed,
                accepted_on=accepted, listed_on=listed)
