"""My work as a page: the officer's home, each line one click from its action."""

import datetime as dt

from tracker.clock import today
from tracker.extensions import db
from tracker.models import FollowUp


def test_officers_land_on_my_work_and_see_their_lines(app, client, factory, auth):
    officer = factory.user("officer", "wujin", name="王专员")
    company = factory.company("wujin", officer=officer, name="待走访企业")
    follow_up = FollowUp(company_id=company.id, description="逾期的诉求", owner_id=officer.id,
                         due_on=today() - dt.timedelta(days=1))
    db.session.add(follow_up)
    db.session.commit()
    factory.designation(company, "hnte", today() - dt.timedelta(days=3 * 365 - 50))
    factory.company("liyang", name="溧阳企业")
    auth.login(officer)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/work/")
    body = client.get("/work/").get_data(as_text=True)
    assert "待走访企业" in body and "溧阳企业" not in body
    assert f"/visits/new?company_id={company.id}&amp;back=work" in body
    assert f"/visits/follow-ups/{follow_up.id}" in body and "逾期的诉求" in body
    assert 'data-testid="expiring"' in body and "剩 " in body
    assert 'data-testid="count-follow-ups">1<' in body


def test_managers_keep_the_overview_home_and_have_my_work_for_the_district(app, client, factory, auth):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    factory.company("wujin", officer=officer, name="辖区企业")
    auth.login(manager)
    assert client.get("/").status_code == 200
    body = client.get("/work/").get_data(as_text=True)
    assert "辖区企业" in body and "本辖区" in body


def test_empty_my_work_says_so(app, client, factory, auth):
    officer = factory.user("officer", "wujin")
    auth.login(officer)
    body = client.get("/work/").get_data(as_text=True)
    assert "近期没有需要走访的企业" in body and "没有临近期限的诉求" in body
