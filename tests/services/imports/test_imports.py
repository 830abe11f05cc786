"""Importing companies, designations and yearly figures: dry run, modes, idempotence, reasons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.services.imports.import_helpers import (
    COMPANY_HEADER, DESIGNATION_HEADER, code, company_rows, csv_file, xlsx_file,
)
from tracker.clock import today
from tracker.extensions import db
from tracker.models import AuditEvent, Company, CompanyYearFigures, Designation
from tracker.services.companies.records import soft_delete_company
from tracker.services.errors import Forbidden
from tracker.rules import uscc as uscc_rules
from tracker.services.imports.importer import run_import


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _import(kind, data, filename="data.csv", **kwargs):
    return run_import(kind, data, filename, **kwargs)


# --- companies ---------------------------------------------------------------------------------

def test_dry_run_writes_nothing_and_reports_what_would_happen(app):
    data = csv_file(COMPANY_HEADER, company_rows(5))
    report = _import("companies", data, dry_run=True)
    assert (report.new, report.updated, report.unchanged, report.errors) == (5, 0, 0, [])
    assert not report.committed and "试导入" in report.summary()
    assert _count(Company) == 0 and _count(AuditEvent) == 0
    assert [o.action for o in report.outcomes] == ["new"] * 5
    assert [o.row for o in report.outcomes] == [2, 3, 4, 5, 6]


def test_commit_then_same_file_again_changes_nothing(app):
    data = csv_file(COMPANY_HEADER, company_rows(8))
    first = _import("companies", data, dry_run=False)
    assert first.committed and (first.new, first.updated) == (8, 0)
    company = db.session.scalar(select(Company).where(Company.uscc == code(3)))
    assert company.district == "wujin" and company.founded_on == dt.date(2015, 6, 1)
    assert company.attracted_on == dt.date(2023, 3, 15) and company.industry == "新材料"
    audits = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import.companies")).all()
    assert len(audits) == 1 and audits[0].after["new"] == 8 and audits[0].actor_id is None
    versions = dict(db.session.execute(select(Company.uscc, Company.version)).all())

    second = _import("companies", data, dry_run=False)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 8)
    assert "新增 0，更新 0，无变化 8" in second.summary()
    assert _count(Company) == 8 and _count(AuditEvent) == 1
    db.session.expire_all()
    assert dict(db.session.execute(select(Company.uscc, Company.version)).all()) == versions


def _file_with_bad_row_50():
    rows = company_rows(60)
    rows[48][2] = "火星区"  # data row 49 is spreadsheet row 50 (row 1 is the header)
    return csv_file(COMPANY_HEADER, rows)


def test_bad_row_50_all_or_nothing_writes_nothing(app):
    report = _import("companies", _file_with_bad_row_50(), dry_run=False, mode="all")
    assert not report.committed
    assert len(report.errors) == 1
    issue = report.errors[0]
    assert (issue.row, issue.column, issue.value) == (50, "所属辖区", "火星区")
    assert "未知的辖区" in issue.reason
    assert _count(Company) == 0 and _count(AuditEvent) == 0


def test_bad_row_50_valid_only_writes_the_other_rows(app):
    report = _import("companies", _file_with_bad_row_50(), dry_run=False, mode="valid")
    assert report.committed and report.new == 59
    assert report.error_rows == {50}
    assert _count(Company) == 59
    assert db.session.scalar(select(Company).where(Company.uscc == code(49))) is None
    assert db.session.scalar(select(Company).where(Company.uscc == code(50))) is not None
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import.companies"))
    assert audit.after["error_rows"] == 1 and audit.after["mode"] == "valid"


def test_existing_code_updates_the_company_and_empty_cells_erase_nothing(app, factory):
    company = factory.company("wujin", name="旧名称", uscc=code(1), address="老地址", founded_on=dt.date(2010, 1, 1))
    data = csv_file(["uscc", "name", "district", "address", "founded_on"], [[code(1), "新名称", "wujin", "", ""]])
    report = _import("companies", data, dry_run=False)
    assert (report.new, report.updated) == (0, 1)
    assert report.outcomes[0].changes == ("企业名称",)
    db.session.expire_all()
    assert company.name == "新名称" and company.address == "老地址" and company.founded_on == dt.date(2010, 1, 1)


def test_deleted_company_does_not_match_and_a_new_one_is_created(app, factory):

    admin = factory.user("admin")
    old = factory.company("wujin", uscc=code(7))
    soft_delete_company(admin, old)
    report = _import("companies", csv_file(COMPANY_HEADER, company_rows(1, start=7)), dry_run=False)
    assert report.new == 1
    assert _count(Company) == 2


def test_company_errors_name_row_column_and_reason(app):
    rows = company_rows(6)
    rows[0][0] = "91320412MA0000001X"  # bad check character
    rows[1][3] = "房地产"
    rows[2][4] = "2015-02-30"
    rows[3][1] = ""
    rows[4][0] = code(6)  # same code as row 7
    rows[5][4] = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    report = _import("companies", csv_file(COMPANY_HEADER, rows), dry_run=True)
    found = {(i.row, i.column): i.reason for i in report.errors}
    assert "校验位错误" in found[(2, "统一社会信用代码")]
    assert "未知的产业领域" in found[(3, "产业领域")]
    assert "日期不存在" in found[(4, "成立日期")]
    assert "必填项“企业名称”为空" in found[(5, "企业名称")]
    assert "与第 6 行" in found[(7, "统一社会信用代码")]
    assert "晚于今天" in found[(7, "成立日期")]
    assert report.new == 1  # only row 6


def test_missing_column_and_unreadable_files_are_fatal_not_500(app):
    report = _import("companies", csv_file(["企业名称", "所属辖区"], [["甲", "武进"]]))
    assert report.fatal and "统一社会信用代码" in report.fatal
    assert _import("companies", b"", "x.csv").fatal == "文件是空的：第一行应为表头"
    assert "xls" in _import("companies", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100, "old.xls").fatal
    assert "不是有效的 xlsx" in _import("companies", b"PK\x03\x04garbage", "x.xlsx").fatal
    assert "编码" in _import("companies", b"\xff\xfe\x00\xd8\x00\xdc" * 3 + b"\x81", "x.csv").fatal


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_with_bom_without_bom_and_gb18030(app, encoding):
    data = csv_file(COMPANY_HEADER, company_rows(3), encoding=encoding)
    report = _import("companies", data, dry_run=False)
    assert report.new == 3 and not report.errors
    assert db.session.scalar(select(Company.name).where(Company.uscc == code(2))) == "导入企业2"
    assert db.session.scalar(select(Company.district).where(Company.uscc == code(2))) == "xinbei"


def test_non_admins_may_not_import(app, factory):
    manager = factory.user("manager", "wujin")
    with pytest.raises(Forbidden):
        _import("companies", csv_file(COMPANY_HEADER, company_rows(1)), actor=manager, dry_run=True)
    admin = factory.user("admin")
    report = _import("companies", csv_file(COMPANY_HEADER, company_rows(1)), actor=admin, dry_run=False)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import.companies"))
    assert report.new == 1 and audit.actor_id == admin.id


# --- designations ------------------------------------------------------------------------------

@pytest.fixture
def two_companies(factory):
    return factory.company("wujin", uscc=code(1)), factory.company("liyang", uscc=code(2))


def test_designations_defaults_formats_and_idempotence(app, two_companies):
    first, second = two_companies
    rows = [
        [code(1), "", "高新技术企业", "GR202332000001", "2023-11-06", "", "", "2023年第一批"],
        [code(1), "", "科技型中小企业", "202332041200001", "2024/04/10", "", "", ""],
        [code(2), "", "tech_sme", "202332048100002", "2025年5月6日", "", "", ""],
        [code(2), "", "瞪羚企业", "", "2024-12-01", "2025-01-01", "", "2024年"],
    ]
    data = csv_file(DESIGNATION_HEADER, rows)
    report = _import("designations", data, dry_run=False)
    assert not report.errors and report.new == 4
    by_rung = {(d.company_id, d.rung): d for d in db.session.scalars(select(Designation))}
    hnte = by_rung[(first.id, "hnte")]
    assert hnte.valid_from == dt.date(2023, 11, 6) and hnte.valid_until == dt.date(2026, 11, 5)
    assert hnte.batch == "2023年第一批" and hnte.source == "import:data.csv"
    assert by_rung[(first.id, "tech_sme")].valid_until == dt.date(2024, 12, 31)
    assert by_rung[(second.id, "tech_sme")].granted_on == dt.date(2025, 5, 6)
    gazelle = by_rung[(second.id, "gazelle")]
    assert gazelle.valid_from == dt.date(2025, 1, 1) and gazelle.valid_until is None

    again = _import("designations", data, dry_run=False)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 4)
    assert _count(Designation) == 4

    rows[0][3] = "GR202332000099"
    changed = _import("designations", csv_file(DESIGNATION_HEADER, rows), dry_run=False)
    assert (changed.new, changed.updated, changed.unchanged) == (0, 1, 3)
    db.session.expire_all()
    assert hnte.reference == "GR202332000099"
    assert _count(Designation) == 4


def test_designation_errors_by_row_and_column(app, two_companies):
    rows = [
        [code(9), "", "高新技术企业", "", "2023-11-06", "", "", ""],  # unknown company
        ["91320412MA00000011", "", "高新技术企业", "", "2023-11-06", "", "", ""],  # invalid code
        [code(1), "", "小巨人", "", "2023-11-06", "", "", ""],  # unknown kind
        [code(1), "", "高企", "", "06/11/2023", "", "", ""],  # bad date
        [code(1), "", "高企", "", "2023-11-06", "", "2023-01-01", ""],  # until before from
        [code(1), "", "高企", "", "", "", "", ""],  # no date at all
        [code(2), "别的名字", "科小", "", "2024-05-01", "", "", ""],  # valid, name differs (warning)
    ]
    report = _import("designations", csv_file(DESIGNATION_HEADER, rows), dry_run=False, mode="valid")
    found = {(i.row, i.column): i for i in report.errors}
    assert "系统中没有统一社会信用代码为" in found[(2, "统一社会信用代码")].reason
    assert found[(2, "统一社会信用代码")].value == code(9)
    assert "统一社会信用代码" in found[(3, "统一社会信用代码")].reason
    assert "未知的资质类型：小巨人" in found[(4, "资质类型")].reason
    assert "无法识别的日期" in found[(5, "认定日期")].reason
    assert "不能早于有效期起" in found[(6, "有效期至")].reason
    assert "请填写认定日期或有效期起" in found[(7, "认定日期")].reason
    assert report.error_rows == {2, 3, 4, 5, 6, 7}
    assert report.new == 1 and _count(Designation) == 1
    assert report.warnings[0].row == 8 and "不一致" in report.warnings[0].reason


def test_designations_of_a_deleted_company_are_refused(app, factory):

    company = factory.company("wujin", uscc=code(3))
    soft_delete_company(factory.user("admin"), company)
    report = _import("designations", csv_file(DESIGNATION_HEADER, [[code(3), "", "高企", "", "2023-01-01", "", "", ""]]))
    assert report.error_rows == {2}


def test_same_key_twice_in_one_file_is_an_error(app, two_companies):
    rows = [[code(1), "", "高企", "A", "2023-11-06", "", "", ""], [code(1), "", "hnte", "B", "2023/11/06", "", "", ""]]
    report = _import("designations", csv_file(DESIGNATION_HEADER, rows))
    assert report.error_rows == {3} and "与第 2 行" in report.errors[0].reason


def test_revocation_columns(app, two_companies):
    header = DESIGNATION_HEADER + ["撤销日期", "撤销原因"]
    rows = [[code(1), "", "高企", "GR1", "2023-11-06", "", "", "", "2024-06-01", "经复核不符合条件"],
            [code(2), "", "高企", "GR2", "2023-11-06", "", "", "", "2024-06-01", ""]]
    report = _import("designations", csv_file(header, rows), dry_run=False, mode="valid")
    assert report.error_rows == {3} and report.errors[0].column == "撤销原因"
    designation = db.session.scalar(select(Designation))
    assert designation.revoked_on == dt.date(2024, 6, 1) and designation.revoke_reason == "经复核不符合条件"


def test_xlsx_with_excel_date_cells_and_serials(app, two_companies):
    rows = [
        [code(1), None, "高新技术企业", "GR1", dt.datetime(2023, 11, 6), None, None, None],
        [code(2), None, "科技型中小企业", "S1", 45418, None, None, None],  # serial of 2024-05-06
        [code(2), None, "瞪羚企业", None, "2024年12月1日", dt.date(2025, 1, 1), None, None],
    ]
    report = _import("designations", xlsx_file(DESIGNATION_HEADER, rows), "list.xlsx", dry_run=False)
    assert not report.errors, report.errors
    starts = sorted(d.valid_from for d in db.session.scalars(select(Designation)))
    assert starts == [dt.date(2023, 11, 6), dt.date(2024, 5, 6), dt.date(2025, 1, 1)]
    assert _import("designations", xlsx_file(DESIGNATION_HEADER, rows), "list.xlsx").unchanged == 3


# --- yearly figures ----------------------------------------------------------------------------

FIGURE_HEADER = ["统一社会信用代码", "年度", "职工总数", "科技人员数", "营业收入(万元)", "研发费用(万元)",
                 "境内研发费用", "成本费用总额", "资产总额", "高新技术产品收入", "I类知识产权数", "II类知识产权数",
                 "估值(万元)", "融资额(万元)", "是否上市", "创新能力评价得分"]


def test_yearly_figures_upsert_on_company_and_year(app, two_companies):
    first, _ = two_companies
    rows = [
        [code(1), 2024, 120, 30, "8,500.5", 600, 550, 7000, 9000, 6000, 1, 5, "", "", "否", 78.5],
        [code(1), "2025年", 130, 35, 9200, 700, "", "", "", "", "", "", "", "", "", ""],
    ]
    report = _import("figures", csv_file(FIGURE_HEADER, rows), dry_run=False)
    assert not report.errors and report.new == 2
    fig = db.session.scalar(select(CompanyYearFigures).where(CompanyYearFigures.year == 2024))
    assert fig.company_id == first.id and fig.revenue == Decimal("8500.50") and fig.is_listed is False
    assert fig.innovation_score == Decimal("78.50") and fig.ip_class2_count == 5 and fig.valuation is None

    assert _import("figures", csv_file(FIGURE_HEADER, rows), dry_run=False).unchanged == 2
    rows[1][4] = 9300
    report = _import("figures", csv_file(FIGURE_HEADER, rows), dry_run=False)
    assert (report.new, report.updated, report.unchanged) == (0, 1, 1)
    assert report.outcomes[1].changes == ("营业收入(万元)",)
    assert _count(CompanyYearFigures) == 2


def test_yearly_figure_errors(app, two_companies):
    rows = [
        [code(1), 2024, 10, 20, 1, 1, 1, "", "", "", "", "", "", "", "", ""],
        [code(1), 2023, 10, 5, "很多", 1, 2, "", "", "", "", "", "", "", "也许", 120],
        [code(1), 1900, "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
        [code(5), 2024, "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ]
    report = _import("figures", csv_file(FIGURE_HEADER, rows))
    found = {(i.row, i.column): i.reason for i in report.errors}
    assert "不能大于职工总数" in found[(2, "科技人员数")]
    assert "应为数字" in found[(3, "营业收入(万元)")]
    assert "不能大于研发费用" in found[(3, "境内研发费用")]
    assert "是”或“否" in found[(3, "是否上市")]
    assert "0–100" in found[(3, "创新能力评价得分")]  # the edit form's message (tracker.rules.figures)
    assert "年度应在" in found[(4, "年度")]
    assert "系统中没有" in found[(5, "统一社会信用代码")]


@pytest.mark.parametrize("mode", ["all", "valid"])
def test_figures_the_edit_form_refuses_are_error_rows_and_write_nothing(app, two_companies, mode):
    """The import applies the same yearly-figure rule as the edit form (tracker.rules.figures):
    high-tech revenue 500 against revenue 100 was once imported although the form refuses it."""
    rows = [
        [code(1), 2024, "", "", 100, "", "", "", "", 500, "", "", "", "", "", ""],
        [code(2), 2024, "", "", "", 300, "", 200, "", "", "", "", "", "", "", ""],
    ]
    report = _import("figures", csv_file(FIGURE_HEADER, rows), dry_run=False, mode=mode)
    found = {(i.row, i.column): i.reason for i in report.errors}
    assert found[(2, "高新技术产品收入")] == "高新技术产品（服务）收入不能大于营业收入"
    assert found[(3, "研发费用(万元)")] == "研发费用不能大于成本费用总额"
    assert [o.action for o in report.outcomes] == ["error", "error"]
    assert not report.committed and _count(CompanyYearFigures) == 0


def test_figure_relations_are_checked_against_the_stored_year_an_empty_cell_keeps(app, two_companies):
    rows = [[code(1), 2024, "", "", 100, "", "", "", "", "", "", "", "", "", "", ""]]
    assert _import("figures", csv_file(FIGURE_HEADER, rows), dry_run=False).new == 1
    rows = [[code(1), 2024, "", "", "", "", "", "", "", 500, "", "", "", "", "", ""]]
    report = _import("figures", csv_file(FIGURE_HEADER, rows), dry_run=False, mode="valid")
    assert {(i.row, i.column): i.reason for i in report.errors} == {
        (2, "高新技术产品收入"): "高新技术产品（服务）收入不能大于营业收入"
    }
    assert db.session.scalar(select(CompanyYearFigures.hightech_revenue)) is None


def test_figures_for_a_year_the_edit_form_refuses_are_error_rows(app, factory):
    factory.company("wujin", uscc=code(1), founded_on=dt.date(2015, 6, 1))
    rows = [[code(1), year] + [""] * 14 for year in (2014, today().year + 1, 2015)]
    report = _import("figures", csv_file(FIGURE_HEADER, rows), dry_run=False, mode="valid")
    found = {(i.row, i.column): i.reason for i in report.errors}
    assert found[(2, "年度")] == "年份不能早于企业成立年份（2015 年）"
    assert "年份须在 2015–" in found[(3, "年度")]
    assert report.new == 1 and db.session.scalar(select(CompanyYearFigures.year)) == 2015


# --- money units (defect 15) -------------------------------------------------------------------

def test_money_headers_with_a_unit_are_converted_to_ten_thousand_yuan(app, two_companies):
    header = ["统一社会信用代码", "年度", "营业收入(元)", "研发费用（千元）", "资产总额(亿元)", "成本费用总额(万元)"]
    rows = [[code(1), 2024, "85,000,000", 6000, 1.2, 7000]]
    report = _import("figures", csv_file(header, rows), dry_run=False)
    assert not report.errors and report.new == 1
    assert not [w for w in report.warnings if w.row > 1]
    fig = db.session.scalar(select(CompanyYearFigures))
    assert (fig.revenue, fig.rd_expense, fig.total_assets, fig.total_cost) == (
        Decimal("8500.00"), Decimal("600.00"), Decimal("12000.00"), Decimal("7000.00"))
    notes = {w.column: w.reason for w in report.warnings if w.row == 1}
    assert notes["营业收入(元)"] == "该列以“元”填写，已换算为万元"
    assert "成本费用总额(万元)" not in notes
    assert _import("figures", csv_file(header, rows), dry_run=False).unchanged == 1  # re-import: no change


def test_money_in_yuan_under_a_header_without_a_unit_is_imported_with_a_warning_per_row(app, two_companies):
    header = ["统一社会信用代码", "年度", "营业收入", "研发费用"]
    rows = [[code(1), 2024, 85_000_000, 6_000_000], [code(2), 2024, 8500, 600]]
    report = _import("figures", csv_file(header, rows), dry_run=False, mode="all")
    assert report.committed and not report.errors and report.new == 2
    found = {(w.row, w.column): w.reason for w in report.warnings}
    assert set(found) == {(2, "营业收入"), (2, "研发费用")}
    assert "表头未注明单位，已按万元读取" in found[(2, "营业收入")]
    assert "“营业收入(元)”" in found[(2, "营业收入")]


# --- credit codes a spreadsheet stored as numbers (defect 9, import side) ----------------------

def _all_digit_codes(count: int) -> list[str]:
    found = []
    n = 0
    while len(found) < count:
        n += 1
        candidate = uscc_rules.make_code(f"91320412{n:04d}5678")  # n within the 15 digits a number keeps
        if candidate.isdigit():
            found.append(candidate)
    return found


def _as_number(text: str) -> float:
    # What LibreOffice keeps of an 18-digit code read from a CSV: a double, 15 significant digits.
    return float(f"{int(text):.15g}")


@pytest.mark.parametrize("kind, header, tail", [
    ("companies", ["统一社会信用代码", "企业名称", "所属辖区"], ["数字企业", "武进"]),
    ("designations", ["统一社会信用代码", "资质类型", "认定日期"], ["高新技术企业", dt.date(2024, 11, 6)]),
    ("figures", ["统一社会信用代码", "年度", "营业收入(万元)"], [2024, 100]),
    ("tracks", ["统一社会信用代码", "目标资质", "年度", "状态"], ["高新技术企业", 2025, "储备"]),
])
def test_numeric_credit_code_cells_are_refused_with_the_spreadsheet_explanation(app, factory, kind, header, tail):
    digits = _all_digit_codes(3)
    for text in digits:
        factory.company("wujin", uscc=text)
    good = factory.company("wujin", uscc=code(1))
    rows = [[_as_number(text), *tail] for text in digits] + [[good.uscc if kind != "companies" else code(2), *tail]]
    report = _import(kind, xlsx_file(header, rows), "numbers.xlsx", dry_run=True)
    by_row = {i.row: i for i in report.errors}
    assert sorted(by_row) == [2, 3, 4]
    for issue in by_row.values():
        assert issue.column == "统一社会信用代码"
        assert "存成了数字" in issue.reason and "文本" in issue.reason and "末位应为" not in issue.reason
        assert "E+17" in issue.value  # shown as the spreadsheet shows it, not as 913204…936
        assert issue.code == "spreadsheet_number" and issue.to_dict()["code"] == "spreadsheet_number"
    assert report.new == 1


def _wrong_org_check(valid: str) -> str:
    wrong = "0" if valid[16] != "0" else "1"
    first17 = valid[:16] + wrong
    return first17 + uscc_rules.check_character(first17)  # the final character is right


def _wrong_final_check(valid: str) -> str:
    return valid[:17] + ("0" if valid[17] != "0" else "1")


@pytest.mark.parametrize("text, reason", [
    ("9132041200000012X", "length"), ("91320412MA0000001I", "alphabet"),
    (_wrong_org_check(code(3)), "org_check"), (_wrong_final_check(code(3)), "check"),
])
def test_a_refused_credit_code_names_its_reason(app, text, reason):
    report = _import("companies", csv_file(COMPANY_HEADER, [[text, "甲", "武进", "", "", ""]]))
    message = report.errors[0].reason
    assert {"length": "长度", "alphabet": "不允许的字符", "org_check": "组织机构代码校验位", "check": "末位应为"}[reason] \
        in message
    assert report.errors[0].code == reason
