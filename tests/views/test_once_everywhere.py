"""Every create form is one-time (tracker/web/once.py): the same form saved twice creates one record.

For each feature family the form is opened (it carries a hidden `submission_token`), saved, and
saved again with the same token: the second save writes nothing and answers "该记录已保存" with a
link to what the first save created. Plus the shared conflict wording of the new features.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

import pytest
from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import (
    AccompanimentRecord, AnnualReport, AttractionNote, AttractionProject, AuditEvent, Carrier, CarrierLevel,
    CompanyYearFigures, CultivationTrack, Department, Designation, KeyCompany, Policy, PolicyClaimStep,
    SubmissionToken, SupportRecord, TalentAward, User,
)
from tracker.rules.uscc import make_code
from tracker.services.accompaniment import keylist
from tracker.services.accompaniment import records as accompaniment_records
from tracker.services.assignments.assign import assign_companies
from tracker.services.attractions import projects
from tracker.services.companies import activity
from tracker.services.policies import claims, registry
from tracker.services.registries import records as registry_records
from tracker.services.support import records as support_records
from tracker.services.unit_of_work import DEFAULT_CONFLICT

YEAR = today().year


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _token(html: str) -> str:
    found = re.findall(r'name="submission_token"[^>]*value="([^"]+)"', html) + re.findall(
        r'value="([^"]+)"[^>]*name="submission_token"', html)
    assert len(set(found)) == 1, f"expected one submission token on the page, found {found}"
    return found[0]


@dataclass
class Case:
    login: Any  # the user who fills the form
    form_url: str  # the page that shows the form
    post_url: str
    data: dict
    model: Any  # what the save creates (counted before and after)
    record_url: str | None = None  # where 该记录已保存 links to (when known before the save)


def _designation(factory) -> Case:
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin")
    url = f"/companies/{company.id}/designations/new"
    return Case(manager, url, url, {"rung": "tech_sme", "granted_on": f"{YEAR}-01-02"}, Designation,
                f"/companies/{company.id}")


def _figures_year(factory) -> Case:
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer, founded_on=dt.date(2015, 1, 1))
    url = f"/candidates/companies/{company.id}/figures/edit"
    return Case(officer, url, url, {"year": str(YEAR - 1), "version": "0", "staff_count": "40"}, CompanyYearFigures,
                f"/candidates/companies/{company.id}/figures")


def _tracks_from_the_company_list(factory) -> Case:
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin")
    return Case(manager, "/companies/", "/cultivation/tracks/add",
                {"filters": "", "company_ids": [str(company.id)], "target_rung": "hnte", "year": str(YEAR + 1)},
                CultivationTrack)


def _tracks_from_the_candidates_page(factory) -> Case:
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin")
    return Case(manager, "/candidates/", "/candidates/add",
                {"target": "hnte", "list_year": str(YEAR + 1), "company_ids": [str(company.id)]}, CultivationTrack)


def _talent(factory) -> Case:
    return Case(factory.user("manager", "wujin"), "/registries/talents/new", "/registries/talents/new",
                {"kind": "provincial_team", "name": "智能制造创新团队", "district": "wujin",
                 "recognized_on": f"{YEAR}-01-02"}, TalentAward, "/registries/talents")


def _carrier(factory) -> Case:
    return Case(factory.user("manager", "wujin"), "/registries/carriers/new", "/registries/carriers/new",
                {"name": "武进科技企业孵化器", "kind": "incubator", "district": "wujin", "level": "city",
                 "recognized_on": f"{YEAR}-01-02"}, Carrier)


def _carrier_level(factory) -> Case:
    manager = factory.user("manager", "wujin")
    carrier = registry_records.create_carrier(manager, {
        "name": "武进众创空间", "kind": "maker_space", "district": "wujin", "operator": None, "level": "city",
        "recognized_on": dt.date(YEAR - 2, 3, 1), "level_source": None})
    url = f"/registries/carriers/{carrier.id}"
    return Case(manager, url, url, {"level": "province", "recognized_on": f"{YEAR}-01-02"}, CarrierLevel, url)


def _user(factory) -> Case:
    return Case(factory.user("admin", None), "/admin/users/new", "/admin/users/new",
                {"email": "new.officer@example.com", "name": "新专员", "role": "officer", "district": "wujin",
                 "password": "Changzhou-2027-strong"}, User)


def _department(factory) -> Case:
    return Case(factory.user("admin", None), "/follow-ups/departments", "/follow-ups/departments",
                {"name": "武进区市场监督管理局", "contact": "王科长 0519-86300000"}, Department, "/follow-ups/departments")


def _support(factory) -> Case:
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer)
    url = f"/support/new?company_id={company.id}&kind=rd_deduction"
    return Case(officer, url, url, {"year": str(YEAR - 1), "amount": "120"}, SupportRecord,
                f"/companies/{company.id}#support")


def _key_company(factory) -> Case:
    officer, manager = factory.user("officer", "wujin"), factory.user("manager", "wujin")
    company = factory.company("wujin", officer=officer)
    url = f"/accompaniment/new?company_id={company.id}&year={YEAR}"
    return Case(manager, url, url, {"year": str(YEAR), "responsible_id": str(officer.id), "reason": "瞪羚企业"},
                KeyCompany, f"/accompaniment/companies/{company.id}?year={YEAR}")


def _diagnosis(factory) -> Case:
    officer, manager = factory.user("officer", "wujin"), factory.user("manager", "wujin")
    company = factory.company("wujin", officer=officer)
    entry = keylist.add_key_company(manager, company.id, YEAR, {"responsible_id": officer.id})
    url = f"/accompaniment/{entry.id}/records/new"
    return Case(manager, url, url, {"held_on": today().isoformat(), "participants": "王科长、张总", "findings": "需要对接投资机构"},
                AccompanimentRecord, f"/accompaniment/companies/{company.id}?year={YEAR}")


def _policy(factory) -> Case:
    form = {
        "name": "高新技术企业首次认定奖励", "issuer": "常州市科学技术局", "reference": "", "year": str(YEAR), "until_year": "",
        "benefit_kind": "hnte_first_award", "amount_rule": "fixed", "amount": "30", "description": "",
        "conditions-0-kind": "rung_first", "conditions-0-rung": "hnte", "conditions-0-year_offset": "0",
        "submit": "保存政策",
    }
    return Case(factory.user("admin", None), "/policies/new", "/policies/new", form, Policy)


def _claim_step(factory) -> Case:
    admin, officer = factory.user("admin", None), factory.user("officer", "wujin")
    policy = registry.create_policy(admin, {
        "name": "高新技术企业首次认定奖励", "issuer": "常州市科学技术局", "year": YEAR, "benefit_kind": "hnte_first_award",
        "amount_rule": "fixed", "amount": Decimal("30")}, [{"kind": "rung_first", "rung": "hnte"}])
    company = factory.company("wujin", officer=officer)
    factory.designation(company, "hnte", dt.date(YEAR, 1, 2))
    url = f"/policies/{policy.id}/claims/{company.id}?year={YEAR}"
    return Case(officer, url, url, {"expected": "", "on": today().isoformat(), "note": "已电话告知企业财务"}, PolicyClaimStep,
                url)


def _attraction(factory) -> Case:
    return Case(factory.user("manager", "wujin"), "/attractions/new", "/attractions/new",
                {"name": "智能传感器项目", "channel": "platform", "source": "人才办", "district": "wujin",
                 "lead_on": today().isoformat()}, AttractionProject)


def _attraction_note(factory) -> Case:
    manager = factory.user("manager", "wujin")
    project = projects.create_project(manager, {"name": "储能电池项目", "channel": "platform", "district": "wujin",
                                                "lead_on": today()})
    url = f"/attractions/{project.id}"
    return Case(manager, url, f"/attractions/{project.id}/notes", {"noted_on": today().isoformat(), "content": "首次接洽"},
                AttractionNote, url)


def _annual_report(factory) -> Case:
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer)
    url = f"/certificates/companies/{company.id}/annual-reports"
    return Case(officer, url, url, {"year": str(YEAR - 1), "filed_on": f"{YEAR}-01-02"}, AnnualReport, url)


CASES: dict[str, Callable] = {
    "designation": _designation, "figures-new-year": _figures_year,
    "tracks-company-list": _tracks_from_the_company_list, "tracks-candidates": _tracks_from_the_candidates_page,
    "registry-talent": _talent, "registry-carrier": _carrier, "registry-carrier-level": _carrier_level,
    "user": _user, "department": _department, "support": _support, "key-company": _key_company,
    "diagnosis": _diagnosis, "policy": _policy, "claim-step": _claim_step, "attraction": _attraction,
    "attraction-note": _attraction_note, "annual-report": _annual_report,
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_create_form_saved_twice_creates_one_record(client, auth, factory, name):
    case = CASES[name](factory)
    db.session.commit()
    assert auth.login(case.login).status_code == 302
    page = client.get(case.form_url)
    assert page.status_code == 200
    token = _token(page.get_data(as_text=True))
    before, audits = _count(case.model), _count(AuditEvent)

    first = client.post(case.post_url, data={**case.data, "submission_token": token})
    assert first.status_code == 302, first.get_data(as_text=True)[:3000]
    assert _count(case.model) > before
    after, audits_after = _count(case.model), _count(AuditEvent)
    claim = db.session.scalars(select(SubmissionToken).where(SubmissionToken.token == token)).one()
    if case.record_url:
        assert claim.record_url == case.record_url

    again = client.post(case.post_url, data={**case.data, "submission_token": token})
    body = again.get_data(as_text=True)
    assert again.status_code == 200 and "该记录已保存" in body and 'data-testid="already-saved-link"' in body
    assert f'href="{claim.record_url.replace("&", "&amp;")}"' in body
    assert (_count(case.model), _count(AuditEvent)) == (after, audits_after)  # nothing written the second time


def test_an_edit_form_carries_no_token_and_a_new_form_a_fresh_one(client, auth, factory):
    manager = factory.user("manager", "wujin")
    project = projects.create_project(manager, {"name": "储能电池项目", "channel": "platform", "district": "wujin",
                                                "lead_on": today()})
    auth.login(manager)
    assert "submission_token" not in client.get(f"/attractions/{project.id}/edit").get_data(as_text=True)
    first = _token(client.get("/attractions/new").get_data(as_text=True))
    assert first != _token(client.get("/attractions/new").get_data(as_text=True))


def test_a_refused_create_keeps_its_token_for_the_corrected_save(client, auth, factory):
    case = _department(factory)
    db.session.commit()
    auth.login(case.login)
    token = _token(client.get(case.form_url).get_data(as_text=True))
    refused = client.post(case.post_url, data={"name": "", "submission_token": token})
    assert refused.status_code == 400 and _count(Department) == 0 and _count(SubmissionToken) == 0
    assert client.post(case.post_url, data={**case.data, "submission_token": token}).status_code == 302
    assert _count(Department) == 1


# --- the shared conflict wording -------------------------------------------------------------------

def test_the_new_features_say_the_shared_conflict_message(client, auth, factory):
    manager = factory.user("manager", "wujin")
    project = projects.create_project(manager, {"name": "储能电池项目", "channel": "platform", "district": "wujin",
                                                "lead_on": today()})
    auth.login(manager)
    stale = client.post(f"/attractions/{project.id}/edit", data={
        "name": "储能电池项目（二期）", "channel": "platform", "district": "wujin", "lead_on": today().isoformat(),
        "version": str(project.version + 5)})
    assert stale.status_code == 409
    assert "该记录已被修改（可能是您在另一窗口的操作）" in stale.get_data(as_text=True)
    assert "他人" not in stale.get_data(as_text=True)


def test_no_service_keeps_its_own_conflict_wording():
    assert keylist.CONFLICT_MESSAGE == accompaniment_records.CONFLICT_MESSAGE == DEFAULT_CONFLICT
    assert support_records.CONFLICT_MESSAGE == claims.STALE == projects._EDITED_MEANWHILE == DEFAULT_CONFLICT


# --- menu entries, the company page's attraction card, support in the activity stream -----------

def test_the_follow_up_settings_pages_are_reachable_from_the_menus(client, auth, factory):
    auth.login(factory.user("admin", None))
    admin_page = client.get("/admin/users").get_data(as_text=True)
    assert 'href="/follow-ups/departments"' in admin_page and 'href="/follow-ups/review-settings"' in admin_page
    listing = client.get("/visits/follow-ups").get_data(as_text=True)
    assert 'href="/follow-ups/departments"' in listing and 'href="/follow-ups/review-settings"' in listing
    auth.logout()
    auth.login(factory.user("manager", "wujin"))
    listing = client.get("/visits/follow-ups").get_data(as_text=True)
    assert 'href="/follow-ups/review-settings"' in listing and 'href="/follow-ups/departments"' not in listing
    auth.logout()
    auth.login(factory.user("officer", "wujin"))
    assert 'data-testid="follow-up-settings"' not in client.get("/visits/follow-ups").get_data(as_text=True)


def test_the_company_page_lists_its_attraction_projects_within_scope(client, auth, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    project = projects.create_project(manager, {"name": "智能传感器项目", "channel": "platform", "district": "wujin",
                                                "lead_on": today(), "lead_officer_id": officer.id})
    company = projects.settle_project(manager, project, {
        "uscc": make_code("91320412MA0000077"), "company_name": "常州传感科技有限公司", "settled_on": today(),
        "actual_capital": Decimal("500")}, version=project.version)
    auth.login(manager)
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    start = page.index('data-testid="company-attractions"')
    card = page[start:page.index("</ul>", start)]
    assert f'href="/attractions/{project.id}"' in card and "智能传感器项目" in card
    assert "平台招引" in card and "实际注册资本 500" in card and "负责人" in card
    assert "platform" not in card.replace("attraction-", "")  # names, never codes
    auth.logout()
    other = factory.user("officer", "wujin")
    db.session.commit()
    assign_companies(manager, [company.id], other.id)
    auth.login(other)
    shown = client.get(f"/companies/{company.id}")
    assert shown.status_code == 200 and 'data-testid="company-attractions"' not in shown.get_data(as_text=True)


def test_support_records_are_in_the_company_activity_stream(client, auth, factory):
    officer = factory.user("officer", "wujin", name="王专员")
    company = factory.company("wujin", officer=officer)
    record = support_records.add_record(officer, company.id, {"kind": "rd_deduction", "year": YEAR - 1,
                                                               "amount": Decimal("120")})
    removed = support_records.add_record(officer, company.id, {"kind": "rd_deduction", "year": YEAR - 2,
                                                                "amount": Decimal("80")})
    support_records.delete_record(officer, removed)
    page = activity.company_activity(officer, company.id, kind="support")
    assert page.total == 1
    assert [(i.kind, i.title, i.detail, i.actor) for i in page.rows] == [
        ("support", f"登记研发费用加计扣除（{YEAR - 1}年）", "扣除额 120 万元", "王专员")]
    assert record.id
    auth.login(officer)
    html = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert f"登记研发费用加计扣除（{YEAR - 1}年）" in html and 'data-kind="support"' in html
