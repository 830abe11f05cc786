"""Editing yearly figures (企业年度数据): checks with Chinese messages, versions, audit rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from tests.services.imports.import_helpers import code, csv_file
from tracker.clock import today
from tracker.extensions import db
from tracker.models import AuditEvent, CompanyYearFigures
from tracker.services.companies import figures
from tracker.services.errors import Conflict, Forbidden
from tracker.services.imports.exporter import figure_rows
from tracker.services.imports.importer import run_import
from tracker.rules.import_formats import template_headers

GOOD = {
    "staff_count": "120", "st_staff_count": "30", "revenue": "8,000.5", "rd_expense": "400",
    "rd_expense_domestic": "380", "total_cost": "6000", "total_assets": "9000",
    "hightech_revenue": "6000", "ip_class1_count": "2", "ip_class2_count": "5", "valuation": "",
    "financing_amount": "", "is_listed": "0", "innovation_score": "75.5", "notes": " 年报 ",
}


def _rows():
    return db.session.scalars(select(CompanyYearFigures).order_by(CompanyYearFigures.year)).all()


def _audit(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_create_year_converts_values_and_writes_an_audit_row(app, factory):
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin", founded_on=dt.date(2015, 3, 1))
    row = figures.save_year(manager, company, "2025", GOOD, version=0)
    assert (row.year, row.version) == (2025, 1)
    assert row.revenue == Decimal("8000.50") and row.staff_count == 120 and row.is_listed is False
    assert row.valuation is None and row.innovation_score == Decimal("75.50") and row.notes == "年报"
    [event] = _audit("figures.create")
    assert (event.actor_id, event.company_id, event.entity_id) == (manager.id, company.id, row.id)
    assert event.after["year"] == 2025 and event.after["revenue"] == "8000.50"
    assert "valuation" not in event.after  # unknown values are not reported as changes


def test_update_with_current_version_records_only_changed_fields(app, factory):
    admin = factory.user("admin")
    company = factory.company("wujin")
    row = figures.save_year(admin, company, 2024, GOOD, version=0)
    figures.save_year(admin, company, 2024, {**GOOD, "revenue": "9000", "valuation": "50000"}, version=1)
    db.session.refresh(row)
    assert row.version == 2 and row.revenue == Decimal("9000.00") and row.valuation == Decimal("50000.00")
    [event] = _audit("figures.update")
    assert set(event.before) == {"year", "revenue", "valuation"}
    assert event.before["revenue"] == "8000.50" and event.after["revenue"] == "9000.00"
    assert event.before["valuation"] is None and event.after["valuation"] == "50000.00"


def test_saving_unchanged_values_writes_nothing(app, factory):
    admin = factory.user("admin")
    company = factory.company("wujin")
    figures.save_year(admin, company, 2024, GOOD, version=0)
    row = figures.save_year(admin, company, 2024, GOOD, version=1)
    assert row.version == 1 and _audit("figures.update") == []


def test_two_editors_on_one_version_the_second_gets_a_conflict(app, factory):
    admin = factory.user("admin")
    company = factory.company("wujin")
    figures.save_year(admin, company, 2024, GOOD, version=0)
    # Both loaded version 1; A saves first.
    figures.save_year(admin, company, 2024, {**GOOD, "total_assets": "111"}, version=1)
    with pytest.raises(Conflict, match="已被修改（可能是您在另一窗口的操作）"):
        figures.save_year(admin, company, 2024, {**GOOD, "total_assets": "222"}, version=1)
    [row] = _rows()
    assert row.total_assets == Decimal("111.00") and row.version == 2
    assert len(_audit("figures.update")) == 1


def test_adding_a_year_someone_else_just_added_is_a_conflict(app, factory):
    admin = factory.user("admin")
    company = factory.company("wujin")
    figures.save_year(admin, company, 2024, {**GOOD, "total_assets": "111"}, version=0)
    with pytest.raises(Conflict, match="已存在"):
        figures.save_year(admin, company, 2024, {**GOOD, "total_assets": "222"}, version=0)
    assert [r.total_assets for r in _rows()] == [Decimal("111.00")]


def test_a_write_racing_between_read_and_commit_is_caught_by_the_version_column(app, factory, monkeypatch):
    admin = factory.user("admin")
    company = factory.company("wujin")
    row = figures.save_year(admin, company, 2024, GOOD, version=0)
    row_id = row.id
    loaded = figures.get_year

    def read_then_someone_else_saves(company_id, year):
        found = loaded(company_id, year)
        found.version  # noqa: B018 (load it: we now hold version 1 in memory)
        with db.engine.begin() as other:  # another request commits in between
            other.execute(
                update(CompanyYearFigures).where(CompanyYearFigures.id == row_id)
                .values(total_assets=Decimal("555"), version=2)
            )
        return found

    monkeypatch.setattr(figures, "get_year", read_then_someone_else_saves)
    with pytest.raises(Conflict):
        figures.save_year(admin, company, 2024, {**GOOD, "total_assets": "777"}, version=1)
    db.session.expire_all()
    assert db.session.get(CompanyYearFigures, row_id).total_assets == Decimal("555.00")
    assert _audit("figures.update") == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"staff_count": "-1"}, "staff_count", "职工总数不能为负数"),
        ({"revenue": "-0.01"}, "revenue", "营业收入不能为负数"),
        ({"staff_count": "12.5"}, "staff_count", "职工总数须为整数"),
        ({"revenue": "abc"}, "revenue", "营业收入须为数字"),
        ({"revenue": "1.005"}, "revenue", "最多保留两位小数"),
        ({"revenue": "1e20"}, "revenue", "数值过大"),
        ({"st_staff_count": "121"}, "st_staff_count", "科技人员数不能大于职工总数"),
        ({"rd_expense_domestic": "401"}, "rd_expense_domestic", "境内研发费用不能大于研发费用"),
        ({"hightech_revenue": "9000"}, "hightech_revenue", "高新技术产品（服务）收入不能大于营业收入"),
        ({"rd_expense": "7000", "rd_expense_domestic": "10"}, "rd_expense", "研发费用不能大于成本费用总额"),
        ({"innovation_score": "101"}, "innovation_score", "0–100"),
        ({"is_listed": "maybe"}, "is_listed", "请选择"),
        ({"notes": "x" * 2001}, "notes", "备注不超过"),
    ],
)
def test_each_invalid_field_gets_its_own_chinese_message(app, factory, changes, field, message):
    admin = factory.user("admin")
    company = factory.company("wujin")
    with pytest.raises(figures.InvalidFigures) as caught:
        figures.save_year(admin, company, 2024, {**GOOD, **changes}, version=0)
    assert message in caught.value.errors[field]
    assert _rows() == [] and _audit("figures.create") == []


def test_every_problem_is_reported_at_once(app, factory):
    with pytest.raises(figures.InvalidFigures) as caught:
        figures.clean_figures({**GOOD, "staff_count": "-3", "revenue": "x", "rd_expense_domestic": "500"}, "1900", None)
    assert set(caught.value.errors) == {"year", "staff_count", "revenue", "rd_expense_domestic"}


@pytest.mark.parametrize(
    ("year", "founded", "message"),
    [
        ("", None, "请填写年份"),
        ("二〇二四", None, "请填写年份"),
        (str(today().year + 1), None, f"年份须在 1980–{today().year} 年之间"),
        ("1979", None, "年份须在 1980–"),
        ("2014", dt.date(2015, 6, 1), "年份不能早于企业成立年份（2015 年）"),
    ],
)
def test_year_out_of_range_is_refused(app, factory, year, founded, message):
    with pytest.raises(figures.InvalidFigures) as caught:
        figures.clean_figures(GOOD, year, founded)
    assert message in caught.value.errors["year"]


def test_founding_year_and_this_year_are_accepted_and_blank_means_unknown():
    founded = dt.date(2015, 6, 1)
    assert figures.clean_figures(GOOD, "2015", founded)[0] == 2015
    year, cleaned = figures.clean_figures({}, str(today().year), founded)
    assert year == today().year and all(v is None for v in cleaned.values())


def test_equal_values_at_the_limits_are_accepted():
    _, cleaned = figures.clean_figures(
        {**GOOD, "st_staff_count": "120", "rd_expense_domestic": "400", "hightech_revenue": "8000.5",
         "innovation_score": "100"}, "2024", None,
    )
    assert cleaned["st_staff_count"] == cleaned["staff_count"] == 120
    assert cleaned["rd_expense_domestic"] == cleaned["rd_expense"] == Decimal("400")
    assert cleaned["hightech_revenue"] == cleaned["revenue"] == Decimal("8000.50")
    assert cleaned["innovation_score"] == Decimal("100")
    _, nobody = figures.clean_figures({**GOOD, "staff_count": "0", "st_staff_count": "0"}, "2024", None)
    assert nobody["staff_count"] == nobody["st_staff_count"] == 0


def test_officers_edit_only_companies_they_serve_and_managers_only_their_district(app, factory):
    officer = factory.user("officer", "wujin")
    mine = factory.company("wujin", officer=officer)
    other = factory.company("wujin")
    figures.save_year(officer, mine, 2024, GOOD, version=0)
    with pytest.raises(Forbidden):
        figures.save_year(officer, other, 2024, GOOD, version=0)
    with pytest.raises(Forbidden):
        figures.save_year(factory.user("manager", "liyang"), mine, 2023, GOOD, version=0)
    assert db.session.scalar(select(func.count(CompanyYearFigures.id))) == 1


def test_hnte_declarations_are_saved_per_year_and_audited(app, factory):
    # Issue 16 defect 13: 属于国家重点支持的高新技术领域 and 重大安全质量环境事故, yes/no per year.
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin", founded_on=dt.date(2015, 3, 1))
    row = figures.save_year(manager, company, 2025, {**GOOD, "key_field": "1", "major_incident": "0"}, version=0)
    assert (row.key_field, row.major_incident) == (True, False)
    figures.save_year(manager, company, 2025, {**GOOD, "key_field": "1", "major_incident": "1"}, version=1)
    db.session.refresh(row)
    assert row.major_incident is True
    [event] = _audit("figures.update")
    assert event.before == {"year": 2025, "major_incident": False}
    assert event.after == {"year": 2025, "major_incident": True}
    untouched = figures.save_year(manager, company, 2024, GOOD, version=0)
    assert (untouched.key_field, untouched.major_incident) == (None, None)  # unknown until recorded


def test_hnte_declarations_import_with_chinese_headers_and_export_round_trip(app, factory):
    # Issue 16 defect 13: the import columns 属于国家重点支持的高新技术领域 (key_field) and
    # 上年度发生重大安全质量环境事故 (major_incident) take 是/否; the exporter writes them back.
    company = factory.company("wujin", uscc=code(1), founded_on=dt.date(2015, 3, 1))
    header = ["统一社会信用代码", "年度", "属于国家重点支持的高新技术领域", "上年度发生重大安全质量环境事故"]
    rows = [[code(1), 2024, "是", "否"], [code(1), 2025, "", ""], [code(1), 2023, "也许", "否"]]
    report = run_import("figures", csv_file(header, rows), "f.csv", dry_run=False, mode="valid")
    found = {(i.row, i.column): i.reason for i in report.errors}
    assert "是”或“否" in found[(4, "属于国家重点支持的高新技术领域")]
    assert report.new == 2
    stored = {r.year: (r.key_field, r.major_incident) for r in _rows()}
    assert stored == {2024: (True, False), 2025: (None, None)}

    headers = template_headers("figures")
    assert headers[-2:] == ["属于国家重点支持的高新技术领域", "上年度发生重大安全质量环境事故"]
    exported = [dict(zip(headers, row)) for row in figure_rows()]
    assert [(r["年度"], r["属于国家重点支持的高新技术领域"], r["上年度发生重大安全质量环境事故"]) for r in exported] == [
        (2024, True, False), (2025, None, None),
    ]
    # The export re-imports unchanged.
    again = run_import("figures", csv_file(headers, [list(r.values()) for r in exported]), "f.csv", dry_run=False)
    assert not again.errors and again.unchanged == 2 and company.id
