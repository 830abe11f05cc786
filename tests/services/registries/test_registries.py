"""Registries service: validation, district scoping, carrier level history, audit rows."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AuditEvent, Carrier, CarrierLevel, Platform, ServiceInstitution, TalentAward
from tracker.rules.uscc import make_code
from tracker.services.registries import records
from tracker.services.errors import Forbidden, NotFound, ServiceError

DAY = dt.date(2025, 4, 1)


def _talent(**changes):
    data = {"kind": "provincial_innovation", "name": "张三", "district": "wujin", "recognized_on": DAY,
            "company_uscc": "", "batch": "2025年", "source": "省人才办文件"}
    data.update(changes)
    return data


def _audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_manager_creates_edits_and_deletes_in_own_district_with_audit(app, factory):
    manager = factory.user("manager", "wujin")
    talent = records.save_talent(manager, _talent())
    assert talent.id and talent.district == "wujin"
    assert _audits("registry.talent.create")[0].after["name"] == "张三"

    records.save_talent(manager, _talent(name="张三（更正）"), talent)
    update = _audits("registry.talent.update")[0]
    assert update.before == {"name": "张三"} and update.after == {"name": "张三（更正）"}
    records.save_talent(manager, _talent(name="张三（更正）"), talent)  # no change, no audit row
    assert len(_audits("registry.talent.update")) == 1

    records.delete_record(manager, "talents", talent)
    assert db.session.scalar(select(func.count(TalentAward.id))) == 0
    assert _audits("registry.talent.delete")[0].before["name"] == "张三（更正）"


def test_manager_cannot_touch_another_district(app, factory):
    manager = factory.user("manager", "wujin")
    admin = factory.user("admin")
    foreign = records.save_talent(admin, _talent(district="liyang"))
    with pytest.raises(Forbidden):
        records.save_talent(manager, _talent(district="liyang"))
    with pytest.raises(NotFound):
        records.get_record(manager, "talents", foreign.id)
    with pytest.raises(Forbidden):
        records.delete_record(manager, "talents", foreign)
    own = records.save_talent(manager, _talent())
    with pytest.raises(Forbidden):
        records.save_talent(manager, _talent(district="liyang"), own)  # moving it out is refused too
    page = records.list_records(manager, "talents", records.RegistryFilters(), 1, 50)
    assert [t.id for t in page.rows] == [own.id]
    assert records.counts_by_registry(admin)["talents"] == 2


def test_officers_have_no_access(app, factory):
    officer = factory.user("officer", "wujin")
    with pytest.raises(Forbidden):
        records.list_records(officer, "talents", records.RegistryFilters(), 1, 50)
    with pytest.raises(Forbidden):
        records.save_talent(officer, _talent())


@pytest.mark.parametrize("changes, field, message", [
    ({"district": "mars"}, "district", "所属辖区"),
    ({"kind": "nobel"}, "kind", "人才类别"),
    ({"name": "  "}, "name", "姓名或团队名称"),
    ({"recognized_on": None}, "recognized_on", "认定日期"),
    ({"recognized_on": "2025-01-01"}, "recognized_on", "认定日期"),
    ({"recognized_on": dt.date(1999, 12, 31)}, "recognized_on", "2000"),
    ({"company_uscc": make_code("91320412MA9999999")}, "company_uscc", "未找到"),
])
def test_talent_validation(app, factory, changes, field, message):
    admin = factory.user("admin")
    with pytest.raises(ServiceError) as info:
        records.save_talent(admin, _talent(**changes))
    assert info.value.field == field and message in info.value.message
    assert db.session.scalar(select(func.count(TalentAward.id))) == 0


def test_future_dates_are_refused(app, factory):
    with pytest.raises(ServiceError, match="晚于今天"):
        records.save_talent(factory.user("admin"), _talent(recognized_on=today() + dt.timedelta(days=1)))


def test_company_link_goes_through_scoping(app, factory):
    manager = factory.user("manager", "wujin")
    own = factory.company("wujin")
    foreign = factory.company("liyang")
    talent = records.save_talent(manager, _talent(company_uscc=own.uscc.lower()))
    assert talent.company_id == own.id
    with pytest.raises(ServiceError, match="不在您的辖区"):
        records.save_talent(manager, _talent(company_uscc=foreign.uscc))


def test_carrier_level_history_and_upgrade(app, factory):
    manager = factory.user("manager", "wujin")
    carrier = records.create_carrier(manager, {"name": "武进众创空间", "kind": "maker_space", "district": "wujin",
                                               "operator": "", "level": "city", "recognized_on": dt.date(2023, 5, 1)})
    with pytest.raises(ServiceError, match="不能早于市级"):
        records.add_carrier_level(manager, carrier, {"level": "province", "recognized_on": dt.date(2023, 1, 1)})
    with pytest.raises(ServiceError, match="已有市级"):
        records.add_carrier_level(manager, carrier, {"level": "city", "recognized_on": dt.date(2024, 1, 1)})
    upgrade = records.add_carrier_level(manager, carrier, {"level": "province", "recognized_on": dt.date(2025, 3, 1)})
    assert [l.level for l in records.carrier_levels([carrier.id])[carrier.id]] == ["city", "province"]
    provincial_first = records.create_carrier(manager, {"name": "省级孵化器", "kind": "incubator", "district": "wujin",
                                                        "level": "province", "recognized_on": dt.date(2024, 1, 1)})
    with pytest.raises(ServiceError, match="不能晚于省级"):
        records.add_carrier_level(manager, provincial_first, {"level": "city", "recognized_on": dt.date(2025, 6, 1)})
    records.delete_record(manager, "carriers", provincial_first)
    assert _audits("registry.carrier_level.create")[-1].after["level"] == "province"

    records.delete_carrier_level(manager, upgrade)
    remaining = db.session.scalars(select(CarrierLevel)).all()
    with pytest.raises(ServiceError, match="至少保留"):
        records.delete_carrier_level(manager, remaining[0])

    records.delete_record(manager, "carriers", carrier)
    assert db.session.scalar(select(func.count(Carrier.id))) == 0
    assert db.session.scalar(select(func.count(CarrierLevel.id))) == 0


def test_carrier_year_filter_uses_any_level(app, factory):
    admin = factory.user("admin")
    carrier = records.create_carrier(admin, {"name": "孵化器", "kind": "incubator", "district": "xinbei",
                                             "level": "city", "recognized_on": dt.date(2022, 5, 1)})
    records.add_carrier_level(admin, carrier, {"level": "province", "recognized_on": dt.date(2024, 5, 1)})
    assert records.list_records(admin, "carriers", records.RegistryFilters(year=2024), 1, 10).total == 1
    assert records.list_records(admin, "carriers", records.RegistryFilters(year=2023), 1, 10).total == 0
    assert records.list_records(admin, "carriers", records.RegistryFilters(kind="maker_space"), 1, 10).total == 0


def test_platforms_are_provincial_or_higher(app, factory):
    admin = factory.user("admin")
    data = {"name": "江苏省重点实验室", "kind": "重点实验室", "level": "city", "district": "tianning",
            "recognized_on": DAY}
    with pytest.raises(ServiceError, match="省级或国家级"):
        records.save_platform(admin, data)
    platform = records.save_platform(admin, {**data, "level": "province"})
    assert db.session.get(Platform, platform.id).level == "province"
    assert records.list_records(admin, "platforms", records.RegistryFilters(kind="national"), 1, 10).total == 0
    assert records.list_records(admin, "platforms", records.RegistryFilters(year=2025, district="tianning"), 1, 10).total == 1


def test_service_institutions_check_the_credit_code_and_year(app, factory):
    admin = factory.user("admin")
    code = make_code("91320402MA1234567")
    data = {"name": "常州某检测公司", "uscc": code[:-1] + ("0" if code[-1] != "0" else "1"), "district": "tianning",
            "year": 2025, "business": "检验检测"}
    with pytest.raises(ServiceError, match="校验位错误"):
        records.save_institution(admin, data)
    with pytest.raises(ServiceError, match="统计年度"):
        records.save_institution(admin, {**data, "uscc": code, "year": 1999})
    first = records.save_institution(admin, {**data, "uscc": " " + code.lower() + " "})
    assert first.uscc == code
    with pytest.raises(ServiceError, match="已登记"):
        records.save_institution(admin, {**data, "uscc": code})
    records.save_institution(admin, {**data, "uscc": code, "year": 2024})
    assert db.session.scalar(select(func.count(ServiceInstitution.id))) == 2
    assert records.list_records(admin, "institutions", records.RegistryFilters(year=2024), 1, 10).total == 1
