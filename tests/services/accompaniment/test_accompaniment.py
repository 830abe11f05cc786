"""Key-company accompaniment (tracker/services/accompaniment): the yearly list, diagnoses raising
and linking follow-ups, the quarter review, permissions (docs/DOMAIN.md §9)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AccompanimentRecord, AuditEvent, FollowUp, KeyCompany, Notification
from tracker.rules.accompaniment import quarter_of
from tracker.services.accompaniment import keylist, records
from tracker.services.errors import Forbidden, NotFound, ServiceError
from tracker.services.visits.records import FollowUpInput

YEAR = today().year


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(factory):
    officer = factory.user("officer", "wujin")
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin", officer=officer, name="武进瞪羚企业")
    second = factory.company("wujin", officer=officer, name="武进第二企业")
    factory.designation(company, "gazelle", dt.date(YEAR - 1, 6, 1))
    return {"officer": officer, "manager": manager, "company": company, "second": second,
            "other": factory.company("liyang", name="溧阳企业"), "liyang_manager": factory.user("manager", "liyang")}


def _entry(world, company=None, responsible=None):
    company = company or world["company"]
    return keylist.add_key_company(world["manager"], company.id, YEAR,
                                   {"responsible_id": (responsible or world["officer"]).id, "reason": "瞪羚企业"})


def test_a_manager_lists_a_key_company_once_per_year(world):
    entry = _entry(world)
    assert entry.responsible_id == world["officer"].id
    with pytest.raises(ServiceError, match="已在"):
        _entry(world)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "key_company.create")) == 1
    keylist.remove_key_company(world["manager"], entry)
    assert _entry(world).id != entry.id  # a removed entry may be added again


def test_only_managers_of_the_district_and_admins_keep_the_list(world, factory):
    with pytest.raises(Forbidden):
        keylist.add_key_company(world["officer"], world["company"].id, YEAR, {"responsible_id": world["officer"].id})
    with pytest.raises(NotFound):
        keylist.add_key_company(world["liyang_manager"], world["company"].id, YEAR, {"responsible_id": world["liyang_manager"].id})
    with pytest.raises(ServiceError, match="无权查看该企业"):
        keylist.add_key_company(world["manager"], world["company"].id, YEAR, {"responsible_id": world["liyang_manager"].id})
    with pytest.raises(ServiceError) as exc:
        keylist.add_key_company(world["manager"], world["company"].id, YEAR + 5, {"responsible_id": world["officer"].id})
    assert exc.value.field == "year"
    assert _count(KeyCompany) == 0


def test_a_diagnosis_raises_new_follow_ups_and_links_existing_ones_all_or_nothing(world, factory):
    entry = _entry(world)
    manager, officer, company = world["manager"], world["officer"], world["company"]
    existing = FollowUp(company_id=company.id, description="用地需求", owner_id=officer.id, due_on=today(), status="open")
    db.session.add(existing)
    db.session.commit()
    data = {"held_on": today(), "participants": "王科长、张总", "findings": "缺少中试平台", "resources": ["platform", "capital"]}
    # A bad follow-up row refuses the whole record: nothing written.
    with pytest.raises(ServiceError) as exc:
        records.log_record(manager, entry, data, [FollowUpInput(index=1, description="", category="tech", due_workdays=5)])
    assert exc.value.field == "follow_ups-1-description"
    assert _count(AccompanimentRecord) == 0
    record = records.log_record(
        manager, entry, data,
        [FollowUpInput(index=0, description="对接中试平台", category="tech", owner_id=officer.id, due_workdays=10)],
        link_follow_up_ids=[existing.id],
    )
    assert record.resources == "capital,platform"
    assert sorted(f.description for f in record.follow_ups) == ["对接中试平台", "用地需求"]
    raised = next(f for f in record.follow_ups if f.id != existing.id)
    assert raised.visit_id is None and raised.owner_id == officer.id and raised.due_on > today()
    # The officer the follow-up was handed to is told at once, as for a visit.
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.recipient_id == officer.id)) == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "accompaniment.create")).one()
    assert event.after["resources"] == "资本、平台" and len(event.after["follow_up_ids"]) == 2


def test_follow_ups_of_another_company_cannot_be_linked(world):
    entry = _entry(world)
    foreign = FollowUp(company_id=world["second"].id, description="别家的诉求", status="open")
    db.session.add(foreign)
    db.session.commit()
    with pytest.raises(ServiceError, match="只能关联本企业的诉求"):
        records.log_record(world["officer"], entry, {"held_on": today(), "participants": "a", "findings": "b"},
                           link_follow_up_ids=[foreign.id])


def test_diagnosis_dates_and_texts_are_checked(world):
    entry = _entry(world)
    with pytest.raises(ServiceError) as exc:
        records.log_record(world["officer"], entry, {"held_on": today() + dt.timedelta(days=1), "participants": "a", "findings": "b"})
    assert exc.value.field == "held_on"
    with pytest.raises(ServiceError) as exc:
        records.log_record(world["officer"], entry, {"held_on": today(), "participants": "a", "findings": "  "})
    assert exc.value.field == "findings"
    with pytest.raises(ServiceError) as exc:
        records.log_record(world["officer"], entry, {"held_on": today(), "participants": "a", "findings": "b", "resources": ["gold"]})
    assert exc.value.field == "resources"


def test_the_quarter_review_lists_key_companies_without_a_diagnosis_this_quarter(world):
    first, second = _entry(world), _entry(world, world["second"])
    manager = world["manager"]
    filters = keylist.KeyListFilters(year=YEAR, missing_quarter=True)
    assert {r.company.name for r in keylist.list_key_companies(manager, filters, 1, 50).rows} == {"武进瞪羚企业", "武进第二企业"}
    assert keylist.count_missing_quarter(manager, YEAR) == (2, 2)
    start, _ = quarter_of(today())
    if start > dt.date(YEAR, 1, 1):  # a diagnosis of an earlier quarter does not count for this one
        records.log_record(manager, second, {"held_on": start - dt.timedelta(days=1), "participants": "a", "findings": "b"})
        assert keylist.count_missing_quarter(manager, YEAR) == (2, 2)
    records.log_record(manager, first, {"held_on": today(), "participants": "a", "findings": "b"})
    rows = keylist.list_key_companies(manager, filters, 1, 50).rows
    assert [r.company.name for r in rows] == ["武进第二企业"]
    assert keylist.count_missing_quarter(manager, YEAR) == (2, 1)
    everyone = keylist.list_key_companies(manager, keylist.KeyListFilters(year=YEAR), 1, 50).rows
    assert {r.company.name: r.in_quarter for r in everyone} == {"武进瞪羚企业": True, "武进第二企业": False}
    # Another district's manager sees none of it.
    assert keylist.count_missing_quarter(world["liyang_manager"], YEAR) == (0, 0)


def test_suggestions_are_gazelles_and_unicorns_not_yet_listed(world):
    assert [c.name for c in keylist.suggested_companies(world["manager"], YEAR)] == ["武进瞪羚企业"]
    _entry(world)
    assert keylist.suggested_companies(world["manager"], YEAR) == []


def test_who_may_change_a_diagnosis(world, factory):
    entry = _entry(world)
    record = records.log_record(world["manager"], entry, {"held_on": today(), "participants": "a", "findings": "b"})
    with pytest.raises(Forbidden):
        records.edit_record(world["officer"], record, {"held_on": today(), "participants": "a", "findings": "c"}, version=None)
    with pytest.raises(NotFound):
        records.get_record_for(world["liyang_manager"], record.id)
    records.edit_record(world["manager"], record, {"held_on": today(), "participants": "a", "findings": "c"},
                        version=record.version)
    assert record.findings == "c"
    records.delete_record(world["manager"], record)
    with pytest.raises(NotFound):
        records.get_record_for(world["manager"], record.id)
    year = records.company_year(world["officer"], world["company"].id, YEAR)
    assert year.entry.id == entry.id and year.records == []
