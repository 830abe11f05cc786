"""Accompaniment pages: the list with the quarter review, adding key companies, diagnosis records
raising follow-ups, the company's year, denials (docs/DOMAIN.md §9)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AccompanimentRecord, FollowUp, KeyCompany
from tracker.services.accompaniment import keylist

YEAR = today().year


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(factory):
    officer = factory.user("officer", "wujin")
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin", officer=officer, name="武进瞪羚企业")
    factory.designation(company, "gazelle", dt.date(YEAR - 1, 6, 1))
    return {"officer": officer, "manager": manager, "company": company,
            "other": factory.company("liyang", name="溧阳保密企业")}


def test_a_manager_lists_a_company_and_records_a_diagnosis_with_a_follow_up(client, auth, world):
    auth.login(world["manager"])
    company, officer = world["company"], world["officer"]
    pick = client.get(f"/accompaniment/new?year={YEAR}").get_data(as_text=True)
    assert "武进瞪羚企业" in pick and "建议列入" in pick
    assert "武进瞪羚企业" in client.get("/accompaniment/new?q=瞪羚").get_data(as_text=True)
    response = client.post(f"/accompaniment/new?company_id={company.id}&year={YEAR}",
                           data={"year": YEAR, "responsible_id": str(officer.id), "reason": "瞪羚企业"})
    assert response.status_code == 302
    entry = db.session.scalars(select(KeyCompany)).one()
    listing = client.get("/accompaniment/?missing=y").get_data(as_text=True)
    assert "武进瞪羚企业" in listing and "本季度未把脉" in listing
    form = client.get(f"/accompaniment/{entry.id}/records/new").get_data(as_text=True)
    assert "引入资源" in form and "资本" in form
    response = client.post(f"/accompaniment/{entry.id}/records/new", data={
        "held_on": today().isoformat(), "participants": "王科长、张总", "findings": "需要对接投资机构",
        "resources": ["capital", "policy"],
        "follow_ups-0-category": "funding", "follow_ups-0-description": "对接产业基金",
        "follow_ups-0-owner_id": str(officer.id), "follow_ups-0-due_workdays": "10",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    follow_up = db.session.scalars(select(FollowUp)).one()
    assert follow_up.description == "对接产业基金" and follow_up.owner_id == officer.id
    year_page = client.get(f"/accompaniment/companies/{company.id}").get_data(as_text=True)
    assert "需要对接投资机构" in year_page and "对接产业基金" in year_page and "资本" in year_page
    assert "武进瞪羚企业" not in client.get("/accompaniment/?missing=y").get_data(as_text=True)
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert 'data-testid="company-accompaniment"' in page and "本年把脉 1 次" in page


def test_a_bad_diagnosis_is_refused_and_writes_nothing(client, auth, world):
    auth.login(world["manager"])
    entry = keylist.add_key_company(world["manager"], world["company"].id, YEAR, {"responsible_id": world["officer"].id})
    response = client.post(f"/accompaniment/{entry.id}/records/new", data={
        "held_on": (today() + dt.timedelta(days=3)).isoformat(), "participants": "a", "findings": "b",
        "follow_ups-0-category": "funding", "follow_ups-0-description": "x", "follow_ups-0-due_workdays": "5",
    })
    assert response.status_code == 200 and "把脉日期不能晚于今天" in response.get_data(as_text=True)
    response = client.post(f"/accompaniment/{entry.id}/records/new", data={
        "held_on": today().isoformat(), "participants": "a", "findings": "b",
        "follow_ups-0-description": "只写了内容",
    })
    assert "请选择诉求类别" in response.get_data(as_text=True)
    assert _count(AccompanimentRecord) == 0 and _count(FollowUp) == 0


def test_officers_see_their_key_companies_but_cannot_keep_the_list(client, auth, world):
    entry = keylist.add_key_company(world["manager"], world["company"].id, YEAR, {"responsible_id": world["officer"].id})
    auth.login(world["officer"])
    assert "武进瞪羚企业" in client.get("/accompaniment/").get_data(as_text=True)
    assert client.get("/accompaniment/new").status_code == 403
    assert client.post(f"/accompaniment/{entry.id}/delete").status_code == 403
    assert client.get(f"/accompaniment/{entry.id}/edit").status_code == 403
    assert client.get(f"/accompaniment/{entry.id}/records/new").status_code == 200  # they do the diagnoses


def test_another_districts_manager_gets_404(client, auth, world, factory):
    other = world["other"]
    entry = keylist.add_key_company(factory.user("admin"), other.id, YEAR, {"responsible_id": factory.user("manager", "liyang").id})
    auth.login(world["manager"])
    for url in (f"/accompaniment/{entry.id}/edit", f"/accompaniment/{entry.id}/records/new",
                f"/accompaniment/companies/{other.id}", f"/accompaniment/new?company_id={other.id}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/accompaniment/{entry.id}/delete").status_code == 404
    assert "溧阳保密企业" not in client.get("/accompaniment/").get_data(as_text=True)
    assert _count(KeyCompany) == 1 and db.session.get(KeyCompany, entry.id).deleted_at is None


def test_hostile_query_arguments_do_not_break_the_pages(client, auth, world):
    auth.login(world["manager"])
    for url in ("/accompaniment/?year=99999999999", "/accompaniment/?year=abc&page=-1",
                f"/accompaniment/companies/{world['company'].id}?year=999999999",
                "/accompaniment/new?company_id=99999999999999999999", "/support/?year=1&kind=%00"):
        assert client.get(url).status_code < 500, url
