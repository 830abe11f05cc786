import datetime as dt

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import Company, Designation, User, Visit
from tracker.services.ops import demo_city


def test_demo_city_is_deterministic_and_ordinary_inserts_still_work(app, factory):
    counts = demo_city.generate(companies=60, seed=7)
    assert counts.companies == 60 and db.session.scalar(select(func.count(Company.id))) == 60
    first = db.session.execute(select(Company.uscc, Company.name).order_by(Company.id)).all()
    assert db.session.scalar(select(func.count(User.id))) == counts.users
    assert db.session.scalar(select(func.count(Visit.id))) == counts.visits
    # The id sequences moved past the bulk-inserted rows (PostgreSQL): a normal insert works.
    company = factory.company(name="演示之后新增")
    factory.designation(company, "hnte", dt.date(2025, 1, 1))
    factory.user("officer", "wujin")
    assert company.id > 60
    assert db.session.scalar(select(func.count(Designation.id))) == counts.designations + 1
    # Same seed, same city.
    for table in reversed(db.metadata.sorted_tables):
        if table.name != "audit_event":  # append-only (a trigger refuses DELETE on PostgreSQL)
            db.session.execute(table.delete())
    db.session.commit()
    demo_city.generate(companies=60, seed=7)
    again = db.session.execute(select(Company.uscc, Company.name).order_by(Company.id)).all()
    assert [tuple(r) for r in again][:60] == [tuple(r) for r in first]
