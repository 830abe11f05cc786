import datetime as dt

import pytest
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import AuditEvent, Company
from tracker.rules.uscc import check_character, make_code
from tracker.services.companies import records
from tracker.services.errors import Conflict, Forbidden, ServiceError

CODE = make_code("91320412MA1M00001")


def test_create_normalises_code_and_audits(app, factory):
    admin = factory.user("admin")
    company = records.create_company(admin, {"uscc": " " + CODE.lower() + " ", "name": " 常州甲公司 ", "district": "wujin"})
    assert company.uscc == CODE and company.name == "常州甲公司"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "company")).all()
    assert [(e.action, e.entity_id, e.actor_id) for e in events] == [("company.create", company.id, admin.id)]
    assert events[0].after["uscc"] == CODE


def test_duplicate_code_refused_but_allowed_after_soft_delete(app, factory):
    admin = factory.user("admin")
    first = records.create_company(admin, {"uscc": CODE, "name": "甲", "district": "wujin"})
    with pytest.raises(ServiceError, match="已被另一家企业使用"):
        records.create_company(admin, {"uscc": CODE, "name": "乙", "district": "wujin"})
    records.soft_delete_company(admin, first)
    second = records.create_company(admin, {"uscc": CODE, "name": "乙", "district": "wujin"})
    assert second.id != first.id
    with pytest.raises(ServiceError, match="无法恢复"):
        records.restore_company(admin, first)


def test_bad_check_digit_needs_an_administrator(app, factory):
    wrong = CODE[:17] + ("0" if CODE[17] != "0" else "1")
    manager = factory.user("manager", "wujin")
    with pytest.raises(ServiceError, match="校验位错误"):
        records.create_company(manager, {"uscc": wrong, "name": "甲", "district": "wujin"})
    with pytest.raises(ServiceError, match="只有管理员"):
        records.create_company(manager, {"uscc": wrong, "name": "甲", "district": "wujin"}, accept_bad_check=True)
    admin = factory.user("admin")
    company = records.create_company(admin, {"uscc": wrong, "name": "甲", "district": "wujin"}, accept_bad_check=True)
    assert company.uscc_check_override is True
    assert db.session.scalar(select(func.count(Company.id))) == 1


def test_wrong_organisation_code_check_is_refused_and_needs_an_administrator(app, factory):
    first17 = CODE[:16] + ("0" if CODE[16] != "0" else "1")
    forged = first17 + check_character(first17)  # the final character is right for the first 17
    manager = factory.user("manager", "wujin")
    with pytest.raises(ServiceError, match="组织机构代码校验位错误") as info:
        records.create_company(manager, {"uscc": forged, "name": "甲", "district": "wujin"})
    assert info.value.field == "uscc"
    with pytest.raises(ServiceError, match="只有管理员"):
        records.create_company(manager, {"uscc": forged, "name": "甲", "district": "wujin"}, accept_bad_check=True)
    assert db.session.scalar(select(func.count(Company.id))) == 0
    admin = factory.user("admin")
    company = records.create_company(admin, {"uscc": forged, "name": "甲", "district": "wujin"}, accept_bad_check=True)
    assert company.uscc == forged and company.uscc_check_override is True


def test_a_stored_code_failing_the_new_organisation_check_does_not_block_other_edits(app, factory):
    first17 = CODE[:16] + ("0" if CODE[16] != "0" else "1")
    legacy = first17 + check_character(first17)  # accepted before the organisation-code check existed
    manager = factory.user("manager", "wujin")
    company = Company(uscc=legacy, name="旧企业", district="wujin")
    db.session.add(company)
    db.session.commit()
    typed_back = legacy[:8] + "-" + legacy[8:].lower()
    records.update_company(manager, company, {"uscc": typed_back, "name": "旧企业（更名）"}, version=company.version)
    assert company.name == "旧企业（更名）" and company.uscc == legacy


def test_hyphens_and_zero_width_characters_are_dropped_from_the_code(app, factory):
    admin = factory.user("admin")
    pasted = "\ufeff" + CODE[:8] + "-" + CODE[8:] + "\u200b"
    assert records.create_company(admin, {"uscc": pasted, "name": "甲", "district": "wujin"}).uscc == CODE


def test_a_code_stored_as_a_number_is_explained(app, factory):
    admin = factory.user("admin")
    with pytest.raises(ServiceError, match="存成了数字") as info:
        records.create_company(admin, {"uscc": "9.13204E+17", "name": "甲", "district": "wujin"}, accept_bad_check=True)
    assert info.value.field == "uscc"
    assert db.session.scalar(select(func.count(Company.id))) == 0


def test_manager_cannot_create_in_another_district_and_nothing_is_written(app, factory):
    manager = factory.user("manager", "wujin")
    with pytest.raises(Forbidden):
        records.create_company(manager, {"uscc": CODE, "name": "甲", "district": "liyang"})
    db.session.rollback()
    assert db.session.scalar(select(func.count(Company.id))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 1  # only the user creation


def test_concurrent_edit_is_refused_not_overwritten(app, factory):
    admin = factory.user("admin")
    company = factory.company(name="原名")
    loaded_version = company.version
    records.update_company(admin, company, {"name": "甲改名"}, version=loaded_version)
    with pytest.raises(Conflict, match="已被修改（可能是您在另一窗口的操作）"):
        records.update_company(admin, company, {"name": "乙改名"}, version=loaded_version)
    db.session.expire_all()
    assert db.session.get(Company, company.id).name == "甲改名"


def test_stale_write_from_a_second_session_is_caught_by_the_version_column(app, factory):
    admin = factory.user("admin")
    company = factory.company(name="原名")
    # Another process saves first, behind this session's back.
    db.session.execute(Company.__table__.update().where(Company.id == company.id).values(name="别人", version=company.version + 1))
    db.session.commit()
    db.session.expire_all()
    stale = db.session.get(Company, company.id)
    with pytest.raises(Conflict):
        records.update_company(admin, stale, {"name": "我"}, version=stale.version - 1)


def test_attracted_before_founded_is_refused(app, factory):
    admin = factory.user("admin")
    with pytest.raises(ServiceError, match="不能早于成立日期") as info:
        records.create_company(admin, {"uscc": CODE, "name": "甲", "district": "wujin",
                                    "founded_on": dt.date(2020, 1, 1), "attracted_on": dt.date(2019, 1, 1)})
    assert info.value.field == "attracted_on"
