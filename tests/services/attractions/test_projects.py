"""Attraction projects: scoping, the status machine through the service, notes, settling into a
company, indicator 5 by channel, progress by channel, audit rows."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AttractionNote, AttractionProject, AuditEvent, Company
from tracker.rules.uscc import make_code
from tracker.services.attractions import channels, projects
from tracker.services.attractions.progress import channel_progress, funnel
from tracker.services.errors import Conflict, Forbidden, NotFound, ServiceError
from tracker.services.indicators.drill_down import drill_down
from tracker.services.indicators.rollup import roll_up

ATTRACTED = "tech_sme_attracted_new"


def _data(**changes):
    data = {"name": "某新材料项目", "channel": "carrier", "source": "科技局", "district": "wujin",
            "lead_officer_id": None, "lead_on": today(), "expected_capital": "500", "industry": None,
            "description": "高校团队产业化"}
    data.update(changes)
    return data


def _actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_manager_records_moves_and_notes_with_one_audit_row_each(app, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    project = projects.create_project(manager, _data(lead_officer_id=officer.id))
    assert project.status == "lead" and project.lead_officer_id == officer.id
    assert str(project.expected_capital) == "500.00"
    assert len(_actions("attraction.create")) == 1

    projects.move_project(manager, project, "talking", today(), version=project.version)
    note = projects.add_note(officer, project, {"noted_on": today(), "content": "第二次洽谈", "next_step": "实地考察"})
    assert note.author_id == officer.id
    assert [a.after["status"] for a in _actions("attraction.move")] == ["talking"]
    assert _actions("attraction.note")[0].entity_id == project.id

    with pytest.raises(ServiceError, match="不能从“在谈”退回“线索”"):
        projects.move_project(manager, project, "lead", today())
    with pytest.raises(ServiceError, match="终止项目须填写终止原因") as caught:
        projects.move_project(manager, project, "dropped", today(), reason="")
    assert caught.value.field == "reason"
    with pytest.raises(ServiceError, match="本辖区已有同名招引项目"):
        projects.create_project(manager, _data())
    with pytest.raises(ServiceError, match="负责人须为该辖区"):
        projects.create_project(manager, _data(name="另一个", lead_officer_id=factory.user("officer", "liyang").id))
    with pytest.raises(ServiceError, match="跟进日期不能晚于今天"):
        projects.add_note(officer, project, {"noted_on": today() + dt.timedelta(days=1), "content": "x"})
    with pytest.raises(Conflict):
        projects.update_project(manager, project, _data(name="改名"), version=project.version - 1)
    assert db.session.scalar(select(func.count(AttractionNote.id))) == 1


def test_scoping_officer_sees_own_manager_district_denials(app, factory):
    wujin = factory.user("manager", "wujin")
    liyang = factory.user("manager", "liyang")
    officer = factory.user("officer", "wujin")
    other_officer = factory.user("officer", "wujin")
    own = projects.create_project(wujin, _data(lead_officer_id=officer.id))
    unassigned = projects.create_project(wujin, _data(name="无人负责"))
    foreign = projects.create_project(liyang, _data(name="溧阳项目", district="liyang"))

    page = projects.list_projects(officer, projects.ProjectFilters(), 1, 50)
    assert [r.project.id for r in page.rows] == [own.id]
    assert projects.list_projects(other_officer, projects.ProjectFilters(), 1, 50).total == 0
    assert {r.project.id for r in projects.list_projects(wujin, projects.ProjectFilters(), 1, 50).rows} == {own.id, unassigned.id}
    with pytest.raises(NotFound):
        projects.get_project(wujin, foreign.id)
    with pytest.raises(NotFound):
        projects.get_project(other_officer, own.id)
    with pytest.raises(Forbidden):
        projects.create_project(wujin, _data(name="越界", district="liyang"))
    with pytest.raises(Forbidden):
        projects.settle_project(officer, own, {"uscc": make_code("91320412MA0000001"), "company_name": "x",
                                               "settled_on": today()})
    with pytest.raises(Forbidden):
        projects.delete_project(officer, own)
    # An officer records their own projects and cannot hand them to someone else.
    mine = projects.create_project(officer, _data(name="专员登记", lead_officer_id=other_officer.id))
    assert mine.lead_officer_id == officer.id
    # Soft delete hides it everywhere.
    projects.delete_project(wujin, unassigned, "重复登记")
    assert projects.list_projects(wujin, projects.ProjectFilters(), 1, 50).total == 2
    assert db.session.get(AttractionProject, unassigned.id).deleted_at is not None


def test_settle_creates_the_company_and_counts_in_indicator_5_by_channel(app, factory):
    manager = factory.user("manager", "wujin")
    project = projects.create_project(manager, _data(channel="fund", industry="新能源"))
    before = roll_up(today()).figure(ATTRACTED)
    assert before.actual == 0 and before.by_channel["fund"] == 0

    code = make_code("91320412MA0000001")
    company = projects.settle_project(manager, project, {"uscc": code, "company_name": "常州某新能源有限公司",
                                                         "settled_on": today(), "actual_capital": "800"},
                                      version=project.version)
    assert (company.district, company.attracted_on, company.attraction_channel, company.industry) == \
        ("wujin", today(), "fund", "新能源")
    assert project.status == "settled" and project.company_id == company.id and str(project.actual_capital) == "800.00"
    settle = _actions("attraction.settle")[0]
    assert settle.company_id == company.id and settle.after["attraction_channel"] == "fund"
    assert len(_actions("company.create")) == 1

    after = roll_up(today()).figure(ATTRACTED)
    assert after.actual == 1 and after.by_channel["fund"] == 1 and after.channels_by_district["wujin"]["fund"] == 1
    rows = drill_down(ATTRACTED, today(), manager, channel="fund").rows()
    assert [(r[0].id, r.project_id, r.project_name) for r in rows] == [(company.id, project.id, project.name)]
    assert drill_down(ATTRACTED, today(), manager, channel="carrier").count() == 0
    with pytest.raises(ServiceError, match="项目已落户"):
        projects.settle_project(manager, project, {"uscc": code, "company_name": "x", "settled_on": today()})


def test_settle_matches_an_existing_company_and_refuses_what_it_must(app, factory):
    manager = factory.user("manager", "wujin")
    existing = factory.company("wujin", name="已在库企业", founded_on=today() - dt.timedelta(days=400))
    project = projects.create_project(manager, _data())
    company = projects.settle_project(manager, project, {"uscc": existing.uscc, "company_name": "随便写的名称",
                                                         "settled_on": today()})
    assert company.id == existing.id and company.name == "已在库企业"
    assert company.attraction_channel == "carrier" and company.attracted_on == today()
    assert db.session.scalar(select(func.count(Company.id))) == 1
    assert _actions("attraction.settle")[0].before["attracted_on"] is None

    second = projects.create_project(manager, _data(name="第二个项目"))
    with pytest.raises(ServiceError, match="已由招引项目“某新材料项目”落户"):
        projects.settle_project(manager, second, {"uscc": existing.uscc, "company_name": "x", "settled_on": today()})
    foreign = factory.company("liyang")
    with pytest.raises(Forbidden, match="已在其他辖区登记"):
        projects.settle_project(manager, second, {"uscc": foreign.uscc, "company_name": "x", "settled_on": today()})
    with pytest.raises(ServiceError, match="校验"):
        projects.settle_project(manager, second, {"uscc": "91320412MA00000019", "company_name": "x", "settled_on": today()})
    db.session.expire_all()
    assert db.session.get(AttractionProject, second.id).status == "lead"
    assert db.session.get(Company, foreign.id).attracted_on is None


def test_by_channel_sums_to_indicator_5_city_wide_and_per_district(app, factory):
    day = today()
    factory.company("wujin", attracted_on=day, attraction_channel="carrier")
    factory.company("wujin", attracted_on=day, attraction_channel="contest")
    factory.company("liyang", attracted_on=day)  # no channel recorded: counts under 其他
    factory.company("xinbei", attracted_on=day, attraction_channel="platform")
    factory.company("xinbei", attracted_on=day - dt.timedelta(days=400), attraction_channel="platform")  # last year
    channels.add_channel(factory.user("admin"), {"code": "incubator_east", "name": "东区孵化", "sort": 95})
    factory.company("jintan", attracted_on=day, attraction_channel="incubator_east")

    data = roll_up(day).to_dict()
    item = next(i for i in data["indicators"] if i["code"] == ATTRACTED)
    assert sum(item["by_channel"].values()) == item["actual"] == 5
    assert item["by_channel"]["other"] == 1 and item["by_channel"]["incubator_east"] == 1
    assert list(item["by_channel"])[:6] == ["carrier", "platform", "contest", "fund", "enclave", "other"]
    for code, entry in item["by_district"].items():
        assert sum(entry["by_channel"].values()) == entry["actual"], code
    assert item["by_district"]["wujin"]["by_channel"] == {**{c: 0 for c in item["by_channel"]}, "carrier": 1, "contest": 1}
    assert sum(e["actual"] for e in item["by_district"].values()) == item["actual"]

    manager = factory.user("manager", "xinbei")
    mine = next(i for i in roll_up(day, manager).to_dict()["indicators"] if i["code"] == ATTRACTED)
    assert mine["actual"] == 1 and mine["by_channel"]["platform"] == 1 and list(mine["by_district"]) == ["xinbei"]


def test_channel_progress_counts_steps_scoped_and_compares_last_year(app, factory):
    day = today()
    manager = factory.user("manager", "wujin")
    a = projects.create_project(manager, _data(name="A", lead_on=day))
    projects.move_project(manager, a, "signed", day)
    projects.settle_project(manager, a, {"uscc": make_code("91320412MA0000001"), "company_name": "A公司", "settled_on": day})
    b = projects.create_project(manager, _data(name="B", lead_on=day))
    projects.move_project(manager, b, "dropped", day, reason="企业选择外地")
    projects.create_project(manager, _data(name="C", channel="contest", lead_on=day))
    last_year = day.replace(year=day.year - 1, day=min(day.day, 28))
    old = projects.create_project(manager, _data(name="去年", lead_on=last_year))
    old.status, old.settled_on = "settled", last_year
    db.session.commit()
    liyang = factory.user("manager", "liyang")
    projects.create_project(liyang, _data(name="溧阳", district="liyang"))

    rows = {r.code: r for r in channel_progress(manager, day.year, day)}
    carrier = rows["carrier"]
    assert (carrier.leads, carrier.signed, carrier.settled, carrier.dropped) == (2, 1, 1, 1)
    assert carrier.settled_last_year == 1 and carrier.conversion == 0.5 and carrier.settled_change == 0
    assert rows["contest"].leads == 1 and rows["fund"].leads == 0
    city = {r.code: r for r in channel_progress(None, day.year, day)}
    assert city["carrier"].leads == 3
    with pytest.raises(Forbidden):
        channel_progress(manager, day.year, day, district="liyang")
    shown = funnel(manager, day.year, day)
    assert shown.total().leads == 3 and shown.total("last").leads == 1


def test_weekly_view_flags_projects_without_a_note_this_week(app, factory):
    manager = factory.user("manager", "wujin")
    noted = projects.create_project(manager, _data(name="已跟进"))
    projects.add_note(manager, noted, {"noted_on": today(), "content": "电话沟通"})
    silent = projects.create_project(manager, _data(name="未跟进"))
    view = projects.weekly_view(manager, today())
    [district] = view.districts
    assert district.district == "wujin" and district.flagged == 1 and district.notes_this_week == 1
    assert [(r.project.id, r.stalled) for r in district.rows] == [(silent.id, True), (noted.id, False)]
    stalled = projects.list_projects(manager, projects.ProjectFilters(stalled=True), 1, 50)
    assert [r.project.id for r in stalled.rows] == [silent.id]


def test_channels_admin_only_and_other_cannot_be_retired(app, factory):
    admin = factory.user("admin")
    with pytest.raises(Forbidden):
        channels.add_channel(factory.user("manager"), {"code": "east", "name": "东区"})
    with pytest.raises(ServiceError, match="渠道代码须为"):
        channels.add_channel(admin, {"code": "东区", "name": "东区"})
    with pytest.raises(ServiceError, match="已有名为“载体招引”的渠道"):
        channels.add_channel(admin, {"code": "east", "name": "载体招引"})
    channels.update_channel(admin, "carrier", {"name": "载体招引（孵化器）", "sort": 5, "active": True})
    assert channels.channel_names()["carrier"] == "载体招引（孵化器）"
    with pytest.raises(ServiceError, match="不能停用"):
        channels.update_channel(admin, "other", {"name": "其他", "sort": 90, "active": False})
    channels.update_channel(admin, "enclave", {"name": "飞地孵化", "sort": 50, "active": False})
    manager = factory.user("manager", "wujin")
    with pytest.raises(ServiceError, match="已停用"):
        projects.create_project(manager, _data(channel="enclave"))
    assert len(_actions("attraction.channel.update")) == 2 and _actions("attraction.channel.create") == []
