"""Visit form, visit pages and follow-up pages through HTTP: messages per field, all or nothing, scoping."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import Department, FollowUp, Visit


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def officer_setup(app, factory, auth):
    officer = factory.user("officer", "wujin", name="王专员")
    company = factory.company("wujin", officer=officer, name="常州测试科技有限公司")
    auth.login(officer)
    return officer, company


def _post_visit(client, company_id, **fields):
    data = {"visited_on": today().isoformat(), "kind": "onsite", "summary": "了解企业研发情况"}
    data.update(fields)
    return client.post(f"/visits/new?company_id={company_id}", data=data)


def test_form_defaults_to_today_and_offers_empty_follow_up_rows(client, officer_setup):
    _, company = officer_setup
    body = client.get(f"/visits/new?company_id={company.id}").get_data(as_text=True)
    assert f'value="{today().isoformat()}"' in body
    assert 'name="kind"' in body and "实地走访" in body and "电话" in body
    for i in range(3):
        assert f'name="follow_ups-{i}-description"' in body
    assert "visits.js" in body and "<script>" not in body


def test_logging_a_visit_with_one_follow_up_ignores_blank_rows(client, officer_setup):
    officer, company = officer_setup
    response = _post_visit(
        client, company.id, **{
            "follow_ups-0-category": "funding", "follow_ups-0-description": "希望对接银行贷款",
            "follow_ups-0-owner_id": str(officer.id), "follow_ups-0-due_workdays": "5",
            "follow_ups-1-owner_id": str(officer.id), "follow_ups-2-owner_id": str(officer.id),
        },
    )
    assert response.status_code == 302
    visit = db.session.scalars(select(Visit)).one()
    assert response.headers["Location"].endswith(f"/visits/{visit.id}")
    follow_up = db.session.scalars(select(FollowUp)).one()
    assert follow_up.visit_id == visit.id and follow_up.category == "funding" and follow_up.owner_id == officer.id
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "希望对接银行贷款" in page and "了解企业研发情况" in page


def test_from_my_work_it_returns_to_my_work(client, officer_setup):
    _, company = officer_setup
    response = client.post(f"/visits/new?company_id={company.id}&back=work",
                           data={"visited_on": today().isoformat(), "kind": "phone", "summary": "电话回访"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/work/")


@pytest.mark.parametrize("fields, message", [
    ({"summary": ""}, "请填写走访情况"),
    ({"visited_on": ""}, "请填写走访日期"),
    ({"visited_on": "2026-13-45"}, "不是有效的日期值"),
    ({"visited_on": lambda: (today() + dt.timedelta(days=3)).isoformat()}, "走访日期不能晚于今天"),
    ({"kind": "fax"}, "不是有效的选择"),
    ({"next_planned_on": lambda: today().isoformat()}, "下次计划走访日期应晚于本次走访日期"),
    ({"follow_ups-0-description": "需要人才公寓"}, "请选择诉求类别"),
    ({"follow_ups-0-category": "talent", "follow_ups-0-description": "需要人才公寓"}, "请填写办理期限"),
    ({"follow_ups-0-category": "talent", "follow_ups-0-due_workdays": "3"}, "请填写诉求内容"),
    ({"follow_ups-0-category": "talent", "follow_ups-0-description": "x", "follow_ups-0-due_workdays": "abc"}, "不是有效的整数"),
    ({"follow_ups-0-category": "talent", "follow_ups-0-description": "x", "follow_ups-0-due_workdays": "999"}, "工作日数应在"),
    ({"follow_ups-0-category": "talent", "follow_ups-0-description": "x", "follow_ups-0-due_workdays": "2",
      "follow_ups-0-owner_id": "abc"}, "请选择有效的承办人"),
])
def test_each_invalid_field_gets_a_chinese_message_and_nothing_is_saved(client, officer_setup, fields, message):
    _, company = officer_setup
    # Dates are callables in the list above, so they are taken when the test runs, not when it is collected.
    response = _post_visit(client, company.id, **{k: v() if callable(v) else v for k, v in fields.items()})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in body
    assert "is-invalid" in body
    assert _count(Visit) == 0 and _count(FollowUp) == 0


def test_second_row_error_keeps_the_first_row_and_saves_nothing(client, officer_setup):
    officer, company = officer_setup
    response = _post_visit(client, company.id, **{
        "follow_ups-0-category": "policy", "follow_ups-0-description": "第一条", "follow_ups-0-due_workdays": "3",
        "follow_ups-1-category": "policy", "follow_ups-1-description": "第二条",
        "follow_ups-1-due_on": (today() - dt.timedelta(days=1)).isoformat(),
    })
    body = response.get_data(as_text=True)
    assert "办理期限不能早于诉求提出日期" in body and "第一条" in body
    assert _count(Visit) == 0 and _count(FollowUp) == 0


def test_another_districts_company_visit_and_follow_up_are_not_found(app, client, factory, officer_setup):
    liyang_officer = factory.user("officer", "liyang")
    foreign = factory.company("liyang", officer=liyang_officer, name="溧阳企业")
    visit = Visit(company_id=foreign.id, officer_id=liyang_officer.id, visited_on=today(), summary="溧阳走访")
    db.session.add(visit)
    db.session.flush()
    follow_up = FollowUp(company_id=foreign.id, visit_id=visit.id, description="溧阳诉求", owner_id=liyang_officer.id,
                         due_on=today() - dt.timedelta(days=5))
    db.session.add(follow_up)
    db.session.commit()
    assert client.get(f"/visits/new?company_id={foreign.id}").status_code == 404
    assert _post_visit(client, foreign.id).status_code == 404
    assert client.get("/visits/new").status_code == 404
    assert client.get("/visits/new?company_id=abc").status_code == 404
    for url in (f"/visits/{visit.id}", f"/visits/{visit.id}/edit", f"/visits/follow-ups/{follow_up.id}"):
        assert client.get(url).status_code == 404, url
    for url in [f"/visits/follow-ups/{follow_up.id}/{a}" for a in ("chase", "escalate", "owner")] + [
            f"/follow-ups/{follow_up.id}/{a}" for a in ("status", "refer", "note", "reply", "callback")]:
        response = client.post(url, data={"to_status": "in_progress", "note": "x", "deadline": today().isoformat()})
        assert response.status_code == 404, url
    assert client.post(f"/visits/{visit.id}/edit", data={"summary": "改"}).status_code == 404
    db.session.expire_all()
    assert _count(Visit) == 1 and follow_up.status == "open" and follow_up.chased_at is None
    assert "溧阳" not in client.get("/visits/follow-ups").get_data(as_text=True)


def test_edit_own_visit_then_locked_after_the_window(app, client, officer_setup):
    officer, company = officer_setup
    _post_visit(client, company.id)
    visit = db.session.scalars(select(Visit)).one()
    assert client.get(f"/visits/{visit.id}/edit").status_code == 200
    response = client.post(f"/visits/{visit.id}/edit", data={
        "visited_on": visit.visited_on.isoformat(), "kind": "online", "summary": "更正后的记录", "version": visit.version,
    })
    assert response.status_code == 302
    db.session.refresh(visit)
    assert visit.kind == "online" and visit.summary == "更正后的记录"
    visit.created_at = now() - dt.timedelta(days=app.config["VISIT_EDIT_WINDOW_DAYS"] + 1)
    db.session.commit()
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "已超过可修改期限" in page and 'data-testid="edit-visit"' not in page
    response = client.get(f"/visits/{visit.id}/edit", follow_redirects=True)
    assert "已超过可修改期限" in response.get_data(as_text=True)
    response = client.post(f"/visits/{visit.id}/edit", data={
        "visited_on": visit.visited_on.isoformat(), "kind": "online", "summary": "再改", "version": visit.version,
    })
    assert response.status_code == 403 and "已超过可修改期限" in response.get_data(as_text=True)
    db.session.refresh(visit)
    assert visit.summary == "更正后的记录"


def test_stale_version_on_edit_shows_a_conflict(client, officer_setup):
    _, company = officer_setup
    _post_visit(client, company.id)
    visit = db.session.scalars(select(Visit)).one()
    data = {"visited_on": visit.visited_on.isoformat(), "kind": "onsite", "version": visit.version}
    client.post(f"/visits/{visit.id}/edit", data={**data, "summary": "第一次修改"})
    body = client.post(f"/visits/{visit.id}/edit", data={**data, "summary": "第二次修改"}).get_data(as_text=True)
    assert "已被修改" in body
    db.session.refresh(visit)
    assert visit.summary == "第一次修改"


def test_company_page_shows_the_buttons_and_cards(client, officer_setup):
    _, company = officer_setup
    _post_visit(client, company.id, **{"follow_ups-0-category": "ip", "follow_ups-0-description": "专利布局咨询",
                                       "follow_ups-0-due_workdays": "10"})
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert f"/visits/new?company_id={company.id}" in body and "记录走访" in body
    assert 'data-testid="company-visits"' in body and "了解企业研发情况" in body
    assert 'data-testid="company-follow-ups"' in body and "专利布局咨询" in body
    assert "新增资质" not in body  # officers do not record designations


def _make_follow_up(company, owner, **fields):
    values = {"description": "需要对接高校", "category": "tech", "owner_id": owner.id,
              "due_on": today() + dt.timedelta(days=3), "status": "open"}
    values.update(fields)
    follow_up = FollowUp(company_id=company.id, **values)
    db.session.add(follow_up)
    db.session.commit()
    return follow_up


def test_follow_up_list_highlights_overdue_and_filters(client, officer_setup):
    officer, company = officer_setup
    late = _make_follow_up(company, officer, description="逾期的诉求", due_on=today() - dt.timedelta(days=2))
    _make_follow_up(company, officer, description="已销号的诉求", status="closed")
    body = client.get("/visits/follow-ups").get_data(as_text=True)
    assert "逾期的诉求" in body and "已销号的诉求" not in body
    assert f'data-testid="follow-up-{late.id}" data-state="overdue"' in body and "list-group-item-danger" in body
    assert "已销号的诉求" in client.get("/visits/follow-ups?status=closed").get_data(as_text=True)
    overdue_only = client.get("/visits/follow-ups?due=overdue").get_data(as_text=True)
    assert "逾期的诉求" in overdue_only
    assert client.get("/visits/follow-ups?status=bogus&due=bogus&owner=<x>").status_code == 200


def test_follow_up_actions_through_the_detail_page(client, officer_setup):
    officer, company = officer_setup
    f = _make_follow_up(company, officer, due_on=today() - dt.timedelta(days=1))
    page = client.get(f"/visits/follow-ups/{f.id}").get_data(as_text=True)
    assert "开始办理" in page and "催办" in page and "交办" in page

    department = Department(name="常州大学", contact="科技处")
    db.session.add(department)
    db.session.commit()
    response = client.post(f"/follow-ups/{f.id}/refer", data={"department_id": "", "version": f.version})
    assert response.status_code == 400 and "请选择承办单位" in response.get_data(as_text=True)
    response = client.post(f"/follow-ups/{f.id}/refer", data={"department_id": str(department.id),
                                                              "deadline_workdays": "5", "version": f.version})
    assert response.status_code == 302
    db.session.refresh(f)
    assert f.status == "in_progress" and f.referred_unit == "常州大学" and f.referred_deadline > today()

    assert client.post(f"/visits/follow-ups/{f.id}/chase", data={"version": f.version}).status_code == 302
    db.session.refresh(f)
    assert f.chased_at is not None

    response = client.post(f"/follow-ups/{f.id}/status",
                           data={"to_status": "resolved", "resolution": "", "version": f.version})
    assert response.status_code == 400 and "办结时请填写办理结果" in response.get_data(as_text=True)
    response = client.post(f"/follow-ups/{f.id}/status",
                           data={"to_status": "resolved", "resolution": "已签订合作协议", "version": f.version})
    assert response.status_code == 302
    db.session.refresh(f)
    response = client.post(f"/follow-ups/{f.id}/status", data={"to_status": "closed", "version": f.version})
    assert response.status_code == 400 and "满意度" in response.get_data(as_text=True)
    old_version = f.version
    client.post(f"/follow-ups/{f.id}/status",
                data={"to_status": "closed", "satisfaction": "satisfied", "version": f.version})
    db.session.refresh(f)
    assert f.status == "closed" and f.satisfaction == "satisfied"
    response = client.post(f"/follow-ups/{f.id}/status",
                           data={"to_status": "in_progress", "version": old_version}, follow_redirects=True)
    assert "已被他人更新" in response.get_data(as_text=True)
    db.session.refresh(f)
    assert f.status == "closed"


def test_reassigning_a_follow_up(app, client, factory, officer_setup):
    officer, company = officer_setup
    manager = factory.user("manager", "wujin", name="李科长")
    f = _make_follow_up(company, officer)
    page = client.get(f"/visits/follow-ups/{f.id}").get_data(as_text=True)
    assert "李科长" in page
    response = client.post(f"/visits/follow-ups/{f.id}/owner", data={"owner_id": "", "version": f.version})
    assert response.status_code == 400 and "请选择承办人" in response.get_data(as_text=True)
    response = client.post(f"/visits/follow-ups/{f.id}/owner", data={"owner_id": str(manager.id), "version": f.version})
    assert response.status_code == 302
    db.session.refresh(f)
    assert f.owner_id == manager.id
