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


# argument name -> builder(factory, ctx) returning an id owned by the liyang district.
FOREIGN_OBJECTS = {
    "company_id": _company,
    "user_id": _user,
    "designation_id": _designation,
    "track_id": _track,
    "visit_id": _visit,
    "follow_up_id": _follow_up,
    "token_id": _api_token,
    "notification_id": lambda factory, ctx: _notification(ctx),
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
