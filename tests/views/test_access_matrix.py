"""The denial matrix: every route of the app, for an officer and a manager of another district.

It enumerates app.url_map, so a route added later is checked too. A route whose URL needs an
argument this file cannot fill fails the test: add a builder to FOREIGN_OBJECTS that returns the
id of an object belonging to the *other* district (liyang), and the route joins the matrix.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tracker.extensions import db

PUBLIC_ENDPOINTS = {"static", "bootstrap.static", "auth.login", "main.healthz"}
SECRET_NAME = "溧阳机密企业"


def _company(factory, ctx):
    return ctx["company"].id


def _user(factory, ctx):
    return ctx["liyang_officer"].id


def _designation(factory, ctx):
    return ctx["designation"].id


def _visit(factory, ctx):
    """A visit (with one follow-up) to the liyang company, made once per test."""
    if "visit" not in ctx:
        from tracker.models import FollowUp, Visit

        visit = Visit(company_id=ctx["company"].id, officer_id=ctx["liyang_officer"].id,
                      visited_on=dt.date(2026, 1, 5), kind="onsite", summary="溧阳走访")
        db.session.add(visit)
        db.session.flush()
        ctx["follow_up"] = FollowUp(company_id=ctx["company"].id, visit_id=visit.id, description="溧阳诉求",
                                    owner_id=ctx["liyang_officer"].id, due_on=dt.date(2026, 1, 9))
        db.session.add(ctx["follow_up"])
        db.session.commit()
        ctx["visit"] = visit
    return ctx["visit"].id


def _notification(ctx):
    """A notification addressed to the liyang officer, made once per test."""
    if "notification" not in ctx:
        from tracker.models import Notification

        ctx["notification"] = Notification(recipient_id=ctx["liyang_officer"].id, kind="visit_due",
                                           subject_key=f"company:{ctx['company'].id}", period="2026-01-01",
                                           title=f"应走访：{SECRET_NAME}", link=f"/companies/{ctx['company'].id}")
        db.session.add(ctx["notification"])
        db.session.commit()
    return ctx["notification"].id


def _follow_up(factory, ctx):
    _visit(factory, ctx)
    return ctx["follow_up"].id


def _registry_record(name: str, ctx) -> int:
    """A liyang registry record (talent, carrier, its level, platform, service institution), made once per test."""
    if "registries" not in ctx:
        from tracker.models import Carrier, CarrierLevel, Platform, ServiceInstitution, TalentAward
        from tracker.rules.uscc import make_code

        day = dt.date(2024, 5, 1)
        carrier = Carrier(name="溧阳孵化器", kind="incubator", district="liyang")
        db.session.add(carrier)
        db.session.flush()
        records = {
            "talent": TalentAward(kind="provincial_team", name="溧阳团队", district="liyang", recognized_on=day),
            "carrier": carrier,
            "carrier_level": CarrierLevel(carrier_id=carrier.id, level="city", recognized_on=day),
            "platform": Platform(name="溧阳平台", level="province", district="liyang", recognized_on=day),
            "institution": ServiceInstitution(name="溧阳机构", uscc=make_code("91320481MA1234567"),
                                              district="liyang", year=2024),
        }
        db.session.add_all(records.values())
        db.session.commit()
        ctx["registries"] = {key: record.id for key, record in records.items()}
    return ctx["registries"][name]


def _api_token(factory, ctx):
    """An API token owned by a liyang manager (only administrators may revoke it)."""
    if "api_token" not in ctx:
        from tracker.services.indicators.tokens import issue_token

        ctx["api_token"], _ = issue_token(factory.user("admin"), factory.user("manager", "liyang").id, "溧阳对接")
    return ctx["api_token"].id


def _track(factory, ctx):
    from tracker.models import CultivationTrack

    if "track" not in ctx:
        ctx["track"] = CultivationTrack(company_id=ctx["company"].id, target_rung="hnte", year=2026, status="pool")
        db.session.add(ctx["track"])
        db.session.commit()
    return ctx["track"].id


def _department(ctx):
    """A department of the referral list (city-wide: only administrators edit it)."""
    if "department" not in ctx:
        from tracker.models import Department

        ctx["department"] = Department(name="溧阳市科技局")
        db.session.add(ctx["department"])
        db.session.commit()
    return ctx["department"].id


def _policy(factory, ctx):
    """A city-wide policy the liyang company is entitled to (only administrators edit it; its
    claim page for the liyang company is refused by the company's scope)."""
    if "policy" not in ctx:
        from tracker.services.policies.registry import create_policy

        ctx["policy"] = create_policy(factory.user("admin"), {
            "name": "溧阳测试政策", "issuer": "常州市科学技术局", "year": 2025, "benefit_kind": "hnte_first_award",
            "amount_rule": "fixed", "amount": 30}, [{"kind": "rung_first", "rung": "hnte"}])
    return ctx["policy"].id


def _accompaniment(name: str, ctx) -> int:
    """A liyang key company (this year's list), its diagnosis and a support record, made once per test."""
    if "accompaniment" not in ctx:
        from tracker.clock import today
        from tracker.models import AccompanimentRecord, KeyCompany, SupportRecord

        entry = KeyCompany(company_id=ctx["company"].id, year=today().year, responsible_id=ctx["liyang_officer"].id,
                           reason="溧阳重点")
        db.session.add(entry)
        db.session.flush()
        record = AccompanimentRecord(key_company_id=entry.id, company_id=ctx["company"].id, held_on=today(),
                                     participants="溧阳", findings="溧阳把脉")
        support = SupportRecord(company_id=ctx["company"].id, kind="rd_deduction", year=2025, amount=100)
        db.session.add_all([record, support])
        db.session.commit()
        ctx["accompaniment"] = {"key": entry.id, "accompaniment": record.id, "support": support.id}
    return ctx["accompaniment"][name]


def _attachment(factory, ctx):
    """A photo row on the liyang visit (no file is needed: scoping refuses before the disk is read)."""
    if "attachment" not in ctx:
        from tracker.models import Attachment

        _visit(factory, ctx)
        ctx["attachment"] = Attachment(company_id=ctx["company"].id, visit_id=ctx["visit"].id, filename="溧阳.jpg",
                                       stored_name="liyang-test.jpg", content_type="image/jpeg", size=10,
                                       has_thumbnail=True, uploaded_by_id=ctx["liyang_officer"].id)
        db.session.add(ctx["attachment"])
        db.session.commit()
    return ctx["attachment"].id


def _attraction_project(ctx):
    """A liyang attraction project led by the liyang officer (with one note), made once per test."""
    if "attraction_project" not in ctx:
        from tracker.models import AttractionNote, AttractionProject

        project = AttractionProject(name=f"{SECRET_NAME}招引项目", channel="carrier", district="liyang",
                                    lead_officer_id=ctx["liyang_officer"].id, status="talking",
                                    lead_on=dt.date(2026, 1, 5), talking_on=dt.date(2026, 1, 6))
        db.session.add(project)
        db.session.flush()
        db.session.add(AttractionNote(project_id=project.id, noted_on=dt.date(2026, 1, 6), content="溧阳洽谈",
                                      author_id=ctx["liyang_officer"].id))
        db.session.commit()
        ctx["attraction_project"] = project
    return ctx["attraction_project"].id


def _robot(ctx):
    """The liyang district's 企业微信 group robot (only administrators may see or remove it)."""
    if "robot" not in ctx:
        from tracker.services.notifications.robots import add_robot

        ctx["robot"] = add_robot(None, "wecom", "liyang", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=liyang")
    return ctx["robot"].id


# argument name -> builder(factory, ctx) returning an id owned by the liyang district.
FOREIGN_OBJECTS = {
    "project_id": lambda factory, ctx: _attraction_project(ctx),
    "channel_code": lambda factory, ctx: "carrier",  # channels are administrators' only
    "robot_id": lambda factory, ctx: _robot(ctx),
    "company_id": _company,
    "user_id": _user,
    "designation_id": _designation,
    "track_id": _track,
    "visit_id": _visit,
    "follow_up_id": _follow_up,
    "attachment_id": _attachment,
    "token_id": _api_token,
    "notification_id": lambda factory, ctx: _notification(ctx),
    "policy_id": _policy,
    "department_id": lambda factory, ctx: _department(ctx),
    **{f"{name}_id": (lambda name: lambda factory, ctx: _accompaniment(name, ctx))(name)
       for name in ("key", "accompaniment", "support")},
    **{f"{name}_id": (lambda name: lambda factory, ctx: _registry_record(name, ctx))(name)
       for name in ("talent", "carrier", "carrier_level", "platform", "institution")},
}


@pytest.fixture
def foreign(app, factory):
    liyang_officer = factory.user("officer", "liyang")
    company = factory.company("liyang", officer=liyang_officer, name=SECRET_NAME)
    designation = factory.designation(company, "hnte", dt.date(2025, 1, 1))
    return {"liyang_officer": liyang_officer, "company": company, "designation": designation}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        yield rule


def _url_for(rule, factory, ctx) -> str:
    values = {}
    for arg in rule.arguments:
        if arg not in FOREIGN_OBJECTS:
            pytest.fail(f"route {rule.rule} takes <{arg}>: add a builder for it to FOREIGN_OBJECTS")
        values[arg] = FOREIGN_OBJECTS[arg](factory, ctx)
    url = rule.rule
    for arg, value in values.items():
        url = url.replace(f"<int:{arg}>", str(value)).replace(f"<{arg}>", str(value))
    return url


def _readable(response) -> str:
    """The response as text, with xlsx downloads unzipped into their cell values."""
    data = response.get_data()
    if data[:2] == b"PK" and b"word/document.xml" in data:  # a Word download (the monthly 通报)
        import io

        from docx import Document

        document = Document(io.BytesIO(data))
        return "\n".join([p.text for p in document.paragraphs] + [
            c.text for t in document.tables for r in t.rows for c in r.cells])
    if data[:2] == b"PK":
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(
            str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row
            if value is not None
        )
    return data.decode("utf-8", errors="replace")


@pytest.mark.parametrize("role", ["officer", "manager"])
def test_other_district_is_denied_on_every_route(app, factory, foreign, role):
    user = factory.user(role, "wujin")
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": factory.PASSWORD})
    checked = 0
    for rule in _routes(app):
        if rule.endpoint == "auth.logout":
            continue  # would end this very session; logout is covered in test_auth
        url = _url_for(rule, factory, foreign)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={})
            body = _readable(response)
            db.session.rollback()
            if rule.arguments:
                assert response.status_code in (403, 404), f"{method} {url} gave {response.status_code} to a {role}"
            else:
                assert response.status_code < 500, f"{method} {url} gave {response.status_code}"
                assert SECRET_NAME not in body, f"{method} {url} shows another district's company to a {role}"
                assert foreign["company"].uscc not in body, f"{method} {url} leaks a credit code"
            checked += 1
    assert checked >= 15
    db.session.expire_all()
    # Nothing was changed on the foreign objects by any of those requests.
    assert foreign["company"].deleted_at is None and foreign["company"].name == SECRET_NAME
    assert foreign["designation"].revoked_on is None


def test_admin_pages_refuse_non_admins(app, factory):
    manager = factory.user("manager", "wujin")
    client = app.test_client()
    client.post("/login", data={"email": manager.email, "password": factory.PASSWORD})
    for rule in _routes(app):
        if not rule.rule.startswith("/admin"):
            continue
        url = _url_for(rule, factory, {"liyang_officer": manager, "company": None, "designation": None})
        response = client.get(url) if "GET" in rule.methods else client.post(url)
        assert response.status_code == 403, url


def test_anonymous_is_sent_to_login_everywhere(app, factory, foreign):
    client = app.test_client()
    for rule in _routes(app):
        if rule.endpoint == "auth.logout":
            continue
        url = _url_for(rule, factory, foreign)
        response = client.get(url) if "GET" in rule.methods else client.post(url)
        assert response.status_code in (302, 401), f"{url} gave {response.status_code} to anonymous"
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]
