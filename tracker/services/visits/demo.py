"""Demo data for 诉求 handled as a case (docs/DOMAIN.md §7), for the demo city
(tracker/services/ops/demo_city.py FEATURE_DEMOS): the departments follow-ups are referred to, and a
timeline for the follow-ups the city already has — started, referred with the department's reply,
办结 and 销号 as their status says, a satisfaction call-back after most closings.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select, update

from tracker.clock import TZ, now
from tracker.extensions import db
from tracker.models import Department, FollowUp, FollowUpEvent
from tracker.rules import follow_ups as rules

DEPARTMENTS = (
    ("常州市科学技术局", "高新处 0519-85681000"), ("常州市工业和信息化局", "企业服务处"),
    ("常州市人力资源和社会保障局", "人才开发处"), ("常州市自然资源和规划局", "用地保障处"),
    ("常州市地方金融监督管理局", "金融服务处"), ("常州市市场监督管理局", "知识产权处"),
    ("国家税务总局常州市税务局", "纳税服务科"), ("常州大学科技处", "产学研合作办公室"),
)
STARTED = ("已电话联系企业，了解具体需求", "已上门了解情况", "已约企业负责人面谈")
REPLIES = ("已安排专人对接企业", "已组织政策辅导", "已推荐合作单位上门洽谈", "已列入近期协调事项")
CALLBACK_NOTES = ("企业对办理结果表示认可", "企业希望后续继续跟进", "企业反映办理周期偏长")


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), TZ)


def seed_demo(rng: random.Random, reference: dt.date) -> int:
    """Bulk-insert the departments and the demo follow-ups' timelines; returns the rows added."""
    existing = set(db.session.scalars(select(Department.name)))
    rows = [{"name": n, "contact": c, "active": True, "created_at": now()} for n, c in DEPARTMENTS if n not in existing]
    if rows:
        db.session.execute(insert(Department), rows)
    departments = list(db.session.execute(select(Department.id, Department.name)))
    follow_ups = db.session.execute(
        select(FollowUp.id, FollowUp.company_id, FollowUp.owner_id, FollowUp.status, FollowUp.created_at,
               FollowUp.resolution, FollowUp.satisfaction)
        .where(~select(FollowUpEvent.id).where(FollowUpEvent.follow_up_id == FollowUp.id).exists())
        .order_by(FollowUp.id)
    ).all()
    events, referrals = [], []
    for fid, company_id, owner_id, status, created, resolution, satisfaction in follow_ups:
        if status == rules.OPEN:
            continue
        day = min((created.date() if created else reference) + dt.timedelta(days=rng.randint(1, 3)), reference)
        base = dict(follow_up_id=fid, company_id=company_id, actor_id=owner_id, department_id=None, on_date=None,
                    result=None, other_user_id=None)
        events.append({**base, "kind": "status", "at": _at(day, 9), "from_status": rules.OPEN,
                       "to_status": rules.IN_PROGRESS, "note": rng.choice(STARTED)})
        if departments and rng.random() < 0.4:
            dept_id, dept_name = rng.choice(departments)
            deadline = day + dt.timedelta(days=10)
            referrals.append({"fid": fid, "unit": dept_name, "dept": dept_id, "deadline": deadline})
            events.append({**base, "kind": "refer", "at": _at(day, 10), "from_status": rules.IN_PROGRESS,
                           "to_status": rules.IN_PROGRESS, "note": None, "department_id": dept_id, "on_date": deadline})
            replied = min(day + dt.timedelta(days=rng.randint(2, 8)), reference)
            events.append({**base, "kind": "reply", "at": _at(replied, 15), "from_status": None, "to_status": None,
                           "note": rng.choice(REPLIES), "department_id": dept_id, "on_date": replied})
        if status in (rules.RESOLVED, rules.CLOSED):
            done = min(day + dt.timedelta(days=rng.randint(5, 20)), reference)
            events.append({**base, "kind": "status", "at": _at(done, 16), "from_status": rules.IN_PROGRESS,
                           "to_status": rules.RESOLVED, "note": resolution})
            if status == rules.CLOSED:
                closed = min(done + dt.timedelta(days=rng.randint(1, 5)), reference)
                events.append({**base, "kind": "status", "at": _at(closed, 11), "from_status": rules.RESOLVED,
                               "to_status": rules.CLOSED, "note": None, "result": satisfaction})
                if rng.random() < 0.7 and closed < reference:
                    called = min(closed + dt.timedelta(days=rng.randint(3, 20)), reference)
                    events.append({**base, "kind": "callback", "at": _at(called, 14), "from_status": None,
                                   "to_status": None, "on_date": called,
                                   "result": rng.choice(list(rules.SATISFACTION_NAMES)), "note": rng.choice(CALLBACK_NOTES)})
    for start in range(0, len(events), 2000):
        db.session.execute(insert(FollowUpEvent), events[start:start + 2000])
    for r in referrals:
        db.session.execute(update(FollowUp).where(FollowUp.id == r["fid"]).values(
            referred_unit=r["unit"], referred_department_id=r["dept"], referred_deadline=r["deadline"]))
    return len(rows) + len(events)
