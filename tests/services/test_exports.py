"""The export kernel (tracker/services/exports.py): any stored value is writable, and every xlsx
prints (title row, bold frozen header, widths, autofilter, real cells, print set-up)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import text

from tracker.extensions import db
from tracker.services import exports
from tracker.services.imports import exporter, importer

HOSTILE = "常州\x00某\x1b[31m科技\x07有限\x7f公司\ud800"


def test_control_characters_and_surrogates_never_break_xlsx_or_csv():
    rows = [[HOSTILE, dt.date(2024, 1, 2)], ["x" * 40000, None]]
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(["企业名称", "日期"], rows))).active
    assert sheet["A3"].value == "常州某[31m科技有限公司"
    assert len(sheet["A4"].value) == exports.CELL_MAX_CHARS
    cells = list(csv.reader(io.StringIO(exports.csv_bytes(["企业名称"], [[HOSTILE]]).decode("utf-8-sig"))))
    assert cells[1] == ["常州某[31m科技有限公司"]
    assert exports.safe_cell("=\x00SUM(1)") == "'=SUM(1)"


def test_every_xlsx_prints():
    rows = [["常州市武进区某某高新技术有限公司", dt.date(2024, 1, 2), Decimal("1234.50"), 7]]
    title = exports.title_line("企业名单", "武进区", dt.date(2026, 11, 24), ["产业领域=新材料"])
    assert title == "企业名单（武进区，截至 2026-11-24，筛选：产业领域=新材料）"
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(["企业名称", "成立日期", "营业收入(万元)", "人数"], rows,
                                                        sheet_title="企业名单", title=title))).active
    assert sheet["A1"].value == title and sheet["A1"].font.b
    assert [c.value for c in sheet[2]] == ["企业名称", "成立日期", "营业收入(万元)", "人数"]
    assert all(c.font.b for c in sheet[2])
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:D3"
    assert sheet["B3"].is_date and sheet["B3"].number_format == "yyyy-mm-dd"
    assert sheet["C3"].value == 1234.5 and sheet["C3"].number_format == "#,##0.00"
    # 16 CJK characters count 32 widths (+2 padding); a date needs 10 (+2).
    assert sheet.column_dimensions["A"].width == 34 and sheet.column_dimensions["B"].width == 12
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$2"


def test_content_disposition_names_the_file_in_chinese():
    value = exports.content_disposition("企业名单 2026.xlsx", "companies.xlsx")
    assert value == "attachment; filename=companies.xlsx; filename*=UTF-8''%E4%BC%81%E4%B8%9A%E5%90%8D%E5%8D%95%202026.xlsx"


def test_an_import_layout_export_with_a_title_row_re_imports(app, factory, tmp_path):
    company = factory.company("wujin", name="往返企业")
    # Stored before the text rules existed: ESC (and NUL where the database can hold it).
    bad = "往返\x1b企业" if db.engine.dialect.name == "postgresql" else "往返\x00\x1b企业"
    db.session.execute(text("UPDATE company SET name = :n WHERE id = :id"), {"n": bad, "id": company.id})
    db.session.commit()
    path = tmp_path / "companies.xlsx"
    assert exporter.export_kind("companies", path) == 1
    sheet = load_workbook(path).active
    assert sheet["A1"].value.startswith("企业名录") and sheet["B2"].value == "企业名称"
    assert sheet["B3"].value == "往返企业"
    report = importer.run_import("companies", path.read_bytes(), "companies.xlsx", dry_run=True)
    assert report.fatal is None and not report.error_rows
    assert report.total_rows == 1
    csv_path = tmp_path / "companies.csv"
    assert exporter.export_kind("companies", csv_path) == 1
    assert "往返企业" in csv_path.read_text(encoding="utf-8-sig")
