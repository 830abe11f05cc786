"""`flask import attractions`: dry run, modes, Chinese errors, settling rows, re-import; the export."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AttractionProject, AuditEvent, Company
from tracker.rules.uscc import make_code
from tracker.services.attractions.export import export_xlsx
from tracker.services.exports import csv_bytes
from tracker.services.imports.importer import run_import

HEADERS = ["项目名称", "招引渠道", "来源", "所属辖区", "状态", "签约日期", "落户日期", "统一社会信用代码", "企业名称",
           "产业领域", "负责人"]


def _file(rows) -> bytes:
    return csv_bytes(HEADERS, rows)


def _rows(officer_email: str):
    day = today().isoformat()
    return [
        ["石墨烯中试基地", "载体招引", "科技局", "武进区", "在谈", "", "", "", "", "新型碳材料", officer_email],
        ["储能电池项目", "fund", "商务局", "武进", "签约", day, "", "", "", "新能源", ""],
        ["机器人关节模组", "大赛招引", "辖区", "新北区", "落户", day, day, make_code("91320411MA0000007"),
         "常州关节科技有限公司", "机器人", ""],
    ]


def test_dry_run_writes_nothing_then_commit_creates_projects_and_the_settled_company(app, factory):
    officer = factory.user("officer", "wujin", email="zhang@example.com")
    data = _file(_rows(officer.email))
    dry = run_import("attractions", data, "projects.csv", dry_run=True)
    assert (dry.new, dry.errors, dry.committed) == (3, [], False)
    assert db.session.scalar(select(func.count(AttractionProject.id))) == 0

    done = run_import("attractions", data, "projects.csv", dry_run=False)
    assert done.committed and done.new == 3
    by_name = {p.name: p for p in db.session.scalars(select(AttractionProject))}
    assert by_name["石墨烯中试基地"].lead_officer_id == officer.id and by_name["石墨烯中试基地"].status == "talking"
    assert by_name["储能电池项目"].channel == "fund" and by_name["储能电池项目"].signed_on == today()
    settled = by_name["机器人关节模组"]
    company = db.session.get(Company, settled.company_id)
    assert (company.name, company.district, company.attracted_on, company.attraction_channel) == \
        ("常州关节科技有限公司", "xinbei", today(), "contest")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "import.attractions")) == 1

    again = run_import("attractions", data, "projects.csv", dry_run=False)
    assert (again.new, again.updated, again.unchanged, again.committed) == (0, 0, 3, False)


def test_errors_are_chinese_and_modes_decide_what_is_written(app, factory):
    day = today().isoformat()
    rows = [
        ["好项目", "载体", "", "武进区", "线索", "", "", "", "", "", ""],
        ["坏渠道", "路演招引", "", "武进区", "", "", "", "", "", "", ""],
        ["缺企业", "fund", "", "武进区", "落户", "", day, "", "", "", ""],
        ["坏状态", "fund", "", "火星区", "洽谈中", "", "", "", "", "", "nobody@example.com"],
        ["好项目", "fund", "", "武进区", "", "", "", "", "", "", ""],
    ]
    report = run_import("attractions", _file(rows), "bad.csv", dry_run=False, mode="all")
    reasons = {(i.row, i.column): i.reason for i in report.errors}
    assert reasons[(3, "招引渠道")].startswith("未知的招引渠道：路演招引（可选：载体招引、")
    assert reasons[(4, "统一社会信用代码")] == "状态为“落户”时须填写统一社会信用代码"
    assert reasons[(4, "企业名称")] == "状态为“落户”时须填写企业名称"
    assert reasons[(5, "所属辖区")].startswith("未知的辖区：火星区")
    assert reasons[(5, "状态")].startswith("未知的项目状态：洽谈中")
    assert reasons[(5, "负责人")] == "没有该邮箱的服务专员或辖区管理员账号：nobody@example.com"
    assert reasons[(6, "项目名称")] == "与第 2 行的项目名称和辖区重复"
    assert not report.committed and db.session.scalar(select(func.count(AttractionProject.id))) == 0

    valid = run_import("attractions", _file(rows), "bad.csv", dry_run=False, mode="valid")
    assert valid.committed and valid.new == 1
    assert db.session.scalar(select(AttractionProject.channel)) == "carrier"


def test_status_moves_forward_only_and_export_reimports(app, factory):
    admin = factory.user("admin")
    run_import("attractions", _file(_rows("")[:2]), "a.csv", dry_run=False)
    back = [["储能电池项目", "fund", "", "武进区", "在谈", "", "", "", "", "", ""]]
    report = run_import("attractions", _file(back), "back.csv", dry_run=True)
    assert [i.reason for i in report.errors] == ["不能从“签约”退回“在谈”；可变更为：终止"]
    drop = [["储能电池项目", "fund", "", "武进区", "终止", "", "", "", "", "", ""]]
    assert run_import("attractions", _file(drop), "drop.csv", dry_run=False).updated == 1
    project = db.session.scalar(select(AttractionProject).where(AttractionProject.name == "储能电池项目"))
    assert project.status == "dropped" and project.drop_reason == "导入终止：drop.csv"

    book = load_workbook(io.BytesIO(export_xlsx(admin)))
    rows = list(book.active.iter_rows(values_only=True))
    assert list(rows[1]) == HEADERS  # row 1: the export's title (tracker.services.exports)
    assert ("储能电池项目", "基金招引", "商务局", "武进区", "终止") in [r[:5] for r in rows[2:]]
    buffer = io.BytesIO(export_xlsx(admin))
    again = run_import("attractions", buffer.getvalue(), "export.xlsx", dry_run=True)
    assert (again.errors, again.unchanged) == ([], 2)
    # A manager of another district exports none of them.
    assert len(list(load_workbook(io.BytesIO(export_xlsx(factory.user("manager", "liyang")))).active.iter_rows())) == 2


def test_company_import_reads_channel_names_into_codes(app, factory):
    headers = ["统一社会信用代码", "企业名称", "所属辖区", "招引落户日期", "招引渠道"]
    day = (today() - dt.timedelta(days=1)).isoformat() if today().timetuple().tm_yday > 1 else today().isoformat()
    data = csv_bytes(headers, [[make_code("91320412MA0000003"), "甲公司", "武进区", day, "平台招引"],
                               [make_code("91320412MA0000004"), "乙公司", "武进区", day, "路演"]])
    report = run_import("companies", data, "c.csv", dry_run=False, mode="valid")
    assert [i.reason.split("（")[0] for i in report.errors] == ["未知的招引渠道：路演"]
    assert db.session.scalar(select(Company.attraction_channel)) == "platform"


def test_cli_import_and_export(app, runner, factory, tmp_path):
    source = tmp_path / "projects.csv"
    source.write_bytes(_file([["石墨烯中试基地", "载体招引", "科技局", "武进区", "终止", "", "", "", "", "", ""],
                              ["坏行", "路演", "", "武进区", "", "", "", "", "", "", ""]]))
    result = runner.invoke(args=["import", "attractions", str(source), "--dry-run"])
    assert result.exit_code == 1 and "第 3 行，列“招引渠道”，值 “路演”：未知的招引渠道：路演" in result.output
    result = runner.invoke(args=["import", "attractions", str(source), "--mode", "valid"])
    assert result.exit_code == 0 and "新增 1" in result.output
    out = tmp_path / "out.xlsx"
    result = runner.invoke(args=["export", "attractions", str(out)])
    assert result.exit_code == 0 and "已导出 1 行" in result.output
