"""The follow-up page as a case: timeline, 开始办理 with a note, referral to a listed department,
its reply, the manager's review and the satisfaction call-back; the department and review pages."""

import datetime as dt

from tracker.clock import today
from tracker.extensions import db
from tracker.models import Department, FollowUp
from tracker.services.visits import departments


def _login(client, user, factory):
    client.post("/login", data={"email": user.email, "password": factory.PASSWORD})


def _setup(factory):
    manager = factory.user("manager", "wujin", name="李科长")
    officer = factory.user("officer", "wujin", name="王专员")
    company = factory.company("wujin", officer=officer)
    f = FollowUp(company_id=company.id, description="融资对接", owner_id=officer.id, due_on=today() + dt.timedelta(days=9))
    unit = Department(name="武进区金融监管局", contact="周科长")
    db.session.add_all([f, unit])
    db.session.commit()
    return manager, officer, f, unit


def test_case_from_referral_to_callback_through_the_page(app, client, factory):
    manager, officer, f, unit = _setup(factory)
    departments.set_review(manager, "wujin", True)
    _login(client, officer, factory)
    page = client.get(f"/visits/follow-ups/{f.id}").get_data(as_text=True)
    assert 'data-testid="case-timeline"' in page and "提出诉求" in page and "武进区金融监管局（周科长）" in page
    response = client.post(f"/follow-ups/{f.id}/status", data={"to_status": "in_progress", "note": "已约企业面谈",
                                                               "version": f.version})
    assert response.status_code == 302
    db.session.refresh(f)
    client.post(f"/follow-ups/{f.id}/refer", data={"department_id": str(unit.id), "deadline_workdays": "3",
                                                   "version": f.version})
    db.session.refresh(f)
    response = client.post(f"/follow-ups/{f.id}/reply", data={"replied_on": (today() + dt.timedelta(days=1)).isoformat(),
                                                              "text": "已对接", "version": f.version})
    assert response.status_code == 400 and "反馈日期不能晚于今天" in response.get_data(as_text=True)
    client.post(f"/follow-ups/{f.id}/reply", data={"replied_on": today().isoformat(), "text": "已对接两家银行",
                                                   "version": f.version})
    db.session.refresh(f)
    response = client.post(f"/follow-ups/{f.id}/status", data={"to_status": "resolved", "resolution": "获得授信",
                                                               "version": f.version}, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "等待管理员审核" in body and ">待审核<" in body
    assert client.post(f"/follow-ups/{f.id}/review", data={"decision": "approve"}).status_code == 403
    client.post("/logout")
    _login(client, manager, factory)
    db.session.refresh(f)
    assert 'data-testid="review-form"' in client.get(f"/visits/follow-ups/{f.id}").get_data(as_text=True)
    response = client.post(f"/follow-ups/{f.id}/review", data={"decision": "send_back", "note": "", "version": f.version})
    assert response.status_code == 400 and "退回重办时请填写退回意见" in response.get_data(as_text=True)
    client.post(f"/follow-ups/{f.id}/review", data={"decision": "approve", "version": f.version})
    db.session.refresh(f)
    assert f.status == "resolved"
    client.post(f"/follow-ups/{f.id}/status", data={"to_status": "closed", "satisfaction": "satisfied",
                                                    "version": f.version})
    db.session.refresh(f)
    client.post(f"/follow-ups/{f.id}/callback", data={"called_on": today().isoformat(), "result": "basically",
                                                      "note": "企业希望利率再低些", "version": f.version})
    page = client.get(f"/visits/follow-ups/{f.id}").get_data(as_text=True)
    timeline = page[page.index('data-testid="case-timeline"'):]
    for text in ("开始办理", "已约企业面谈", "交办", "承办单位：武进区金融监管局", "已对接两家银行", "提交办结审核",
                 "审核通过", "销号", "满意度回访", "基本满意", "王专员", "李科长"):
        assert text in timeline, text
    assert "in_progress" not in timeline and "reviewing" not in timeline


def test_department_and_review_pages(app, client, factory):
    admin = factory.user("admin")
    manager, officer, f, unit = _setup(factory)
    _login(client, manager, factory)
    assert client.get("/follow-ups/departments").status_code == 403
    page = client.get("/follow-ups/review-settings").get_data(as_text=True)
    assert "武进区" in page and "溧阳" not in page
    assert client.post("/follow-ups/review-settings", data={"scope": "liyang", "required": "yes"}).status_code == 403
    client.post("/follow-ups/review-settings", data={"scope": "wujin", "required": "yes"})
    assert departments.review_required("wujin") is True
    client.post("/logout")
    _login(client, admin, factory)
    response = client.post("/follow-ups/departments", data={"name": "武进区金融监管局"})
    assert response.status_code == 400 and "已存在" in response.get_data(as_text=True)
    client.post("/follow-ups/departments", data={"name": "常州市人社局", "contact": "人才处"})
    assert "常州市人社局" in client.get("/follow-ups/departments").get_data(as_text=True)
    client.post(f"/follow-ups/departments/{unit.id}", data={f"d{unit.id}-name": "武进区金融监管局",
                                                          f"d{unit.id}-contact": "周科长"})  # active unticked
    db.session.refresh(unit)
    assert unit.active is False
    assert [d.name for d in departments.departments()] == ["常州市人社局"]
