"""招引项目 pages: list filters, create, note, move refusals, settle, weekly view, funnel, channels."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AttractionProject, Company
from tracker.rules.uscc import make_code
from tracker.services.attractions import projects


def _project(manager, **changes):
    data = {"name": "智能传感器项目", "channel": "platform", "source": "人才办", "district": manager.district,
            "lead_on": today()}
    data.update(changes)
    return projects.create_project(manager, data)


def test_manager_records_a_note_moves_and_settles(client, auth, factory):
    manager = factory.user("manager", "wujin")
    auth.login(manager)
    page = client.post("/attractions/new", data={"name": "智能传感器项目", "channel": "platform", "source": "人才办",
                                                 "district": "wujin", "lead_on": today().isoformat()})
    assert page.status_code == 302
    project = db.session.scalar(select(AttractionProject))
    shown = client.get(f"/attractions/{project.id}").get_data(as_text=True)
    assert "平台招引" in shown and "本周" in shown and "platform" not in shown.replace('value="platform"', "")

    assert client.post(f"/attractions/{project.id}/notes", data={"noted_on": today().isoformat(),
                                                               "content": "首次接洽"}).status_code == 302
    refused = client.post(f"/attractions/{project.id}/move", data={"status": "dropped", "on": today().isoformat(),
                                                                  "version": project.version})
    assert refused.status_code == 400 and "终止项目须填写终止原因" in refused.get_data(as_text=True)
    code = make_code("91320412MA0000011")
    done = client.post(f"/attractions/{project.id}/settle", data={
        "uscc": code, "company_name": "常州传感科技有限公司", "settled_on": today().isoformat(), "version": 1})
    assert done.status_code == 302
    db.session.expire_all()
    company = db.session.scalar(select(Company).where(Company.uscc == code))
    assert company.attraction_channel == "platform"
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "（平台招引）" in page
    dashboard = client.get("/indicators/").get_data(as_text=True)
    assert 'data-testid="channel-platform">1<' in dashboard
    drill = client.get(f"/indicators/drill?code=tech_sme_attracted_new&channel=platform&as_of={today().isoformat()}")
    assert "智能传感器项目" in drill.get_data(as_text=True)
    assert client.get("/indicators/drill?code=tech_sme_attracted_new&channel=nope").status_code == 404


def test_list_filters_weekly_funnel_export(client, auth, factory):
    manager = factory.user("manager", "wujin")
    quiet = _project(manager, name="无跟进项目")
    noted = _project(manager, name="已跟进项目", channel="fund")
    projects.add_note(manager, noted, {"noted_on": today(), "content": "沟通"})
    auth.login(manager)
    listed = client.get("/attractions/?stalled=y").get_data(as_text=True)
    assert "无跟进项目" in listed and "已跟进项目" not in listed
    by_channel = client.get("/attractions/?channel=fund").get_data(as_text=True)
    assert "已跟进项目" in by_channel and "无跟进项目" not in by_channel
    weekly = client.get("/attractions/weekly").get_data(as_text=True)
    assert 'data-testid="flagged-wujin">未跟进 1 个' in weekly
    funnel = client.get("/attractions/funnel").get_data(as_text=True)
    assert 'data-testid="all-leads">2<' in funnel and "基金招引" in funnel
    book = load_workbook(io.BytesIO(client.get("/attractions/export.xlsx").get_data()))
    assert {r[0] for r in book.active.iter_rows(min_row=3, values_only=True)} == {quiet.name, noted.name}
    assert client.get("/attractions/?page=99999999999999999999").status_code == 200


def test_officer_sees_own_and_cannot_settle_or_manage_channels(client, auth, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    own = _project(manager, lead_officer_id=officer.id)
    other = _project(manager, name="别人的项目")
    auth.login(officer)
    assert client.get(f"/attractions/{own.id}").status_code == 200
    assert client.get(f"/attractions/{other.id}").status_code == 404
    assert client.post(f"/attractions/{own.id}/settle", data={"uscc": make_code("91320412MA0000012"),
                                                             "company_name": "x", "settled_on": today().isoformat()}).status_code == 403
    assert client.get("/attractions/channels").status_code == 403
    assert client.post(f"/attractions/{own.id}/notes", data={"noted_on": today().isoformat(), "content": "走访"}).status_code == 302


def test_admin_adds_and_renames_channels(client, auth, factory):
    admin = factory.user("admin")
    auth.login(admin)
    assert client.post("/attractions/channels", data={"code": "BAD CODE", "name": "x"}).status_code == 400
    assert client.post("/attractions/channels", data={"code": "roadshow", "name": "路演招引", "sort": 60}).status_code == 302
    assert client.post("/attractions/channels/roadshow", data={"name": "路演对接", "sort": 60, "active": "y"}).status_code == 302
    page = client.get("/attractions/channels").get_data(as_text=True)
    assert "路演对接" in page
    assert client.post("/attractions/channels/nope", data={"name": "x", "sort": 1}).status_code == 404
    form = client.get("/attractions/new").get_data(as_text=True)
    assert '<option value="roadshow">路演对接</option>' in form
