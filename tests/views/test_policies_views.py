"""政策直达 pages: the policy editor with its condition builder, coverage, drill-down, claims."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import Policy, PolicyClaim
from tracker.services.policies import registry

FORM = {
    "name": "高新技术企业首次认定奖励", "issuer": "常州市科学技术局", "reference": "", "year": "2026", "until_year": "",
    "benefit_kind": "hnte_first_award", "amount_rule": "fixed", "amount": "30", "description": "",
    "conditions-0-kind": "rung_first", "conditions-0-rung": "hnte", "conditions-0-year_offset": "0",
    "conditions-1-kind": "district_in", "conditions-1-districts": ["wujin", "xinbei"], "conditions-1-year_offset": "0",
    "submit": "保存政策",
}


def _login(client, factory, user):
    client.post("/login", data={"email": user.email, "password": factory.PASSWORD})


def _policy(admin, **overrides):
    data = {"name": "高新技术企业首次认定奖励", "issuer": "常州市科学技术局", "year": 2026, "benefit_kind": "hnte_first_award",
            "amount_rule": "fixed", "amount": Decimal("30"), **overrides}
    return registry.create_policy(admin, data, [{"kind": "rung_first", "rung": "hnte"}])


def test_admin_creates_a_policy_with_two_conditions(app, client, factory):
    _login(client, factory, factory.user("admin"))
    page = client.get("/policies/new")
    assert page.status_code == 200 and "享受条件" in page.get_data(as_text=True)
    more = client.post("/policies/new", data={**FORM, "add_condition": "添加条件", "submit": ""})
    assert 'name="conditions-2-kind"' in more.get_data(as_text=True)  # one more row, nothing saved
    assert db.session.scalar(select(func.count()).select_from(Policy)) == 0
    response = client.post("/policies/new", data=FORM)
    assert response.status_code == 302
    policy = db.session.scalars(select(Policy)).one()
    assert [(c.kind, c.rung, c.values) for c in policy.conditions] == [
        ("rung_first", "hnte", None), ("district_in", None, ["wujin", "xinbei"])]
    edit = client.get(f"/policies/{policy.id}/edit").get_data(as_text=True)
    assert 'value="rung_first" selected' in edit or "selected value=\"rung_first\"" in edit


def test_bad_conditions_are_refused_in_chinese_and_nothing_is_saved(app, client, factory):
    _login(client, factory, factory.user("admin"))
    data = {**FORM, "conditions-1-kind": "figure_min", "conditions-1-field": "rd_expense", "conditions-1-threshold": ""}
    body = client.post("/policies/new", data=data).get_data(as_text=True)
    assert "第 2 个条件" in body and "门槛值" in body
    body = client.post("/policies/new", data={**data, "conditions-1-threshold": "abc"}).get_data(as_text=True)
    assert "不是有效的小数" in body
    removed = {**FORM, "conditions-0-remove": "y", "conditions-1-remove": "y"}
    assert "请至少设置一个享受条件" in client.post("/policies/new", data=removed).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Policy)) == 0


def test_only_administrators_edit_policies(app, client, factory):
    policy = _policy(factory.user("admin"))
    _login(client, factory, factory.user("manager", "wujin"))
    assert client.get("/policies/new").status_code == 403
    assert client.post(f"/policies/{policy.id}/edit", data=FORM).status_code == 403
    assert client.post(f"/policies/{policy.id}/delete").status_code == 403
    assert client.get("/policies/").status_code == 200


def test_manager_sees_their_district_and_drills_down(app, client, factory):
    admin = factory.user("admin")
    policy = _policy(admin)
    wujin = factory.company("wujin", name="武进应享企业")
    liyang = factory.company("liyang", name="溧阳应享企业")
    for company in (wujin, liyang):
        factory.designation(company, "hnte", dt.date(2026, 3, 1))
    _login(client, factory, factory.user("manager", "wujin"))
    body = client.get("/policies/?year=2026").get_data(as_text=True)
    assert "高新技术企业首次认定奖励" in body and 'data-testid="total-entitled"' in body
    assert "溧阳市" not in body.split('data-testid="district-table"')[1]
    drill = client.get(f"/policies/companies?year=2026&policy={policy.id}&measure=entitled").get_data(as_text=True)
    assert "武进应享企业" in drill and "溧阳应享企业" not in drill and "2026年首次认定高新技术企业" in drill
    assert "武进应享企业" not in client.get(f"/policies/companies?year=2026&policy={policy.id}&measure=paid").get_data(as_text=True)
    assert client.get("/policies/companies?year=abc&policy=999999&measure=nonsense").status_code == 404
    assert client.get("/policies/companies?year=abc&measure=nonsense").status_code == 200


def test_officer_records_claim_steps_on_their_company_only(app, client, factory):
    admin = factory.user("admin")
    policy = _policy(admin)
    officer = factory.user("officer", "wujin")
    mine = factory.company("wujin", officer=officer, name="专员的企业")
    other = factory.company("wujin", officer=factory.user("officer", "wujin"), name="别人的企业")
    for company in (mine, other):
        factory.designation(company, "hnte", dt.date(2026, 3, 1))
    _login(client, factory, officer)
    url = f"/policies/{policy.id}/claims/{mine.id}?year=2026"
    page = client.get(url).get_data(as_text=True)
    assert "符合享受条件" in page and "登记告知" in page
    response = client.post(url, data={"expected": "", "on": "2026-11-02", "note": "已电话告知企业财务"})
    assert response.status_code == 302
    assert db.session.scalar(select(PolicyClaim.status)) == "notified"
    stale = client.post(url, data={"expected": "", "on": "2026-11-03"})
    assert stale.status_code == 409 and "该记录已被修改（可能是您在另一窗口的操作）" in stale.get_data(as_text=True)
    bad = client.post(url, data={"expected": "notified", "on": "2026-11-01"}).get_data(as_text=True)
    assert "不能早于上一环节" in bad
    assert client.get(f"/policies/{policy.id}/claims/{other.id}?year=2026").status_code == 404
    assert client.post(f"/policies/{policy.id}/claims/{other.id}?year=2026", data={"on": "2026-11-02"}).status_code == 404
    company_page = client.get(f"/companies/{mine.id}").get_data(as_text=True)
    assert 'data-testid="company-policies"' in company_page and "已告知" in company_page
