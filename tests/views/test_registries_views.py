"""Registry pages: lists with filters and paging, forms with Chinese errors, scoping and denials."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import AuditEvent, Carrier, CarrierLevel, Platform, ServiceInstitution, TalentAward
from tracker.rules.uscc import make_code


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def manager_client(client, auth, factory):
    auth.login(factory.user("manager", "wujin"))
    return client


@pytest.fixture
def admin_client(client, auth, factory):
    auth.login(factory.user("admin"))
    return client


def _add_talent(district: str, name: str, day=dt.date(2025, 3, 1), kind="provincial_team"):
    talent = TalentAward(kind=kind, name=name, district=district, recognized_on=day)
    db.session.add(talent)
    db.session.commit()
    return talent


def test_manager_creates_a_talent_and_sees_only_own_district(manager_client, app):
    _add_talent("liyang", "溧阳团队甲")
    response = manager_client.post("/registries/talents/new", data={
        "kind": "provincial_innovation", "name": "武进人才乙", "district": "wujin", "recognized_on": "2025-04-02",
    })
    assert response.status_code == 302
    talent = db.session.scalar(select(TalentAward).where(TalentAward.name == "武进人才乙"))
    assert talent.district == "wujin" and talent.recognized_on == dt.date(2025, 4, 2)
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "registry.talent.create")) == 1
    page = manager_client.get("/registries/talents").get_data(as_text=True)
    assert "武进人才乙" in page and "溧阳团队甲" not in page
    assert "人才载体平台" in manager_client.get("/").get_data(as_text=True)


def test_manager_cannot_create_in_another_district(manager_client, app):
    response = manager_client.post("/registries/talents/new", data={
        "kind": "provincial_innovation", "name": "越权", "district": "liyang", "recognized_on": "2025-04-02",
    })
    assert response.status_code in (200, 403)
    assert _count(TalentAward) == 0


def test_form_errors_are_shown_in_chinese(admin_client, app):
    response = admin_client.post("/registries/talents/new", data={
        "kind": "provincial_innovation", "name": "某人", "district": "wujin", "recognized_on": "2099-01-01",
    })
    assert response.status_code == 200 and "认定日期不能晚于今天" in response.get_data(as_text=True)
    bad_date = admin_client.post("/registries/platforms/new", data={
        "name": "平台", "level": "province", "district": "wujin", "recognized_on": "2025/13/01",
    })
    assert bad_date.status_code == 200
    bad_code = admin_client.post("/registries/institutions/new", data={
        "name": "机构", "uscc": "91320402MA123456", "district": "wujin", "year": "2025",
    })
    assert "统一社会信用代码应为18位" in bad_code.get_data(as_text=True)
    assert _count(TalentAward) == _count(Platform) == _count(ServiceInstitution) == 0


def test_list_filters_and_paging(admin_client, app):
    app.config["PAGE_SIZE"] = 5
    for n in range(7):
        _add_talent("wujin", f"二五年团队{n}", dt.date(2025, 1, 1 + n))
    _add_talent("xinbei", "二四年人才", dt.date(2024, 6, 1), kind="city_high_level")
    first = admin_client.get("/registries/talents?year=2025").get_data(as_text=True)
    assert "第 1 / 2 页，共 7 条" in first and "二四年人才" not in first
    second = admin_client.get("/registries/talents?year=2025&page=2").get_data(as_text=True)
    assert second.count("二五年团队") == 2
    by_kind = admin_client.get("/registries/talents?kind=city_high_level").get_data(as_text=True)
    assert "二四年人才" in by_kind and "二五年团队" not in by_kind
    by_district = admin_client.get("/registries/talents?district=xinbei").get_data(as_text=True)
    assert "二四年人才" in by_district and "二五年团队" not in by_district
    assert admin_client.get("/registries/talents?year=abc&district=mars&page=-3").status_code == 200


def test_carrier_create_upgrade_and_delete(manager_client, app):
    response = manager_client.post("/registries/carriers/new", data={
        "name": "武进众创空间", "kind": "maker_space", "district": "wujin", "level": "city", "recognized_on": "2023-05-01",
    })
    assert response.status_code == 302
    carrier = db.session.scalar(select(Carrier))
    url = f"/registries/carriers/{carrier.id}"
    too_early = manager_client.post(url, data={"level": "province", "recognized_on": "2022-01-01"})
    assert "省级认定日期不能早于市级认定日期" in too_early.get_data(as_text=True)
    upgraded = manager_client.post(url, data={"level": "province", "recognized_on": "2025-02-01"})
    assert upgraded.status_code == 302
    page = manager_client.get(url).get_data(as_text=True)
    assert "市级 · 2023-05-01" in page and "省级 · 2025-02-01" in page
    listing = manager_client.get("/registries/carriers?year=2025").get_data(as_text=True)
    assert "武进众创空间" in listing and "省级 2025-02-01" in listing

    edit = manager_client.post(f"/registries/carriers/{carrier.id}/edit", data={
        "name": "武进众创空间（新）", "kind": "maker_space", "district": "wujin", "operator": "某公司",
    })
    assert edit.status_code == 302
    db.session.expire_all()
    assert carrier.name == "武进众创空间（新）" and carrier.operator == "某公司"

    assert manager_client.post(f"/registries/carriers/{carrier.id}/delete").status_code == 302
    assert _count(Carrier) == 0 and _count(CarrierLevel) == 0


def test_institution_edit_keeps_the_unique_code_and_year(admin_client, app):
    code = make_code("91320402MA7654321")
    admin_client.post("/registries/institutions/new", data={
        "name": "常州检测", "uscc": code, "district": "tianning", "year": "2025", "business": "检验检测",
    })
    institution = db.session.scalar(select(ServiceInstitution))
    assert institution.uscc == code
    edit_page = admin_client.get(f"/registries/institutions/{institution.id}/edit").get_data(as_text=True)
    assert code in edit_page
    saved = admin_client.post(f"/registries/institutions/{institution.id}/edit", data={
        "name": "常州检测（更名）", "uscc": code, "district": "tianning", "year": "2025",
    })
    assert saved.status_code == 302
    db.session.expire_all()
    assert institution.name == "常州检测（更名）"


@pytest.mark.parametrize("url, method", [
    ("/registries/", "get"), ("/registries/talents", "get"), ("/registries/carriers/new", "get"),
    ("/registries/platforms/new", "post"), ("/registries/institutions", "get"),
])
def test_officers_are_refused(client, auth, factory, url, method):
    auth.login(factory.user("officer", "wujin"))
    assert getattr(client, method)(url).status_code == 403
    assert "人才载体平台" not in client.get("/").get_data(as_text=True)


def test_manager_gets_404_for_another_districts_records(manager_client, app):
    talent = _add_talent("liyang", "溧阳团队")
    assert manager_client.get(f"/registries/talents/{talent.id}/edit").status_code == 404
    assert manager_client.post(f"/registries/talents/{talent.id}/delete").status_code == 404
    assert _count(TalentAward) == 1
