"""The demo city's 诉求 have departments to refer to and timelines that match their status."""

import datetime as dt
import random

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import Department, FollowUp, FollowUpEvent
from tracker.services.ops import demo_city
from tracker.services.visits import demo

REFERENCE = dt.date(2026, 11, 20)


def test_demo_cases_follow_the_status_of_each_follow_up(app):
    counts = demo_city.generate(companies=600, seed=5, reference=REFERENCE)
    added = counts.features["tracker.services.visits.demo"]
    assert db.session.scalar(select(func.count(Department.id))) == len(demo.DEPARTMENTS)
    assert added == len(demo.DEPARTMENTS) + db.session.scalar(select(func.count(FollowUpEvent.id)))
    closed = db.session.scalars(select(FollowUp).where(FollowUp.status == "closed").limit(20)).all()
    assert closed
    for f in closed:
        kinds = [e.kind for e in db.session.scalars(select(FollowUpEvent).where(FollowUpEvent.follow_up_id == f.id))]
        assert kinds.count("status") == 3
    opened = select(FollowUp.id).where(FollowUp.status == "open")
    assert db.session.scalar(select(func.count(FollowUpEvent.id)).where(FollowUpEvent.follow_up_id.in_(opened))) == 0
    referred = db.session.scalar(select(func.count(FollowUp.id)).where(FollowUp.referred_department_id.is_not(None)))
    assert referred > 0
    assert demo.seed_demo(random.Random(1), REFERENCE) == 0  # a second run adds nothing
