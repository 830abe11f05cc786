"""The demo city's support records and key-company lists (tracker/services/{support,accompaniment}/demo.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import AccompanimentRecord, KeyCompany, SupportRecord
from tracker.rules import accompaniment as accompaniment_rules
from tracker.rules import support as support_rules
from tracker.services.ops import demo_city

REFERENCE = dt.date(2026, 11, 20)


def test_the_demo_city_has_support_of_every_kind_and_a_key_company_list_with_records(app):
    counts = demo_city.generate(companies=1500, seed=11, reference=REFERENCE)
    assert counts.features["tracker.services.support.demo"] > 0
    assert counts.features["tracker.services.accompaniment.demo"] > 0
    kinds = dict(db.session.execute(select(SupportRecord.kind, func.count()).group_by(SupportRecord.kind)).all())
    assert set(support_rules.KINDS) <= set(kinds), kinds
    stages = set(db.session.scalars(select(SupportRecord.listing_stage).where(SupportRecord.kind == "listing")))
    assert "coaching" in stages
    # Every stored record passes the rule the form applies.
    for record in db.session.scalars(select(SupportRecord).where(SupportRecord.source == "demo")):
        values = {"kind": record.kind, "year": record.year, "note": record.note,
                  **{f: getattr(record, f) for f in support_rules.TYPED_FIELDS}}
        support_rules.check_record(values, REFERENCE)
    this_year = db.session.scalar(select(func.count()).select_from(KeyCompany).where(KeyCompany.year == REFERENCE.year))
    assert this_year > 0
    start, end = accompaniment_rules.quarter_of(REFERENCE)
    in_quarter = db.session.scalar(select(func.count(func.distinct(AccompanimentRecord.key_company_id))).where(
        AccompanimentRecord.held_on.between(start, end)))
    assert 0 < in_quarter < this_year  # some done this quarter, some for the managers to chase
    assert db.session.scalar(select(func.max(AccompanimentRecord.held_on))) <= REFERENCE
