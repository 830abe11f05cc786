"""The yearly figures editor (年度数据): list, add, edit with version, Chinese messages, denial."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import CompanyYearFigures
from tracker.services.candidates import profile

FORM = {
    "year": "2024", "version": "0", "staff_count": "120", "st_staff_count": "30", "revenue": "8000",
    "rd_expense": "400", "rd_expense_domestic": "380", "total_cost": "6000", "total_assets": "9000",
    "hightech_revenue": "6000", "ip_class1_count": "2", "ip_class2_count": "5", "valuation": "",
    "financing_amount": "", "is_listed": "0", "innovation_score": "", "notes": "",
}


def _rows():
    return db.session.scalars(select(CompanyYearFigures).order_by(CompanyYearFigures.year)).all()


def test_officer_adds_and_edits_a_year_of_a_company_they_serve(client, auth, factory):
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer, founded_on=dt.date(2015, 1, 1))
    auth.login(officer)
    assert "年度数据" in client.get(f"/companies/{company.id}").get_data(as_text=True)
    html = client.get(f"/candidates/companies/{company.id}/figures").get_data(as_text=True)
    assert "尚未录入年度数据" in html
    form_page = client.get(f"/candidates/companies/{company.id}/figures/edit?year=2024").get_data(as_text=True)
    assert "新增年度数据" in form_page and 'name="version" type="hidden" value="0"' in form_page
    response = client.post(f"/candidates/companies/{company.id}/figures/edit", data=FORM)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/candidates/companies/{company.id}/figures")
    [row] = _rows()
    assert (row.year, row.revenue, row.version) == (2024, Decimal("8000.00"), 1)

    html = client.get(f"/candidates/companies/{company.id}/figures").get_data(as_text=True)
    assert 'data-year="2024"' in html and "8000.00" in html
    form_page = client.get(f"/candidates/companies/{company.id}/figures/edit?year=2024").get_data(as_text=True)
    assert "编辑 2024 年数据" in form_page and 'value="8000"' in form_page and 'name="version" type="hidden" value="1"' in form_page
    client.post(f"/candidates/companies/{company.id}/figures/edit", data={**FORM, "version": "1", "revenue": "9000.5"})
    db.session.expire_all()
    assert _rows()[0].revenue == Decimal("9000.50") and _rows()[0].version == 2


def test_invalid_fields_each_get_a_chinese_message_and_nothing_is_saved(client, auth, factory):
    auth.login(factory.user("manager", "wujin"))
    company = factory.company("wujin", founded_on=dt.date(2015, 1, 1))
    bad = {
        **FORM, "year": str(today().year + 1), "staff_count": "-5", "st_staff_count": "30",
        "rd_expense_domestic": "500", "revenue": "一千", "ip_class1_count": "1.5",
    }
    response = client.post(f"/candidates/companies/{company.id}/figures/edit", data=bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in (
        f"年份须在 2015–{today().year} 年之间", "职工总数不能为负数", "境内研发费用不能大于研发费用",
        "营业收入须为数字", "I 类知识产权须为整数", "请按提示修改标红的项目",
    ):
        assert message in html, message
    assert 'value="一千"' in html  # what was typed stays in the form
    html = client.post(
        f"/candidates/companies/{company.id}/figures/edit", data={**FORM, "st_staff_count": "121"}
    ).get_data(as_text=True)
    assert "科技人员数不能大于职工总数" in html
    html = client.post(
        f"/candidates/companies/{company.id}/figures/edit", data={**FORM, "year": "2010"}
    ).get_data(as_text=True)
    assert "年份不能早于企业成立年份（2015 年）" in html
    assert _rows() == []


def test_stale_version_shows_a_conflict_and_keeps_the_first_save(client, auth, factory):
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin")
    auth.login(manager)
    client.post(f"/candidates/companies/{company.id}/figures/edit", data=FORM)
    # Two people loaded version 1; the first saves.
    client.post(f"/candidates/companies/{company.id}/figures/edit", data={**FORM, "version": "1", "total_assets": "1111"})
    html = client.post(
        f"/candidates/companies/{company.id}/figures/edit", data={**FORM, "version": "1", "total_assets": "2222"}
    ).get_data(as_text=True)
    assert "已被修改（可能是您在另一窗口的操作）" in html
    db.session.expire_all()
    assert _rows()[0].total_assets == Decimal("1111.00")
    html = client.post(
        f"/candidates/companies/{company.id}/figures/edit", data={**FORM, "version": "abc"}
    ).get_data(as_text=True)
    assert "已被修改（可能是您在另一窗口的操作）" in html


def test_adding_a_year_that_exists_is_refused_not_overwritten(client, auth, factory):
    auth.login(factory.user("admin"))
    company = factory.company("wujin")
    client.post(f"/candidates/companies/{company.id}/figures/edit", data=FORM)
    html = client.post(
        f"/candidates/companies/{company.id}/figures/edit", data={**FORM, "total_assets": "5"}
    ).get_data(as_text=True)
    assert "该年度的数据已存在" in html
    db.session.expire_all()
    assert _rows()[0].total_assets == Decimal("9000.00")


def test_other_district_figures_are_404_for_officers_and_managers(client, auth, factory):
    liyang_officer = factory.user("officer", "liyang")
    secret = factory.company("liyang", officer=liyang_officer, name="溧阳机密企业")
    db.session.add(CompanyYearFigures(company_id=secret.id, year=2024, revenue=Decimal(7)))
    db.session.commit()
    for role, district in (("officer", "wujin"), ("manager", "wujin"), ("officer", "liyang")):
        auth.login(factory.user(role, district))
        assert client.get(f"/candidates/companies/{secret.id}/figures").status_code == 404
        assert client.get(f"/candidates/companies/{secret.id}/figures/edit?year=2024").status_code == 404
        response = client.post(f"/candidates/companies/{secret.id}/figures/edit", data={**FORM, "version": "1"})
        assert response.status_code == 404
        auth.logout()
    db.session.expire_all()
    assert [r.revenue for r in _rows()] == [Decimal("7.00")]
    auth.login(liyang_officer)  # the officer who serves it may
    assert client.get(f"/candidates/companies/{secret.id}/figures").status_code == 200


def test_hnte_declarations_in_the_form_and_the_list(client, auth, factory):
    # Issue 16 defect 13: two yes/no fields, "未知" until recorded, shown as 是/否 in the list.
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin", founded_on=dt.date(2015, 1, 1))
    auth.login(manager)
    form_page = client.get(f"/candidates/companies/{company.id}/figures/edit?year=2024").get_data(as_text=True)
    assert "属于国家重点支持的高新技术领域" in form_page and "重大安全" in form_page
    assert 'name="key_field"' in form_page and 'name="major_incident"' in form_page
    client.post(
        f"/candidates/companies/{company.id}/figures/edit",
        data={**FORM, "key_field": "1", "major_incident": "0"},
    )
    [row] = _rows()
    assert (row.key_field, row.major_incident) == (True, False)
    form_page = client.get(f"/candidates/companies/{company.id}/figures/edit?year=2024").get_data(as_text=True)
    assert '<option selected value="1">是</option>' in form_page
    html = client.get(f"/candidates/companies/{company.id}/figures").get_data(as_text=True)
    assert "属于国家重点支持的高新技术领域" in html
    response = client.post(
        f"/candidates/companies/{company.id}/figures/edit",
        data={**FORM, "version": "1", "key_field": "maybe"},
    )
    assert response.status_code == 200 and "请选择" in response.get_data(as_text=True)
    db.session.expire_all()
    assert _rows()[0].key_field is True



def hnte_ready_years(company, latest):
    """Three years of figures that pass every HNTE condition but the two declarations."""
    for year in (latest - 2, latest - 1, latest):
        db.session.add(CompanyYearFigures(
            company_id=company.id, year=year, staff_count=100, st_staff_count=20, revenue=Decimal(5000),
            rd_expense=Decimal(300), rd_expense_domestic=Decimal(250), total_cost=Decimal(4000),
            total_assets=Decimal(5000), hightech_revenue=Decimal(4000), ip_class1_count=1, ip_class2_count=0,
            innovation_score=Decimal(80),
        ))
    db.session.commit()


def test_profile_shows_the_hnte_declarations_and_what_to_record(app, factory):
    # Issue 16 defect 13, item 3: the profile lists the new conditions in Chinese, unknown until
    # recorded, and says which year's figures to record them in.
    company = factory.company("wujin", founded_on=dt.date(2015, 1, 1))
    on = dt.date(2026, 6, 1)
    hnte_ready_years(company, 2025)
    assessment = profile.assess_company(company, on=on)
    hnte = next(r for r in assessment.results if r.rung == "hnte")
    assert hnte.eligible is None and {c.code for c in hnte.pending} == {"key_field", "no_major_incident"}
    assert hnte.condition("key_field").detail == "尚未记录：请在 2025 年度数据中填写“属于国家重点支持的高新技术领域”（是/否）"
    assert "待记录 2025 年：属于国家重点支持的高新技术领域、发生重大安全、质量、环境事故（是/否，在年度数据中填写）" in assessment.missing
    assert "以营业收入近似总收入" in hnte.condition("hightech_revenue_ratio").detail
    row = db.session.scalar(select(CompanyYearFigures).where(CompanyYearFigures.year == 2025))
    row.key_field, row.major_incident = True, False
    db.session.commit()
    assessment = profile.assess_company(company, on=on)
    hnte = next(r for r in assessment.results if r.rung == "hnte")
    assert hnte.eligible is True and not any("待记录" in line for line in assessment.missing)
    assert hnte.condition("no_major_incident").detail == "2025 年度数据记录：2025 年未发生"


def test_candidates_page_shows_the_unrecorded_declarations_in_chinese(client, auth, factory):
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin", name="待记录企业", founded_on=dt.date(2015, 1, 1))
    year = today().year
    hnte_ready_years(company, year - 1)
    auth.login(manager)
    html = client.get(f"/candidates/?target=hnte&year={year}").get_data(as_text=True)
    assert "待记录企业" in html  # still listed: unrecorded declarations do not push it out
    assert "《国家重点支持的高新技术领域》" in html
    assert "申请认定前一年内未发生重大安全、重大质量事故或严重环境违法行为" in html
    assert f"请在 {year - 1} 年度数据中填写" in html
    assert "key_field" not in html and "major_incident" not in html  # no raw codes
