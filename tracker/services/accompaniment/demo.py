"""Demo key-company accompaniment (重点企业陪伴计划, docs/DOMAIN.md §9) for the demo city
(tracker/services/ops/demo_city.py).

This year's and last year's key-company lists: the gazelles and (potential) unicorns of each
district (up to MAX_PER_DISTRICT), each with its primary officer (or else a district manager)
responsible; diagnoses in most past quarters and in about half of the current one — so the
managers' review has companies to chase — introducing resources and, often, raising a follow-up.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from tracker.clock import TZ
from tracker.extensions import db
from tracker.models import AccompanimentRecord, Assignment, Company, Designation, FollowUp, KeyCompany, User
from tracker.rules import accompaniment as rules
from tracker.services.stages import in_force_clause

MAX_PER_DISTRICT = 25
LEADERS = ("局长", "分管副局长", "高新处处长", "成果处处长")
FINDINGS = (
    ("中试验证条件不足，新产品放大生产周期长", ("platform",), ("tech", "希望对接中试验证平台")),
    ("拟开展B轮融资，缺少专业投资机构对接", ("capital",), ("funding", "对接市产业投资基金及创投机构")),
    ("高端研发人才引进难，现有团队以本地招聘为主", ("talent",), ("talent", "协助申报龙城英才计划并对接高校")),
    ("对研发费用加计扣除和高企政策掌握不全", ("policy",), ("policy", "安排政策专员上门讲解研发费用加计扣除")),
    ("扩产需要新增用地，现有厂房已满负荷", ("policy",), ("land", "协调辖区工业用地指标")),
    ("知识产权布局薄弱，核心专利数量偏少", ("platform", "policy"), ("ip", "对接知识产权服务机构开展专利导航")),
    ("经营情况良好，研发投入稳定增长，暂无新增诉求", ("policy",), None),
)
PEOPLE = ("市科技局{leader}、企业总经理", "区科技局分管领导、企业董事长", "服务专员、企业研发负责人", "市科技局{leader}、投资机构代表、企业财务总监")


def seed_demo(rng: random.Random, reference: dt.date) -> int:
    """Add the demo key-company lists, diagnoses and follow-ups; returns the rows added."""
    held = (
        select(Designation.id)
        .where(Designation.company_id == Company.id, Designation.rung.in_(rules.SUGGESTED_RUNGS), in_force_clause(reference))
        .correlate(Company).exists()
    )
    companies = db.session.execute(
        select(Company.id, Company.district).where(Company.deleted_at.is_(None), held).order_by(Company.id)
    ).all()
    officer_of = dict(db.session.execute(
        select(Assignment.company_id, Assignment.officer_id)
        .where(Assignment.assigned_until.is_(None), Assignment.is_primary.is_(True))
    ).all())
    manager_of = dict(db.session.execute(
        select(User.district, User.id).where(User.role == "manager", User.active.is_(True)).order_by(User.id.desc())
    ).all())
    by_district: dict[str, list[int]] = {}
    for company_id, district in companies:
        by_district.setdefault(district, []).append(company_id)
    added = 0
    for district, ids in sorted(by_district.items()):
        manager = manager_of.get(district)
        chosen = rng.sample(ids, min(MAX_PER_DISTRICT, len(ids)))
        for year in (reference.year - 1, reference.year):
            for company_id in chosen if year == reference.year else chosen[: len(chosen) * 2 // 3]:
                responsible = officer_of.get(company_id, manager)
                if responsible is None:
                    continue
                entry = KeyCompany(company_id=company_id, year=year, responsible_id=responsible, added_by_id=manager,
                                   leader=rng.choice(LEADERS) if rng.random() < 0.4 else None,
                                   reason="瞪羚、潜在独角兽企业，一对一把脉陪伴")
                db.session.add(entry)
                db.session.flush()
                added += 1 + _diagnoses(rng, entry, responsible, reference)
    return added


def _diagnoses(rng: random.Random, entry: KeyCompany, recorder: int, reference: dt.date) -> int:
    added = 0
    current = rules.quarter_of(reference)[0]
    for month in (1, 4, 7, 10):
        start = dt.date(entry.year, month, 1)
        if start > reference:
            break
        this_quarter = start == current
        if rng.random() > (0.5 if this_quarter else 0.8):
            continue
        end = min(rules.quarter_of(start)[1], reference)
        day = start + dt.timedelta(days=rng.randint(0, (end - start).days))
        findings, resources, follow = rng.choice(FINDINGS)
        record = AccompanimentRecord(
            key_company_id=entry.id, company_id=entry.company_id, held_on=day, recorded_by_id=recorder,
            participants=rng.choice(PEOPLE).format(leader=entry.leader or "分管领导"), findings=findings,
            resources=rules.join_resources(resources),
        )
        if follow is not None and rng.random() < 0.6:
            category, text = follow
            done = day < reference - dt.timedelta(days=45)
            finished = dt.datetime.combine(day + dt.timedelta(days=20), dt.time(10, 0), tzinfo=TZ) if done else None
            record.follow_ups = [FollowUp(
                company_id=entry.company_id, category=category, description=text, owner_id=recorder,
                due_on=day + dt.timedelta(days=21), status="closed" if done else "in_progress",
                resolution="已对接落实" if done else None, satisfaction="satisfied" if done else None,
                resolved_at=finished, closed_at=finished,
            )]
            added += 1
        db.session.add(record)
        added += 1
    db.session.flush()
    return added
