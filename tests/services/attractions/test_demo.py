"""The demo city's attraction projects: every channel and status, notes, settled ones linked."""

from __future__ import annotations

from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AttractionNote, AttractionProject, Company
from tracker.rules import attraction as rules
from tracker.services.indicators.rollup import roll_up
from tracker.services.ops import demo_city


def test_demo_city_has_projects_in_every_channel_and_status(app):
    counts = demo_city.generate(companies=300, seed=11)
    assert counts.features["tracker.services.attractions.demo"] > 0
    pairs = set(db.session.execute(select(AttractionProject.channel, AttractionProject.status)).all())
    assert {c for c, _ in pairs} == set(rules.BUILTIN_CHANNELS)
    assert {s for _, s in pairs} == set(rules.STATUSES)
    assert db.session.scalar(select(func.count(AttractionNote.id))) > 0
    # Company channels are codes, and each company attracted this year has its settled project.
    assert not set(db.session.scalars(select(Company.attraction_channel).distinct())) - set(rules.BUILTIN_CHANNELS) - {None}
    year_start = today().replace(month=1, day=1)
    attracted = set(db.session.scalars(select(Company.id).where(Company.attracted_on >= year_start)))
    linked = set(db.session.scalars(select(AttractionProject.company_id).where(
        AttractionProject.status == "settled", AttractionProject.settled_on >= year_start)))
    assert attracted and attracted == linked
    figure = roll_up(today()).figure("tech_sme_attracted_new")
    assert sum(figure.by_channel.values()) == figure.actual == len(attracted)
    # The weekly view has something to flag, and something followed up.
    last = (select(AttractionNote.project_id, func.max(AttractionNote.noted_on).label("on"))
            .group_by(AttractionNote.project_id).subquery())
    open_last = db.session.execute(select(last.c.on).join(AttractionProject, AttractionProject.id == last.c.project_id)
                                   .where(AttractionProject.status.in_(rules.OPEN_STATUSES))).scalars().all()
    week = rules.week_start(today())
    assert any(d < week for d in open_last)
