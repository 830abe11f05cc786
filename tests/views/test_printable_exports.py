"""Exports that print (issue 17 item 10): titled, frozen, filtered, landscape; drill-down lists,
import templates with an example, the dry-run report with errors beside the rows, phone checks."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from tests.services.imports.import_helpers import code, csv_file
from tracker.indicators import views as indicator_views
from tracker.rules import import_examples
from tracker.rules.import_formats import template_headers
from tracker.services.imports import importer
from tracker.services.indicators import targets
from tracker.services.indicators.rollup import roll_up

D = dt.date
TODAY = D(2026, 11, 24)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(indicator_views, "today", lambda: TODAY)


def _book(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return load_workbook(io.BytesIO(response.data))


def _printable(sheet, header_row: int = 2) -> None:
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == f"$1:${header_row}"


def test_company_export_has_title_scope_filters_and_flags_wrong_phones(client, auth, factory):
    manager = factory.user("manager", "wujin")
    factory.company("wujin", name="常州市武进区某某高端装备制造有限公司", industry="新材料",
                    contact_phone="1381234567", founded_on=D(2018, 4, 2))
    factory.company("wujin", name="电话正常企业", industry="新材料", contact_phone="0519-86123456")
    auth.login(manager)
    response = client.get("/companies/export?format=xlsx&industry=新材料")
    assert "filename*=UTF-8''" + quote("企业名单-") in response.headers["Content-Disposition"]
    sheet = _book(response).active
    _printable(sheet)
    assert sheet["A1"].value.startswith("企业名单（武进区，截至 ") and "产业领域=新材料" in sheet["A1"].value
    header = [c.value for c in sheet[2]]
    assert header[-1] == "电话核查" and sheet.auto_filter.ref == f"A2:{sheet.cell(2, len(header)).column_letter}4"
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert "11位" in rows["常州市武进区某某高端装备制造有限公司"][-1] and rows["电话正常企业"][-1] in ("", None)
    founded = sheet.cell(3 if sheet["A3"].value.startswith("常州") else 4, header.index("成立日期") + 1)
    assert founded.is_date and founded.number_format == "yyyy-mm-dd"
    # The long name fits: 18 CJK characters = 36 widths, + 2 padding.
    assert sheet.column_dimensions["A"].width == 38


def test_drill_down_exports_every_row_scoped(client, auth, factory):
    targets.seed_plan()
    for n in range(3):
        factory.designation(factory.company("wujin", name=f"武进高企{n}"), "hnte", D(2025, 3, 1))
    factory.designation(factory.company("liyang", name="溧阳机密高企"), "hnte", D(2025, 3, 1))
    auth.login(factory.user("manager", "wujin"))
    page = client.get("/indicators/drill?code=hnte_count&as_of=2026-11-24").get_data(as_text=True)
    assert 'data-testid="drill-xlsx"' in page
    response = client.get("/indicators/drill.xlsx?code=hnte_count&as_of=2026-11-24")
    assert quote("指标1明细") in response.headers["Content-Disposition"]
    sheet = _book(response).active
    _printable(sheet)
    names = [r[0] for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert sorted(names) == ["武进高企0", "武进高企1", "武进高企2"]
    assert len(names) == roll_up(TODAY, None, "wujin").figure("hnte_count").actual
    assert "武进区" in sheet["A1"].value and "截至 2026-11-24" in sheet["A1"].value
    assert client.get("/indicators/drill.xlsx?code=hnte_count&district=liyang").status_code == 403
    assert client.get("/indicators/drill.xlsx?code=nope").status_code in (400, 404)


def test_indicator_workbook_prints(client, auth, factory):
    targets.seed_plan()
    auth.login(factory.user("admin"))
    book = _book(client.get("/indicators/export.xlsx"))
    _printable(book["指标任务年度分解表"], header_row=3)
    _printable(book["各辖市区分解表"], header_row=3)
    _printable(book["缺口分析"])


@pytest.fixture
def admin_client(client, auth, factory):
    auth.login(factory.user("admin"))
    return client


@pytest.mark.parametrize("kind", ["companies", "designations", "figures", "tracks", "support", "attractions"])
def test_templates_have_an_example_sheet_and_a_chinese_name(admin_client, kind):
    response = admin_client.get(f"/imports/template?kind={kind}&format=xlsx")
    book = _book(response)
    names = {"companies": "企业名录"}
    if kind in names:
        assert "filename*=UTF-8''" + quote(f"{names[kind]}导入模板.xlsx") in response.headers["Content-Disposition"]
    example = book["填写示例"]
    assert "不会导入" in example["A1"].value
    assert [c.value for c in example[2]] == [c.value for c in book.worksheets[0][1]]
    assert any(c.value not in (None, "") for c in example[3])
    assert str(example["A4"].value).startswith(("必填", "选填"))
    assert "filename*=UTF-8''" in admin_client.get(f"/imports/template?kind={kind}").headers["Content-Disposition"]


def test_the_example_rows_are_in_shapes_the_importers_accept(app, factory):
    company = factory.company("wujin")
    report = importer.run_import("companies", csv_file(template_headers("companies"), [import_examples.example_row("companies")]),
                                 "example.csv", dry_run=True)
    assert report.fatal is None and not report.errors, [e.reason for e in report.errors]
    # The other kinds need an existing company: the example with its credit code replaced.
    for kind in ("designations", "figures", "tracks", "support"):
        row = [company.uscc if v == import_examples.EXAMPLE_USCC else v for v in import_examples.example_row(kind)]
        row = [company.name if v == "常州示例智能科技有限公司" else v for v in row]
        report = importer.run_import(kind, csv_file(template_headers(kind), [row]), "example.csv", dry_run=True)
        assert report.fatal is None and not report.errors, (kind, [e.reason for e in report.errors])


def _token(html: str) -> str:
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_dry_run_report_downloads_with_errors_beside_the_rows(admin_client):
    header = ["统一社会信用代码", "企业名称", "所属辖区", "联系电话"]
    data = csv_file(header, [[code(1), "正确企业", "武进区", "0519-86123456"],
                             [code(2), "电话有误企业", "武进区", "12345"],
                             ["123", "代码错误企业", "火星区", ""]])
    page = admin_client.post("/imports/", data={"kind": "companies", "file": (io.BytesIO(data), "名单.csv")},
                             content_type="multipart/form-data").get_data(as_text=True)
    assert "11位" in page  # the phone warning on the page
    token = _token(page)
    response = admin_client.get(f"/imports/report.xlsx?token={token}")
    assert quote("名单-试导入结果.xlsx") in response.headers["Content-Disposition"]
    sheet = _book(response).active
    _printable(sheet)
    assert [c.value for c in sheet[2]][:3] == ["检查结果", "问题说明", "统一社会信用代码"]
    rows = {r[3]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["正确企业"][0] == "新增" and not rows["正确企业"][1]
    assert rows["电话有误企业"][0] == "新增（有提示）" and "11位" in rows["电话有误企业"][1]
    assert rows["代码错误企业"][0] == "错误" and "错误1" in rows["代码错误企业"][1] and "火星区" in rows["代码错误企业"][1]
    assert admin_client.get("/imports/report.xlsx?token=forged").status_code == 404
